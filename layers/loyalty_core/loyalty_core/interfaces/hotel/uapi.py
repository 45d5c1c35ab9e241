"""The Travelport Universal API hotel request codec: read a request as the enrichment's
CardRequest (its places, travellers and cards), and write LoyaltyCard elements into the
places the enrichment names. Works on any schema version: elements are found by local
name, and cards are written in the request's own common_vNN_0 namespace and prefix.

Where cards go (v52 schema; the order inside each sequence matters):

| request | place |
| --- | --- |
| HotelSearchAvailabilityReq, HotelSuperShopperReq | HotelSearchModifiers, after PermittedChains, ProhibitedChains, PermittedProviders (and PermittedAggregators, in the versions that have it) |
| HotelDetailsReq | HotelDetailsModifiers, after PermittedProviders |
| HotelCreateReservationReq | each BookingTraveler, after its Email elements |
| UniversalRecordModifyReq | HotelAdd / HotelUpdate (a choice: LoyaltyCards only) |
"""  # noqa: E501

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from lxml import etree

from loyalty_core.errors import InvalidInput, MalformedRequest, quote, quote_all
from loyalty_core.interfaces.xml import local_name, parse
from loyalty_core.models.cards import (
    Card,
    CardPlace,
    CardRequest,
    ExistingCard,
    NamedProviders,
    Traveller,
)

SOAP_ENVELOPE = "http://schemas.xmlsoap.org/soap/envelope/"
COMMON = re.compile(r"^http://www\.travelport\.com/schema/common_v(\d+)_(\d+)$")
# Universal API namespaces: http://www.travelport.com/schema/<family>_vNN_0 (never _1).
SCHEMA = re.compile(
    r"^http://www\.travelport\.com/schema/([a-z]{1,20})_v(\d{1,4})_(0)$"
)  # vNN_0 only
SEARCH = ("HotelSearchAvailabilityReq", "HotelSuperShopperReq")
DETAILS = "HotelDetailsReq"
RESERVATION = "HotelCreateReservationReq"
MODIFY = "UniversalRecordModifyReq"
RULES = "HotelRulesReq"
# A request kind is its namespace and name (SPEC 6), in any schema version.
KINDS = {"hotel": (*SEARCH, DETAILS, RULES), "universal": (RESERVATION, MODIFY)}
RESERVATION_IN_HOTEL_BELOW = 26  # early versions declared HotelCreateReservationReq in hotel_vNN_0
ACCEPTED = (
    f"{', '.join(KINDS['hotel'])} in hotel_vNN_0; {' and '.join(KINDS['universal'])} in "
    f"universal_vNN_0 ({RESERVATION} also in hotel_vNN_0 below v{RESERVATION_IN_HOTEL_BELOW})"
)
# HotelAdd/HotelUpdate elements of one UniversalRecordModifyReq that take cards (the
# traveller limit's number): the rest get one report between them, so neither the work
# nor the answer grows with their count.
MAX_MODIFY_PLACES = 9
# Children that come before LoyaltyCard in each place's sequence.
BEFORE_CARDS = {
    "HotelSearchModifiers": {
        "PermittedChains",
        "ProhibitedChains",
        "PermittedProviders",
        "PermittedAggregators",  # in the versions that have it (not v52)
    },
    "HotelDetailsModifiers": {"PermittedProviders"},
    "BookingTraveler": {"BookingTravelerName", "DeliveryInfo", "PhoneNumber", "Email"},
    "HotelAdd": set(),
    "HotelUpdate": set(),
}


class NotAHotelRequest(InvalidInput):
    title = "Not a supported hotel request"


@dataclass
class Place:
    """One place where cards may go, for one traveller, and where it is in the document."""

    label: str
    traveller: Traveller
    parent: etree._Element | None  # None: the element must be created (see `create`)
    existing: list[ExistingCard] = field(default_factory=list)
    problem: str | None = None  # why no card can go here
    create: tuple[etree._Element, str, str] | None = None  # (container, before, tag)
    booking_traveler_ref: str | None = None  # to set on the parent if cards are written

    def card_place(self) -> CardPlace:
        return CardPlace(self.label, self.traveller, tuple(self.existing), self.problem)


@dataclass
class HotelRequest:
    root: etree._Element
    request: etree._Element
    kind: str
    common_namespace: str
    providers: tuple[NamedProviders, ...]  # provider codes the document names, and where
    chains: frozenset[str]
    prohibited_chains: frozenset[str]
    places: list[Place]
    declaration: bytes  # the request's own <?xml ...?> (in UTF-8), or b""

    def card_request(self) -> CardRequest:
        """What the enrichment needs to know of this request."""
        return CardRequest(
            kind=self.kind,
            providers=self.providers,
            chains=self.chains,
            places=tuple(place.card_place() for place in self.places),
            takes_cards=self.kind != RULES,
            prohibited_chains=self.prohibited_chains,
            product="hotel",
        )

    def write(self, placed: Mapping[str, Sequence[Card]]) -> None:
        """Write the cards chosen for each place, under its label, into that place."""
        places = {place.label: place for place in self.places}
        for label, cards in placed.items():
            _write_cards(self, places[label], cards)

    def serialize(self) -> bytes:
        """The document in UTF-8, keeping its own XML declaration when it had one."""
        body = etree.tostring(self.root.getroottree(), encoding="UTF-8", xml_declaration=False)
        return (self.declaration + b"\n" + body) if self.declaration else body


def _children(element: etree._Element, name: str) -> list[etree._Element]:
    return [c for c in element if local_name(c) == name]


def _existing(parent: etree._Element) -> list[ExistingCard]:
    return [
        ExistingCard(c.get("SupplierCode", ""), c.get("CardNumber", ""), c.get("SupplierType"))
        for c in _children(parent, "LoyaltyCard")
    ]


def _kind(request: etree._Element) -> tuple[str, str]:
    """The request's kind and its schema version (`52_0`), by namespace and name; 422 for
    anything else, naming what was received (bounded) and what is accepted."""
    name = local_name(request)
    namespace = etree.QName(request).namespace or ""
    schema = SCHEMA.match(namespace)
    if schema is None:
        where = "another namespace" if namespace else "no namespace"
    else:
        family, major, minor = schema.groups()
        early = int(major) < RESERVATION_IN_HOTEL_BELOW
        if name in KINDS.get(family, ()) or (family == "hotel" and name == RESERVATION and early):
            return name, f"{major}_{minor}"
        where = f"{family}_v{major}_{minor}"
    raise NotAHotelRequest(f"Received {quote(name)} in {where}; this call enriches {ACCEPTED}")


def _common_namespace(request: etree._Element, version: str) -> str:
    """The request's common_vNN_0 namespace, declared or implied by its own version."""
    for element in request.iter():
        for uri in (element.nsmap or {}).values():
            if uri and COMMON.match(uri):
                return str(uri)
    return f"http://www.travelport.com/schema/common_v{version}"


def _provider_codes(request: etree._Element) -> tuple[NamedProviders, ...]:
    """Every provider code the request names where a provider is chosen: its own and its
    RecordIdentifier's ProviderCode, PointOfSale/@ProviderCode, each PermittedProviders
    list. Which of them count is the enrichment's rule (`choose_provider`)."""
    named = []
    for where, elements in (
        ("ProviderCode", [request]),
        ("RecordIdentifier", _children(request, "RecordIdentifier")),
        ("PointOfSale", _children(request, "PointOfSale")),
    ):
        for element in elements:
            if element.get("ProviderCode"):
                named.append(NamedProviders(where, (element.get("ProviderCode", ""),)))
    for permitted in request.iter("{*}PermittedProviders"):
        listed = tuple(p.get("Code", "") for p in _children(permitted, "Provider"))
        if listed:
            named.append(NamedProviders("PermittedProviders", listed))
    return tuple(named)


def _chains(request: etree._Element) -> tuple[frozenset[str], frozenset[str]]:
    """(the chains the request names, the chains it prohibits): `HotelChain` attributes
    (on properties, reservations) and `PermittedChains/HotelChain/@Code` name chains;
    `ProhibitedChains/HotelChain/@Code` prohibits them."""
    named: set[str] = set()
    prohibited: set[str] = set()
    for element in request.iter():
        if not isinstance(element.tag, str):
            continue
        if element.get("HotelChain"):
            named.add(element.get("HotelChain", ""))
        parent = element.getparent()
        if local_name(element) == "HotelChain" and parent is not None:
            if local_name(parent) == "PermittedChains":
                named.add(element.get("Code", ""))
            elif local_name(parent) == "ProhibitedChains":
                prohibited.add(element.get("Code", ""))
    return (
        frozenset(c.upper() for c in named if c),
        frozenset(c.upper() for c in prohibited if c),
    )


def _modifier_place(request: etree._Element, name: str, label: str) -> Place:
    who = Traveller("the traveller named by employee_id")
    found = _children(request, name)
    if found:
        return Place(label, who, found[0], _existing(found[0]))
    if name == "HotelDetailsModifiers":
        return Place(
            label,
            who,
            None,
            problem=(
                "HotelDetailsReq has no HotelDetailsModifiers, which the schema requires to hold a "
                "HotelStay; send one to receive loyalty cards"
            ),
        )
    stay = _children(request, "HotelStay")
    return Place(label, who, None, create=(request, "HotelStay" if stay else "", name))


def _reservation_places(request: etree._Element) -> list[Place]:
    travellers = _children(request, "BookingTraveler")
    places = []
    for n, bt in enumerate(travellers, start=1):
        emails = tuple(e.get("EmailID", "").strip().lower() for e in _children(bt, "Email"))
        emails = tuple(e for e in emails if e)
        label = f"BookingTraveler {n}"  # a short label: never the caller's text (SPEC 7)
        places.append(Place(label, Traveller(label, emails, True), bt, _existing(bt)))
    if not travellers:
        places.append(
            Place(
                RESERVATION,
                Traveller("the traveller named by employee_id"),
                None,
                problem=f"{RESERVATION} has no BookingTraveler to carry cards",
            )
        )
    return places


def _modify_places(request: etree._Element, booking_traveler_ref: str | None) -> list[Place]:
    who = Traveller("the traveller named by employee_id")
    places = []
    elements = list(request.iter("{*}HotelAdd", "{*}HotelUpdate"))
    for n, element in enumerate(elements[:MAX_MODIFY_PLACES], start=1):
        label = f"{local_name(element)} {n}"  # a short label: never the caller's text (SPEC 7)
        others = sorted({local_name(c) for c in element if local_name(c)} - {"LoyaltyCard"})
        place = Place(label, who, element, _existing(element))
        if others:
            place.problem = (
                f"{local_name(element)} holds {quote_all(others)}; the schema allows "
                "LoyaltyCards only in one of their own"
            )
        elif not element.get("BookingTravelerRef") and not booking_traveler_ref:
            place.problem = (
                f"{local_name(element)} has no BookingTravelerRef; send booking_traveler_ref"
            )
        elif not element.get("BookingTravelerRef"):
            place.booking_traveler_ref = booking_traveler_ref
        places.append(place)
    if not places:
        raise NotAHotelRequest("UniversalRecordModifyReq holds no HotelAdd or HotelUpdate")
    if len(elements) > MAX_MODIFY_PLACES:  # one report for the rest, however many
        rest = f"HotelAdd/HotelUpdate {MAX_MODIFY_PLACES + 1}-{len(elements)}"
        places.append(
            Place(
                rest,
                who,
                None,
                problem=f"only the first {MAX_MODIFY_PLACES} HotelAdd/HotelUpdate elements take "
                "cards",
            )
        )
    return places


def _declaration(data: bytes) -> bytes:
    found = re.match(rb"\s*(<\?xml[^>]*\?>)", data)
    if found is None:
        return b""
    declared = found.group(1)
    encoding = re.search(rb"encoding\s*=\s*[\"']([^\"']+)", declared)
    if encoding and encoding.group(1).lower().replace(b"-", b"") != b"utf8":
        return b'<?xml version="1.0" encoding="UTF-8"?>'  # the answer is always UTF-8
    return declared


def read_request(data: bytes, booking_traveler_ref: str | None = None) -> HotelRequest:
    """A hotel request (bare or in a SOAP 1.1 Envelope) and the places its cards may go."""
    root = parse(data)
    request = root
    if etree.QName(root).namespace == SOAP_ENVELOPE and local_name(root) == "Envelope":
        bodies = [c for c in root if local_name(c) == "Body"]
        payload = [c for c in bodies[0] if local_name(c)] if bodies else []
        if len(payload) != 1:
            raise MalformedRequest("The SOAP Body must hold exactly one request")
        request = payload[0]
    kind, version = _kind(request)
    places: list[Place]
    if kind in SEARCH:
        places = [_modifier_place(request, "HotelSearchModifiers", "HotelSearchModifiers")]
    elif kind == DETAILS:
        places = [_modifier_place(request, "HotelDetailsModifiers", "HotelDetailsModifiers")]
    elif kind == RESERVATION:
        places = _reservation_places(request)
    elif kind == MODIFY:
        places = _modify_places(request, booking_traveler_ref)
    else:
        places = []
    chains, prohibited_chains = _chains(request)
    return HotelRequest(
        root=root,
        request=request,
        kind=kind,
        common_namespace=_common_namespace(request, version),
        providers=_provider_codes(request),
        chains=chains,
        prohibited_chains=prohibited_chains,
        places=places,
        declaration=_declaration(data),
    )


def _insert_index(parent: etree._Element) -> int:
    before = BEFORE_CARDS.get(local_name(parent), set()) | {"LoyaltyCard"}
    index = 0
    for i, child in enumerate(parent):
        if local_name(child) in before:
            index = i + 1
    return index


def _new(parent: etree._Element, namespace: str, name: str) -> etree._Element:
    """A child of `parent` in `namespace`, with the prefix the document already has for it
    (declared on the new element when the document has none in scope)."""
    tag = f"{{{namespace}}}{name}" if namespace else name
    if namespace and namespace not in (parent.nsmap or {}).values():
        taken = set(parent.nsmap or {})
        prefix = next(p for p in ("com", "common", "com1", "com2", "ns0") if p not in taken)
        return etree.Element(tag, nsmap={prefix: namespace})
    return etree.SubElement(parent, tag)  # in scope: lxml reuses the document's prefix


def _indent_like(parent: etree._Element, index: int, element: etree._Element) -> None:
    """Insert `element` at `index`, indented like its siblings when the document is indented."""
    parent.insert(index, element)
    previous = element.getprevious()
    if previous is None:
        if parent.text and not parent.text.strip():
            element.tail = parent.text
        return
    before = previous.getprevious()
    indent = before.tail if before is not None else parent.text
    if indent and not indent.strip() and previous.tail and not previous.tail.strip():
        element.tail, previous.tail = previous.tail, indent


def _write_cards(request: HotelRequest, place: Place, cards: Sequence[Card]) -> None:
    """Put `cards` in their place, creating the modifiers element where it is missing."""
    if not cards:
        return
    if place.parent is None:
        assert place.create is not None
        container, before, name = place.create
        namespace = etree.QName(request.request).namespace or ""
        modifiers = _new(container, namespace, name)
        anchor = _children(container, before)
        index = list(container).index(anchor[0]) if anchor else len(container)
        _indent_like(container, index, modifiers)
        place.parent = modifiers
    if place.booking_traveler_ref:
        place.parent.set("BookingTravelerRef", place.booking_traveler_ref)
    index = _insert_index(place.parent)
    for card in cards:
        element = _new(place.parent, request.common_namespace, "LoyaltyCard")
        element.set("Key", card.key)
        element.set("SupplierCode", card.supplier_code)
        element.set("CardNumber", card.card_number)
        element.set("SupplierType", card.supplier_type)
        _indent_like(place.parent, index, element)
        index += 1
