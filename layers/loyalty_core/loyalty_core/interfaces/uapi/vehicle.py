"""Universal API vehicle (car) requests (SPEC 12): their kinds, where their cards go, and
the vendors they book or name.

| request | place |
| --- | --- |
| VehicleCreateReservationReq (universal_vNN_0) | the driver's BookingTraveler: the one `ReservationName/BookingTravelerRef` names, else the first |
| UniversalRecordModifyReq | VehicleAdd / VehicleUpdate (a choice: LoyaltyCards only) |
| VehicleSearchAvailabilityReq, VehicleUpsellSearchAvailabilityReq | VehicleSearchModifiers (created if absent), after PermittedVendors, ProhibitedVendors, VehicleModifier, VehicleType, RateModifiers, RateHostIndicator |
| VehicleRulesReq | VehicleRulesLookup/VehicleSearchModifiers |
"""  # noqa: E501

from __future__ import annotations

from typing import TYPE_CHECKING

from lxml import etree

from loyalty_core.interfaces.uapi.document import (
    COMMON,
    UNIVERSAL,
    Kind,
    Product,
    booking_traveler_place,
    booking_traveler_places,
    children,
    code,
    family_of,
    is_uapi,
    modifier_place,
)
from loyalty_core.interfaces.xml import local_name
from loyalty_core.models.cards import VehicleTerms

if TYPE_CHECKING:
    from loyalty_core.interfaces.uapi.document import (
        Place,
        Reading,
    )

VEHICLE = "vehicle"
RESERVATION = "VehicleCreateReservationReq"
MODIFIERS = "VehicleSearchModifiers"
MODIFIERS_BEFORE = frozenset(
    (VEHICLE, name)
    for name in (
        "PermittedVendors",
        "ProhibitedVendors",
        "VehicleModifier",
        "VehicleType",
        "RateModifiers",
        "RateHostIndicator",
    )
)
VENDOR_CODE = 5  # typeSupplierCode: 1-5 characters


def _driver(reading: Reading) -> list[Place]:
    """The driver's BookingTraveler: the one the reservation's `ReservationName` names by
    its Key, else the first (the reservation name's own rule)."""
    request = reading.request
    travellers = children(request, COMMON, "BookingTraveler")
    if not travellers:
        return booking_traveler_places(request, RESERVATION, VEHICLE)
    named = {
        ref.get("Key")
        for name in children(request, COMMON, "ReservationName")
        for ref in children(name, COMMON, "BookingTravelerRef")
    }
    keys = [bt.get("Key") for bt in travellers]
    n = next((i for i, key in enumerate(keys) if key and key in named), 0)
    return [booking_traveler_place(n + 1, travellers[n], VEHICLE)]


def _search(reading: Reading) -> list[Place]:
    return [
        modifier_place(
            reading.request,
            VEHICLE,
            VEHICLE,
            MODIFIERS,
            MODIFIERS_BEFORE,
            create_before={(COMMON, "PointOfSale")},
        )
    ]


def _rules(reading: Reading) -> list[Place]:
    lookup = children(reading.request, VEHICLE, "VehicleRulesLookup")
    if lookup:
        return [modifier_place(lookup[0], VEHICLE, VEHICLE, MODIFIERS, MODIFIERS_BEFORE, set())]
    return [
        modifier_place(
            reading.request,
            VEHICLE,
            VEHICLE,
            MODIFIERS,
            MODIFIERS_BEFORE,
            create_before=None,
            missing=(
                "VehicleRulesReq has no VehicleRulesLookup (a rules request by "
                "VehicleReservationLocatorCode has no place for cards)"
            ),
        )
    ]


def _vendor(element: etree._Element, attribute: str) -> str | None:
    return code(element.get(attribute), VENDOR_CODE)


def terms(request: etree._Element, kind: Kind) -> VehicleTerms:
    """The vendors the request books (`Vehicle/@VendorCode`) or names (`PermittedVendors`,
    `RateModifiers/@VendorCode`), in document order; those its RateModifiers give a
    RateCode for; those `ProhibitedVendors` lists. Only uAPI elements are read."""
    vendors: dict[str, None] = {}
    rated: dict[str, None] = {}
    prohibited: set[str] = set()
    rate_code = False
    for element in request.iter():
        if family_of(element) != VEHICLE:
            continue
        name = local_name(element)
        parent = element.getparent()
        if name == "Vehicle" and (vendor := _vendor(element, "VendorCode")):
            vendors[vendor] = None
        elif name == "Vendor" and parent is not None and (vendor := _vendor(element, "Code")):
            if is_uapi(parent, VEHICLE, "PermittedVendors"):
                vendors[vendor] = None
            elif is_uapi(parent, VEHICLE, "ProhibitedVendors"):
                prohibited.add(vendor)
        elif name == "RateModifiers":
            vendor = _vendor(element, "VendorCode")
            if vendor:
                vendors[vendor] = None
            if element.get("RateCode"):
                rate_code = True
                if vendor:
                    rated[vendor] = None
    return VehicleTerms(
        vendors=tuple(vendors),
        rate_code_vendors=tuple(rated),
        rate_code=rate_code,
        prohibited=frozenset(prohibited),
        search=kind.search,
    )


KINDS = (
    Kind(RESERVATION, VEHICLE, {UNIVERSAL: None}, _driver),
    Kind("VehicleSearchAvailabilityReq", VEHICLE, {VEHICLE: None}, _search, search=True),
    Kind("VehicleUpsellSearchAvailabilityReq", VEHICLE, {VEHICLE: None}, _search, search=True),
    Kind("VehicleRulesReq", VEHICLE, {VEHICLE: None}, _rules, search=True),
)
PRODUCT = Product(
    VEHICLE,
    KINDS,
    modify=("VehicleAdd", "VehicleUpdate"),
    terms=terms,
    accepted=(
        f"{RESERVATION} in universal_vNN_0; VehicleSearchAvailabilityReq, "
        "VehicleUpsellSearchAvailabilityReq, VehicleRulesReq in vehicle_vNN_0"
    ),
)
