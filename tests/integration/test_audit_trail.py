"""The audit trail (SPEC 10): every write request leaves exactly one record, in its own
transaction, saying who, when, through which interface, under which request id, and what
changed (account numbers masked); a write that fails or is replayed leaves none."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from local import template
from local.events import CONCUR_SUPPLIER_UPDATE
from loyalty_core.models import AuditRecord
from loyalty_core.models.audit import entry as audit_entry
from loyalty_core.repository import items as i
from loyalty_core.repository import keys as k
from tests.conftest import ORIGIN, TABLE, Api, ApiResponse, membership_document, patch_document
from tests.integration.test_concur import concur, outcome
from tests.integration.test_concurrency_and_faults import client_error
from tests.integration.test_lost_answers import (  # the lost-answer tests' fixtures too
    Dropper,
    lost,
    sdk_drops,  # noqa: F401
    service_drops,  # noqa: F401
)

PATH = "/api/users/098765/loyalty_memberships"
CHANGES = "/api/users/098765/loyalty_membership_changes"
HILTON = "9c5b90ff-2cce-11e8-87f9-0662bed6e7db"
QANTAS = "9c5b9246-2cce-11e8-87f9-0662bed6e7db"
AA = "0bf926d4-f236-5a5f-afc7-f40ea0b4950a"  # American Airlines AAdvantage


def trail(dynamodb: Any, employee_id: str = "098765", company: str = "acme") -> list[dict]:
    """A user's audit records as stored, newest first (read straight from the table)."""
    found = dynamodb.query(
        TableName=TABLE,
        KeyConditionExpression="pk = :pk AND begins_with(sk, :sk)",
        ExpressionAttributeValues={
            ":pk": {"S": k.user_pk(company, employee_id)},
            ":sk": {"S": k.CHANGE_PREFIX},
        },
        ConsistentRead=True,
    )
    return [i.from_item(item) for item in found["Items"]]


@pytest.fixture
def recorded(dynamodb: Any) -> Iterator[Any]:
    """The records John's trail gained during the test (call it to read them)."""
    before = len(trail(dynamodb))

    def new() -> list[dict]:
        return trail(dynamodb)[: len(trail(dynamodb)) - before]

    yield new


def request_id(response: ApiResponse) -> str:
    return response.headers["x-amzn-RequestId"]


# -- every write path leaves exactly one record ---------------------------------------


def test_a_create_leaves_one_record_naming_the_caller_the_request_and_the_masked_number(
    api: Api, recorded: Any
) -> None:
    response = api("POST", PATH, body=membership_document(account_number="H66590214"))
    assert response.status == 201
    [record] = recorded()
    assert (record["actor"], record["interface"]) == ("user:acme_admin", "locomote")
    assert record["request_id"] == request_id(response)
    assert datetime.fromisoformat(record["occurred_at"]).tzinfo == UTC
    assert record["changes"] == [
        {
            "membership_id": response.json["data"]["id"],
            "action": "create",
            "version": 1,
            "before": None,
            "after": {
                "account_number": "*****0214",
                "membership_name": "John Smith",
                "level": "Gold",
                "expires_on": "2031-01-01",
                "loyalty_provider": HILTON,
            },
        }
    ]
    assert "H66590214" not in str(record)


def test_an_update_records_only_the_fields_that_changed(api: Api, recorded: Any) -> None:
    created = api.create(account_number="H66590214")
    body = patch_document(created["id"], level="Platinum", account_number="X1234567", point_total=9)
    response = api("PATCH", f"{PATH}/{created['id']}", body=body, as_user="john")
    assert response.status == 200
    record = recorded()[0]
    assert (record["actor"], record["request_id"]) == ("user:098765", request_id(response))
    assert record["changes"] == [
        {
            "membership_id": created["id"],
            "action": "update",
            "version": 2,
            "before": {"account_number": "*****0214", "level": "Gold", "point_total": None},
            "after": {"account_number": "****4567", "level": "Platinum", "point_total": 9},
        }
    ]


def test_a_patch_that_changes_nothing_is_not_a_write(api: Api, recorded: Any) -> None:
    created = api.create()
    trail = recorded()
    body = patch_document(created["id"], level="Gold")
    response = api("PATCH", f"{PATH}/{created['id']}", body=body)
    assert response.status == 200
    assert response.json["data"]["meta"]["version"] == 1  # no new version, no new ETag
    assert recorded() == trail  # and no record


def test_a_provider_change_is_recorded_as_the_loyalty_provider(api: Api, recorded: Any) -> None:
    created = api.create()
    body = patch_document(created["id"])
    body["data"]["relationships"] = {
        "loyalty_provider": {"data": {"id": QANTAS, "type": "loyalty_providers"}}
    }
    assert api("PATCH", f"{PATH}/{created['id']}", body=body).status == 200
    change = recorded()[0]["changes"][0]
    assert (change["before"], change["after"]) == (
        {"loyalty_provider": HILTON},
        {"loyalty_provider": QANTAS},
    )


def test_a_delete_records_what_was_held(api: Api, recorded: Any) -> None:
    created = api.create(account_number="DEL98765")
    response = api("DELETE", f"{PATH}/{created['id']}", as_user="arranger")
    assert response.status == 204
    record = recorded()[0]
    assert (record["actor"], record["request_id"]) == ("user:acme_arranger", request_id(response))
    assert record["changes"] == [
        {
            "membership_id": created["id"],
            "action": "delete",
            "version": 1,
            "before": {
                "account_number": "****8765",
                "membership_name": "John Smith",
                "level": "Gold",
                "expires_on": "2031-01-01",
                "loyalty_provider": HILTON,
            },
            "after": None,
        }
    ]
    assert len(recorded()) == 2  # the create, then the delete


def test_a_concur_update_is_one_record_of_the_application(api: Api, recorded: Any) -> None:
    response = concur(api, CONCUR_SUPPLIER_UPDATE)
    assert outcome(response) == ("OK", "")
    [record] = recorded()
    assert (record["actor"], record["interface"]) == ("app:demo-supplier", "concur")
    assert record["request_id"] == request_id(response)
    assert [c["action"] for c in record["changes"]] == ["create", "create"]
    assert {c["after"]["program"] for c in record["changes"]} == {
        "Business Traveler",
        "Frequent Flier",
    }
    for change in record["changes"]:
        assert change["after"]["loyalty_provider"] == AA
        assert change["after"]["account_number"].startswith("****")
    assert outcome(concur(api, CONCUR_SUPPLIER_UPDATE)) == ("OK", "")  # the same again
    assert recorded() == [record]  # changes nothing: no second record


def fifty() -> str:
    memberships = "".join(
        f'<Membership UniqueID="Program {n}"><VendorCode>AA</VendorCode>'
        f"<VendorType>A</VendorType><AccountNo>AA{n:06d}</AccountNo><Status>Gold</Status>"
        f"<PointTotal>{n * 1000}</PointTotal></Membership>"
        for n in range(50)
    )
    return f"<LoyaltyMembershipUpdate>{memberships}</LoyaltyMembershipUpdate>"


def test_a_fifty_membership_batch_and_its_record_fit_one_transaction(
    api: Api, dynamodb: Any, recorded: Any
) -> None:
    """Guard, 50 memberships, the record: 52 actions, and 48 of the index entries that
    filter[membership] reads; the other 2 are written first, on their own."""
    sent: list[list[dict[str, Any]]] = []
    ahead: list[list[dict[str, Any]]] = []

    def count(params: dict[str, Any], **_: Any) -> None:
        sent.append(params["TransactItems"])

    def batch(params: dict[str, Any], **_: Any) -> None:
        ahead.append(params["RequestItems"][TABLE])

    events = dynamodb.meta.events
    events.register("before-parameter-build.dynamodb.TransactWriteItems", count)
    events.register("before-parameter-build.dynamodb.BatchWriteItem", batch)
    try:
        response = concur(api, fifty(), token="concur-tmc-token")
    finally:
        events.unregister("before-parameter-build.dynamodb.TransactWriteItems", count)
        events.unregister("before-parameter-build.dynamodb.BatchWriteItem", batch)
    assert outcome(response) == ("OK", "")
    [actions] = sent
    assert len(actions) == 100  # DynamoDB's most
    entries = [
        a
        for a in actions
        if a.get("Put", {}).get("Item", {}).get("sk", {}).get("S", "").startswith(k.TRAIL_PREFIX)
    ]
    assert len(entries) == 48
    [early] = ahead
    assert len(early) == 2
    [record] = recorded()
    assert len(record["changes"]) == 50
    assert record["actor"] == "app:demo-tmc"
    held = api("GET", PATH, query={"page[size]": "100"}).json["data"]
    assert len(held) == 50
    for membership in held:
        query = {"filter[membership]": membership["id"]}
        [found] = api("GET", f"{CHANGES}", query=query).json["data"]
        assert found["id"] == record["id"]


def index_entries(dynamodb: Any, employee_id: str = "098765") -> list[dict[str, Any]]:
    found = dynamodb.query(
        TableName=TABLE,
        KeyConditionExpression="pk = :pk AND begins_with(sk, :sk)",
        ExpressionAttributeValues={
            ":pk": {"S": k.user_pk("acme", employee_id)},
            ":sk": {"S": k.TRAIL_PREFIX},
        },
        ConsistentRead=True,
    )
    items: list[dict[str, Any]] = found["Items"]
    return items


def test_each_record_is_indexed_by_each_membership_it_touches_and_expires_with_it(
    api: Api, dynamodb: Any, recorded: Any
) -> None:
    created = api.create(account_number="IDX1")
    api("PATCH", f"{PATH}/{created['id']}", body=patch_document(created["id"], level="X"))
    entries = index_entries(dynamodb)
    assert len(entries) == 2
    records = recorded()
    for entry, record in zip(entries, records, strict=True):
        fields = i.from_item(entry)
        assert entry["sk"]["S"].startswith(k.trail_prefix(created["id"]))
        assert (fields["id"], fields["revision"]) == (record["id"], record["revision"])
        assert fields["purge_at"] == record["purge_at"]


def test_an_entry_whose_write_never_committed_is_passed_over(api: Api, dynamodb: Any) -> None:
    """An entry written ahead of a transaction that then failed names a record id that is
    not at its revision: the filter skips it, whatever record holds that revision."""
    created = api.create(account_number="IDX2")
    [entry] = index_entries(dynamodb)
    fields = i.from_item(entry)
    stale = i.trail_items(
        AuditRecord.of(ORIGIN, [audit_entry("membership_id", created["id"], None, {"level": "Q"})]),
        "acme",
        "098765",
        fields["revision"] + 1,
        fields["purge_at"],
    )
    for item in stale:
        dynamodb.put_item(TableName=TABLE, Item=item)
    api("PATCH", f"{PATH}/{created['id']}", body=patch_document(created["id"], level="Y"))
    api.create(account_number="IDX3")
    response = api("GET", CHANGES, query={"filter[membership]": created["id"]})
    assert response.status == 200, response.body
    found = response.json["data"]
    assert [d["attributes"]["changes"][0]["action"] for d in found] == ["update", "create"]


def test_the_backfill_indexes_records_written_before_the_index(api: Api, dynamodb: Any) -> None:
    from local.admin import main

    created = api.create(account_number="OLD1")
    api("PATCH", f"{PATH}/{created['id']}", body=patch_document(created["id"], level="Z"))
    for entry in index_entries(dynamodb):  # as records were before the index
        dynamodb.delete_item(TableName=TABLE, Key={"pk": entry["pk"], "sk": entry["sk"]})
    query = {"filter[membership]": created["id"]}
    assert api("GET", CHANGES, query=query).json["data"] == []
    assert main(["index-trail", "acme", "--json"]) == 0
    assert len(api("GET", CHANGES, query=query).json["data"]) == 2
    again = index_entries(dynamodb)
    assert main(["index-trail", "--json"]) == 0
    assert index_entries(dynamodb) == again


# -- a write that fails, or is replayed, leaves none -----------------------------------


def test_refused_writes_leave_no_record(api: Api, recorded: Any) -> None:
    created = api.create(account_number="KEEP1")
    item = f"{PATH}/{created['id']}"
    assert api("POST", PATH, body=membership_document(account_number="bad/no")).status == 422
    assert api("POST", PATH, body=membership_document(account_number="KEEP1")).status == 409
    assert api("POST", PATH, body=membership_document(), as_user="jane").status == 404
    stale = {"If-Match": '"7"'}
    assert api("PATCH", item, headers=stale, body=patch_document(created["id"])).status == 412
    assert api("DELETE", item, headers=stale).status == 412
    assert api("DELETE", f"{PATH}/00000000-0000-0000-0000-000000000000").status == 404
    bad = CONCUR_SUPPLIER_UPDATE.replace("<PointTotal>", "<PointTotal>-")
    assert outcome(concur(api, bad))[0] == "ERROR"
    assert outcome(concur(api, CONCUR_SUPPLIER_UPDATE, token="concur-uncertified-token"))[0] == (
        "ERROR"
    )
    assert len(recorded()) == 1  # the create only


def test_a_write_the_store_refuses_leaves_no_record(
    api: Api, dynamodb: Any, recorded: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    def throttled(**_: Any) -> Any:
        raise client_error(
            "TransactionCanceledException",
            "TransactWriteItems",
            CancellationReasons=[{"Code": "ThrottlingError"}],
        )

    monkeypatch.setattr(dynamodb, "transact_write_items", throttled)
    assert api("POST", PATH, body=membership_document()).status == 503
    assert outcome(concur(api, CONCUR_SUPPLIER_UPDATE))[0] == "ERROR"
    monkeypatch.undo()
    assert recorded() == []


def test_an_idempotent_replay_leaves_no_second_record(api: Api, recorded: Any) -> None:
    key = {"Idempotency-Key": "audit-once"}
    first = api("POST", PATH, body=membership_document(), headers=key)
    again = api("POST", PATH, body=membership_document(), headers=key)
    assert (first.status, again.status, again.body) == (201, 201, first.body)
    headers = {
        "Authorization": "OAuth concur-supplier-token",
        "Content-Type": "application/xml",
        "Idempotency-Key": "audit-once",
    }
    for _ in range(2):
        sent = api(
            "POST",
            "/api/travelprofile/v1.0/loyalty",
            as_user=None,
            headers=headers,
            body=CONCUR_SUPPLIER_UPDATE,
        )
        assert outcome(sent) == ("OK", "")
    records = recorded()
    assert [r["interface"] for r in records] == ["concur", "locomote"]
    assert records[1]["request_id"] == request_id(first)


@pytest.mark.parametrize("drops", ["sdk_drops", "service_drops"])
def test_a_write_whose_answer_was_lost_leaves_one_record(
    api: Api, request: pytest.FixtureRequest, recorded: Any, drops: str
) -> None:
    """The first try applied, its answer was lost: the SDK's retry (refused by the revision
    the first try moved) or the service's re-read finds it, and writes nothing more."""
    dropper: Dropper = request.getfixturevalue(drops)
    response = api("POST", PATH, body=membership_document(account_number="LOSTA"))
    assert response.status == 201 and dropper.left == 0
    [record] = recorded()
    assert record["changes"][0]["membership_id"] == response.json["data"]["id"]
    assert record["request_id"] == request_id(response)


def test_a_write_whose_first_try_never_arrived_leaves_the_second_trys_record(
    api: Api, dynamodb: Any, recorded: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    applied = dynamodb.transact_write_items
    sends: list[int] = []

    def first_never_arrives(**kwargs: Any) -> Any:
        sends.append(1)
        if len(sends) == 1:
            raise lost()
        return applied(**kwargs)

    monkeypatch.setattr(dynamodb, "transact_write_items", first_never_arrives)
    response = api("POST", PATH, body=membership_document(account_number="LOSTB"))
    assert response.status == 201 and len(sends) == 2
    [record] = recorded()
    assert record["changes"][0]["membership_id"] == response.json["data"]["id"]


# -- storage: its own key range, TTL from AuditRetentionDays ------------------------------


def test_the_memberships_query_never_reads_an_audit_record(
    api: Api, dynamodb: Any, recorded: Any
) -> None:
    for n in range(3):
        api.create(account_number=f"Q{n}")
    read: list[str] = []

    def keys(parsed: dict[str, Any], model: Any, **_: Any) -> None:
        if model.name == "Query":
            read.extend(item["sk"]["S"] for item in parsed.get("Items", []))

    dynamodb.meta.events.register("after-call.dynamodb", keys)
    try:
        assert api("GET", PATH).json["meta"]["total"] == 3
    finally:
        dynamodb.meta.events.unregister("after-call.dynamodb", keys)
    assert len(recorded()) == 3
    assert sorted(read) == sorted([*(f"MEMBERSHIP#{m}" for m in _ids(api)), "PROFILE"])


def _ids(api: Api) -> list[str]:
    return [m["id"] for m in api("GET", PATH).json["data"]]


def test_records_expire_by_ttl_after_the_retention_days(api: Api, dynamodb: Any) -> None:
    parameter = template.load()["Parameters"]["AuditRetentionDays"]
    assert parameter["Default"] == 400
    env = template.environment(TABLE)
    assert env["AUDIT_RETENTION_DAYS"] == "400"
    ttl = dynamodb.describe_time_to_live(TableName=TABLE)["TimeToLiveDescription"]
    assert (ttl["AttributeName"], ttl["TimeToLiveStatus"]) == ("purge_at", "ENABLED")
    api.create()
    record = trail(dynamodb)[0]
    occurred = datetime.fromisoformat(record["occurred_at"])
    purge = datetime.fromtimestamp(record["purge_at"], UTC)
    assert (purge.hour, purge.minute, purge.second) == (0, 0, 0)  # a UTC midnight
    assert timedelta(days=400) < purge - occurred <= timedelta(days=401)


def test_the_retention_follows_the_setting(
    api: Api, dynamodb: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    from loyalty_core import settings

    monkeypatch.setenv("AUDIT_RETENTION_DAYS", "30")
    settings.reset()
    api.create()
    record = trail(dynamodb)[0]
    kept = datetime.fromtimestamp(record["purge_at"], UTC) - datetime.fromisoformat(
        record["occurred_at"]
    )
    assert timedelta(days=30) < kept <= timedelta(days=31)
