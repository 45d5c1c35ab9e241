"""Real-world shapes of Universal API hotel requests, one document each (written for these
tests from the schemas), run through the enrichment call: the status, where each card
went against the schema's element order, the document otherwise canonically unchanged,
and the output valid against the v52 XSD (for every v52 document, and for the older ones
whose elements v52 still has, with their namespaces renamed to v52)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from functools import cache

import pytest
from lxml import etree

from tests import travelport
from tests.conftest import Api
from tests.integration.test_hotel_enrichment import (
    FIXTURES,
    HERTZ,
    HILTON,
    MARRIOTT,
    QANTAS,
    assert_valid,
    canonical,
    enrich,
    give,
    request_element,
    without_cards,
)

CORPUS = FIXTURES / "corpus"
XS = "{http://www.w3.org/2001/XMLSchema}"
PLACES = {
    "HotelSearchModifiers": "hotel_v52_0/Hotel.xsd",
    "HotelDetailsModifiers": "hotel_v52_0/Hotel.xsd",
    "BookingTraveler": "common_v52_0/Common.xsd",
}
# Elements older versions have in a place, after the v52 element named: HotelSearchModifiers
# and HotelDetailsModifiers held PermittedAggregators (TRM) until it was dropped.
OLDER = {
    "HotelSearchModifiers": ("PermittedProviders", "PermittedAggregators"),
    "HotelDetailsModifiers": ("RateCategory", "PermittedAggregators"),
}


@cache
def element_order(place: str) -> tuple[str, ...]:
    """The children of `place` in schema order: the v52 sequence read from the XSD (groups
    resolved), with the older versions' extra elements in their place."""
    xsd = etree.parse(str(travelport.schema(PLACES[place])))
    names: list[str] = []

    def walk(node: etree._Element) -> None:
        for child in node:
            if child.tag == f"{XS}element":
                names.append((child.get("name") or child.get("ref", "")).split(":")[-1])
            elif child.tag == f"{XS}group":
                group = xsd.find(f"{XS}group[@name='{child.get('ref', '').split(':')[-1]}']")
                walk(group.find(f"{XS}sequence"))
            elif child.tag in (f"{XS}sequence", f"{XS}choice"):
                walk(child)

    walk(xsd.find(f"{XS}element[@name='{place}']/{XS}complexType/{XS}sequence"))
    if place in OLDER:
        after, extra = OLDER[place]
        names.insert(names.index(after) + 1, extra)
    return tuple(names)


def test_the_schema_order_is_read_from_the_xsd() -> None:
    assert element_order("HotelSearchModifiers")[:6] == (
        "PermittedChains",
        "ProhibitedChains",
        "PermittedProviders",
        "PermittedAggregators",
        "LoyaltyCard",
        "HotelName",
    )
    assert element_order("HotelDetailsModifiers")[:3] == (
        "PermittedProviders",
        "LoyaltyCard",
        "CorporateDiscountID",
    )
    assert element_order("BookingTraveler")[3:6] == ("Email", "LoyaltyCard", "DiscountCard")


def name(element: etree._Element) -> str:
    return etree.QName(element).localname


def position(element: etree._Element) -> str:
    """`BookingTraveler[2]`: the element's name and rank among its like-named siblings."""
    parent = element.getparent()
    like = [c for c in parent if isinstance(c.tag, str) and name(c) == name(element)]
    return f"{name(element)}[{like.index(element) + 1}]"


def placed(document: bytes) -> list[tuple[str, str]]:
    return [
        (position(card.getparent()), card.get("SupplierCode", ""))
        for card in etree.fromstring(document).iter("{*}LoyaltyCard")
    ]


def assert_in_schema_order(document: bytes) -> None:
    parents = {card.getparent() for card in etree.fromstring(document).iter("{*}LoyaltyCard")}
    for parent in parents:
        order = element_order(name(parent))
        children = [name(c) for c in parent if isinstance(c.tag, str)]
        assert set(children) <= set(order), children
        ranks = [order.index(c) for c in children]
        assert ranks == sorted(ranks), children


def as_v52(document: bytes) -> bytes:
    return re.sub(rb"(schema/[a-z]+)_v\d+_0\b", rb"\1_v52_0", document)


@dataclass(frozen=True)
class Shape:
    file: str
    cards: tuple[tuple[str, str], ...] = ()  # (place, SupplierCode) in document order
    provider: str = ""
    query: dict[str, str] = field(default_factory=dict)
    left_out: frozenset[str] = frozenset()  # reasons among those reported
    v52_elements: bool = True  # made of elements v52 still has: valid renamed to v52
    status: int = 200


JOHN = {"employee_id": "098765"}
SEARCH_CARDS = (("HotelSearchModifiers[1]", "HH"), ("HotelSearchModifiers[1]", "QF"))
DETAILS_CARDS = (("HotelDetailsModifiers[1]", "HH"), ("HotelDetailsModifiers[1]", "QF"))
SHAPES = [
    Shape("v17_search_common_v15_point_of_sale.xml", SEARCH_CARDS, "1V", JOHN),
    Shape(
        "v26_reservation_two_travellers_one_without_email.xml",
        (("BookingTraveler[1]", "HH"), ("BookingTraveler[1]", "QF")),
        "1G",
        left_out=frozenset({"traveller_not_found", "vehicle_program"}),
    ),
    Shape(
        "v28_reservation_without_key_or_provider_code.xml",
        (("BookingTraveler[1]", "MC"),),
        "1P",
        {"provider": "1P"},
    ),
    Shape("v34_search_namespaces_on_the_envelope.xml", SEARCH_CARDS, "1G", JOHN),
    Shape("v40_details_default_namespace_bare.xml", DETAILS_CARDS, "1V", JOHN),
    Shape(
        "v40_details_two_prefixes_for_one_namespace.xml",
        (("HotelDetailsModifiers[1]", "QF"),),
        "1G",
        JOHN,
        left_out=frozenset({"other_chain"}),
    ),
    Shape(
        "v47_search_naming_trm.xml",
        SEARCH_CARDS,
        "1G",
        {**JOHN, "provider": "1G"},
        v52_elements=False,
    ),
    Shape(
        "v47_details_naming_trm.xml",
        DETAILS_CARDS,
        "1G",
        {**JOHN, "provider": "1G"},
        v52_elements=False,
    ),
    Shape(
        "v47_reservation_naming_trm.xml",
        (("BookingTraveler[1]", "HH"), ("BookingTraveler[1]", "QF")),
        "1G",
        {"provider": "1G"},
    ),
    Shape("hotel_v47_with_common_v52_search.xml", SEARCH_CARDS, "1P", JOHN),
    Shape("v52_bare_ns1_ns2_prefixes.xml", SEARCH_CARDS, "1G", JOHN),
    Shape(
        "v52_search_empty_self_closed_modifiers.xml", SEARCH_CARDS, "1G", {**JOHN, "provider": "1G"}
    ),
    Shape(
        "v24_reservation_in_the_hotel_namespace.xml",
        (("BookingTraveler[1]", "MC"),),
        "1V",
        v52_elements=False,
    ),
    Shape("v52_reservation_in_the_hotel_namespace.xml", status=422),
]


@pytest.fixture
def travellers(api: Api) -> Iterator[Api]:
    """John (098765) holds Hilton, Qantas and Hertz; Jane (112233) holds Marriott."""
    give(api, "098765", HILTON, "HH111")
    give(api, "098765", QANTAS, "QF222")
    give(api, "098765", HERTZ, "ZE333")
    give(api, "112233", MARRIOTT, "MC444")
    yield api


@pytest.mark.parametrize("shape", SHAPES, ids=[s.file.removesuffix(".xml") for s in SHAPES])
def test_each_real_world_shape_is_enriched_in_its_place(travellers: Api, shape: Shape) -> None:
    body = (CORPUS / shape.file).read_bytes()
    response = enrich(
        travellers, body, accept="application/json", content_type="text/xml", **shape.query
    )
    assert response.status == shape.status, response.body
    if shape.status != 200:
        return
    data = response.json["data"]
    document = data["document"].encode()
    assert data["provider"] == shape.provider
    assert placed(document) == list(shape.cards)
    assert_in_schema_order(document)
    assert shape.left_out <= {left["reason"] for left in data["left_out"]}
    assert without_cards(document) == canonical(body)
    if re.search(rb"(hotel|universal)_v52_0", body):
        assert_valid(document)
    elif shape.v52_elements:
        assert_valid(as_v52(document))


def test_every_corpus_document_is_in_the_table() -> None:
    assert {s.file for s in SHAPES} == {p.name for p in CORPUS.glob("*.xml")}


def test_a_v52_reservation_in_the_hotel_namespace_is_refused_naming_both_sides(
    travellers: Api,
) -> None:
    body = (CORPUS / "v52_reservation_in_the_hotel_namespace.xml").read_bytes()
    response = enrich(travellers, body)
    assert response.status == 422
    detail = response.errors[0]["detail"]
    assert '"HotelCreateReservationReq" in hotel_v52_0' in detail
    assert "universal_vNN_0" in detail and "below v26" in detail


def test_cards_go_in_the_documents_own_common_namespace(travellers: Api) -> None:
    for file, common in [
        ("v17_search_common_v15_point_of_sale.xml", "common_v15_0"),
        ("hotel_v47_with_common_v52_search.xml", "common_v52_0"),
        ("v40_details_default_namespace_bare.xml", "common_v40_0"),
    ]:
        body = (CORPUS / file).read_bytes()
        response = enrich(travellers, body, employee_id="098765")
        assert response.status == 200, response.body
        added = list(request_element(response.body).iter("{*}LoyaltyCard"))
        assert added
        assert {etree.QName(c).namespace for c in added} == {
            f"http://www.travelport.com/schema/{common}"
        }
