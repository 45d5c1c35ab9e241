"""The Travelport Universal API hotel request codec: read a request as the enrichment's
CardRequest (its places, travellers and cards), and write LoyaltyCard elements there. Works on any schema version: elements are found by local name, and cards are
written in the request's own common_vNN_0 namespace and prefix.

Where cards go (v52 schema; the order inside each sequence matters):

| request | place |
| --- | --- |
| HotelSearchAvailabilityReq, HotelSuperShopperReq | HotelSearchModifiers, after PermittedChains, ProhibitedChains, PermittedProviders |
| HotelDetailsReq | HotelDetailsModifiers, after PermittedProviders |
| HotelCreateReservationReq | each BookingTraveler, after its Email elements |
| UniversalRecordModifyReq | HotelAdd / HotelUpdate (a choice: LoyaltyCards only) |
"""  # noqa: E501

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field

from lxml import etree

from loyalty_core.errors import InvalidInput, MalformedRequest, quote, quote_all
from loyalty_core.interfaces.xml import local_name, parse
from loyalty_core.models.cards import Card, CardPlace, CardRequest, ExistingCard, Traveller

SOAP_ENVELOPE = "http://schemas.xmlsoap.org/soap/envelope/"
COMMON = re.compile(r"^http://www\.travelport\.com/schema/common_v(\d+)_(\d+)$")
VERSIONED = re.compile(r"^http://www\.travelport\.com/schema/\w+?_v(\d+)_(\d+)$")
SEARCH = ("HotelSearchAvailabilityReq", "HotelSuperShopperReq")
DETAILS = "HotelDetailsReq"
RESERVATION = "HotelCreateReservationReq"
MODIFY = "UniversalRecordModifyReq"
RULES = "HotelRulesReq"
# HotelAdd/HotelUpdate elements of one UniversalRecordModifyReq that take cards (the
# traveller limit's number): the rest get one report between them, so neither the work
# nor the answer grows with their count.
MAX_MODIFY_PLACES = 9
KINDS = (*SEARCH, DETAILS, RESERVATION, MODIFY, RULES)
# Children that come before LoyaltyCard in each place's sequence.
BEFORE_CARDS = {
    "HotelSearchModifiers": {"PermittedChains", "ProhibitedChains", "PermittedProviders"},
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
    providers: tuple[str, ...]  # provider codes the document names
    chains: frozenset[str]
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
        )

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


def _common_namespace(root: etree._Element, request: etree._Element) -> str:
    """The request's common_vNN_0 namespace, declared or implied by its own version."""
    for element in request.iter():
        for uri in (element.nsmap or {}).values():
            if uri and COMMON.match(uri):
                return str(uri)
    version = VERSIONED.match(etree.QName(request).namespace or "")
    if version is None:
        raise NotAHotelRequest(
            "The request is not in a Travelport Universal API namespace "
            "(http://www.travelport.com/schema/..._vNN_0)"
        )
    return f"http://www.travelport.com/schema/common_v{version.group(1)}_{version.group(2)}"


def _provider_codes(request: etree._Element) -> tuple[str, ...]:
    codes = []
    for element in (request, *_children(request, "RecordIdentifier")):
        if element.get("ProviderCode"):
            codes.append(element.get("ProviderCode", ""))
    for permitted in request.iter("{*}PermittedProviders"):
        listed = [p.get("Code", "") for p in _children(permitted, "Provider")]
        if len(listed) == 1:
            codes.append(listed[0])
    return tuple(dict.fromkeys(codes))


def _chains(request: etree._Element) -> frozenset[str]:
    found = set()
    for element in request.iter():
        if not isinstance(element.tag, str):
            continue
        if element.get("HotelChain"):
            found.add(element.get("HotelChain", ""))
        parent = element.getparent()
        if (
            local_name(element) == "HotelChain"
            and parent is not None
            and (local_name(parent) == "PermittedChains")
        ):
            found.add(element.get("Code", ""))
    return frozenset(c.upper() for c in found if c)


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
        if not emails and len(travellers) > 1:
            places.append(
                Place(
                    label,
                    Traveller(label),
                    bt,
                    _existing(bt),
                    problem="no Email to match the traveller by",
                )
            )
            continue
        who = (
            Traveller(label, emails) if emails else Traveller("the traveller named by employee_id")
        )
        places.append(Place(label, who, bt, _existing(bt)))
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
    kind = local_name(request)
    if kind not in KINDS:
        raise NotAHotelRequest(
            f"{quote(kind)} is not a hotel request this call enriches; "
            f"send one of {', '.join(KINDS)}"
        )
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
    return HotelRequest(
        root=root,
        request=request,
        kind=kind,
        common_namespace=_common_namespace(root, request),
        providers=_provider_codes(request),
        chains=_chains(request),
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


def write_cards(request: HotelRequest, place: Place, cards: Sequence[Card]) -> None:
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
