"""The enrichment use case (services.enrichment) on requests built by hand: which GDS a
request goes to and each refusal's words, the employee ids a caller names, whose each
place is, and the report: every card added with its place and traveller, every
membership left out with its reason, detail, traveller and membership."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from loyalty_core.errors import InvalidInput, MalformedRequest, Problem
from loyalty_core.models import Membership, Principal, Provider, Role, User, VendorType
from loyalty_core.models.cards import (
    AirTerms,
    CardPlace,
    CardRequest,
    Enrichment,
    NamedProviders,
    NotAdded,
    Traveller,
)
from loyalty_core.services.enrichment import choose_provider, employee_ids, enrich
from tests.memory_repository import InMemoryRepository

TODAY = date(2026, 12, 7)
STASH = Provider(id="stash", name="Stash Hotel Rewards", vendor_type=VendorType.HOTEL)
QANTAS = Provider(id="qf", name="Qantas", vendor_type=VendorType.AIR, vendor_code="QF")
ADMIN = Principal(company="acme", employee_id="boss", role=Role.ADMIN)
JOHN = Principal(company="acme", employee_id="u1", role=Role.TRAVELLER)
GDS = (NamedProviders("ProviderCode", ("1G",)),)


def user(n: int) -> User:
    return User(company="acme", employee_id=f"u{n}", name=f"T {n}", email=f"t{n}@acme.example")


def held(n: int, provider: Provider, number: str, expires: str | None = None) -> Membership:
    at = datetime(2026, 1, 1, tzinfo=UTC)
    return Membership(
        id=f"{provider.id}-{n}",
        company="acme",
        employee_id=f"u{n}",
        provider_id=provider.id,
        account_number=number,
        expires_on=expires,
        created_at=at,
        updated_at=at,
    )


@pytest.fixture
def repo() -> InMemoryRepository:
    """u1 holds Stash (S1) and Qantas (Q1, expired); u2 holds Stash (S2)."""
    repo = InMemoryRepository()
    repo.add_provider(STASH)
    repo.add_provider(QANTAS)
    for n in (1, 2, 3):
        repo.seed_user(user(n))
    for m in (held(1, STASH, "S1"), held(1, QANTAS, "Q1", "2026-12-06"), held(2, STASH, "S2")):
        repo.memberships[("acme", m.employee_id)][m.id] = m
    return repo


def booking(label: str, *emails: str, problem: str | None = None) -> CardPlace:
    traveller = Traveller(label, emails=emails, booking_traveler=True)
    return CardPlace(label, traveller, problem=problem)


def passenger(rank: int) -> CardPlace:
    return CardPlace(
        f"SearchPassenger {rank}", Traveller(f"SearchPassenger {rank}", passenger=rank)
    )


def request(
    *places: CardPlace, kind: str = "HotelCreateReservationReq", **kw: object
) -> CardRequest:
    return CardRequest(kind, GDS, places, **kw)  # type: ignore[arg-type]


def run(
    repo: InMemoryRepository,
    req: CardRequest,
    employee_id: str | None = None,
    principal: Principal = ADMIN,
    provider: str | None = None,
) -> Enrichment:
    return enrich(repo, principal, req, TODAY, provider, employee_id)


def reasons(result: Enrichment) -> list[tuple[str, ...]]:
    return [
        (n.place, n.reason, n.employee_id or "", n.membership_id or "", n.traveller or "")
        for n in result.left_out
    ]


# -- the report -----------------------------------------------------------------------------


def test_the_report_names_the_gds_kind_and_product_each_card_and_each_left_out(
    repo: InMemoryRepository,
) -> None:
    result = run(repo, request(booking("BookingTraveler 1", "t1@acme.example"), product="hotel"))
    assert (result.provider, result.kind, result.product) == (
        "1G",
        "HotelCreateReservationReq",
        "hotel",
    )
    [added] = result.added
    assert (added.place, added.employee_id, added.card.card_number) == (
        "BookingTraveler 1",
        "u1",
        "S1",
    )
    assert (added.card.supplier_code, added.card.rule) == ("$$", "generic_code")  # 1G's
    [expired] = result.left_out
    assert expired == NotAdded(
        "BookingTraveler 1", "expired", "the membership expired on 2026-12-06", "u1", "qf-1"
    )


def test_the_rules_run_with_the_chosen_gds(repo: InMemoryRepository) -> None:
    req = CardRequest("HotelCreateReservationReq", (NamedProviders("ProviderCode", ("1P",)),),
                      (booking("BookingTraveler 1", "t1@acme.example"),))  # fmt: skip
    [added] = run(repo, req).added
    assert added.card.supplier_code == "XX"  # 1P's generic code


def test_a_place_that_takes_no_card_is_reported_and_the_next_place_still_is_served(
    repo: InMemoryRepository,
) -> None:
    result = run(
        repo,
        request(
            booking("BookingTraveler 1", "t1@acme.example", problem="no HotelReservation here"),
            booking("BookingTraveler 2", "t2@acme.example"),
        ),
    )
    assert result.left_out[0] == NotAdded(
        "BookingTraveler 1", "no_place", "no HotelReservation here", traveller="BookingTraveler 1"
    )
    assert [(a.place, a.employee_id) for a in result.added] == [("BookingTraveler 2", "u2")]


def test_past_the_traveller_limit_each_place_is_reported_with_its_traveller(
    repo: InMemoryRepository,
) -> None:
    places = [booking(f"BookingTraveler {n}", "t2@acme.example") for n in range(1, 11)]
    result = run(repo, request(*places))
    assert result.left_out[-1] == NotAdded(
        "BookingTraveler 10",
        "traveller_limit",
        "at most 9 travellers are looked up per request",
        traveller="BookingTraveler 10",
    )


def test_a_request_that_takes_no_cards_says_so(repo: InMemoryRepository) -> None:
    result = run(repo, request(kind="HotelRulesReq", takes_cards=False))
    assert result.left_out == [
        NotAdded("HotelRulesReq", "no_place", "HotelRulesReq takes no LoyaltyCard")
    ]


# -- whose each place is ------------------------------------------------------------------------


def test_a_booking_traveler_is_matched_by_email_within_reach_else_not_found(
    repo: InMemoryRepository,
) -> None:
    req = request(
        booking("BookingTraveler 1", "nobody@acme.example", "t1@acme.example"),
        booking("BookingTraveler 2", "t2@acme.example"),
    )
    result = run(repo, req, principal=JOHN)
    assert [a.employee_id for a in result.added] == ["u1"]  # the second email matches
    assert result.left_out[0] == NotAdded(
        "BookingTraveler 2",
        "traveller_not_found",
        "no user of your company within your reach has this email",
        traveller="BookingTraveler 2",
    )


def test_an_email_of_254_characters_is_looked_up_longer_ones_are_not(
    repo: InMemoryRepository, monkeypatch: pytest.MonkeyPatch
) -> None:
    looked_up: list[str] = []
    real = repo.get_logins
    monkeypatch.setattr(repo, "get_logins", lambda emails: looked_up.extend(emails) or real(emails))
    longest, longer = (f"{'a' * 64}@{'b' * (n - 64 - 1 - 8)}.example" for n in (254, 255))
    repo.seed_user(User(company="acme", employee_id="u9", name="L", email=longest))
    m = held(9, STASH, "S9")
    repo.memberships[("acme", "u9")][m.id] = m
    result = run(repo, request(booking("BookingTraveler 1", longer, longest)))
    assert [a.employee_id for a in result.added] == ["u9"]
    assert looked_up == [longest]


def test_a_booking_traveler_without_an_email_beside_others_is_not_guessed(
    repo: InMemoryRepository,
) -> None:
    req = request(booking("BookingTraveler 1"), booking("BookingTraveler 2", "t2@acme.example"))
    result = run(repo, req, employee_id="u1")
    assert result.left_out[0] == NotAdded(
        "BookingTraveler 1",
        "traveller_not_found",
        "this BookingTraveler has no Email to match it by, beside other travellers",
        traveller="BookingTraveler 1",
    )
    # alone, it is the traveller the caller names
    [added] = run(repo, request(booking("BookingTraveler 1")), employee_id="u2").added
    assert added.employee_id == "u2"


@pytest.mark.parametrize(
    ("places", "requires"),
    [
        ((booking("BookingTraveler 1"),), "is required for this request"),
        ((passenger(1),), "is required for its passengers"),
    ],
)
def test_with_no_traveller_by_email_an_employee_id_is_required(
    repo: InMemoryRepository, places: tuple[CardPlace, ...], requires: str
) -> None:
    with pytest.raises(InvalidInput) as caught:
        run(repo, request(*places))
    assert caught.value.detail == "employee_id is required: the request names no traveller by email"
    assert caught.value.problems == [Problem(requires, ("employee_id",), "parameter")]


# -- the employee ids a caller names ----------------------------------------------------------


def test_employee_ids_are_matched_to_search_passengers_up_to_nine() -> None:
    nine = request(*(passenger(n) for n in range(1, 10)))
    ids = ",".join(f"u{n}" for n in range(1, 10))
    assert employee_ids(ids, nine) == tuple(f"u{n}" for n in range(1, 10))
    assert employee_ids(None, nine) == () and employee_ids("", nine) == ()


@pytest.mark.parametrize(
    ("named", "places", "message"),
    [
        (
            ",".join(["u1"] * 10),
            tuple(passenger(n) for n in range(1, 11)),
            "employee_id names more than 9 employee ids; this HotelCreateReservationReq "
            "takes one employee id for each of its 10 SearchPassenger(s), in order",
        ),
        (
            "u1,,u2",
            tuple(passenger(n) for n in range(1, 4)),
            "employee_id names an empty employee id; this HotelCreateReservationReq takes "
            "one employee id for each of its 3 SearchPassenger(s), in order",
        ),
        (
            ",".join(["u1"] * 9),
            tuple(passenger(n) for n in range(1, 9)),
            "employee_id names 9 employee ids; this HotelCreateReservationReq takes one "
            "employee id for each of its 8 SearchPassenger(s), in order",
        ),
        (
            "u1,u2",
            (booking("BookingTraveler 1"),),
            "employee_id names 2 employee ids; this HotelCreateReservationReq takes one "
            "employee id",
        ),
    ],
)
def test_employee_ids_the_request_has_no_room_for_are_refused(
    named: str, places: tuple[CardPlace, ...], message: str
) -> None:
    with pytest.raises(MalformedRequest) as caught:
        employee_ids(named, request(*places))
    assert caught.value.detail == message
    assert caught.value.problems == [Problem(message, ("employee_id",), "parameter")]


# -- which GDS -----------------------------------------------------------------------------------


def test_the_gds_is_the_one_the_document_names_in_any_case_ignoring_others() -> None:
    named = (
        NamedProviders("ProviderCode", (" 1v ",)),
        NamedProviders("PermittedProviders", ("TRM",)),
        NamedProviders("PointOfSale", ("1V",)),
    )
    assert choose_provider(named, None) == "1V"
    assert choose_provider(named, " 1v") == "1V"
    assert choose_provider((), "1p") == "1P"


def test_a_provider_parameter_must_be_a_gds() -> None:
    with pytest.raises(MalformedRequest) as caught:
        choose_provider(GDS, "TRM")
    assert caught.value.detail == "provider must be one of 1G, 1V, 1P"
    assert caught.value.problems == [Problem("must be 1G, 1V or 1P", ("provider",), "parameter")]


def test_a_provider_parameter_that_disagrees_with_the_document_is_refused() -> None:
    named = (NamedProviders("ProviderCode", ("1G",)), NamedProviders("PointOfSale", ("1G",)))
    with pytest.raises(MalformedRequest) as caught:
        choose_provider(named, "1V")
    assert caught.value.detail == (
        "provider=1V disagrees with the document, which names 1G (ProviderCode, PointOfSale)"
    )


def test_two_gds_that_disagree_are_refused_naming_both() -> None:
    named = (
        NamedProviders("ProviderCode", ("1P",)),
        NamedProviders("PointOfSale", ("1G",)),
        NamedProviders("PermittedProviders", ("1G", "1V")),  # two: names no single GDS
    )
    with pytest.raises(MalformedRequest) as caught:
        choose_provider(named, None)
    assert caught.value.detail == (
        "The document names two GDS providers that disagree: 1G (PointOfSale) and "
        "1P (ProviderCode); send one, or ?provider=1G, 1V or 1P matching it"
    )


def test_no_gds_is_refused_naming_what_the_document_names_briefly() -> None:
    named = tuple(NamedProviders(f"Where{n}", ("trm", " aa", "x" * 9)) for n in range(6))
    named = (NamedProviders("ProviderCode", tuple(f"C{n}" for n in range(7))), *named)
    with pytest.raises(MalformedRequest) as caught:
        choose_provider(named, None)
    listed = "ProviderCode C0, C1, C2, C3, C4; " + "; ".join(
        f"Where{n} TRM, AA, (not a provider code)" for n in range(4)
    )
    message = (
        f"No provider: the document names no single GDS (1G, 1V or 1P) (it names {listed}); "
        "send ?provider=1G, 1V or 1P, or a ProviderCode, PointOfSale or PermittedProviders "
        "naming one in the request"
    )
    assert caught.value.detail == message
    assert caught.value.problems == [Problem(message, ("provider",), "parameter")]


def test_a_document_naming_no_provider_at_all_is_refused_without_a_listing() -> None:
    with pytest.raises(MalformedRequest) as caught:
        choose_provider((), None)
    assert caught.value.detail == (
        "No provider: the document names no single GDS (1G, 1V or 1P); send ?provider=1G, "
        "1V or 1P, or a ProviderCode, PointOfSale or PermittedProviders naming one in the "
        "request"
    )


def test_an_air_request_reads_each_travellers_cards_by_the_air_rules(
    repo: InMemoryRepository,
) -> None:
    place = CardPlace(
        "BookingTraveler 1",
        Traveller("BookingTraveler 1", emails=("t1@acme.example",), booking_traveler=True),
        terms=AirTerms(carriers=("QF",)),
    )
    result = run(repo, request(place, kind="AirCreateReservationReq", product="air"))
    assert (result.product, result.added) == ("air", [])
    assert reasons(result) == [
        ("BookingTraveler 1", "expired", "u1", "qf-1", ""),
        ("BookingTraveler 1", "hotel_program", "u1", "stash-1", ""),
    ]
