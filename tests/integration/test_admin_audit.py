"""The admin CLI's changes in the audit trail: each change of a user, a token or an
application writes exactly one record, naming the operator, in its own transaction; no
token value or hash is ever recorded."""

from __future__ import annotations

import json
import uuid
from typing import Any

import pytest

from local.admin import Admin, who_am_i
from local.admin import cli as admin_cli
from loyalty_core.auth import hash_token, token_id
from loyalty_core.errors import Conflict
from loyalty_core.models import AccessToken
from loyalty_core.repository import items as i
from loyalty_core.repository import keys as k
from loyalty_core.services import directory
from tests.conftest import TABLE, Api
from tests.integration.test_admin_cli import run
from tests.integration.test_audit_trail import trail


def app_trail(dynamodb: Any, app_id: str) -> list[dict[str, Any]]:
    """An application's audit records, newest first."""
    found = dynamodb.query(
        TableName=TABLE,
        KeyConditionExpression="pk = :pk AND begins_with(sk, :sk)",
        ExpressionAttributeValues={
            ":pk": {"S": k.application_pk(app_id)},
            ":sk": {"S": "CHANGE#"},
        },
        ConsistentRead=True,
    )
    return [i.from_item(item) for item in reversed(found["Items"])]


def one_new(before: list[dict[str, Any]], after: list[dict[str, Any]]) -> dict[str, Any]:
    assert len(after) == len(before) + 1, after[: len(after) - len(before)]
    record = after[0]
    assert record["interface"] == "admin"
    assert uuid.UUID(record["request_id"])  # one request id per change
    return record


def test_create_user_records_the_new_user(dynamodb: Any, capsys: Any) -> None:
    assert run(capsys, "create-company", "initech", "--name", "Initech")[0] == 0
    code, _, err = run(
        capsys,
        "create-user",
        "initech",
        "000123",
        "--name",
        "Peter Gibbons",
        "--email",
        "Peter@Initech.example",
        "--by",
        "alice",
    )
    assert code == 0, err
    [record] = trail(dynamodb, "000123", "initech")
    assert record["actor"] == "admin:alice"
    assert record["changes"] == [
        {
            "user_id": "000123",
            "action": "create",
            "before": None,
            "after": {
                "name": "Peter Gibbons",
                "email": "peter@initech.example",
                "role": "traveller",
                "arranges": [],
            },
        }
    ]


def test_assign_and_unassign_record_the_arrangers_change(dynamodb: Any, capsys: Any) -> None:
    before = trail(dynamodb, "acme_arranger")
    assert run(capsys, "--by", "bob", "assign", "acme", "acme_arranger", "112233")[0] == 0
    record = one_new(before, trail(dynamodb, "acme_arranger"))
    assert record["actor"] == "admin:bob"
    assert record["changes"] == [
        {
            "user_id": "acme_arranger",
            "action": "update",
            "before": {"arranges": ["098765"]},
            "after": {"arranges": ["098765", "112233"]},
        }
    ]
    middle = trail(dynamodb, "acme_arranger")
    assert run(capsys, "assign", "acme", "acme_arranger", "112233", "--by", "bob")[0] == 0
    assert trail(dynamodb, "acme_arranger") == middle  # no change, no write, no record
    assert run(capsys, "unassign", "acme", "acme_arranger", "112233", "--by", "bob")[0] == 0
    undone = one_new(middle, trail(dynamodb, "acme_arranger"))
    assert undone["changes"][0]["after"] == {"arranges": ["098765"]}


def test_a_role_change_is_recorded(dynamodb: Any, capsys: Any) -> None:
    before = trail(dynamodb, "112233")
    assert run(capsys, "assign", "acme", "112233", "098765", "--make-arranger", "--by", "c")[0] == 0
    change = one_new(before, trail(dynamodb, "112233"))["changes"][0]
    assert (change["before"], change["after"]) == (
        {"role": "traveller", "arranges": []},
        {"role": "arranger", "arranges": ["098765"]},
    )


def test_api_tokens_are_recorded_by_id_never_by_value(api: Api, dynamodb: Any, capsys: Any) -> None:
    before = trail(dynamodb, "112233")
    code, out, _ = run(capsys, "issue-token", "jane.doe@acme.example", "--days", "30", "--json")
    assert code == 0
    issued = json.loads(out)
    record = one_new(before, trail(dynamodb, "112233"))
    assert record["changes"] == [
        {
            "api_token_id": issued["token_id"],
            "action": "create",
            "before": None,
            "after": {"expires_at": issued["expires_at"]},
        }
    ]
    middle = trail(dynamodb, "112233")
    assert run(capsys, "revoke-token", "jane.doe@acme.example", issued["token_id"])[0] == 0
    revoked = one_new(middle, trail(dynamodb, "112233"))
    assert revoked["changes"][0]["action"] == "delete"
    assert revoked["changes"][0]["before"] == {"expires_at": issued["expires_at"]}
    everything = str(dynamodb.scan(TableName=TABLE)["Items"])
    trails = str(trail(dynamodb, "112233"))
    assert issued["token"] not in everything
    assert hash_token(issued["token"]) not in trails


def test_a_refused_change_writes_no_record(dynamodb: Any, capsys: Any) -> None:
    before = trail(dynamodb, "112233")
    assert run(capsys, "revoke-token", "jane.doe@acme.example", "nope")[0] == 1
    assert run(capsys, "assign", "acme", "112233", "098765")[0] == 1  # a traveller, unasked
    assert trail(dynamodb, "112233") == before


def test_concur_tokens_are_recorded_in_their_users_trail(
    api: Api, dynamodb: Any, capsys: Any
) -> None:
    before = trail(dynamodb)
    code, out, _ = run(capsys, "issue-concur-token", "demo-tmc", "acme", "098765", "--json")
    assert code == 0
    issued = json.loads(out)
    record = one_new(before, trail(dynamodb))
    assert record["changes"] == [
        {
            "concur_token_id": issued["token_id"],
            "action": "create",
            "before": None,
            "after": {"application_id": "demo-tmc"},
        }
    ]
    middle = trail(dynamodb)
    assert run(capsys, "revoke-concur-token", "demo-tmc", issued["token_id"])[0] == 0
    revoked = one_new(middle, trail(dynamodb))
    assert revoked["changes"][0] == {
        "concur_token_id": issued["token_id"],
        "action": "delete",
        "before": {"application_id": "demo-tmc"},
        "after": None,
    }
    assert issued["token"] not in str(trail(dynamodb))
    assert hash_token(issued["token"]) not in str(trail(dynamodb))


def test_a_change_the_store_refuses_writes_no_record(dynamodb: Any, capsys: Any) -> None:
    operator = Admin(operator="gus")

    def issue() -> None:
        directory.issue_concur_token(
            operator.repo, "demo-tmc", "acme", "098765", origin=operator.origin(), token="same"
        )

    issue()
    before = trail(dynamodb)
    with pytest.raises(Conflict, match="exists already"):
        issue()
    assert trail(dynamodb) == before


def test_applications_keep_their_own_trail(dynamodb: Any, capsys: Any) -> None:
    args = ["--name", "S", "--kind", "supplier", "--vendor-type", "air", "--vendor-code", "AC"]
    assert run(capsys, "create-app", "s1", *args, "--by", "dana")[0] == 0
    [created] = app_trail(dynamodb, "s1")
    assert created["actor"] == "admin:dana"
    assert created["changes"] == [
        {
            "application_id": "s1",
            "action": "create",
            "before": None,
            "after": {
                "name": "S",
                "kind": "supplier",
                "vendor_type": "air",
                "vendor_code": "AC",
                "certified": False,
            },
        }
    ]
    assert run(capsys, "certify-app", "s1", "--by", "dana")[0] == 0
    certified = app_trail(dynamodb, "s1")[0]
    assert certified["changes"][0]["before"] == {"certified": False}
    assert certified["changes"][0]["after"] == {"certified": True}
    assert len(app_trail(dynamodb, "s1")) == 2
    assert run(capsys, "create-app", "s1", *args)[0] == 1  # exists: refused, no record
    assert len(app_trail(dynamodb, "s1")) == 2


def test_certifying_many_tokens_takes_several_transactions_and_one_record(
    dynamodb: Any, capsys: Any
) -> None:
    operator = Admin(operator="erin")
    app = directory.get_application(operator.repo, "demo-uncertified")
    # 120 more tokens, written as their issue writes them (without 120 audit records)
    requests = []
    for n in range(120):
        digest = hash_token(f"t{n}")
        token = AccessToken(token_id(digest), digest, app, "acme", "098765")
        for item in (
            i.access_token_item(token),
            i.application_token_item(token),
            i.concur_entry_item(token),
        ):
            requests.append({"PutRequest": {"Item": item}})
    for start in range(0, len(requests), 25):
        dynamodb.batch_write_item(RequestItems={TABLE: requests[start : start + 25]})
    sent: list[int] = []

    def count(params: dict[str, Any], **_: Any) -> None:
        sent.append(len(params["TransactItems"]))

    dynamodb.meta.events.register("before-parameter-build.dynamodb.TransactWriteItems", count)
    try:
        before, after, tokens = directory.certify_application(
            operator.repo, "demo-uncertified", True, origin=operator.origin()
        )
    finally:
        dynamodb.meta.events.unregister("before-parameter-build.dynamodb.TransactWriteItems", count)
    assert (before.certified, after.certified, tokens) == (False, True, 121)
    assert sent == [100, 23]  # the application, its record, 98 tokens; then the other 23
    assert len(app_trail(dynamodb, "demo-uncertified")) == 2
    stored = dynamodb.get_item(TableName=TABLE, Key=k.access_token_key(hash_token("t119")))
    assert stored["Item"]["application"]["M"]["certified"] == {"BOOL": True}


def test_the_operator_is_the_aws_identity_without_by(dynamodb: Any, capsys: Any) -> None:
    """Against AWS (here moto's STS), the shell's identity names the operator."""
    assert run(capsys, "issue-token", "jane.doe@acme.example")[0] == 0
    assert trail(dynamodb, "112233")[0]["actor"] == "admin:arn:aws:sts::123456789012:user/moto"


def test_the_operator_is_the_os_user_against_a_local_dynamodb(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("DYNAMODB_ENDPOINT_URL", "http://127.0.0.1:1")
    monkeypatch.setattr(admin_cli.getpass, "getuser", lambda: "carol")
    monkeypatch.setattr(admin_cli.socket, "gethostname", lambda: "laptop")
    assert who_am_i() == "carol@laptop"

    def nobody() -> str:
        raise OSError("no user")

    monkeypatch.setattr(admin_cli.getpass, "getuser", nobody)
    assert who_am_i() == "unknown@laptop"


def test_the_operator_falls_back_when_aws_cannot_say(monkeypatch: pytest.MonkeyPatch) -> None:
    from botocore.exceptions import NoCredentialsError

    class NoSts:
        def get_caller_identity(self) -> Any:
            raise NoCredentialsError()

    import boto3

    monkeypatch.delenv("DYNAMODB_ENDPOINT_URL", raising=False)
    monkeypatch.setattr(boto3, "client", lambda *a, **kw: NoSts())
    monkeypatch.setattr(admin_cli.getpass, "getuser", lambda: "dave")
    monkeypatch.setattr(admin_cli.socket, "gethostname", lambda: "box")
    assert who_am_i() == "dave@box"


def test_a_user_written_meanwhile_is_read_again(
    api: Api, dynamodb: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A membership write between the admin's read and write moves the revision: the
    admin reads again and records its change under the next one."""
    operator = Admin(operator="frank")
    real_read = operator.repo.get_user_memberships
    raced: list[int] = []

    def read_then_race(company: str, employee_id: str) -> Any:
        found = real_read(company, employee_id)
        if (company, employee_id) == ("acme", "098765") and not raced:
            raced.append(1)
            api.create()
        return found

    monkeypatch.setattr(operator.repo, "get_user_memberships", read_then_race)
    before = trail(dynamodb)
    directory.issue_token(
        operator.repo, "john.smith@acme.example", origin=operator.origin(), token="raced-token"
    )
    after = trail(dynamodb)
    assert len(after) == len(before) + 2  # the membership's record, then the token's
    assert after[0]["changes"][0]["api_token_id"]
    assert after[1]["changes"][0]["membership_id"]
