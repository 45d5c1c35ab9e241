"""The hotel request rules that come before any card: which kind of request it is (by
namespace and name), which GDS it goes to, and whose cards each place takes (matched by
email, by employee_id, not found, or past the traveller limit)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, date, datetime

import pytest

from loyalty_core.errors import InvalidInput, MalformedRequest
from loyalty_core.interfaces.uapi import codec as uapi
from loyalty_core.models import Membership, Principal, Provider, Role, User, VendorType
from loyalty_core.models.cards import (
    Card,
    CardPlace,
    CardRequest,
    Enrichment,
    NamedProviders,
    Traveller,
)
from loyalty_core.repository import Login
from loyalty_core.services.enrichment import (
    EMAILS_PER_TRAVELLER,
    TRAVELLER_LIMIT,
    choose_provider,
    enrich,
)
from tests.memory_repository import InMemoryRepository

HOTEL = "http://www.travelport.com/schema/hotel_v{}_0"
UNIVERSAL = "http://www.travelport.com/schema/universal_v{}_0"
COMMON = "http://www.travelport.com/schema/common_v{}_0"
TODAY = date(2026, 12, 2)
QANTAS = Provider(id="qf", name="Qantas", vendor_type=VendorType.AIR, vendor_code="QF")
ADMIN = Principal(company="acme", employee_id="boss", role=Role.ADMIN)


def read_hotel(document: bytes, booking_traveler_ref: str | None = None) -> uapi.UapiRequest:
    """A request as the hotel route reads it."""
    return uapi.read_request(document, booking_traveler_ref, uapi.HOTEL_ONLY)


# -- the request kind: namespace and name ---------------------------------------------------


def request(name: str, namespace: str | None, body: str = "") -> bytes:
    declared = f' xmlns="{namespace}"' if namespace else ""
    return f'<{name}{declared} xmlns:com="{COMMON.format(52)}">{body}</{name}>'.encode()


@pytest.mark.parametrize(
    ("name", "namespace"),
    [
        ("HotelSearchAvailabilityReq", HOTEL.format(52)),
        ("HotelSuperShopperReq", HOTEL.format(17)),
        ("HotelDetailsReq", HOTEL.format(40)),
        ("HotelRulesReq", HOTEL.format(8)),
        ("HotelCreateReservationReq", UNIVERSAL.format(52)),
        ("HotelCreateReservationReq", UNIVERSAL.format(17)),
        ("HotelCreateReservationReq", HOTEL.format(25)),  # early versions only
        ("HotelCreateReservationReq", HOTEL.format(8)),
    ],
)
def test_hotel_requests_are_known_by_namespace_and_name(name: str, namespace: str) -> None:
    body = '<com:BookingTraveler><com:Email EmailID="a@b.example"/></com:BookingTraveler>'
    assert read_hotel(request(name, namespace, body)).kind == name


def test_cards_take_the_common_namespace_of_the_requests_version_if_none_is_declared() -> None:
    document = b'<HotelSearchAvailabilityReq xmlns="http://www.travelport.com/schema/hotel_v30_0"/>'
    assert read_hotel(document).common_namespace == COMMON.format(30)


def test_a_modify_request_is_known_in_the_universal_namespace() -> None:
    body = "<UniversalModifyCmd><HotelAdd BookingTravelerRef='b1'/></UniversalModifyCmd>"
    assert read_hotel(request("UniversalRecordModifyReq", UNIVERSAL.format(42), body)).kind


@pytest.mark.parametrize(
    ("name", "namespace", "received"),
    [
        (
            "HotelCreateReservationReq",
            HOTEL.format(26),
            '"HotelCreateReservationReq" in hotel_v26_0',
        ),
        (
            "HotelCreateReservationReq",
            HOTEL.format(52),
            '"HotelCreateReservationReq" in hotel_v52_0',
        ),
        ("HotelSearchAvailabilityReq", UNIVERSAL.format(52), "in universal_v52_0"),
        ("UniversalRecordModifyReq", HOTEL.format(52), '"UniversalRecordModifyReq" in hotel_v52_0'),
        ("HotelSearchAvailabilityReq", None, '"HotelSearchAvailabilityReq" in no namespace'),
        ("HotelSearchAvailabilityReq", "urn:example:hotel", "in another namespace"),
        (  # Universal API namespaces end _0: no such version as 52_1
            "HotelSearchAvailabilityReq",
            "http://www.travelport.com/schema/hotel_v52_1",
            "in another namespace",
        ),
        ("LowFareSearchReq", "http://www.travelport.com/schema/air_v52_0", "in air_v52_0"),
        ("HotelRetrieveReq", HOTEL.format(52), '"HotelRetrieveReq" in hotel_v52_0'),
        ("X" * 5000, HOTEL.format(52), "XXX…"),
    ],
)
def test_anything_else_is_refused_naming_what_came_and_what_is_accepted(
    name: str, namespace: str | None, received: str
) -> None:
    with pytest.raises(uapi.NotAHotelRequest) as refused:
        read_hotel(request(name, namespace))
    detail = refused.value.detail
    assert received in detail
    accepted = "HotelSearchAvailabilityReq, HotelSuperShopperReq, HotelDetailsReq, HotelRulesReq"
    assert f"{accepted} in hotel_vNN_0" in detail
    assert "UniversalRecordModifyReq in universal_vNN_0" in detail
    assert len(detail) < 400  # never the caller's text at length
    assert "urn:example" not in detail


# -- the provider ------------------------------------------------------------------------------


def named(*sources: tuple[str, tuple[str, ...]]) -> tuple[NamedProviders, ...]:
    return tuple(NamedProviders(where, codes) for where, codes in sources)


@pytest.mark.parametrize(
    ("sources", "asked", "chosen"),
    [
        ((), "1G", "1G"),
        ((), "1p", "1P"),
        ((("ProviderCode", ("1V",)),), None, "1V"),
        ((("PointOfSale", ("1P",)),), None, "1P"),
        ((("PermittedProviders", ("1G",)),), None, "1G"),
        ((("RecordIdentifier", ("1g",)),), None, "1G"),
        # an aggregator is ignored, in the document and beside ?provider=
        ((("PermittedProviders", ("TRM",)),), "1G", "1G"),
        ((("ProviderCode", ("TRM",)), ("PointOfSale", ("1V",))), None, "1V"),
        ((("PermittedProviders", ("1G", "TRM")),), None, "1G"),
        ((("PermittedProviders", ("TRM",)), ("PermittedProviders", ("1P",))), "1P", "1P"),
        # the same GDS named twice agrees with itself
        ((("ProviderCode", ("1G",)), ("PermittedProviders", ("1G",))), None, "1G"),
        ((("ProviderCode", ("1G",)), ("PointOfSale", ("1G",))), "1G", "1G"),
        ((("PermittedProviders", ("1V",)), ("PermittedProviders", ("1V",))), None, "1V"),
        # a list of two GDSs names no single one
        ((("PermittedProviders", ("1G", "1V")),), "1V", "1V"),
    ],
)
def test_the_provider_rule(
    sources: tuple[tuple[str, tuple[str, ...]], ...], asked: str | None, chosen: str
) -> None:
    assert choose_provider(named(*sources), asked) == chosen


@pytest.mark.parametrize(
    ("sources", "asked", "says"),
    [
        ((), None, "names no single GDS"),
        ((("PermittedProviders", ("TRM",)),), None, "it names PermittedProviders TRM"),
        ((("PermittedProviders", ("1G", "1V")),), None, "it names PermittedProviders 1G, 1V"),
        (
            (("ProviderCode", ("1G",)), ("PointOfSale", ("1V",))),
            None,
            "disagree: 1G (ProviderCode) and 1V (PointOfSale)",
        ),
        ((("PointOfSale", ("1V",)),), "1G", "provider=1G disagrees with the document, which names"),
        (
            (("ProviderCode", ("1G",)), ("PermittedProviders", ("1P",))),
            "1G",
            "1G (ProviderCode) and 1P (PermittedProviders)",
        ),
        ((), "TRM", "provider must be one of 1G, 1V, 1P"),
        ((), "2X", "provider must be one of 1G, 1V, 1P"),
    ],
)
def test_no_gds_two_that_disagree_or_a_disagreeing_query_is_a_400_naming_them(
    sources: tuple[tuple[str, tuple[str, ...]], ...], asked: str | None, says: str
) -> None:
    with pytest.raises(MalformedRequest) as refused:
        choose_provider(named(*sources), asked)
    assert says in refused.value.detail


def test_the_400_never_quotes_long_caller_text() -> None:
    long = "<script>" + "A" * 5000
    sources = named(*[("PermittedProviders", (long,) * 50)] * 50)
    with pytest.raises(MalformedRequest) as refused:
        choose_provider(sources, None)
    detail = refused.value.detail
    assert "AAAAAA" not in detail and "<script>" not in detail
    assert len(detail) < 600


def test_the_codec_reports_every_code_the_document_names_and_where() -> None:
    body = (
        '<ProviderLocation ProviderCode="TRM"/>'  # not where a provider is chosen
        '<HotelSearchModifiers><com:PermittedProviders><com:Provider Code="TRM"/>'
        '<com:Provider Code="1G"/></com:PermittedProviders></HotelSearchModifiers>'
        '<com:PointOfSale ProviderCode="1G" PseudoCityCode="ZZ9"/>'
    )
    document = request("HotelSearchAvailabilityReq", HOTEL.format(34), body)
    document = document.replace(
        b"<HotelSearchAvailabilityReq", b'<HotelSearchAvailabilityReq ProviderCode="1V"'
    )
    assert read_hotel(document).card_request().providers == named(
        ("ProviderCode", ("1V",)), ("PointOfSale", ("1G",)), ("PermittedProviders", ("TRM", "1G"))
    )


# -- whose cards: matching travellers, and the traveller limit ----------------------------------


class CountingRepository(InMemoryRepository):
    """The in-memory store, remembering which emails were looked up and whose memberships."""

    def __init__(self) -> None:
        super().__init__()
        self.emails_looked_up: list[list[str]] = []
        self.memberships_read: list[str] = []

    def get_logins(self, emails: Sequence[str]) -> dict[str, Login]:
        self.emails_looked_up.append(list(emails))
        return super().get_logins(emails)

    def get_user_memberships(self, company: str, employee_id: str):  # type: ignore[no-untyped-def]
        self.memberships_read.append(employee_id)
        return super().get_user_memberships(company, employee_id)


def user(n: int) -> User:
    return User(company="acme", employee_id=f"9{n:05d}", name=f"T {n}", email=f"t{n}@acme.example")


@pytest.fixture
def repo() -> CountingRepository:
    repo = CountingRepository()
    repo.add_provider(QANTAS)
    now = datetime(2026, 1, 1, tzinfo=UTC)
    for n in range(1, 13):
        repo.seed_user(user(n))
        held = Membership(
            id=f"m{n}",
            company="acme",
            employee_id=user(n).employee_id,
            provider_id="qf",
            account_number=f"QF{n:04d}",
            created_at=now,
            updated_at=now,
        )
        repo.memberships[("acme", user(n).employee_id)][held.id] = held
    return repo


def reservation(*travellers: Sequence[str]) -> bytes:
    """A v52 reservation with one BookingTraveler per entry, holding those emails."""
    body = "".join(
        "<com:BookingTraveler><com:BookingTravelerName First='A' Last='B'/>"
        + "".join(f"<com:Email EmailID='{e}'/>" for e in emails)
        + "</com:BookingTraveler>"
        for emails in travellers
    )
    return request("HotelCreateReservationReq", UNIVERSAL.format(52), body)


def run(repo: CountingRepository, document: bytes, employee_id: str | None = None):  # type: ignore[no-untyped-def]
    card_request = read_hotel(document).card_request()
    return enrich(repo, ADMIN, card_request, TODAY, "1G", employee_id)


def counts(result: Enrichment, travellers: int) -> list[int]:
    """How many cards each BookingTraveler gets, in document order."""
    placed = result.placed()
    return [len(placed.get(f"BookingTraveler {n}", [])) for n in range(1, travellers + 1)]


def test_the_first_nine_booking_travelers_are_looked_up_matched_or_not(
    repo: CountingRepository,
) -> None:
    emails = [[f"t{n}@acme.example"] for n in range(1, 13)]
    emails[1] = ["nobody@acme.example"]  # the second one matches no user
    result = run(repo, reservation(*emails))
    assert counts(result, 12) == [1, 0, 1, 1, 1, 1, 1, 1, 1, 0, 0, 0]
    assert repo.emails_looked_up == [[e for (e,) in emails[:TRAVELLER_LIMIT]]]
    assert len(repo.memberships_read) == TRAVELLER_LIMIT - 1
    reasons = [(left.place, left.reason) for left in result.left_out]
    assert [r for _, r in reasons].count("traveller_limit") == 3
    assert reasons[0][1] == "traveller_not_found"
    limited = [place for place, reason in reasons if reason == "traveller_limit"]
    assert [p.split()[1] for p in limited] == ["10", "11", "12"]


def test_nine_travellers_or_fewer_are_all_looked_up(repo: CountingRepository) -> None:
    result = run(repo, reservation(*[[f"t{n}@acme.example"] for n in range(1, 10)]))
    assert counts(result, 9) == [1] * 9
    assert "traveller_limit" not in {left.reason for left in result.left_out}


def test_a_traveller_is_looked_up_by_their_first_emails_only(repo: CountingRepository) -> None:
    many = [f"x{i}@elsewhere.example" for i in range(200)]
    result = run(repo, reservation([*many, "t3@acme.example"], ["t4@acme.example"]))
    (looked_up,) = repo.emails_looked_up
    assert looked_up == [*many[:EMAILS_PER_TRAVELLER], "t4@acme.example"]
    assert len(looked_up) <= 100  # one BatchGetItem for nine such travellers
    assert counts(result, 2) == [0, 1]


def test_a_booking_traveler_without_email_beside_others_is_not_found(
    repo: CountingRepository,
) -> None:
    result = run(repo, reservation(["t1@acme.example"], []), employee_id="900002")
    assert counts(result, 2) == [1, 0]
    (left,) = result.left_out
    assert left.reason == "traveller_not_found"
    assert "no Email" in left.detail
    assert repo.memberships_read == ["900001"]  # employee_id names nobody here


def test_the_only_booking_traveler_without_email_is_the_employee_id_traveller(
    repo: CountingRepository,
) -> None:
    result = run(repo, reservation([]), employee_id="900005")
    placed = result.placed()
    assert {place: [c.card_number for c in cards] for place, cards in placed.items()} == {
        "BookingTraveler 1": ["QF0005"]
    }
    with pytest.raises(InvalidInput):
        run(repo, reservation([]))


def test_an_email_of_no_user_is_not_found(repo: CountingRepository) -> None:
    result = run(repo, reservation(["nobody@acme.example"]))
    assert [left.reason for left in result.left_out] == ["traveller_not_found"]
    assert repo.memberships_read == []


def test_a_reservation_without_booking_traveler_has_no_place(repo: CountingRepository) -> None:
    result = run(repo, reservation(), employee_id="900001")
    assert [left.reason for left in result.left_out] == ["no_place"]
    assert repo.emails_looked_up == [] and repo.memberships_read == []


# -- writing: each card into the place it names -------------------------------------------------


def card(number: str) -> Card:
    return Card(f"key-{number}", "QF", number, "Air", f"m-{number}", "airline_code")


def modify(*refs: str) -> bytes:
    adds = "".join(f"<HotelAdd BookingTravelerRef='{ref}'/>" for ref in refs)
    body = f"<UniversalModifyCmd>{adds}</UniversalModifyCmd>"
    return request("UniversalRecordModifyReq", UNIVERSAL.format(52), body)


def numbers_in(document: uapi.UapiRequest) -> dict[str, list[str]]:
    """The CardNumbers under each HotelAdd, by its BookingTravelerRef."""
    return {
        element.get("BookingTravelerRef", ""): [c.get("CardNumber", "") for c in element]
        for element in document.request.iter("{*}HotelAdd")
    }


def test_cards_go_to_the_place_they_name_whatever_the_order_given() -> None:
    document = read_hotel(modify("b1", "b2", "b3"))
    document.write({"HotelAdd 3": [card("C3")], "HotelAdd 1": [card("C1a"), card("C1b")]})
    assert numbers_in(document) == {"b1": ["C1a", "C1b"], "b2": [], "b3": ["C3"]}


def test_the_enrichment_names_the_place_of_each_card(repo: CountingRepository) -> None:
    result = run(repo, reservation(["nobody@acme.example"], ["t2@acme.example"]))
    assert [(a.place, a.card.card_number) for a in result.added] == [
        ("BookingTraveler 2", "QF0002")
    ]
    assert {p: [c.card_number for c in cs] for p, cs in result.placed().items()} == {
        "BookingTraveler 2": ["QF0002"]
    }


def test_a_card_for_a_place_the_document_lacks_is_never_written_elsewhere() -> None:
    document = read_hotel(modify("b1"))
    with pytest.raises(KeyError):
        document.write({"HotelAdd 2": [card("C2")]})
    assert numbers_in(document) == {"b1": []}


def test_two_places_of_one_request_never_share_a_label() -> None:
    place = CardPlace("BookingTraveler 1", Traveller("BookingTraveler 1"))
    with pytest.raises(ValueError, match="share a label"):
        CardRequest("HotelCreateReservationReq", (), (place, place))
