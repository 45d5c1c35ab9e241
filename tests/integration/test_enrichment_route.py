"""The general enrichment route, POST /api/loyalty_cards/enrich (SPEC 12), over HTTP as a
booking tool calls it: every request kind of examples/, XSD-valid in and out; the hotel
route unchanged for hotel requests and refusing the others; who may enrich for whom, both
ways; requests that take no card answered unchanged; answers bounded by the request
(SPEC 15); uAPI elements read only in their own namespaces; the store's budget; hostile
input (hypothesis)."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from loyalty_core.errors import MAX_ERROR_BYTES
from tests.conftest import Api, store_contents
from tests.integration.test_properties import PROPERTIES, TEXT, XML_TEXT, jsonapi_answer
from tests.integration.uapi_helpers import (
    EXAMPLES,
    FIXTURES,
    HERTZ,
    HOTEL_ROUTE,
    QANTAS,
    ROUTE,
    as_v52,
    assert_in_schema_order,
    assert_valid,
    canonical,
    cards,
    enrich,
    membership,
    report,
    travellers,
    without_added,
)

__all__ = ["travellers"]  # the fixture, used by name
AIR_KINDS = [
    "air_reservation",
    "air_modify",
    "air_low_fare_search",
    "air_low_fare_search_asynch",
    "air_price",
    "air_availability",
]
NO_CARD_KINDS = [
    "air_seat_map",
    "air_merchandising_offer",
    "air_merchandising_details",
    "air_merchandising_fulfillment",
    "air_fare_display",
    "air_prepay",
    "air_upsell_search",
]
VEHICLE_KINDS = [
    "vehicle_reservation",
    "vehicle_modify",
    "vehicle_search",
    "vehicle_upsell",
    "vehicle_rules",
]
HOTEL_KINDS = ["hotel_search", "hotel_supershopper", "hotel_details", "hotel_reservation"]
# The query each example needs (those that name their travellers by email need none).
QUERY = {
    "air_modify": {"employee_id": "098765"},
    "air_low_fare_search": {"employee_id": "098765,112233"},
    "air_low_fare_search_asynch": {"employee_id": "098765"},
    "air_price": {"employee_id": "098765"},
    "air_availability": {"employee_id": "112233"},
    "vehicle_modify": {"employee_id": "112233"},
    "vehicle_search": {"employee_id": "098765"},
    "vehicle_upsell": {"employee_id": "098765"},
    "vehicle_rules": {"employee_id": "098765", "provider": "1G"},
    "hotel_search": {"employee_id": "112233"},
    "hotel_supershopper": {"employee_id": "112233", "provider": "1G"},
    "hotel_details": {"employee_id": "112233"},
    **{kind: {"employee_id": "098765", "provider": "1G"} for kind in NO_CARD_KINDS},
}


def example(kind: str) -> bytes:
    return (EXAMPLES / f"{kind}_request.xml").read_bytes()


def for_travellers(kind: str) -> bytes:
    """The example as `travellers` hold their programs (the demo's Jane has no car program:
    here John drives)."""
    body = example(kind)
    return body.replace(b"jane.doe", b"john.smith") if kind == "vehicle_reservation" else body


def v52(body: bytes) -> bytes:
    return body if b"_v52_0" in body else as_v52(body)


# -- every kind, in and out valid ------------------------------------------------------------


@pytest.mark.parametrize("kind", AIR_KINDS + VEHICLE_KINDS + HOTEL_KINDS)
def test_every_request_kind_gets_its_cards_in_place_valid_against_the_xsd(
    travellers: Api, kind: str
) -> None:
    body = for_travellers(kind)
    assert_valid(v52(body))
    data = report(travellers, body, **QUERY.get(kind, {}))
    document = data["document"].encode()
    product = kind.split("_")[0]
    assert data["product"] == product
    assert data["added"], data["left_out"]
    supplier_type = {"air": "Air", "vehicle": "Vehicle"}.get(product)
    for added in data["added"]:
        if supplier_type:
            assert added["supplier_type"] == supplier_type
    keys = {a["key"] for a in data["added"]}
    assert {c.get("Key") for c in cards(document)} >= keys
    assert_in_schema_order(document)
    assert without_added(document, keys, ("VehicleSearchModifiers",)) == canonical(body)
    assert_valid(v52(document))


@pytest.mark.parametrize("kind", NO_CARD_KINDS)
def test_requests_that_take_no_card_are_answered_unchanged_with_no_place(
    travellers: Api, kind: str
) -> None:
    body = example(kind)
    data = report(travellers, body, **QUERY[kind])
    assert data["added"] == []
    assert [(n["place"], n["reason"]) for n in data["left_out"]] == [(data["request"], "no_place")]
    assert canonical(data["document"].encode()) == canonical(body)
    xml = enrich(travellers, body, accept=None, **QUERY[kind])
    assert xml.status == 200 and canonical(xml.body) == canonical(body)
    assert xml.headers["Loyalty-Cards-Added"] == "0"


def test_an_air_booking_takes_each_travellers_carrier_cards(travellers: Api) -> None:
    data = report(travellers, example("air_reservation"))
    # QF1 and QF5011 (operated by BA): John holds QF and BA, Jane holds neither.
    assert [(a["place"], a["supplier_code"], a["membership_id"]) for a in data["added"]] == [
        ("BookingTraveler 1", "QF", membership("QF222")),
        ("BookingTraveler 1", "BA", membership("BA333")),
    ]
    left = {(n["membership_id"], n["reason"]) for n in data["left_out"]}
    assert {
        (membership("DL444"), "other_carrier"),
        (membership("HH111"), "hotel_program"),
        (membership("ZE555"), "vehicle_program"),
        (membership("VA777"), "other_carrier"),
        (membership("UA888"), "other_carrier"),
    } <= left
    echo = json.dumps(data["document"])
    assert echo.count("LoyaltyCard") == 2  # none in the pricing echo


def test_a_search_takes_the_passengers_named_in_order(travellers: Api) -> None:
    data = report(travellers, example("air_low_fare_search"), employee_id="112233,098765")
    # QF and BA permitted: Jane (first) holds neither, John (second) both.
    assert [(a["place"], a["supplier_code"]) for a in data["added"]] == [
        ("SearchPassenger 2", "QF"),
        ("SearchPassenger 2", "BA"),
    ]
    refused = enrich(travellers, example("air_low_fare_search"), employee_id="1,2,3")
    assert refused.status == 400
    assert refused.errors[0]["source"] == {"parameter": "employee_id"}


def test_a_car_booking_takes_the_booked_vendors_card(travellers: Api) -> None:
    body = example("vehicle_reservation").replace(b"jane.doe", b"john.smith")
    data = report(travellers, body)
    assert [(a["place"], a["supplier_code"], a["supplier_type"]) for a in data["added"]] == [
        ("BookingTraveler 1", "ZE", "Vehicle")
    ]
    assert (membership("ZI666"), "other_vendor") in {
        (n["membership_id"], n["reason"]) for n in data["left_out"]
    }


def test_a_1p_car_search_takes_no_card(travellers: Api) -> None:
    body = example("vehicle_search").replace(b'ProviderCode="1G"', b'ProviderCode="1P"')
    data = report(travellers, body, employee_id="098765")
    assert data["added"] == [] and data["provider"] == "1P"
    assert {(n["membership_id"], n["reason"]) for n in data["left_out"]} >= {
        (membership("ZE555"), "not_on_provider"),
        (membership("ZI666"), "not_on_provider"),
    }
    assert canonical(data["document"].encode()) == canonical(body)


# -- the hotel route ------------------------------------------------------------------------


@pytest.mark.parametrize("kind", AIR_KINDS + NO_CARD_KINDS + VEHICLE_KINDS)
def test_the_hotel_route_refuses_air_and_vehicle_requests_naming_the_general_route(
    travellers: Api, kind: str
) -> None:
    response = enrich(travellers, example(kind), HOTEL_ROUTE, **QUERY.get(kind, {}))
    assert response.status == 422
    detail = response.errors[0]["detail"]
    assert "POST /api/loyalty_cards/enrich" in detail, detail
    assert len(response.body) <= MAX_ERROR_BYTES


@pytest.mark.parametrize("kind", HOTEL_KINDS)
def test_both_routes_answer_a_hotel_request_alike(travellers: Api, kind: str) -> None:
    body = example(kind)
    hotel = report(travellers, body, HOTEL_ROUTE, **QUERY.get(kind, {}))
    general = report(travellers, body, ROUTE, **QUERY.get(kind, {}))
    for data in (hotel, general):
        for entry in data["added"]:
            entry.pop("key")
        data["document"] = re.sub(r'Key="[0-9a-f-]{36}"', "", data["document"])
    assert hotel == general


# -- who may enrich for whom ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("as_user", "employee_id", "status"),
    [
        ("john", "098765", 200),  # a traveller, for themselves
        ("john", "112233", 404),  # ... not for another traveller
        ("arranger", "098765", 200),  # an arranger, for their assigned traveller
        ("arranger", "112233", 404),  # ... not for another
        ("admin", "112233", 200),  # an admin, for anyone of the company
        ("globex", "098765", 200),  # another company's admin: their own 098765, not acme's
        ("globex", "112233", 404),  # ... and no acme user at all
    ],
)
def test_a_search_enriches_only_travellers_within_the_callers_reach(
    travellers: Api, as_user: str, employee_id: str, status: int
) -> None:
    for kind in ("air_low_fare_search", "vehicle_search"):
        query = {"employee_id": employee_id}
        response = enrich(travellers, example(kind), as_user=as_user, **query)
        assert response.status == status, response.body
        if (as_user != "admin" and employee_id == "112233") or as_user == "globex":
            assert not {b"QF222", b"BA333", b"ZE555", b"SX999"} & set(
                re.findall(rb"\w+", response.body)
            )


def test_several_passengers_are_all_within_reach_or_the_search_is_refused(
    travellers: Api,
) -> None:
    body = example("air_low_fare_search")
    assert enrich(travellers, body, as_user="john", employee_id="098765,112233").status == 404
    assert enrich(travellers, body, as_user="admin", employee_id="098765,112233").status == 200


def test_a_booking_matches_only_travellers_within_reach_by_email(travellers: Api) -> None:
    body = example("air_reservation")
    for as_user, matched in [("john", {"098765"}), ("jane", {"112233"}), ("globex", set())]:
        data = report_as(travellers, body, as_user)
        assert {a["employee_id"] for a in data["added"]} <= matched
        found = {n.get("employee_id") for n in data["left_out"]} - {None}
        assert found <= matched
        assert (b"QF222" in data["document"].encode()) == ("098765" in matched)


def report_as(api: Api, body: bytes, as_user: str) -> dict[str, Any]:
    response = enrich(api, body, as_user=as_user)
    assert response.status == 200, response.body
    data: dict[str, Any] = response.json["data"]
    return data


# -- answers bounded by the request (SPEC 15) -------------------------------------------------


def bound(request: bytes) -> int:
    return 16 * 1024 + int(1.25 * len(request))


def test_one_user_named_nine_times_is_read_once_and_reported_once(
    api: Api, dynamodb_calls: list[str]
) -> None:
    """Issue 26's case: a HotelCreateReservationReq of about 1,742 bytes naming one user
    (100 memberships) nine times answered 191,383 bytes of JSON (882 left_out entries)."""
    from local.demo import give_memberships

    api.create("098765", provider=QANTAS, account_number="QF100")
    give_memberships("098765", 99)  # 100 in all
    held = api("GET", "/api/users/098765/loyalty_memberships").json["meta"]["total"]
    assert held == 100
    body = (FIXTURES / "reservation_v52.xml").read_text()
    start, end = body.index("<com:BookingTraveler "), body.index("<hot:HotelRateDetail")
    travellers = "".join(
        '<com:BookingTraveler><com:Email EmailID="john.smith@acme.example"/></com:BookingTraveler>'
        for _ in range(9)
    )
    body = body[:start] + travellers + body[end:]
    assert 1_500 < len(body) < 2_000
    api("GET", "/api/loyalty_providers")  # a warm catalog
    dynamodb_calls.clear()
    response = enrich(api, body, HOTEL_ROUTE, content_type="text/xml")
    assert response.status == 200, response.body
    assert dynamodb_calls == ["GetItem", "BatchGetItem", "Query"]  # read once
    assert len(response.body) <= bound(body.encode())
    data = response.json["data"]
    assert len(data["added"]) == 9  # his Qantas card on each of his nine BookingTravelers
    listed = [(n["membership_id"], n["reason"]) for n in data["left_out"]]
    assert len(listed) == len(set(listed))  # reported once
    left_out = int(response.headers["Loyalty-Cards-Left-Out"])
    assert left_out == held - 1  # each of his other memberships, once
    assert len(listed) + data.get("omitted", {}).get("left_out", 0) == left_out


@pytest.mark.parametrize("travellers_past_nine", [10, 2_000])
def test_booking_travelers_past_the_ninth_are_reported_within_the_bound(
    api: Api, travellers_past_nine: int
) -> None:
    """Issue 26's case: past the ninth traveller, each BookingTraveler added about 190
    bytes of report (506 KB in, 1.18 MB out)."""
    body = (FIXTURES / "reservation_v52.xml").read_text()
    start, end = body.index("<com:BookingTraveler "), body.index("<hot:HotelRateDetail")
    many = "".join(
        f'<com:BookingTraveler Key="g{n}"><com:Email EmailID="g{n}@acme.example"/>'
        "</com:BookingTraveler>"
        for n in range(9 + travellers_past_nine)
    )
    body = body[:start] + many + body[end:]
    for route in (HOTEL_ROUTE, ROUTE):
        for accept in ("application/json", "application/xml"):
            response = enrich(api, body, route, accept=accept)
            assert response.status == 200
            assert len(response.body) <= bound(body.encode()), (route, accept)
    data = enrich(api, body, ROUTE).json["data"]
    listed = sum(1 for n in data["left_out"] if n["reason"] == "traveller_limit")
    omitted = data.get("omitted", {}).get("left_out", 0)
    assert listed + omitted == travellers_past_nine
    assert (omitted > 0) == (travellers_past_nine > 100)


def test_air_and_vehicle_searches_naming_one_user_nine_times_stay_within_the_bound(
    api: Api,
) -> None:
    from local.demo import give_memberships

    api.create("098765", provider=QANTAS, account_number="QF100")
    api.create("098765", provider=HERTZ, account_number="ZE100")
    give_memberships("098765", 98)
    passengers = "<com:SearchPassenger Code='ADT'/>" * 9
    air = example("air_availability").replace(
        b'<com:SearchPassenger Key="p1" Code="ADT"/>', passengers.encode()
    )
    response = enrich(api, air, employee_id=",".join(["098765"] * 9))
    assert response.status == 200, response.body
    assert len(response.body) <= bound(air)
    data = response.json["data"]
    assert [a["supplier_code"] for a in data["added"]] == ["QF"] * 9
    assert data["omitted"]["left_out"] > 0  # 98 other programs: more than the bound lists
    vehicle = example("vehicle_upsell")
    response = enrich(api, vehicle, employee_id="098765")
    assert response.status == 200 and len(response.body) <= bound(vehicle)
    assert [a["supplier_code"] for a in response.json["data"]["added"]] == ["ZE"]


def test_a_document_whose_answer_would_pass_the_bound_is_refused(api: Api) -> None:
    """`>` is one byte in, four out (`&gt;`): the answer would outgrow the request."""
    escaping = example("air_seat_map").replace(
        b"</air:SeatMapReq>",
        b'<air:SearchTraveler Code="ADT"><com:Name First="A" Last="' + b">" * 60_000 + b'"/>'
        b"</air:SearchTraveler></air:SeatMapReq>",
    )
    for accept in ("application/xml", "application/json"):
        response = enrich(api, escaping, accept=accept, employee_id="098765")
        assert response.status == 422, response.body[:300]
        assert "16 KiB + 1.25 x the request" in response.errors[0]["detail"]
        assert len(response.body) <= MAX_ERROR_BYTES


# -- uAPI elements only in their own namespaces (SPEC 15) -------------------------------------


def test_a_provider_in_a_common_namespace_of_no_such_version_is_not_read(api: Api) -> None:
    """Issue 26's case: the hotel route read `Provider` from a `com:` bound to
    `.../common_v52_x` and added cards."""
    api.create("098765", provider=QANTAS, account_number="QF1")
    body = (FIXTURES / "search_v52.xml").read_text().replace("common_v52_0", "common_v52_x")
    response = enrich(api, body, HOTEL_ROUTE, employee_id="098765")
    assert response.status == 400
    assert "names no single GDS" in response.errors[0]["detail"]
    assert "it names" not in response.errors[0]["detail"]  # nothing it would read as uAPI


def test_a_traveller_in_a_foreign_namespace_is_no_traveller(travellers: Api) -> None:
    body = example("air_reservation").replace(
        b'<com:Email EmailID="john.smith@acme.example"/>',
        b'<x:Email xmlns:x="urn:evil" EmailID="john.smith@acme.example"/>',
    )
    data = report(travellers, body)
    assert "098765" not in {a["employee_id"] for a in data["added"]}
    assert ("BookingTraveler 1", "traveller_not_found") in {
        (n["place"], n["reason"]) for n in data["left_out"]
    }


# -- the store's budget ------------------------------------------------------------------------


def test_nine_travellers_cost_auth_one_batch_and_nine_queries(
    travellers: Api, dynamodb_calls: list[str]
) -> None:
    travellers("GET", "/api/loyalty_providers")  # a warm catalog
    passengers = "<com:SearchPassenger Code='ADT'/>" * 9
    body = example("air_availability").replace(
        b'<com:SearchPassenger Key="p1" Code="ADT"/>', passengers.encode()
    )
    ids = ",".join(["098765", "112233"] * 4 + ["098765"])
    dynamodb_calls.clear()
    assert enrich(travellers, body, employee_id=ids).status == 200
    assert dynamodb_calls == ["GetItem", "Query", "Query"]  # two travellers, each read once
    dynamodb_calls.clear()
    assert enrich(travellers, example("air_reservation")).status == 200
    assert dynamodb_calls == ["GetItem", "BatchGetItem", "Query", "Query"]


# -- hostile input (hypothesis) ----------------------------------------------------------------


@pytest.fixture
def before(travellers: Api) -> list[str]:
    """The store as the examples find it: the enrichment never writes."""
    return store_contents()


CODES = st.one_of(st.sampled_from(["QF", "BA", "UA", "ZE", "ZI", "", "1G"]), XML_TEXT)


def air_booking(carriers: list[str], emails: list[str]) -> bytes:
    from lxml import etree

    body = example("air_reservation")
    root = etree.fromstring(body)
    common = "http://www.travelport.com/schema/common_v52_0"
    for traveller in root.findall(f"{{{common}}}BookingTraveler"):
        root.remove(traveller)
    for n, email in enumerate(emails):
        traveller = etree.Element(f"{{{common}}}BookingTraveler", Key=f"b{n}")
        etree.SubElement(traveller, f"{{{common}}}Email", EmailID=email)
        root.insert(1 + n, traveller)
    for segment, carrier in zip(root.iter("{*}AirSegment"), carriers, strict=False):
        segment.set("Carrier", carrier)
    return etree.tostring(root, encoding="UTF-8")


@PROPERTIES
@given(
    carriers=st.lists(CODES, max_size=3),
    emails=st.lists(
        st.one_of(st.sampled_from(["john.smith@acme.example", "jane.doe@acme.example"]), XML_TEXT),
        max_size=11,
    ),
    query=st.dictionaries(
        st.sampled_from(["provider", "employee_id", "booking_traveler_ref"]), TEXT, max_size=3
    ),
    accept=st.sampled_from(["application/json", "application/xml", "*/*"]),
)
def test_air_enrichment_with_anything_in_travellers_carriers_and_query(
    travellers: Api,
    before: list[str],
    carriers: list[str],
    emails: list[str],
    query: dict[str, str],
    accept: str,
) -> None:
    body = air_booking(carriers, emails)
    headers = {"Content-Type": "application/xml", "Accept": accept}
    response = travellers("POST", ROUTE, body=body, headers=headers, query=query)
    assert 200 <= response.status < 500, response.body[:500]
    if response.status >= 400:
        jsonapi_answer(response)
    else:
        assert len(response.body) <= bound(body)
    assert store_contents() == before  # enrichment never writes


@PROPERTIES
@given(
    vendors=st.lists(CODES, max_size=4),
    rate_code=st.one_of(st.none(), XML_TEXT),
    employee_id=st.one_of(st.sampled_from(["098765", "112233", "098765,112233"]), TEXT),
    provider=st.sampled_from(["1G", "1V", "1P", "", "TRM"]),
)
def test_vehicle_enrichment_with_anything_in_vendors_rate_codes_and_query(
    travellers: Api,
    before: list[str],
    vendors: list[str],
    rate_code: str | None,
    employee_id: str,
    provider: str,
) -> None:
    from lxml import etree

    root = etree.fromstring(example("vehicle_search"))
    modifiers = next(root.iter("{*}VehicleSearchModifiers"))
    permitted = next(root.iter("{*}PermittedVendors"))
    for vendor in vendors:
        etree.SubElement(permitted, permitted[0].tag, Code=vendor)
    if rate_code is not None:
        etree.SubElement(modifiers, modifiers[0].tag.replace("PermittedVendors", "RateModifiers"))
        modifiers[-1].set("RateCode", rate_code)
    body = etree.tostring(root, encoding="UTF-8")
    query = {"employee_id": employee_id, "provider": provider}
    response = enrich(travellers, body, **query)
    assert 200 <= response.status < 500, response.body[:500]
    if response.status >= 400:
        jsonapi_answer(response)
    else:
        assert len(response.body) <= bound(body)
        data = response.json["data"]
        assert len({a["supplier_code"] for a in data["added"]}) == len(data["added"]) <= 3
    assert store_contents() == before
