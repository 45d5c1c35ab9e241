"""The Travelport Universal API request codec, for every product: read a hotel, air or
vehicle request (bare or in a SOAP 1.1 Envelope, any schema version) as the enrichment's
CardRequest (its kind and product, the provider codes it names, its places, their
travellers and cards, and what each product's rules read), and write LoyaltyCard elements
into the places the enrichment names, in schema order.

A request kind is its namespace and name (each product's `KINDS`); a route takes the
products it names and refuses the others with 422, naming the route that takes them. A
UniversalRecordModifyReq takes cards in the HotelAdd, HotelUpdate, AirAdd, AirUpdate,
VehicleAdd and VehicleUpdate elements of the products the route takes, each by its own
product's rules.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from lxml import etree

from loyalty_core.errors import InvalidInput, MalformedRequest, quote, quote_all
from loyalty_core.interfaces.uapi import air, hotel, vehicle
from loyalty_core.interfaces.uapi.document import (
    COMMON,
    ID_TRAVELLER,
    UNIVERSAL,
    Kind,
    Place,
    Product,
    Reading,
    children,
    descendants,
    existing_cards,
    is_uapi,
    namespace_schema,
    schema_of,
    write_cards,
)
from loyalty_core.interfaces.xml import local_name, parse
from loyalty_core.models.cards import (
    Card,
    CardRequest,
    NamedProviders,
    Terms,
    Traveller,
)

SOAP_ENVELOPE = "http://schemas.xmlsoap.org/soap/envelope/"
TRAVELPORT = "http://www.travelport.com/schema/"
PRODUCTS: dict[str, Product] = {p.name: p for p in (hotel.PRODUCT, air.PRODUCT, vehicle.PRODUCT)}
EVERY_PRODUCT = tuple(PRODUCTS)
HOTEL_ONLY = (hotel.HOTEL,)
GENERAL_ROUTE = "POST /api/loyalty_cards/enrich"
MODIFY = "UniversalRecordModifyReq"
# HotelAdd/AirAdd/... elements of one UniversalRecordModifyReq that take cards (the
# traveller limit's number): the rest get one report between them, so neither the work
# nor the answer grows with their count.
MAX_MODIFY_PLACES = 9
GENERAL_ACCEPTS = (
    "the hotel, air and vehicle requests the API reference lists, such as "
    "HotelSearchAvailabilityReq, AirCreateReservationReq, LowFareSearchReq and "
    "VehicleSearchAvailabilityReq"
)


class UnsupportedRequest(InvalidInput):
    title = "Not a supported Universal API request"


class NotAHotelRequest(UnsupportedRequest):
    title = "Not a supported hotel request"


# -- the document -------------------------------------------------------------------------


@dataclass
class UapiRequest:
    """A Universal API request as read: the document, its kind and product, and the places
    its cards may go (a `CardDocument` of the enrichment's pipeline)."""

    root: etree._Element
    request: etree._Element
    kind: str
    product: str
    common_namespace: str
    providers: tuple[NamedProviders, ...]  # provider codes the document names, and where
    places: list[Place]
    terms: Mapping[str, Terms]  # what the request names, as each of its products reads it
    takes_cards: bool
    declaration: bytes  # the request's own <?xml ...?> (in UTF-8), or b""

    def card_request(self) -> CardRequest:
        """What the enrichment needs to know of this request."""
        return CardRequest(
            kind=self.kind,
            providers=self.providers,
            places=tuple(place.card_place(self.terms[place.product]) for place in self.places),
            takes_cards=self.takes_cards,
            product=self.product,
        )

    def write(self, placed: Mapping[str, Sequence[Card]]) -> None:
        """Write the cards chosen for each place, under its label, into that place."""
        places = {place.label: place for place in self.places}
        for label, cards in placed.items():
            write_cards(places[label], list(cards), self.common_namespace)

    def serialize(self) -> bytes:
        """The document in UTF-8, keeping its own XML declaration when it had one."""
        body = etree.tostring(self.root.getroottree(), encoding="UTF-8", xml_declaration=False)
        return (self.declaration + b"\n" + body) if self.declaration else body


# -- the kind -----------------------------------------------------------------------------

KINDS: dict[str, list[Kind]] = {}
for _product in PRODUCTS.values():
    for _kind in _product.kinds:
        KINDS.setdefault(_kind.name, []).append(_kind)


def _where(request: etree._Element) -> tuple[str, str, int]:
    """(how a refusal names the request's namespace, its family, its version)."""
    namespace = etree.QName(request).namespace or ""
    schema = schema_of(request)
    if schema is None:
        return ("another namespace" if namespace else "no namespace"), "", 0
    family, version = schema
    return f"{family}_v{version}_0", family, version


def _elsewhere(name: str, where: str, products: Sequence[str], other: str) -> NotAHotelRequest:
    """The refusal of a request of a product this route does not take, naming the route
    that does (only the hotel route takes fewer than every product)."""
    return NotAHotelRequest(
        f"Received {quote(name)} in {where}, {'an' if other == 'air' else 'a'} {other} "
        f"request: send it to {GENERAL_ROUTE}. This call enriches "
        + "; ".join(PRODUCTS[p].accepted for p in products)
    )


def _refused(name: str, where: str, products: Sequence[str]) -> UnsupportedRequest:
    if products == HOTEL_ONLY:
        return NotAHotelRequest(
            f"Received {quote(name)} in {where}; this call enriches {hotel.PRODUCT.accepted}"
        )
    return UnsupportedRequest(
        f"Received {quote(name)} in {where}; this call enriches {GENERAL_ACCEPTS}"
    )


def kind_of(request: etree._Element, products: Sequence[str]) -> tuple[Kind, int]:
    """The request's kind and schema version, by namespace and name; 422 for anything
    else, naming what was received (bounded) and what is accepted."""
    name = local_name(request)
    where, family, version = _where(request)
    for kind in KINDS.get(name, []) if family else []:
        if kind.declared_in(family, version):
            if kind.product is not None and kind.product not in products:
                raise _elsewhere(name, where, products, kind.product)
            return kind, version
    raise _refused(name, where, products)


# -- UniversalRecordModifyReq ---------------------------------------------------------------


def _modify_places(reading: Reading) -> list[Place]:
    """Each HotelAdd/HotelUpdate/AirAdd/... of a product the route takes: a place for the
    traveller the caller names, if it holds LoyaltyCards only (the schema's choice) and
    has a BookingTravelerRef (or the call gives one)."""
    product_of = {name: p for p in reading.products for name in PRODUCTS[p].modify}
    elements = descendants(reading.request, UNIVERSAL, *product_of)
    who = Traveller(ID_TRAVELLER)
    places = []
    for n, element in enumerate(elements[:MAX_MODIFY_PLACES], start=1):
        name = local_name(element)
        label = f"{name} {n}"  # a short label: never the caller's text (SPEC 7)
        others = sorted({local_name(c) for c in element if not _is_card(c)})
        place = Place(label, who, product_of[name], element, existing=existing_cards(element))
        if others:
            place.problem = (
                f"{name} holds {quote_all(others)}; the schema allows LoyaltyCards only in one "
                "of their own"
            )
        elif not element.get("BookingTravelerRef") and not reading.booking_traveler_ref:
            place.problem = f"{name} has no BookingTravelerRef; send booking_traveler_ref"
        elif not element.get("BookingTravelerRef"):
            place.booking_traveler_ref = reading.booking_traveler_ref
        places.append(place)
    if not places:
        raise _no_modify_place(reading)
    if len(elements) > MAX_MODIFY_PLACES:  # one report for the rest, however many
        group = "/".join(
            name
            for p in reading.products
            for name in PRODUCTS[p].modify
            if p in {product_of[local_name(e)] for e in elements}
        )
        places.append(
            Place(
                f"{group} {MAX_MODIFY_PLACES + 1}-{len(elements)}",
                who,
                product_of[local_name(elements[MAX_MODIFY_PLACES])],
                None,
                problem=f"only the first {MAX_MODIFY_PLACES} {group} elements take cards",
            )
        )
    return places


def _is_card(element: etree._Element) -> bool:
    """A LoyaltyCard of common_vNN_0, or no element at all (a comment): what a HotelAdd,
    AirAdd or VehicleAdd that takes cards may hold."""
    return not local_name(element) or is_uapi(element, COMMON, "LoyaltyCard")


def _no_modify_place(reading: Reading) -> UnsupportedRequest:
    takes = [name for p in reading.products for name in PRODUCTS[p].modify]
    listed = ", ".join(takes[:-1]) + f" or {takes[-1]}"
    others = [
        (name, p)
        for p in EVERY_PRODUCT
        if p not in reading.products
        for name in PRODUCTS[p].modify
        if descendants(reading.request, UNIVERSAL, name)
    ]
    message = f"{MODIFY} holds no {listed}"
    if others:
        name, product = others[0]
        article = "an" if product == "air" else "a"
        message += f"; its {name} is {article} {product} request: send it to {GENERAL_ROUTE}"
    error = NotAHotelRequest if reading.products == HOTEL_ONLY else UnsupportedRequest
    return error(message)


MODIFY_KIND = Kind(MODIFY, None, {UNIVERSAL: None}, _modify_places)
KINDS[MODIFY] = [MODIFY_KIND]


# -- what the document names ------------------------------------------------------------------


def _provider_codes(request: etree._Element) -> tuple[NamedProviders, ...]:
    """Every provider code the request names where a provider is chosen: its own and its
    RecordIdentifier's ProviderCode, PointOfSale/@ProviderCode, each PermittedProviders
    list, and on air requests each segment's ProviderCode and each PreferredProviders
    list. Which of them count is the enrichment's rule (`choose_provider`)."""
    named: list[NamedProviders] = []
    for where, elements in (
        ("ProviderCode", [request]),
        ("RecordIdentifier", children(request, UNIVERSAL, "RecordIdentifier")),
        ("PointOfSale", children(request, COMMON, "PointOfSale")),
    ):
        for element in elements:
            if element.get("ProviderCode"):
                named.append(NamedProviders(where, (element.get("ProviderCode", ""),)))
    for where, family in (("PermittedProviders", COMMON), ("PreferredProviders", air.AIR)):
        for listing in descendants(request, family, where):
            codes = tuple(p.get("Code", "") for p in children(listing, COMMON, "Provider"))
            if codes:
                named.append(NamedProviders(where, codes))
    segments = {s.get("ProviderCode", "") for s in descendants(request, air.AIR, "AirSegment")}
    named.extend(NamedProviders("AirSegment", (c,)) for c in sorted(segments) if c)
    return tuple(named)


def _common_namespace(request: etree._Element, version: int) -> str:
    """The request's common_vNN_0 namespace, declared or implied by its own version."""
    for element in request.iter():
        for uri in (element.nsmap or {}).values():
            schema = namespace_schema(uri) if uri else None
            if schema and schema[0] == COMMON:
                return str(uri)
    return f"{TRAVELPORT}{COMMON}_v{version}_0"


def _declaration(data: bytes) -> bytes:
    found = re.match(rb"\s*(<\?xml[^>]*\?>)", data)
    if found is None:
        return b""
    declared = found.group(1)
    encoding = re.search(rb"encoding\s*=\s*[\"']([^\"']+)", declared)
    if encoding and encoding.group(1).lower().replace(b"-", b"") != b"utf8":
        return b'<?xml version="1.0" encoding="UTF-8"?>'  # the answer is always UTF-8
    return declared


def read_request(
    data: bytes,
    booking_traveler_ref: str | None = None,
    products: Sequence[str] = EVERY_PRODUCT,
) -> UapiRequest:
    """A request of one of `products` (bare or in a SOAP 1.1 Envelope) and the places its
    cards may go."""
    root = parse(data)
    request = root
    if etree.QName(root).namespace == SOAP_ENVELOPE and local_name(root) == "Envelope":
        bodies = [c for c in root if c.tag == f"{{{SOAP_ENVELOPE}}}Body"]
        payload = [c for c in bodies[0] if local_name(c)] if bodies else []
        if len(payload) != 1:
            raise MalformedRequest("The SOAP Body must hold exactly one request")
        request = payload[0]
    kind, version = kind_of(request, tuple(products))
    reading = Reading(request, kind.name, version, tuple(products), booking_traveler_ref)
    places = kind.places(reading) if kind.places else []
    product = kind.product or places[0].product
    present = {place.product for place in places} | {product}
    return UapiRequest(
        root=root,
        request=request,
        kind=kind.name,
        product=product,
        common_namespace=_common_namespace(request, version),
        providers=_provider_codes(request),
        places=places,
        terms={p: PRODUCTS[p].terms(request, kind) for p in present},
        takes_cards=kind.places is not None,
        declaration=_declaration(data),
    )
