"""What every Universal API request codec shares: its namespaces, the places cards go and
how they are written there, and the places every product has (BookingTravelers, a
modifiers element).

An element is read only in its own namespace: a `Provider` is `common_vNN_0`'s, a
`HotelAdd` `universal_vNN_0`'s, an `AirSegment` `air_vNN_0`'s, of any version NN; an
element of the same name in any other namespace (`common_v52_x`, `urn:evil`, none) is not
the uAPI element and is never read (SPEC 15). Cards are written in the request's own
`common_vNN_0` namespace and prefix, in their place's schema order.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from functools import lru_cache
from typing import TYPE_CHECKING

from lxml import etree

from loyalty_core.interfaces.xml import local_name
from loyalty_core.models.cards import CardPlace, ExistingCard, Traveller

if TYPE_CHECKING:
    from loyalty_core.models.cards import Card, Terms

# Universal API namespaces: http://www.travelport.com/schema/<family>_vNN_0 (never _1).
SCHEMA = re.compile(r"^http://www\.travelport\.com/schema/([a-z]{1,20})_v(\d{1,4})_0$")
COMMON = "common"
UNIVERSAL = "universal"
ID_TRAVELLER = "the traveller named by employee_id"

Name = tuple[str, str]  # an element's namespace family and local name: ("common", "Email")


@lru_cache(maxsize=256)
def namespace_schema(namespace: str) -> tuple[str, int] | None:
    """A Universal API namespace's family and version (`("air", 52)`); None for any other."""
    schema = SCHEMA.match(namespace)
    return (schema.group(1), int(schema.group(2))) if schema else None


def schema_of(element: etree._Element) -> tuple[str, int] | None:
    """The element's Universal API namespace family and version (`("air", 52)`), or None
    for any other namespace (and for comments and processing instructions)."""
    if not isinstance(element.tag, str):
        return None
    return namespace_schema(etree.QName(element).namespace or "")


def family_of(element: etree._Element) -> str:
    found = schema_of(element)
    return found[0] if found else ""


def is_uapi(element: etree._Element, family: str, *names: str) -> bool:
    """Whether `element` is one of the uAPI elements `names` of namespace `family`."""
    return local_name(element) in names and family_of(element) == family


def children(element: etree._Element, family: str, *names: str) -> list[etree._Element]:
    return [c for c in element if is_uapi(c, family, *names)]


def descendants(element: etree._Element, family: str, *names: str) -> list[etree._Element]:
    """The elements `names` of `family` in `element` (itself included), in document order."""
    tags = [f"{{*}}{name}" for name in names]
    return [e for e in element.iter(*tags) if family_of(e) == family]


def code(value: str | None, longest: int = 2) -> str | None:
    """A supplier, carrier or provider code as the document gives it, in capitals; None
    unless it is 1-`longest` letters and digits (never caller text at length)."""
    value = (value or "").strip().upper()
    return value if re.fullmatch(rf"[A-Z0-9]{{1,{longest}}}", value) else None


def existing_cards(parent: etree._Element) -> tuple[ExistingCard, ...]:
    return tuple(
        ExistingCard(c.get("SupplierCode", ""), c.get("CardNumber", ""), c.get("SupplierType"))
        for c in children(parent, COMMON, "LoyaltyCard")
    )


# -- places -----------------------------------------------------------------------------


@dataclass(frozen=True)
class Creation:
    """A container a place's cards need that the request lacks: made in `container` when
    cards are written, in `namespace`, before the first child that is one of `before` (at
    the end if none is)."""

    container: etree._Element
    namespace: str
    name: str
    before: frozenset[Name] = frozenset()


@dataclass
class Place:
    """One place where cards may go, for one traveller, by one product's rules, and where
    it is in the document: `parent` (None: `create` makes it), whose children `before`
    come before LoyaltyCard in its schema sequence."""

    label: str
    traveller: Traveller
    product: str
    parent: etree._Element | None
    before: frozenset[Name] = frozenset()
    existing: tuple[ExistingCard, ...] = ()
    problem: str | None = None  # why no card can go here
    create: Creation | None = None
    booking_traveler_ref: str | None = None  # to set on the parent if cards are written

    def card_place(self, terms: Terms) -> CardPlace:
        return CardPlace(self.label, self.traveller, self.existing, self.problem, terms)


def modifier_place(
    request: etree._Element,
    product: str,
    family: str,
    name: str,
    before: Iterable[Name],
    create_before: Iterable[Name] | None,
    missing: str = "",
) -> Place:
    """The request-level modifiers element `name` (`HotelSearchModifiers`,
    `VehicleSearchModifiers`) as the place of the one traveller the caller names. When it
    is absent: created before the first of `create_before`, or, if that is None, no place
    (`missing` says why)."""
    who = Traveller(ID_TRAVELLER)
    placed = frozenset(before)
    found = children(request, family, name)
    if found:
        return Place(name, who, product, found[0], placed, existing_cards(found[0]))
    if create_before is None:
        return Place(name, who, product, None, placed, problem=missing)
    namespace = etree.QName(request).namespace or ""
    creation = Creation(request, namespace, name, frozenset(create_before))
    return Place(name, who, product, None, placed, create=creation)


BOOKING_TRAVELER_BEFORE = frozenset(
    (COMMON, name) for name in ("BookingTravelerName", "DeliveryInfo", "PhoneNumber", "Email")
)


def booking_traveler_place(n: int, traveller: etree._Element, product: str) -> Place:
    """The n-th BookingTraveler (from 1), matched by its Email elements; cards go after
    them, before DiscountCard and the rest."""
    emails = tuple(
        e.get("EmailID", "").strip().lower() for e in children(traveller, COMMON, "Email")
    )
    label = f"BookingTraveler {n}"  # a short label: never the caller's text (SPEC 7)
    who = Traveller(label, tuple(e for e in emails if e), booking_traveler=True)
    return Place(
        label,
        who,
        product,
        traveller,
        BOOKING_TRAVELER_BEFORE,
        existing_cards(traveller),
    )


def booking_traveler_places(request: etree._Element, kind: str, product: str) -> list[Place]:
    """Every BookingTraveler of a reservation request, each its own place; with none, one
    place saying the request has nowhere for cards."""
    travellers = children(request, COMMON, "BookingTraveler")
    places = [booking_traveler_place(n, bt, product) for n, bt in enumerate(travellers, 1)]
    if not places:
        problem = f"{kind} has no BookingTraveler to carry cards"
        places.append(Place(kind, Traveller(ID_TRAVELLER), product, None, problem=problem))
    return places


# -- writing ----------------------------------------------------------------------------


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


def _name(element: etree._Element) -> Name:
    return family_of(element), local_name(element)


def _insert_index(parent: etree._Element, before: frozenset[Name]) -> int:
    """Where new cards go in `parent`: after the last child that comes before them in its
    schema sequence, the cards already there included."""
    index = 0
    for i, child in enumerate(parent):
        if _name(child) in before or _name(child) == (COMMON, "LoyaltyCard"):
            index = i + 1
    return index


def _create(creation: Creation) -> etree._Element:
    container = creation.container
    made = _new(container, creation.namespace, creation.name)
    anchor = [i for i, child in enumerate(container) if _name(child) in creation.before]
    _indent_like(container, anchor[0] if anchor else len(container), made)
    return made


def write_cards(place: Place, cards: list[Card], common_namespace: str) -> None:
    """Put `cards` in their place, creating its container where it is missing."""
    if not cards:
        return
    if place.parent is None:
        assert place.create is not None
        place.parent = _create(place.create)
    if place.booking_traveler_ref:
        place.parent.set("BookingTravelerRef", place.booking_traveler_ref)
    index = _insert_index(place.parent, place.before)
    for card in cards:
        element = _new(place.parent, common_namespace, "LoyaltyCard")
        element.set("Key", card.key)
        element.set("SupplierCode", card.supplier_code)
        element.set("CardNumber", card.card_number)
        element.set("SupplierType", card.supplier_type)
        _indent_like(place.parent, index, element)
        index += 1


# -- kinds ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Reading:
    """A request as the codec reads it: its element, kind and version, and what the call
    says beside it (the products the route takes, a BookingTravelerRef to set)."""

    request: etree._Element
    kind: str
    version: int
    products: tuple[str, ...]
    booking_traveler_ref: str | None = None


@dataclass(frozen=True)
class Kind:
    """A request kind: its name; the namespace families that declare it, each with the
    first version that no longer does (None: every version); its product (None: the
    places decide, as in a UniversalRecordModifyReq); and how its places are read (None:
    it takes no card)."""

    name: str
    product: str | None
    families: dict[str, int | None]
    places: Callable[[Reading], list[Place]] | None = None
    search: bool = False

    def declared_in(self, family: str, version: int) -> bool:
        if family not in self.families:
            return False
        until = self.families[family]
        return until is None or version < until


@dataclass(frozen=True)
class Product:
    """A product's codec: its request kinds, the elements of a UniversalRecordModifyReq
    that take its cards, and what a request names that its rules read."""

    name: str
    kinds: tuple[Kind, ...]
    modify: tuple[str, ...]  # universal_vNN_0 elements: HotelAdd, HotelUpdate, ...
    terms: Callable[[etree._Element, Kind], Terms]
    accepted: str  # its kinds and their namespaces, as a refusal lists them
