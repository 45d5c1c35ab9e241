"""Universal API air requests (SPEC 12): their kinds, where their cards go, and the
carriers they name.

| request | place |
| --- | --- |
| AirCreateReservationReq (universal_vNN_0) | each BookingTraveler, after its Email elements |
| UniversalRecordModifyReq | AirAdd / AirUpdate (a choice: LoyaltyCards only) |
| LowFareSearchReq, LowFareSearchAsynchReq (v49 and earlier), AirPriceReq, AvailabilitySearchReq | each SearchPassenger, after its Name |
| SeatMapReq, AirMerchandisingOfferAvailabilityReq, AirMerchandisingDetailsReq, AirFareDisplayReq, AirPrePayReq, AirUpsellSearchReq (air_vNN_0), AirMerchandisingFulfillmentReq (universal_vNN_0) | none |

The pricing echoes inside AirPricingSolution (`AirPricingInfo/PassengerType/LoyaltyCard`)
are never places: a SearchPassenger is a direct child of its request.
"""  # noqa: E501

from __future__ import annotations

from typing import TYPE_CHECKING

from lxml import etree

from loyalty_core.interfaces.uapi.document import (
    COMMON,
    ID_TRAVELLER,
    UNIVERSAL,
    Kind,
    Place,
    Product,
    booking_traveler_places,
    children,
    code,
    existing_cards,
    family_of,
    is_uapi,
)
from loyalty_core.interfaces.xml import local_name
from loyalty_core.models.cards import AirTerms, Traveller

if TYPE_CHECKING:
    from loyalty_core.interfaces.uapi.document import (
        Reading,
    )

AIR = "air"
RESERVATION = "AirCreateReservationReq"
ASYNCH_UNTIL = 50  # LowFareSearchAsynchReq is declared up to air_v49_0
SEGMENTS = ("AirSegment", "SearchSpecificAirSegment")  # their Carrier flies the request
CARRIER_LISTS = {"PermittedCarriers": True, "PreferredCarriers": True, "ProhibitedCarriers": False}
NO_CARDS = (
    "SeatMapReq",
    "AirMerchandisingOfferAvailabilityReq",
    "AirMerchandisingDetailsReq",
    "AirFareDisplayReq",
    "AirPrePayReq",
    "AirUpsellSearchReq",
)


def _reservation(reading: Reading) -> list[Place]:
    return booking_traveler_places(reading.request, RESERVATION, AIR)


def _passengers(reading: Reading) -> list[Place]:
    """Each SearchPassenger, the n-th named by the n-th employee id; cards after its Name
    (typePassengerType: Name, LoyaltyCard, DiscountCard, PersonalGeography)."""
    places = []
    for n, passenger in enumerate(children(reading.request, COMMON, "SearchPassenger"), 1):
        label = f"SearchPassenger {n}"  # a short label: never the caller's text (SPEC 7)
        places.append(
            Place(
                label,
                Traveller(label, passenger=n),
                AIR,
                passenger,
                frozenset({(COMMON, "Name")}),
                existing_cards(passenger),
            )
        )
    if not places:
        problem = f"{reading.kind} has no SearchPassenger to carry cards"
        places.append(Place(reading.kind, Traveller(ID_TRAVELLER), AIR, None, problem=problem))
    return places


def terms(request: etree._Element, kind: Kind) -> AirTerms:
    """The carriers of the request, in document order: each segment's `Carrier` (marketing)
    and `CodeshareInfo/@OperatingCarrier`, a searched segment's `Carrier`, and the
    `Carrier` codes its `PermittedCarriers` and `PreferredCarriers` list; those its
    `ProhibitedCarriers` list are prohibited. Only two-character codes of uAPI elements."""
    carriers: dict[str, None] = {}
    prohibited: set[str] = set()
    for element in request.iter():
        family = family_of(element)
        if family == AIR and local_name(element) in SEGMENTS:
            named = code(element.get("Carrier"))
        elif family == AIR and local_name(element) == "CodeshareInfo":
            named = code(element.get("OperatingCarrier"))
        elif family == COMMON and local_name(element) == "Carrier":
            parent = element.getparent()
            lists = [n for n in CARRIER_LISTS if parent is not None and is_uapi(parent, AIR, n)]
            named = code(element.get("Code")) if lists else None
            if named and not CARRIER_LISTS[lists[0]]:
                prohibited.add(named)
                continue
        else:
            continue
        if named:
            carriers[named] = None
    return AirTerms(tuple(c for c in carriers if c not in prohibited), frozenset(prohibited))


def _no_cards(name: str, family: str = AIR) -> Kind:
    return Kind(name, AIR, {family: None})


KINDS = (
    Kind(RESERVATION, AIR, {UNIVERSAL: None}, _reservation),
    Kind("LowFareSearchReq", AIR, {AIR: None}, _passengers, search=True),
    Kind("LowFareSearchAsynchReq", AIR, {AIR: ASYNCH_UNTIL}, _passengers, search=True),
    Kind("AirPriceReq", AIR, {AIR: None}, _passengers, search=True),
    Kind("AvailabilitySearchReq", AIR, {AIR: None}, _passengers, search=True),
    *(_no_cards(name) for name in NO_CARDS),
    _no_cards("AirMerchandisingFulfillmentReq", UNIVERSAL),
)
PRODUCT = Product(
    AIR,
    KINDS,
    modify=("AirAdd", "AirUpdate"),
    terms=terms,
    accepted=(
        f"{RESERVATION} in universal_vNN_0; LowFareSearchReq, LowFareSearchAsynchReq (to v49), "
        "AirPriceReq, AvailabilitySearchReq in air_vNN_0; and, taking no card, SeatMapReq, "
        "the merchandising requests, AirFareDisplayReq, AirPrePayReq, AirUpsellSearchReq"
    ),
)
