"""What the enrichment tests of every product share: the routes, the call, the Universal
API's v52 schemas (element order and validation, read from the real XSDs), the canonical
form of a document apart from the cards added to it, and travellers holding programs of
every kind."""

from __future__ import annotations

import re
from collections.abc import Iterator
from functools import cache
from typing import Any

import pytest
from lxml import etree

from local.template import ROOT
from tests import travelport
from tests.conftest import Api, ApiResponse, Tables

ROUTE = "/api/loyalty_cards/enrich"
HOTEL_ROUTE = "/api/hotel/loyalty_cards/enrich"
FIXTURES = ROOT / "tests/fixtures/uapi"
EXAMPLES = ROOT / "examples"
XS = "{http://www.w3.org/2001/XMLSchema}"
SCHEMAS = {
    "hotel": "hotel_v52_0/HotelReqRsp.xsd",
    "air": "air_v52_0/AirReqRsp.xsd",
    "vehicle": "vehicle_v52_0/VehicleReqRsp.xsd",
    "universal": "universal_v52_0/UniversalRecordReqRsp.xsd",
}

# The catalog's programs (data/providers.json).
QANTAS = "9c5b9246-2cce-11e8-87f9-0662bed6e7db"  # QF, oneworld
BRITISH = "0e81dfbb-853f-56d5-931d-72fe03a9c844"  # BA, oneworld
DELTA = "6bf51b9d-5afe-5e67-8d97-fe9a9646c724"  # DL, SkyTeam
UNITED = "64fefd99-35db-574b-8dba-2283c3fafc0a"  # UA, Star Alliance
VIRGIN_AUSTRALIA = "9c5b8c96-2cce-11e8-87f9-0662bed6e7db"  # VA, no alliance
HILTON = "9c5b90ff-2cce-11e8-87f9-0662bed6e7db"  # HH, hotel
MARRIOTT = "9c5b9176-2cce-11e8-87f9-0662bed6e7db"  # MC, hotel
HERTZ = "cd3b6861-7b63-543e-a2f3-48784549c7c8"  # ZE, car
AVIS = "8baeddab-b3bd-5b92-aea1-bb2ad4b01ca8"  # ZI, car
SIXT = "34c1aa38-1f79-5e43-9058-81f83a39fd77"  # SX, car

# John Smith (098765) and Jane Doe (112233) of the demo data, and the programs they hold
# here, in this order.
HELD = {
    "098765": [
        (QANTAS, "QF222"),
        (BRITISH, "BA333"),
        (DELTA, "DL444"),
        (HILTON, "HH111"),
        (HERTZ, "ZE555"),
        (AVIS, "ZI666"),
    ],
    "112233": [(VIRGIN_AUSTRALIA, "VA777"), (UNITED, "UA888"), (SIXT, "SX999")],
}


def enrich(
    api: Api,
    body: str | bytes,
    route: str = ROUTE,
    as_user: str = "admin",
    accept: str | None = "application/json",
    content_type: str = "application/xml",
    **query: str,
) -> ApiResponse:
    headers = {"Content-Type": content_type, "Accept": accept}
    return api("POST", route, as_user=as_user, headers=headers, body=body, query=query)


def report(api: Api, body: str | bytes, route: str = ROUTE, **query: str) -> dict[str, Any]:
    response = enrich(api, body, route, **query)
    assert response.status == 200, response.body
    data: dict[str, Any] = response.json["data"]
    return data


_given: dict[str, Any] = {}


@pytest.fixture
def travellers(api: Api, seeded_tables: Tables) -> Iterator[Api]:
    """John and Jane holding the programs of `HELD` (made once, then put back as made for
    each test, as the seeded tables are)."""
    if "tables" in _given:
        seeded_tables.put_back(_given["tables"])
    else:
        ids = {
            account: api.create(employee_id, provider=provider, account_number=account)["id"]
            for employee_id, programs in HELD.items()
            for provider, account in programs
        }
        _given.update(tables=seeded_tables.snapshot(), ids=ids)
    yield api


def membership(account: str) -> str:
    """The id of the membership `travellers` made for `account`."""
    return str(_given["ids"][account])


# -- the documents ---------------------------------------------------------------------------


def request_element(document: bytes) -> etree._Element:
    root = etree.fromstring(document)
    if etree.QName(root).localname == "Envelope":
        root = next(c for c in root.find("{*}Body") if isinstance(c.tag, str))
    return root


@cache
def schema(family: str) -> etree.XMLSchema:
    return etree.XMLSchema(etree.parse(str(travelport.schema(SCHEMAS[family]))))


def assert_valid(document: bytes) -> None:
    """The request (inside its envelope, if any) is valid against the v52 XSD of its
    namespace."""
    element = request_element(document)
    family = etree.QName(element).namespace.rsplit("/", 1)[1].split("_")[0]
    xsd = schema(family)
    assert xsd.validate(etree.ElementTree(element)), xsd.error_log


def as_v52(document: bytes) -> bytes:
    """An older document in the v52 namespaces, its LowFareSearchAsynchReq (declared up to
    v49, on the same base type) as the LowFareSearchReq v52 still has."""
    renamed = re.sub(rb"(schema/[a-z]+)_v\d+_0\b", rb"\1_v52_0", document)
    return renamed.replace(b"LowFareSearchAsynchReq", b"LowFareSearchReq")


def canonical(document: bytes) -> bytes:
    return etree.tostring(etree.fromstring(document), method="c14n")


def without_added(
    document: bytes, keys: set[str], created: tuple[str, ...] = (), reference: str | None = None
) -> bytes:
    """The canonical form (C14N) of `document` with the cards of `keys` taken out again
    (the whitespace of their insertion included), and the elements `created` for them
    removed where they are left empty, and a BookingTravelerRef set to `reference` on
    their parents removed."""
    enriched = etree.fromstring(document)

    def remove(element: etree._Element) -> None:
        previous = element.getprevious()
        parent = element.getparent()
        if previous is not None:
            previous.tail = element.tail
        elif len(parent) == 1:
            parent.text = None if not (element.tail or "").strip() else parent.text
        parent.remove(element)

    for card in list(enriched.iter("{*}LoyaltyCard")):
        if card.get("Key") in keys:
            parent = card.getparent()
            if reference and parent.get("BookingTravelerRef") == reference:
                del parent.attrib["BookingTravelerRef"]
            remove(card)
    for name in created:
        for element in list(enriched.iter(f"{{*}}{name}")):
            if len(element) == 0 and not element.attrib:
                remove(element)
    return etree.tostring(enriched, method="c14n")


def cards(document: bytes) -> list[etree._Element]:
    return list(etree.fromstring(document).iter("{*}LoyaltyCard"))


# -- the schema's element order ----------------------------------------------------------------

ORDER_OF = {
    "BookingTraveler": ("common_v52_0/Common.xsd", "element"),
    "SearchPassenger": ("common_v52_0/Common.xsd", "element"),
    "VehicleSearchModifiers": ("vehicle_v52_0/Vehicle.xsd", "element"),
    "HotelSearchModifiers": ("hotel_v52_0/Hotel.xsd", "element"),
    "HotelDetailsModifiers": ("hotel_v52_0/Hotel.xsd", "element"),
}
CARDS_ONLY = {"HotelAdd", "HotelUpdate", "AirAdd", "AirUpdate", "VehicleAdd", "VehicleUpdate"}


@cache
def element_order(place: str) -> tuple[str, ...]:
    """The children of `place` in schema order: its v52 sequence read from the XSD (groups
    and the base type it extends resolved)."""
    path, _ = ORDER_OF[place]
    xsd = etree.parse(str(travelport.schema(path)))
    names: list[str] = []

    def local(ref: str) -> str:
        return ref.split(":")[-1]

    def walk(node: etree._Element) -> None:
        for child in node:
            if child.tag == f"{XS}element":
                names.append(local(child.get("name") or child.get("ref", "")))
            elif child.tag == f"{XS}group":
                group = xsd.find(f"{XS}group[@name='{local(child.get('ref', ''))}']")
                walk(group.find(f"{XS}sequence"))
            elif child.tag in (f"{XS}sequence", f"{XS}choice", f"{XS}complexContent"):
                walk(child)
            elif child.tag == f"{XS}extension":
                base = xsd.find(f"{XS}complexType[@name='{local(child.get('base', ''))}']")
                if base is not None:
                    walk(base)
                walk(child)

    walk(xsd.find(f"{XS}element[@name='{place}']/{XS}complexType"))
    return tuple(names)


def name(element: etree._Element) -> str:
    return etree.QName(element).localname


def assert_in_schema_order(document: bytes) -> None:
    """Every place holding cards has its children in the schema's order; a HotelAdd,
    AirAdd, VehicleAdd (or Update) holds LoyaltyCards only."""
    parents = {card.getparent() for card in cards(document)}
    for parent in parents:
        children = [name(c) for c in parent if isinstance(c.tag, str)]
        if name(parent) in CARDS_ONLY:
            assert set(children) == {"LoyaltyCard"}, children
            continue
        if name(parent) == "PassengerType":  # a pricing echo, never written
            continue
        order = element_order(name(parent))
        assert set(children) <= set(order), children
        ranks = [order.index(c) for c in children]
        assert ranks == sorted(ranks), children


def position(element: etree._Element) -> str:
    """`BookingTraveler[2]`: the element's name and rank among its like-named siblings."""
    parent = element.getparent()
    like = [c for c in parent if isinstance(c.tag, str) and name(c) == name(element)]
    return f"{name(element)}[{like.index(element) + 1}]"


def placed(document: bytes, keys: set[str]) -> list[tuple[str, str]]:
    """(place, SupplierCode) of each card of `keys`, in document order."""
    return [
        (position(card.getparent()), card.get("SupplierCode", ""))
        for card in cards(document)
        if card.get("Key") in keys
    ]
