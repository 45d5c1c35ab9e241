"""Universal API hotel requests (SPEC 6): their kinds, where their cards go, and the chains
they name or prohibit.

| request | place |
| --- | --- |
| HotelSearchAvailabilityReq, HotelSuperShopperReq | HotelSearchModifiers (created if absent), after PermittedChains, ProhibitedChains, PermittedProviders (and PermittedAggregators, in the versions that have it) |
| HotelDetailsReq | HotelDetailsModifiers, after PermittedProviders |
| HotelCreateReservationReq | each BookingTraveler, after its Email elements |
| UniversalRecordModifyReq | HotelAdd / HotelUpdate (a choice: LoyaltyCards only) |
| HotelRulesReq | none |
"""  # noqa: E501

from __future__ import annotations

from typing import TYPE_CHECKING

from lxml import etree

from loyalty_core.interfaces.uapi.document import (
    COMMON,
    Kind,
    Product,
    booking_traveler_places,
    family_of,
    is_uapi,
    modifier_place,
)
from loyalty_core.models.cards import HotelTerms

if TYPE_CHECKING:
    from loyalty_core.interfaces.uapi.document import (
        Place,
        Reading,
    )

HOTEL = "hotel"
RESERVATION = "HotelCreateReservationReq"
RESERVATION_IN_HOTEL_BELOW = 26  # early versions declared HotelCreateReservationReq in hotel_vNN_0
SEARCH_BEFORE = frozenset(
    {
        (HOTEL, "PermittedChains"),
        (HOTEL, "ProhibitedChains"),
        (COMMON, "PermittedProviders"),
        (HOTEL, "PermittedAggregators"),  # in the versions that have it (not v52)
    }
)
DETAILS_MISSING = (
    "HotelDetailsReq has no HotelDetailsModifiers, which the schema requires to hold a "
    "HotelStay; send one to receive loyalty cards"
)


def _search(reading: Reading) -> list[Place]:
    return [
        modifier_place(
            reading.request,
            HOTEL,
            HOTEL,
            "HotelSearchModifiers",
            SEARCH_BEFORE,
            create_before={(HOTEL, "HotelStay")},
        )
    ]


def _details(reading: Reading) -> list[Place]:
    return [
        modifier_place(
            reading.request,
            HOTEL,
            HOTEL,
            "HotelDetailsModifiers",
            {(COMMON, "PermittedProviders")},
            create_before=None,
            missing=DETAILS_MISSING,
        )
    ]


def _reservation(reading: Reading) -> list[Place]:
    return booking_traveler_places(reading.request, RESERVATION, HOTEL)


def terms(request: etree._Element, kind: Kind) -> HotelTerms:
    """The chains the request names and those it prohibits: `HotelChain` attributes (on
    properties, reservations) and `PermittedChains/HotelChain/@Code` name chains;
    `ProhibitedChains/HotelChain/@Code` prohibits them. Only uAPI elements are read."""
    named: set[str] = set()
    prohibited: set[str] = set()
    for element in request.iter():
        if not family_of(element):
            continue
        if element.get("HotelChain"):
            named.add(element.get("HotelChain", ""))
        parent = element.getparent()
        if is_uapi(element, HOTEL, "HotelChain") and parent is not None:
            if is_uapi(parent, HOTEL, "PermittedChains"):
                named.add(element.get("Code", ""))
            elif is_uapi(parent, HOTEL, "ProhibitedChains"):
                prohibited.add(element.get("Code", ""))
    return HotelTerms(
        frozenset(c.upper() for c in named if c),
        frozenset(c.upper() for c in prohibited if c),
    )


KINDS = (
    Kind("HotelSearchAvailabilityReq", HOTEL, {HOTEL: None}, _search, search=True),
    Kind("HotelSuperShopperReq", HOTEL, {HOTEL: None}, _search, search=True),
    Kind("HotelDetailsReq", HOTEL, {HOTEL: None}, _details, search=True),
    Kind("HotelRulesReq", HOTEL, {HOTEL: None}),
    Kind(RESERVATION, HOTEL, {"universal": None, HOTEL: RESERVATION_IN_HOTEL_BELOW}, _reservation),
)
PRODUCT = Product(
    HOTEL,
    KINDS,
    modify=("HotelAdd", "HotelUpdate"),
    terms=terms,
    accepted=(
        "HotelSearchAvailabilityReq, HotelSuperShopperReq, HotelDetailsReq, HotelRulesReq in "
        f"hotel_vNN_0; {RESERVATION} and UniversalRecordModifyReq in universal_vNN_0 "
        f"({RESERVATION} also in hotel_vNN_0 below v{RESERVATION_IN_HOTEL_BELOW})"
    ),
)
