"""The admin CLI, as an operator runs it: commands, printed-once tokens, clear errors, what
each command changed, and the same as JSON with --json."""

from __future__ import annotations

import json
from typing import Any

import pytest

from local.admin import COMMANDS, Admin, main
from loyalty_core.models import Role
from tests.conftest import Api


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    capsys.readouterr()  # what the handlers printed before (their metric lines)
    code = main(list(args))
    out, err = capsys.readouterr()
    return code, out, err


def run_json(capsys: pytest.CaptureFixture[str], *args: str) -> Any:
    code, out, err = run(capsys, *args, "--json")
    assert code == 0, err
    return json.loads(out)


def labelled(text: str) -> dict[str, str]:
    """`label: value` lines of a command's text output; each label at most once."""
    pairs = [line.split(":", 1) for line in text.splitlines() if ": " in line]
    labels = [label for label, _ in pairs]
    assert len(labels) == len(set(labels)), text
    return {label: value.strip() for label, value in pairs}


def test_a_new_company_user_and_token_work_against_the_api(
    api: Api, dynamodb: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    assert run(capsys, "create-company", "initech", "--name", "Initech")[0] == 0
    code, out, _ = run(
        capsys,
        "create-user",
        "initech",
        "000123",
        "--name",
        "Peter Gibbons",
        "--email",
        "peter@initech.example",
    )
    assert (code, out.strip()) == (0, "user initech/000123 (traveller) created")
    code, out, _ = run(capsys, "issue-token", "peter@initech.example", "--days", "30")
    assert code == 0
    fields = labelled(out)
    token_id, token = fields["token_id"], fields["secret"]
    assert fields["expires_at"].startswith("20")
    headers = {"X-USER-USERNAME": "peter@initech.example", "X-USER-TOKEN": token}
    path = "/api/users/000123/loyalty_memberships"
    assert api("GET", path, as_user=None, headers=headers).status == 200
    assert token not in str(dynamodb.scan(TableName="loyalty-memberships-test")["Items"])
    assert run(capsys, "revoke-token", "peter@initech.example", token_id)[0] == 0
    assert api("GET", path, as_user=None, headers=headers).status == 401


def test_issue_token_as_json_gives_each_field_once(
    api: Api, dynamodb: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    issued = run_json(capsys, "issue-token", "jane.doe@acme.example")
    assert set(issued) == {"email", "token_id", "token", "expires_at"}
    assert issued["expires_at"] is None and issued["token"] != issued["token_id"]
    headers = {"X-USER-USERNAME": "jane.doe@acme.example", "X-USER-TOKEN": issued["token"]}
    mine = api("GET", "/api/users/112233/loyalty_memberships", as_user=None, headers=headers)
    assert mine.status == 200
    listed = run_json(capsys, "list-tokens", "jane.doe@acme.example")
    assert {"token_id": issued["token_id"], "expires_at": None} in listed["tokens"]
    assert len(listed["tokens"]) == 2  # the demo token and this one


def test_rotating_a_concur_token(
    api: Api, dynamodb: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    issued = run_json(capsys, "issue-concur-token", "demo-tmc", "acme", "098765", "--days", "1")
    assert (issued["application"], issued["company"], issued["employee_id"]) == (
        "demo-tmc",
        "acme",
        "098765",
    )
    headers = {"Authorization": f"OAuth {issued['token']}", "Content-Type": "application/xml"}
    body = (
        "<LoyaltyMembershipUpdate><Membership UniqueID='P'><VendorCode>AA</VendorCode>"
        "<VendorType>A</VendorType><AccountNo>1</AccountNo></Membership></LoyaltyMembershipUpdate>"
    )
    route = "/api/travelprofile/v1.0/loyalty"
    assert api("POST", route, as_user=None, headers=headers, body=body).status == 200
    revoked = run_json(capsys, "revoke-concur-token", "demo-tmc", issued["token_id"])
    assert revoked == {
        "revoked": "concur_token",
        "application": "demo-tmc",
        "token_id": issued["token_id"],
    }
    assert api("POST", route, as_user=None, headers=headers, body=body).status == 401


def test_assign_never_makes_a_traveller_an_arranger_unasked(
    dynamodb: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, err = run(capsys, "assign", "acme", "112233", "098765")
    assert code == 1 and out == ""
    assert "is a traveller" in err and "--make-arranger" in err
    assert Admin().repo.get_user("acme", "112233").role is Role.TRAVELLER  # nothing written

    code, out, _ = run(capsys, "assign", "acme", "112233", "098765", "--make-arranger")
    assert code == 0
    assert out.splitlines() == [
        "acme/112233: role traveller -> arranger",
        "acme/112233: arranges ['098765'] (+098765)",
    ]
    jane = Admin().repo.get_user("acme", "112233")
    assert (jane.role, jane.arranges) == (Role.ARRANGER, frozenset({"098765"}))


def test_assign_and_unassign_say_what_changed_as_json(
    dynamodb: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    added = run_json(capsys, "assign", "acme", "acme_arranger", "112233")
    assert added["changed"] is True
    assert added["before"] == {"role": "arranger", "arranges": ["098765"]}
    assert (added["user"]["role"], added["user"]["arranges"]) == ("arranger", ["098765", "112233"])
    again = run_json(capsys, "assign", "acme", "acme_arranger", "112233")
    assert again["changed"] is False
    removed = run_json(capsys, "unassign", "acme", "acme_arranger", "098765")
    assert removed["changed"] is True
    assert (removed["user"]["role"], removed["user"]["arranges"]) == ("arranger", ["112233"])
    code, out, _ = run(capsys, "unassign", "acme", "acme_arranger", "098765")
    assert (code, out.strip()) == (0, "acme/acme_arranger: no change (arranges ['112233'])")


def test_certify_app_says_what_changed(dynamodb: Any, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "certify-app", "demo-uncertified")
    assert (code, out.strip()) == (
        0,
        "application demo-uncertified: certified False -> True (1 token(s) updated)",
    )
    revoked = run_json(capsys, "certify-app", "demo-uncertified", "--revoke")
    assert revoked["before"] == {"certified": True}
    assert revoked["application"]["certified"] is False and revoked["tokens_updated"] == 1


# One valid invocation of every command, in an order that works on the demo data.
EVERY_COMMAND = [
    ("create-company", ["initech", "--name", "Initech"], {"created": "company"}),
    (
        "create-user",
        ["initech", "000123", "--name", "Peter", "--email", "peter@initech.example"],
        {"created": "user"},
    ),
    ("list-users", ["initech"], {"company": "initech", "limit": 100}),
    ("assign", ["acme", "acme_arranger", "112233"], {"changed": True}),
    ("unassign", ["acme", "acme_arranger", "112233"], {"changed": True}),
    ("issue-token", ["peter@initech.example"], {"email": "peter@initech.example"}),
    ("list-tokens", ["peter@initech.example"], {"email": "peter@initech.example"}),
    ("revoke-token", ["admin@acme.example", "nope"], None),
    (
        "create-app",
        ["s1", "--name", "S", "--kind", "supplier", "--vendor-type", "air", "--vendor-code", "AC"],
        {"created": "application"},
    ),
    ("certify-app", ["s1"], {"changed": True, "tokens_updated": 0}),
    ("issue-concur-token", ["s1", "acme", "098765"], {"application": "s1"}),
    ("revoke-concur-token", ["s1", "nope"], None),
    ("erase-user", ["initech", "000123"], {"erased": True}),
    ("load-catalog", [], None),
    ("create-table", [], {"created": False}),
    ("backfill-indexes", [], {"backfilled": {"profiles": 0, "concur_tokens": 0}}),
    ("index-trail", ["acme"], {"entries_written": 0}),
    # The company import and export (tests/integration/test_company_import_cli.py): refusals.
    ("import-memberships", ["no-such-file.csv", "--company", "acme"], None),
    ("export-memberships", ["--company", "acme"], None),  # --json needs --output
    ("create-webhook", ["acme", "--url", "https://hooks.example.com/in"], None),
    ("list-webhooks", ["globex"], {"company": "globex", "subscriptions": []}),
    ("enable-webhook", ["acme", "nope"], None),
    ("disable-webhook", ["acme", "nope"], None),
    ("delete-webhook", ["acme", "nope"], None),
    ("rotate-webhook-secret", ["acme", "nope"], None),
    ("test-webhook", ["acme", "nope"], None),
    ("webhook-deliveries", ["acme", "nope"], None),
    (
        "replay-webhook",
        ["acme", "nope", "--since", "2026-12-01T00:00:00Z", "--until", "2026-12-02T00:00:00Z"],
        None,
    ),
    ("backfill-webhook-feed", [], {"backfilled": 0}),
]


def test_every_command_prints_json_on_request(
    dynamodb: Any, aws_webhooks: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    assert {name for name, _, _ in EVERY_COMMAND} == set(COMMANDS)
    for name, args, expected in EVERY_COMMAND:
        code, out, err = run(capsys, name, *args, "--json")
        if expected is None and code == 1:  # a refusal: stderr only, nothing on stdout
            assert out == "" and err.startswith("error: "), name
            continue
        assert code == 0, (name, err)
        printed = json.loads(out)
        assert expected is None or expected.items() <= printed.items(), (name, printed)
    assert run_json(capsys, "load-catalog")["providers_loaded"] >= 30
    # --json before the command works too
    code, out, _ = run(capsys, "--json", "list-tokens", "admin@acme.example")
    assert code == 0 and json.loads(out)["email"] == "admin@acme.example"


def test_bad_input_is_a_clear_error_not_a_traceback(
    dynamodb: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    code, _, err = run(capsys, "create-user", "acme", "bad id!", "--name", "X", "--email", "nope")
    assert code == 1
    assert "employee_id" in err and "email" in err and "Traceback" not in err
    code, _, err = run(
        capsys, "create-user", "nowhere", "1", "--name", "X", "--email", "x@y.example"
    )
    assert (code, err.strip()) == (1, "error: No company 'nowhere'; create it first")
    code, _, err = run(capsys, "create-app", "s1", "--name", "S", "--kind", "supplier")
    assert code == 1 and "--vendor-type" in err


def test_names_keep_the_text_rule(dynamodb: Any, capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run(capsys, "create-company", "initech", "--name", "Init\u202eech")
    assert code == 1
    assert "U+202E" in err and "Traceback" not in err
    code, _, err = run(
        capsys, "create-user", "acme", "000999", "--name", "Bill\x85", "--email", "b@acme.example"
    )
    assert code == 1 and "U+0085" in err


def test_a_token_lasts_at_least_a_day_or_has_no_expiry(
    dynamodb: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    for days in ("0", "-3", "x"):
        with pytest.raises(SystemExit) as refused:  # argparse: exit status 2, on stderr
            main(["issue-token", "jane.doe@acme.example", "--days", days])
        assert refused.value.code == 2
    assert "1 or more" in capsys.readouterr().err


def test_a_supplier_must_be_a_program_of_the_catalog(
    dynamodb: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    args = ["create-app", "zz", "--name", "ZZ", "--kind", "supplier", "--vendor-type", "air"]
    code, _, err = run(capsys, *args, "--vendor-code", "ZZ", "--certified")
    assert code == 1 and "provider catalog" in err
    assert run(capsys, *args, "--vendor-code", "QF")[0] == 0  # Qantas is in it
