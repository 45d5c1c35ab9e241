"""Real-world shapes of Universal API air and vehicle requests, one document each (written
for these tests from the schemas, versions 18 to 52), run through the general enrichment
route: the status, which cards went where against the schema's element order, the reasons
reported, the document otherwise canonically unchanged (pricing echoes included), and the
output valid against the v52 XSD (v52 documents as they are, older ones renamed to v52)."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

import pytest

from tests.conftest import Api
from tests.integration.uapi_helpers import (
    FIXTURES,
    as_v52,
    assert_in_schema_order,
    assert_valid,
    canonical,
    enrich,
    placed,
    travellers,
    without_added,
)

CORPUS = FIXTURES / "corpus"
JOHN = {"employee_id": "098765"}
JANE = {"employee_id": "112233"}
__all__ = ["travellers"]  # the fixture, used by name


@dataclass(frozen=True)
class Shape:
    file: str  # air/... or vehicle/...
    cards: tuple[tuple[str, str], ...] = ()  # (place, SupplierCode) in document order
    provider: str = ""
    query: dict[str, str] = field(default_factory=dict)
    left_out: frozenset[str] = frozenset()  # reasons among those reported
    created: tuple[str, ...] = ()  # elements the cards needed, made for them
    status: int = 200


SHAPES = [
    Shape(
        "air/v18_low_fare_search_bare_permitted_carriers.xml",
        (("SearchPassenger[1]", "QF"),),
        "1G",
        JOHN,
        frozenset({"partner_carrier", "other_carrier", "hotel_program", "vehicle_program"}),
    ),
    Shape(
        "air/v26_reservation_soap_header_codeshare_two_travellers.xml",
        (("BookingTraveler[1]", "BA"),),  # AA marketed, operated by BA
        "1G",
        left_out=frozenset({"partner_carrier", "other_carrier"}),
    ),
    Shape(
        "air/v29_price_default_namespace_named_passenger.xml",
        (("SearchPassenger[1]", "DL"),),
        "1V",
        JOHN,
        frozenset({"other_carrier"}),
    ),
    Shape(
        "air/v34_availability_namespaces_on_the_envelope.xml",
        (("SearchPassenger[1]", "UA"),),
        "1G",
        {"employee_id": "112233,098765"},
        frozenset({"other_carrier"}),
    ),
    Shape(
        "air/v42_low_fare_search_asynch_empty_modifiers_open.xml",
        (("SearchPassenger[1]", "QF"), ("SearchPassenger[1]", "BA"), ("SearchPassenger[1]", "DL")),
        "1G",
        {**JOHN, "provider": "1G"},
        frozenset({"hotel_program", "vehicle_program"}),
    ),
    Shape(
        "air/v47_reservation_cards_present_and_pricing_echo.xml",
        (),
        "1P",
        left_out=frozenset({"already_present", "partner_carrier", "other_carrier"}),
    ),
    Shape("air/v50_low_fare_search_asynch_no_longer_declared.xml", query=JOHN, status=422),
    Shape(
        "air/v52_modify_air_add_air_update_and_segments.xml",
        (("AirAdd[1]", "BA"),),  # the carrier of the AirAdd that books a segment
        "1G",
        JOHN,
        frozenset({"no_place", "already_present", "partner_carrier"}),
    ),
    Shape("air/v52_seat_map_takes_no_card.xml", (), "1G", JOHN, frozenset({"no_place"})),
    Shape(
        "air/v52_low_fare_search_ns1_ns2_three_passengers.xml",
        (("SearchPassenger[1]", "QF"), ("SearchPassenger[2]", "UA")),
        "1V",
        {"employee_id": "098765,112233"},
        frozenset({"partner_carrier", "other_carrier", "traveller_not_found"}),
    ),
    Shape(
        "air/v52_reservation_two_prefixes_for_common.xml",
        (("BookingTraveler[1]", "VA"), ("BookingTraveler[1]", "UA")),  # UA operates it
        "1G",
        left_out=frozenset({"vehicle_program"}),
    ),
    Shape(
        "vehicle/v18_search_bare_no_modifiers.xml",
        (("VehicleSearchModifiers[1]", "ZE"), ("VehicleSearchModifiers[1]", "ZI")),
        "1V",
        JOHN,
        frozenset({"air_program", "hotel_program"}),
        created=("VehicleSearchModifiers",),
    ),
    Shape(
        "vehicle/v29_reservation_soap_driver_named_by_reservation_name.xml",
        (("BookingTraveler[2]", "ZE"),),  # John drives: ReservationName names him
        "1G",
        left_out=frozenset({"other_vendor", "air_program"}),
    ),
    Shape(
        "vehicle/v35_search_rate_code_for_one_vendor.xml",
        (("VehicleSearchModifiers[1]", "ZE"),),
        "1G",
        JOHN,
        frozenset({"other_vendor"}),
    ),
    Shape(
        "vehicle/v42_rules_default_namespace.xml",
        (("VehicleSearchModifiers[1]", "SX"),),
        "1V",
        {**JANE, "provider": "1V"},
        frozenset({"air_program"}),
    ),
    Shape(
        "vehicle/v47_upsell_empty_self_closed_modifiers.xml",
        (("VehicleSearchModifiers[1]", "ZE"), ("VehicleSearchModifiers[1]", "ZI")),
        "1G",
        {**JOHN, "provider": "1G"},
    ),
    Shape(
        "vehicle/v52_search_on_1p_takes_no_card.xml",
        (),
        "1P",
        JOHN,
        frozenset({"not_on_provider"}),
    ),
    Shape(
        "vehicle/v52_modify_vehicle_update_without_ref.xml",
        (("VehicleUpdate[1]", "SX"),),
        "1V",
        {**JANE, "booking_traveler_ref": "bt9"},
    ),
    Shape(
        "vehicle/v52_search_card_already_present.xml",
        (("VehicleSearchModifiers[1]", "ZI"),),
        "1G",
        JOHN,
        frozenset({"already_present"}),
    ),
]


@pytest.mark.parametrize("shape", SHAPES, ids=[s.file.removesuffix(".xml") for s in SHAPES])
def test_each_real_world_shape_is_enriched_in_its_place(travellers: Api, shape: Shape) -> None:
    body = (CORPUS / shape.file).read_bytes()
    response = enrich(travellers, body, content_type="text/xml", **shape.query)
    assert response.status == shape.status, response.body
    if shape.status != 200:
        assert "LowFareSearchAsynchReq" in response.errors[0]["detail"]
        return
    data = response.json["data"]
    document = data["document"].encode()
    keys = {a["key"] for a in data["added"]}
    assert data["provider"] == shape.provider
    assert data["product"] == shape.file.split("/")[0]
    assert placed(document, keys) == list(shape.cards)
    assert len(keys) == len(shape.cards)
    assert_in_schema_order(document)
    reasons = {left["reason"] for left in data["left_out"]}
    assert shape.left_out <= reasons, reasons
    if not shape.cards:
        assert canonical(document) == canonical(body)  # answered unchanged
    reference = shape.query.get("booking_traveler_ref")
    assert without_added(document, keys, shape.created, reference) == canonical(body)
    if re.search(rb"(air|vehicle|universal)_v52_0", body):
        assert_valid(document)
    else:
        assert_valid(as_v52(document))


def test_every_corpus_document_is_in_the_table() -> None:
    on_disk = {
        f"{product}/{p.name}"
        for product in ("air", "vehicle")
        for p in (CORPUS / product).glob("*.xml")
    }
    assert {s.file for s in SHAPES} == on_disk


def test_every_input_is_valid_as_v52_so_the_outputs_validity_means_something() -> None:
    for shape in SHAPES:
        body = (CORPUS / shape.file).read_bytes()
        assert_valid(body if b"_v52_0" in body else as_v52(body))
