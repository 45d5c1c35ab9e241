"""The admin CLI, as an operator runs it: commands, printed-once tokens, clear errors."""

from __future__ import annotations

from typing import Any

import pytest

from local.admin import main
from tests.conftest import Api


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = main(list(args))
    out, err = capsys.readouterr()
    return code, out, err


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
    token_id, token = (line.split()[-1] for line in out.splitlines()[:2])
    headers = {"X-USER-USERNAME": "peter@initech.example", "X-USER-TOKEN": token}
    path = "/api/users/000123/loyalty_memberships"
    assert api("GET", path, as_user=None, headers=headers).status == 200
    assert token not in str(dynamodb.scan(TableName="loyalty-memberships-test")["Items"])
    assert run(capsys, "revoke-token", "peter@initech.example", token_id)[0] == 0
    assert api("GET", path, as_user=None, headers=headers).status == 401


def test_rotating_a_concur_token(
    api: Api, dynamodb: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, _ = run(capsys, "issue-concur-token", "demo-tmc", "acme", "098765")
    assert code == 0
    new_id, new = (line.split()[-1] for line in out.splitlines()[:2])
    headers = {"Authorization": f"OAuth {new}", "Content-Type": "application/xml"}
    body = (
        "<LoyaltyMembershipUpdate><Membership UniqueID='P'><VendorCode>AA</VendorCode>"
        "<VendorType>A</VendorType><AccountNo>1</AccountNo></Membership></LoyaltyMembershipUpdate>"
    )
    route = "/api/travelprofile/v1.0/loyalty"
    assert api("POST", route, as_user=None, headers=headers, body=body).status == 200
    assert run(capsys, "revoke-concur-token", "demo-tmc", new_id)[0] == 0
    assert api("POST", route, as_user=None, headers=headers, body=body).status == 401


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
