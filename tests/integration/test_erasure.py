"""`erase-user`: a user goes with their memberships, login, API and Concur tokens and audit
trail, in as few transactions as DynamoDB allows, idempotently, leaving one erasure record
that names no one. Checked item by item against the whole table (a Scan: test tooling)."""

from __future__ import annotations

import json
from typing import Any

import pytest

from local.admin import Admin, main
from local.demo import give_memberships
from local.events import CONCUR_SUPPLIER_UPDATE
from loyalty_core.repository import items as i
from loyalty_core.services.erasure import erase_user
from tests.conftest import ORIGIN, TABLE, Api, commit
from tests.integration.test_concur import concur, outcome
from tests.integration.test_concurrency_and_faults import client_error

JOHN = "USER#acme#098765"
Key = tuple[str, str]


def table(dynamodb: Any) -> dict[Key, dict[str, Any]]:
    items: dict[Key, dict[str, Any]] = {}
    args: dict[str, Any] = {"TableName": TABLE, "ConsistentRead": True}
    while True:
        page = dynamodb.scan(**args)
        items.update({(it["pk"]["S"], it["sk"]["S"]): it for it in page["Items"]})
        if "LastEvaluatedKey" not in page:
            return items
        args["ExclusiveStartKey"] = page["LastEvaluatedKey"]


def johns(items: dict[Key, dict[str, Any]]) -> set[Key]:
    """Every item that is John's (acme/098765): his partition, his login, the Concur tokens
    acting for him and the applications' index entries of those."""
    mine = set()
    for key, item in items.items():
        fields = i.from_item(item)
        pk, sk = key
        token = pk.startswith("OAUTH#") or (pk.startswith("APP#") and sk.startswith("TOKEN#"))
        if (
            pk == JOHN
            or pk == "LOGIN#john.smith@acme.example"
            or (token and (fields["company"], fields["employee_id"]) == ("acme", "098765"))
        ):
            mine.add(key)
    return mine


def erase(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, Any]:
    capsys.readouterr()
    code = main(["erase-user", "acme", "098765", "--json", *args])
    out, err = capsys.readouterr()
    return code, json.loads(out) if out else err


@pytest.fixture
def john_has_a_history(api: Api) -> None:
    for n in range(3):
        api.create(account_number=f"JS{n}")
    assert outcome(concur(api, CONCUR_SUPPLIER_UPDATE)) == ("OK", "")
    assert api("GET", "/api/users/098765/loyalty_membership_changes").json["meta"]["total"] > 5


def test_erasure_removes_exactly_the_users_items_and_leaves_one_record(
    api: Api, dynamodb: Any, capsys: pytest.CaptureFixture[str], john_has_a_history: None
) -> None:
    before = table(dynamodb)
    expected_gone = johns(before)
    assert len(expected_gone) > 15
    code, printed = erase(capsys, "--by", "privacy-officer")
    assert code == 0, printed
    after = table(dynamodb)

    assert set(before) - set(after) == expected_gone
    [added] = set(after) - set(before)
    assert added[0] == "COMPANY#acme" and added[1].startswith("ERASURE#")
    record = i.from_item(after[added])
    assert record["actor"] == "admin:privacy-officer"
    assert record["interface"] == "admin"
    assert record["items_removed"] == len(expected_gone)
    assert record["removed"]["memberships"] == 5
    assert record["removed"]["concur_tokens"] == record["removed"]["concur_index"] == 3
    assert (record["removed"]["logins"], record["removed"]["profiles"]) == (1, 1)
    assert record["api_tokens_revoked"] == 1
    assert record["arrangers_updated"] == 1
    assert "purge_at" not in record  # kept: the proof of the erasure
    for personal in ("098765", "John", "john", "Smith", "JS0"):
        assert personal not in json.dumps(record)
    assert printed["record"] == record

    changed = {key for key in set(before) & set(after) if before[key] != after[key]}
    assert changed == {
        ("USER#acme#acme_arranger", "PROFILE"),
        ("LOGIN#arranger@acme.example", "LOGIN"),
    }
    for key in changed:
        assert i.from_item(after[key])["arranges"] == []
        assert i.from_item(before[key])["arranges"] == ["098765"]
    assert (
        after[("USER#acme#acme_arranger", "PROFILE")]["revision"]
        == before[("USER#acme#acme_arranger", "PROFILE")]["revision"]
    )

    # the user is gone from every interface; globex's 098765 is someone else, untouched
    assert api("GET", "/api/users/098765/loyalty_memberships").status == 404
    assert api("GET", "/api/users/098765/loyalty_membership_changes").status == 404
    assert api("GET", "/api/users/098765/loyalty_memberships", as_user="john").status == 401
    assert concur(api, CONCUR_SUPPLIER_UPDATE).status == 401
    assert api("GET", "/api/users/098765/loyalty_memberships", as_user="globex").status == 200


def test_erasing_again_changes_nothing(
    api: Api, dynamodb: Any, capsys: pytest.CaptureFixture[str], john_has_a_history: None
) -> None:
    assert erase(capsys)[0] == 0
    once = table(dynamodb)
    code, printed = erase(capsys)
    assert code == 0
    assert printed == {"erased": False, "company": "acme", "employee_id": "098765"}
    assert table(dynamodb) == once
    assert sum(1 for pk, sk in once if sk.startswith("ERASURE#")) == 1


def test_a_large_erasure_takes_as_few_transactions_as_dynamodb_allows(
    api: Api, dynamodb: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    from loyalty_core.settings import get_repository

    give_memberships("098765", 98)
    repo = get_repository()
    for _ in range(10):  # a history: 10 more records (with the memberships, two transactions)
        snapshot = repo.get_user_memberships("acme", "098765")
        touched = [snapshot.memberships[0]]
        commit(repo, snapshot, put=touched)
    before = table(dynamodb)
    gone = johns(before)
    sent: list[int] = []

    def count(params: dict[str, Any], **_: Any) -> None:
        sent.append(len(params["TransactItems"]))

    dynamodb.meta.events.register("before-parameter-build.dynamodb.TransactWriteItems", count)
    try:
        code, printed = erase(capsys)
    finally:
        dynamodb.meta.events.unregister("before-parameter-build.dynamodb.TransactWriteItems", count)
    assert code == 0
    assert len(sent) >= 2  # more than one transaction's worth
    # every item removed, two arranger items rewritten, the record written: in 100s
    actions = len(gone) + 2 + 1
    assert sent[:-1] == [100] * (len(sent) - 1)
    assert sum(sent) == actions + len(sent) - 1  # each full one also counts its progress
    assert len(sent) == -(-(actions - 1) // 99)
    assert printed["record"]["items_removed"] == len(gone)
    assert not johns(table(dynamodb))


def test_an_interrupted_erasure_is_finished_by_running_it_again(
    api: Api,
    dynamodb: Any,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    give_memberships("098765", 98)
    gone = johns(table(dynamodb))
    applied = dynamodb.transact_write_items
    calls: list[int] = []

    def fail_the_second(**kwargs: Any) -> Any:
        calls.append(1)
        if len(calls) == 2:
            raise client_error("InternalServerError", "TransactWriteItems")
        return applied(**kwargs)

    monkeypatch.setattr(dynamodb, "transact_write_items", fail_the_second)
    assert erase(capsys)[0] == 2  # DynamoDB failed: the operator is told, and runs it again
    monkeypatch.undo()
    left = johns(table(dynamodb))
    assert 0 < len(left) < len(gone)
    assert (JOHN, "PROFILE") in left  # the profile goes last
    code, printed = erase(capsys)
    assert code == 0
    assert printed["record"]["items_removed"] == len(gone)  # both runs counted
    assert not johns(table(dynamodb))


def test_a_write_during_the_erasure_is_erased_too(
    api: Api, dynamodb: Any, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """An admin of the company still reaches the user while the erasure runs: its write
    moves the revision, the erasure's last transaction is refused, and the rest is read
    again and removed."""
    from loyalty_core.models import MembershipDraft, Principal, Role
    from loyalty_core.services.memberships import create_membership
    from loyalty_core.settings import get_repository

    applied = dynamodb.transact_write_items
    raced: list[str] = []

    def write_first(**kwargs: Any) -> Any:
        if not raced:  # the erasure's first transaction: an admin writes just before it
            raced.append("written")
            admin = Principal(company="acme", employee_id="acme_admin", role=Role.ADMIN)
            draft = MembershipDraft(
                provider_id="9c5b90ff-2cce-11e8-87f9-0662bed6e7db",
                account_number="LATE1",
                membership_name="John Smith",
                expires_on="2031-01-01",
            )
            create_membership(get_repository(), admin, "098765", draft, origin=ORIGIN)
        return applied(**kwargs)

    monkeypatch.setattr(dynamodb, "transact_write_items", write_first)
    code, printed = erase(capsys)
    monkeypatch.undo()
    assert code == 0 and raced
    assert not johns(table(dynamodb))
    assert printed["record"]["removed"]["memberships"] == 1


def test_erasing_nobody_is_not_an_error(dynamodb: Any, capsys: pytest.CaptureFixture[str]) -> None:
    before = table(dynamodb)
    capsys.readouterr()
    assert main(["erase-user", "acme", "nobody"]) == 0
    assert "nothing to erase" in capsys.readouterr().out
    assert table(dynamodb) == before
    assert erase_user(Admin().repo, "globex", "112233", origin=ORIGIN) is None
