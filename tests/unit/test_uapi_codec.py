"""The Universal API codec for air and vehicle requests, and what it shares with hotel
requests: request kinds by namespace and name (and route), the places and travellers each
kind has, what a request names that the rules read (carriers, vendors, rate codes), the
provider codes it names, and elements read only in their own namespaces (SPEC 12, 15)."""

from __future__ import annotations

import pytest

from loyalty_core.errors import MalformedRequest
from loyalty_core.interfaces.uapi import codec
from loyalty_core.models.cards import AirTerms, CardRequest, HotelTerms, VehicleTerms

NS = "http://www.travelport.com/schema/{}_v{}_0"
EXAMPLES = "examples/{}_request.xml"


def ns(family: str, version: int = 52) -> str:
    return NS.format(family, version)


def document(name: str, family: str, body: str = "", version: int = 52, **attributes: str) -> bytes:
    """A request `name` in `family`_vNN_0, `com:` bound to common_vNN_0, holding `body`."""
    declared = " ".join(f'{k}="{v}"' for k, v in attributes.items())
    return (
        f'<r:{name} xmlns:r="{ns(family, version)}" xmlns:com="{ns("common", version)}" '
        f'xmlns:air="{ns("air", version)}" xmlns:veh="{ns("vehicle", version)}" '
        f'xmlns:univ="{ns("universal", version)}" {declared}>{body}</r:{name}>'
    ).encode()


def read(data: bytes, products: tuple[str, ...] = codec.EVERY_PRODUCT) -> CardRequest:
    return codec.read_request(data, None, products).card_request()


def example(name: str) -> bytes:
    from local.template import ROOT

    return (ROOT / EXAMPLES.format(name)).read_bytes()


# -- kinds ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "family", "product", "takes_cards"),
    [
        ("AirCreateReservationReq", "universal", "air", True),
        ("LowFareSearchReq", "air", "air", True),
        ("AirPriceReq", "air", "air", True),
        ("AvailabilitySearchReq", "air", "air", True),
        ("SeatMapReq", "air", "air", False),
        ("AirMerchandisingOfferAvailabilityReq", "air", "air", False),
        ("AirMerchandisingDetailsReq", "air", "air", False),
        ("AirFareDisplayReq", "air", "air", False),
        ("AirPrePayReq", "air", "air", False),
        ("AirUpsellSearchReq", "air", "air", False),
        ("AirMerchandisingFulfillmentReq", "universal", "air", False),
        ("VehicleCreateReservationReq", "universal", "vehicle", True),
        ("VehicleSearchAvailabilityReq", "vehicle", "vehicle", True),
        ("VehicleUpsellSearchAvailabilityReq", "vehicle", "vehicle", True),
        ("VehicleRulesReq", "vehicle", "vehicle", True),
        ("HotelSearchAvailabilityReq", "hotel", "hotel", True),
    ],
)
def test_air_and_vehicle_kinds_are_known_by_namespace_and_name(
    name: str, family: str, product: str, takes_cards: bool
) -> None:
    for version in (18, 33, 52):
        request = read(document(name, family, version=version))
        assert (request.kind, request.product, request.takes_cards) == (name, product, takes_cards)


def test_low_fare_search_asynch_exists_up_to_v49() -> None:
    assert read(document("LowFareSearchAsynchReq", "air", version=49)).product == "air"
    with pytest.raises(codec.UnsupportedRequest) as refused:
        read(document("LowFareSearchAsynchReq", "air", version=50))
    assert '"LowFareSearchAsynchReq" in air_v50_0' in refused.value.detail


@pytest.mark.parametrize(
    ("name", "family", "received"),
    [
        ("AirCreateReservationReq", "air", '"AirCreateReservationReq" in air_v52_0'),
        ("LowFareSearchReq", "universal", '"LowFareSearchReq" in universal_v52_0'),
        ("VehicleSearchAvailabilityReq", "hotel", "in hotel_v52_0"),
        ("AirTicketingReq", "air", '"AirTicketingReq" in air_v52_0'),
        ("VehicleCancelReq", "universal", '"VehicleCancelReq"'),
    ],
)
def test_anything_else_is_refused_on_the_general_route_naming_it(
    name: str, family: str, received: str
) -> None:
    with pytest.raises(codec.UnsupportedRequest) as refused:
        read(document(name, family))
    assert received in refused.value.detail
    assert "hotel, air and vehicle requests" in refused.value.detail
    assert len(refused.value.detail) < 300  # an answer shows 300 characters of it


@pytest.mark.parametrize(
    ("name", "family", "product"),
    [
        ("AirCreateReservationReq", "universal", "an air"),
        ("SeatMapReq", "air", "an air"),
        ("VehicleCreateReservationReq", "universal", "a vehicle"),
        ("VehicleRulesReq", "vehicle", "a vehicle"),
    ],
)
def test_the_hotel_route_refuses_air_and_vehicle_requests_naming_the_general_route(
    name: str, family: str, product: str
) -> None:
    with pytest.raises(codec.NotAHotelRequest) as refused:
        read(document(name, family), codec.HOTEL_ONLY)
    detail = refused.value.detail
    assert detail.startswith(f'Received "{name}" in {family}_v52_0, {product} request: send it')
    assert "POST /api/loyalty_cards/enrich" in detail[:300]  # within what an answer shows


def test_the_hotel_route_refuses_a_modify_of_air_or_car_segments_naming_the_general_route() -> None:
    body = (
        "<univ:UniversalModifyCmd><univ:AirAdd BookingTravelerRef='b1'/></univ:UniversalModifyCmd>"
    )
    data = document("UniversalRecordModifyReq", "universal", body)
    with pytest.raises(codec.NotAHotelRequest) as refused:
        read(data, codec.HOTEL_ONLY)
    assert refused.value.detail == (
        "UniversalRecordModifyReq holds no HotelAdd or HotelUpdate; its AirAdd is an air "
        "request: send it to POST /api/loyalty_cards/enrich"
    )
    assert read(data).product == "air"


# -- places and travellers ----------------------------------------------------------------------


def test_each_search_passenger_is_a_place_named_by_its_rank() -> None:
    passengers = "<com:SearchPassenger Code='ADT'/>" * 3
    request = read(document("LowFareSearchReq", "air", passengers))
    assert [p.label for p in request.places] == [f"SearchPassenger {n}" for n in (1, 2, 3)]
    assert [p.traveller.passenger for p in request.places] == [1, 2, 3]
    assert request.passengers == 3
    assert all(isinstance(p.terms, AirTerms) for p in request.places)


def test_an_availability_search_without_passengers_has_no_place() -> None:
    [place] = read(document("AvailabilitySearchReq", "air")).places
    assert place.problem == "AvailabilitySearchReq has no SearchPassenger to carry cards"


def test_pricing_echoes_are_never_places() -> None:
    request = read(example("air_reservation"))
    assert [p.label for p in request.places] == ["BookingTraveler 1", "BookingTraveler 2"]
    assert all(p.existing == () for p in request.places)


@pytest.mark.parametrize(
    ("reservation_name", "driver"),
    [
        ("", "BookingTraveler 1"),
        (
            "<com:ReservationName><com:BookingTravelerRef Key='b3'/></com:ReservationName>",
            "BookingTraveler 3",
        ),
        (
            "<com:ReservationName><com:BookingTravelerRef Key='nobody'/></com:ReservationName>",
            "BookingTraveler 1",
        ),
        (
            "<com:ReservationName><com:NameOverride First='A' Last='B'/></com:ReservationName>",
            "BookingTraveler 1",
        ),
    ],
)
def test_a_car_booking_takes_the_drivers_cards_only(reservation_name: str, driver: str) -> None:
    travellers = "".join(
        f"<com:BookingTraveler Key='b{n}'><com:Email EmailID='t{n}@acme.example'/>"
        "</com:BookingTraveler>"
        for n in (1, 2, 3)
    )
    body = travellers + "<veh:Vehicle VendorCode='ZE'/>" + reservation_name
    [place] = read(document("VehicleCreateReservationReq", "universal", body)).places
    assert place.label == driver
    assert place.traveller.booking_traveler and place.traveller.emails == (
        f"t{driver[-1]}@acme.example",
    )


def test_a_vehicle_rules_request_by_locator_has_no_place() -> None:
    body = "<r:VehicleReservationLocatorCode>ABC123</r:VehicleReservationLocatorCode>"
    [place] = read(document("VehicleRulesReq", "vehicle", body)).places
    assert place.problem and "VehicleRulesLookup" in place.problem


def test_a_modify_request_takes_cards_of_every_product_each_by_its_rules() -> None:
    body = "".join(
        f"<univ:UniversalModifyCmd><univ:{name} BookingTravelerRef='b1'/></univ:UniversalModifyCmd>"
        for name in ("HotelAdd", "AirUpdate", "VehicleAdd")
    )
    request = read(document("UniversalRecordModifyReq", "universal", body))
    assert [(p.label, p.product) for p in request.places] == [
        ("HotelAdd 1", "hotel"),
        ("AirUpdate 2", "air"),
        ("VehicleAdd 3", "vehicle"),
    ]
    assert request.product == "hotel"  # the first one's
    assert [type(p.terms) for p in request.places] == [HotelTerms, AirTerms, VehicleTerms]
    only_hotels = read(document("UniversalRecordModifyReq", "universal", body), codec.HOTEL_ONLY)
    assert [p.label for p in only_hotels.places] == ["HotelAdd 1"]


def test_modify_places_past_nine_are_reported_together() -> None:
    body = "<univ:AirAdd BookingTravelerRef='b1'/>" * 12
    request = read(document("UniversalRecordModifyReq", "universal", body))
    assert [p.label for p in request.places][-2:] == ["AirAdd 9", "AirAdd/AirUpdate 10-12"]


# -- what a request names ---------------------------------------------------------------------


def test_carriers_are_the_segments_marketing_and_operating_ones_in_document_order() -> None:
    body = (
        "<air:AirItinerary>"
        "<air:AirSegment Carrier='AA'><air:CodeshareInfo OperatingCarrier='BA'/></air:AirSegment>"
        "<air:AirSegment Carrier='ib'/><air:AirSegment Carrier='AA'/>"
        "</air:AirItinerary><com:SearchPassenger/>"
    )
    [place] = read(document("AirPriceReq", "air", body)).places
    assert place.terms == AirTerms(carriers=("AA", "BA", "IB"))


def test_a_search_names_the_carriers_it_permits_or_prefers_and_prohibits_others() -> None:
    body = (
        "<air:SearchAirLeg><air:AirLegModifiers><air:PreferredCarriers><com:Carrier Code='UA'/>"
        "</air:PreferredCarriers></air:AirLegModifiers></air:SearchAirLeg>"
        "<air:AirSearchModifiers><air:DisfavoredCarriers><com:Carrier Code='NH'/>"
        "</air:DisfavoredCarriers><air:PermittedCarriers><com:Carrier Code='LH'/>"
        "</air:PermittedCarriers><air:ProhibitedCarriers><com:Carrier Code='DL'/>"
        "</air:ProhibitedCarriers></air:AirSearchModifiers><com:SearchPassenger/>"
    )
    [place] = read(document("LowFareSearchReq", "air", body)).places
    assert place.terms == AirTerms(carriers=("UA", "LH"), prohibited=frozenset({"DL"}))


def test_an_open_search_names_no_carrier_and_odd_codes_are_no_carriers() -> None:
    body = (
        "<air:AirSearchModifiers/><air:SearchSpecificAirSegment Carrier='QANTAS'/>"
        "<air:AirSegment Carrier=''/><com:SearchPassenger/>"
    )
    [place] = read(document("LowFareSearchReq", "air", body)).places
    assert place.terms == AirTerms()


def test_vendors_rate_codes_and_prohibited_vendors() -> None:
    body = (
        "<veh:VehicleDateLocation/><veh:VehicleSearchModifiers>"
        "<veh:PermittedVendors><veh:Vendor Code='ZI'/><veh:Vendor Code='ze'/>"
        "</veh:PermittedVendors>"
        "<veh:ProhibitedVendors><veh:Vendor Code='ZD'/></veh:ProhibitedVendors>"
        "<veh:RateModifiers VendorCode='ZE' RateCode='CORP'/>"
        "<veh:RateModifiers DiscountNumber='1'/>"
        "</veh:VehicleSearchModifiers>"
    )
    [place] = read(document("VehicleSearchAvailabilityReq", "vehicle", body)).places
    assert place.terms == VehicleTerms(
        vendors=("ZI", "ZE"),
        rate_code_vendors=("ZE",),
        rate_code=True,
        prohibited=frozenset({"ZD"}),
        search=True,
    )


def test_a_booking_names_its_vehicles_vendor_and_is_no_search() -> None:
    body = "<com:BookingTraveler/><veh:Vehicle VendorCode='ZE'/>"
    [place] = read(document("VehicleCreateReservationReq", "universal", body)).places
    assert place.terms == VehicleTerms(vendors=("ZE",))


def test_air_requests_name_their_provider_by_segment_and_preferred_providers() -> None:
    request = read(example("air_low_fare_search"))
    assert [(p.where, p.codes) for p in request.providers] == [("PreferredProviders", ("1G",))]
    request = read(example("air_reservation"))
    assert [(p.where, p.codes) for p in request.providers] == [
        ("ProviderCode", ("1G",)),
        ("AirSegment", ("1G",)),
    ]


# -- uAPI elements only in their own namespaces (SPEC 15) ---------------------------------------

WRONG_COMMON = "http://www.travelport.com/schema/common_v52_x"


def test_a_provider_in_a_foreign_namespace_is_no_provider() -> None:
    body = (
        f'<r:HotelSearchModifiers><x:PermittedProviders xmlns:x="{WRONG_COMMON}">'
        '<x:Provider Code="1G"/></x:PermittedProviders></r:HotelSearchModifiers>'
        f'<x:PointOfSale xmlns:x="urn:evil" ProviderCode="1V"/>'
    )
    request = read(document("HotelSearchAvailabilityReq", "hotel", body))
    assert request.providers == ()


@pytest.mark.parametrize(
    "namespace", [WRONG_COMMON, "urn:evil", "", "http://www.travelport.com/schema/common_v52_1"]
)
def test_travellers_and_cards_in_a_foreign_namespace_are_not_the_uapi_ones(namespace: str) -> None:
    declared = f' xmlns="{namespace}"' if namespace else ' xmlns=""'
    body = (
        f"<BookingTraveler{declared}><Email EmailID='john.smith@acme.example'/></BookingTraveler>"
        "<com:BookingTraveler><com:Email EmailID='jane.doe@acme.example'/>"
        f"<LoyaltyCard{declared} SupplierCode='QF' CardNumber='1'/></com:BookingTraveler>"
    )
    [place] = read(document("AirCreateReservationReq", "universal", body)).places
    assert place.traveller.emails == ("jane.doe@acme.example",)
    assert place.existing == ()


def test_a_modify_element_in_a_foreign_namespace_is_no_place() -> None:
    body = f'<x:AirAdd xmlns:x="{WRONG_COMMON}" BookingTravelerRef="b1"/>'
    with pytest.raises(codec.UnsupportedRequest, match="holds no HotelAdd"):
        read(document("UniversalRecordModifyReq", "universal", body))


def test_carriers_and_vendors_in_a_foreign_namespace_are_not_named() -> None:
    body = (
        f'<x:AirSegment xmlns:x="{NS.format("air", "52_x")}" Carrier="QF"/>'
        f'<air:PermittedCarriers><x:Carrier xmlns:x="urn:evil" Code="BA"/></air:PermittedCarriers>'
        "<com:SearchPassenger/>"
    )
    [place] = read(document("LowFareSearchReq", "air", body)).places
    assert place.terms == AirTerms()
    body = '<x:Vehicle xmlns:x="urn:evil" VendorCode="ZE"/><com:BookingTraveler/>'
    [place] = read(document("VehicleCreateReservationReq", "universal", body)).places
    assert place.terms == VehicleTerms()


def test_cards_are_written_in_the_documents_own_common_namespace_never_a_foreign_one() -> None:
    data = (
        f'<air:LowFareSearchReq xmlns:air="{ns("air", 40)}" xmlns:com="{WRONG_COMMON}">'
        f'<c:SearchPassenger xmlns:c="{ns("common", 40)}"/></air:LowFareSearchReq>'
    ).encode()
    assert codec.read_request(data).common_namespace == ns("common", 40)
    bare = f'<air:LowFareSearchReq xmlns:air="{ns("air", 33)}"/>'.encode()
    assert codec.read_request(bare).common_namespace == ns("common", 33)


def test_a_request_in_a_foreign_namespace_is_no_request() -> None:
    data = b'<LowFareSearchReq xmlns="http://www.travelport.com/schema/air_v52_x"/>'
    with pytest.raises(codec.UnsupportedRequest, match="in another namespace"):
        read(data)


def test_a_soap_body_in_another_namespace_is_no_body() -> None:
    soap = "http://schemas.xmlsoap.org/soap/envelope/"
    inner = document("LowFareSearchReq", "air").decode()
    for body, found in [(f"<s:Body>{inner}</s:Body>", True), (f"<x:Body>{inner}</x:Body>", False)]:
        data = f'<s:Envelope xmlns:s="{soap}" xmlns:x="urn:evil">{body}</s:Envelope>'.encode()
        if found:
            assert read(data).kind == "LowFareSearchReq"
        else:
            with pytest.raises(MalformedRequest, match="SOAP Body"):
                read(data)
