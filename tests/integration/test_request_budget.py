"""DynamoDB requests per API call (SPEC 9): auth + one read on a GET; auth + at most one read
and one write on a write. A list is one Query, whatever its length."""

from __future__ import annotations

import pytest

from tests.conftest import Api, membership_document, patch_document

PATH = "/api/users/098765/loyalty_memberships"


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

    for _ in range(2):  # a create, then an update of both memberships
        dynamodb_calls.clear()
        headers = {
            "Authorization": "OAuth concur-supplier-token",
            "Content-Type": "application/xml",
        }
        response = warm(
            "POST",
            "/api/travelprofile/v1.0/loyalty",
            as_user=None,
            headers=headers,
            body=CONCUR_SUPPLIER_UPDATE,
        )
        assert response.status == 200
        assert dynamodb_calls == ["GetItem", "Query", "TransactWriteItems"]


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
