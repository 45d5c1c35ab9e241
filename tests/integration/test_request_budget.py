"""DynamoDB requests per API call (SPEC 9): auth + one read on a GET; auth + at most one read
and one write on a write (its audit record one more action of that write). A list is one
Query, whatever its length; so is a page of the audit trail."""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest

from tests.conftest import Api, membership_document, patch_document

PATH = "/api/users/098765/loyalty_memberships"
QANTAS = "9c5b9246-2cce-11e8-87f9-0662bed6e7db"
CHANGES = "/api/users/098765/loyalty_membership_changes"


@pytest.fixture
def warm(api: Api) -> Api:
    """The provider catalog is read once per container; warm it as a running Lambda is."""
    api("GET", "/api/loyalty_providers")
    return api


def test_list_is_auth_plus_one_query_however_many_memberships(
    warm: Api, dynamodb_calls: list[str]
) -> None:
    for i in range(30):
        warm.create(account_number=f"B{i}")
    dynamodb_calls.clear()
    response = warm("GET", PATH, query={"page[size]": "100"})
    assert response.json["meta"]["total"] == 30
    assert dynamodb_calls == ["GetItem", "Query"]


def test_get_one_is_auth_plus_one_get(warm: Api, dynamodb_calls: list[str]) -> None:
    created = warm.create()
    dynamodb_calls.clear()
    assert warm("GET", f"{PATH}/{created['id']}").status == 200
    assert dynamodb_calls == ["GetItem", "GetItem"]


def test_including_providers_costs_no_read_the_catalog_is_cached(
    warm: Api, dynamodb_calls: list[str]
) -> None:
    created = warm.create()
    include = {"include": "loyalty_provider", "page[size]": "100"}
    dynamodb_calls.clear()
    assert warm("GET", PATH, query=include).json["included"]
    assert dynamodb_calls == ["GetItem", "Query"]
    dynamodb_calls.clear()
    assert (
        warm("GET", f"{PATH}/{created['id']}", query={"include": "loyalty_provider"}).status == 200
    )
    assert dynamodb_calls == ["GetItem", "GetItem"]
    dynamodb_calls.clear()
    body = membership_document(account_number="OTHER")
    assert warm("POST", PATH, body=body, query={"include": "loyalty_provider"}).status == 201
    assert dynamodb_calls == ["GetItem", "Query", "TransactWriteItems"]


def test_create_is_auth_one_read_one_transaction(warm: Api, dynamodb_calls: list[str]) -> None:
    dynamodb_calls.clear()
    assert warm("POST", PATH, body=membership_document()).status == 201
    assert dynamodb_calls == ["GetItem", "Query", "TransactWriteItems"]


def test_update_and_delete_are_auth_one_read_one_transaction(
    warm: Api, dynamodb_calls: list[str]
) -> None:
    created = warm.create()
    item = f"{PATH}/{created['id']}"
    body = patch_document(created["id"], level="Silver")
    dynamodb_calls.clear()
    assert warm("PATCH", item, body=body).status == 200
    assert dynamodb_calls == ["GetItem", "Query", "TransactWriteItems"]
    dynamodb_calls.clear()
    assert warm("DELETE", item).status == 204
    assert dynamodb_calls == ["GetItem", "Query", "TransactWriteItems"]


def test_provider_reads_cost_only_auth_once_the_catalog_is_warm(
    warm: Api, dynamodb_calls: list[str]
) -> None:
    dynamodb_calls.clear()
    warm("GET", "/api/loyalty_providers")
    warm("GET", "/api/loyalty_providers/9c5b90ff-2cce-11e8-87f9-0662bed6e7db")
    assert dynamodb_calls == ["GetItem", "GetItem"]


def test_a_cold_catalog_costs_one_query(api: Api, dynamodb_calls: list[str]) -> None:
    dynamodb_calls.clear()
    api("GET", "/api/loyalty_providers")
    assert dynamodb_calls == ["GetItem", "Query"]


def test_refused_requests_write_nothing(warm: Api, dynamodb_calls: list[str]) -> None:
    dynamodb_calls.clear()
    warm("POST", PATH, body=membership_document(account_number="bad/number"))
    warm("POST", PATH, body=membership_document(), as_user="jane")
    assert "TransactWriteItems" not in dynamodb_calls


def test_a_concur_update_is_auth_one_read_one_transaction(
    warm: Api, dynamodb_calls: list[str]
) -> None:
    from local.events import CONCUR_SUPPLIER_UPDATE

    headers = {"Authorization": "OAuth concur-supplier-token", "Content-Type": "application/xml"}
    route = "/api/travelprofile/v1.0/loyalty"
    changed = CONCUR_SUPPLIER_UPDATE.replace("<Status>Gold</Status>", "<Status>Platinum</Status>")
    assert changed != CONCUR_SUPPLIER_UPDATE
    # a create of both memberships, an update, then the same update again (no write)
    for body, calls in [
        (CONCUR_SUPPLIER_UPDATE, ["GetItem", "Query", "TransactWriteItems"]),
        (changed, ["GetItem", "Query", "TransactWriteItems"]),
        (changed, ["GetItem", "Query"]),
    ]:
        dynamodb_calls.clear()
        response = warm("POST", route, as_user=None, headers=headers, body=body)
        assert response.status == 200
        assert dynamodb_calls == calls


def test_hotel_enrichment_reads_logins_in_one_batch_and_one_query_per_traveller(
    warm: Api, dynamodb_calls: list[str]
) -> None:
    from local.template import ROOT

    body = (ROOT / "examples/hotel_reservation_request.xml").read_text()  # two travellers
    dynamodb_calls.clear()
    response = warm(
        "POST", "/api/hotel/loyalty_cards/enrich", body=body, headers={"Content-Type": "text/xml"}
    )
    assert response.status == 200
    assert dynamodb_calls == ["GetItem", "BatchGetItem", "Query", "Query"]


def test_a_traveller_named_by_several_places_is_read_once(
    warm: Api, dynamodb_calls: list[str]
) -> None:
    from local.template import ROOT

    body = (ROOT / "tests/fixtures/uapi/modify_v52.xml").read_text()
    second = '<univ:UniversalModifyCmd Key="cmd2"><univ:HotelAdd ReservationLocatorCode="HTL002" '
    body = body.replace(
        "</univ:UniversalRecordModifyReq>",
        second + 'BookingTravelerRef="bt1"/></univ:UniversalModifyCmd>'
        "</univ:UniversalRecordModifyReq>",
    )
    dynamodb_calls.clear()
    response = warm(
        "POST",
        "/api/hotel/loyalty_cards/enrich",
        body=body,
        query={"employee_id": "098765"},
        headers={"Content-Type": "application/xml"},
    )
    assert response.status == 200
    assert dynamodb_calls == ["GetItem", "Query"]  # two HotelAdds, one traveller, one Query


def test_a_hotel_request_looks_up_at_most_nine_travellers(
    warm: Api, dynamodb_calls: list[str]
) -> None:
    """Twelve BookingTravelers, each a user of the company: auth, one BatchGetItem for the
    first nine's logins, one Query for each of them; the last three are `traveller_limit`."""
    from local.template import ROOT
    from tests.conftest import new_user

    for n in range(1, 13):
        new_user("acme", f"7000{n:02d}", f"Guest {n}", f"guest{n}@acme.example")
    warm.create("700010", provider=QANTAS, account_number="QF10")
    warm.create("700001", provider=QANTAS, account_number="QF01")
    body = (ROOT / "tests/fixtures/uapi/reservation_v52.xml").read_text()
    start, end = body.index("<com:BookingTraveler "), body.index("<hot:HotelRateDetail")
    travellers = "".join(
        f'<com:BookingTraveler Key="g{n}"><com:BookingTravelerName First="Guest" Last="{n}"/>'
        f'<com:Email EmailID="guest{n}@acme.example"/></com:BookingTraveler>'
        for n in range(1, 13)
    )
    body = body[:start] + travellers + body[end:]
    dynamodb_calls.clear()
    response = warm(
        "POST",
        "/api/hotel/loyalty_cards/enrich",
        body=body,
        headers={"Content-Type": "text/xml", "Accept": "application/json"},
    )
    assert response.status == 200, response.body
    assert dynamodb_calls == ["GetItem", "BatchGetItem", *["Query"] * 9]
    data = response.json["data"]
    assert [a["employee_id"] for a in data["added"]] == ["700001"]  # not 700010: past the limit
    limited = [left for left in data["left_out"] if left["reason"] == "traveller_limit"]
    assert [left["place"].split()[1] for left in limited] == ["10", "11", "12"]


def test_the_membership_limit_costs_no_request(warm: Api, dynamodb_calls: list[str]) -> None:
    """The limit is checked on the snapshot the write reads anyway and held by the guard the
    write sends anyway: up to the limit a write is still auth + one read + one transaction,
    and a write refused at the limit is auth + that read, with nothing sent to write."""
    from local.demo import give_memberships
    from loyalty_core.models import MAX_MEMBERSHIPS_PER_USER

    give_memberships("098765", MAX_MEMBERSHIPS_PER_USER - 1)
    dynamodb_calls.clear()
    assert warm("POST", PATH, body=membership_document(account_number="LAST")).status == 201
    assert dynamodb_calls == ["GetItem", "Query", "TransactWriteItems"]
    dynamodb_calls.clear()
    assert warm("POST", PATH, body=membership_document(account_number="OVER")).status == 422
    assert dynamodb_calls == ["GetItem", "Query"]
    first = warm("GET", PATH).json["data"][0]
    dynamodb_calls.clear()
    body = patch_document(first["id"], level="Silver")
    assert warm("PATCH", f"{PATH}/{first['id']}", body=body).status == 200
    assert dynamodb_calls == ["GetItem", "Query", "TransactWriteItems"]


def test_every_trail_page_is_auth_plus_one_query_of_its_size_plus_one_at_any_depth(
    warm: Api, dynamodb: Any, dynamodb_calls: list[str]
) -> None:
    """A long history costs no more: the first page's Query starts at the user's profile
    (the total) and stops at the end of the page; each further page starts at its cursor.
    A filtered page reads the trail index, then the records it names (one BatchGetItem)."""
    for i in range(30):
        warm.create(account_number=f"H{i}")
    read: list[int] = []

    def items(parsed: dict[str, Any], model: Any, **_: Any) -> None:
        if model.name in ("Query", "BatchGetItem"):
            found = parsed.get("Items") or next(iter(parsed.get("Responses", {}).values()), [])
            read.append(len(found))

    def page(query: dict[str, str]) -> dict[str, Any]:
        dynamodb_calls.clear()
        read.clear()
        response = warm("GET", CHANGES, query=query)
        assert response.status == 200
        doc: dict[str, Any] = response.json
        return doc

    def cursor(link: str) -> str:
        return parse_qs(urlsplit(link).query)["page[after]"][0]

    dynamodb.meta.events.register("after-call.dynamodb", items)
    try:
        first = page({"page[size]": "5"})
        assert (dynamodb_calls, read) == (["GetItem", "Query"], [1 + 5])  # the profile, 5
        assert first["meta"]["total"] >= 30
        link = first["links"]["next"]
        for _ in range(5):
            deeper = page({"page[size]": "5", "page[after]": cursor(link)})
            assert (dynamodb_calls, read) == (["GetItem", "Query"], [5 + 1])  # 5, one past
            link = deeper["links"]["next"]
        numbered = page({"page[size]": "5", "page[number]": "3"})
        assert (dynamodb_calls, read) == (["GetItem", "Query"], [1 + 15])  # bounded: 10 pages
        assert numbered["data"]
        mine = first["data"][0]["attributes"]["changes"][0]["membership_id"]
        found = page({"filter[membership]": mine})
        assert len(found["data"]) == 1
        assert (dynamodb_calls, read) == (["GetItem", "Query", "BatchGetItem"], [1, 1])
    finally:
        dynamodb.meta.events.unregister("after-call.dynamodb", items)


def test_every_write_stays_one_transaction_with_its_audit_record(warm: Api, dynamodb: Any) -> None:
    """The audit record, and its trail index entry, are two more actions of the write's own
    TransactWriteItems."""
    sent: list[list[str]] = []

    def actions(params: dict[str, Any], **_: Any) -> None:
        sent.append([next(iter(a)) for a in params["TransactItems"]])

    dynamodb.meta.events.register("before-parameter-build.dynamodb.TransactWriteItems", actions)
    try:
        created = warm.create()
        item = f"{PATH}/{created['id']}"
        warm("PATCH", item, body=patch_document(created["id"], level="Silver"))
        warm("DELETE", item)
    finally:
        dynamodb.meta.events.unregister(
            "before-parameter-build.dynamodb.TransactWriteItems", actions
        )
    assert sent == [
        ["Update", "Put", "Put", "Put"],  # the guard, the membership, the record, its entry
        ["Update", "Put", "Put", "Put"],
        ["Update", "Delete", "Put", "Put"],
    ]


def test_fifty_atomic_operations_are_auth_one_read_one_transaction(
    warm: Api, dynamodb_calls: list[str]
) -> None:
    operations = [
        {
            "op": "add",
            "href": PATH,
            "data": membership_document(QANTAS, account_number=f"OP{n}")["data"],
        }
        for n in range(50)
    ]
    dynamodb_calls.clear()
    sent = {"atomic:operations": operations}
    answer = warm(
        "POST", "/api/operations", body=sent, headers={"Content-Type": "application/json"}
    )
    assert answer.status == 200
    # 50 memberships, the guard and the audit record leave room for 48 of the 50 trail index
    # entries in the transaction's 100 actions: the other 2 are written just before it.
    assert dynamodb_calls == ["GetItem", "Query", "BatchWriteItem", "TransactWriteItems"]
