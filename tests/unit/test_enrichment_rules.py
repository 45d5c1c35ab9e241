"""The Universal API's LoyaltyCard rules as pure functions: each rule, both sides."""

from __future__ import annotations

import itertools
import json
from datetime import UTC, date, datetime
from pathlib import Path

import pytest

from loyalty_core.models import Membership, Provider, VendorType
from loyalty_core.models.cards import ExistingCard
from loyalty_core.services.card_rules import plan_cards, supplier_code

TODAY = date(2026, 11, 21)
HILTON = Provider(id="hh", name="Hilton Honors", vendor_type=VendorType.HOTEL, vendor_code="HH")
MARRIOTT = Provider(id="mc", name="Marriott Bonvoy", vendor_type=VendorType.HOTEL, vendor_code="MC")
QANTAS = Provider(id="qf", name="Qantas", vendor_type=VendorType.AIR, vendor_code="QF")
VIRGIN = Provider(id="va", name="Velocity", vendor_type=VendorType.AIR, vendor_code="VA")
HERTZ = Provider(id="ze", name="Hertz", vendor_type=VendorType.CAR, vendor_code="ZE")
CATALOG = {p.id: p for p in (HILTON, MARRIOTT, QANTAS, VIRGIN, HERTZ)}
_n = itertools.count()


def held(provider: Provider, account: str | None = None, expires: str | None = None) -> Membership:
    n = next(_n)
    now = datetime(2026, 1, 1, tzinfo=UTC)
    return Membership(
        id=f"m{n}",
        company="acme",
        employee_id="098765",
        provider_id=provider.id,
        account_number=account or f"{provider.vendor_code or 'AL'}{n:06d}",
        expires_on=expires,
        created_at=now,
        updated_at=now,
    )


def reasons(plan: object) -> dict[str | None, str]:
    return {left.membership_id: left.reason for left in plan.left_out}  # type: ignore[attr-defined]


def test_a_hotel_and_an_air_program_become_cards_with_schema_attributes() -> None:
    hotel, air = held(HILTON), held(QANTAS)
    plan = plan_cards([hotel, air], CATALOG, "1G", TODAY)
    assert [(c.supplier_code, c.supplier_type, c.card_number) for c in plan.add] == [
        ("HH", "Hotel", hotel.account_number),
        ("QF", "Air", air.account_number),
    ]
    for card in plan.add:
        assert len(card.key) == 36
    assert len({c.key for c in plan.add}) == 2
    assert plan.left_out == []


def test_car_programs_are_never_added() -> None:
    car = held(HERTZ)
    plan = plan_cards([car], CATALOG, "1G", TODAY)
    assert plan.add == []
    assert reasons(plan) == {car.id: "vehicle_program"}


def test_only_one_hotel_and_one_air_program() -> None:
    first_hotel, second_hotel = held(HILTON), held(MARRIOTT)
    first_air, second_air = held(QANTAS), held(VIRGIN)
    plan = plan_cards([first_hotel, second_hotel, first_air, second_air], CATALOG, "1V", TODAY)
    assert [c.membership_id for c in plan.add] == [first_hotel.id, first_air.id]
    assert reasons(plan) == {
        second_hotel.id: "one_per_supplier_type",
        second_air.id: "one_per_supplier_type",
    }


def test_a_named_chain_takes_only_its_own_hotel_card() -> None:
    hilton, marriott = held(HILTON), held(MARRIOTT)
    plan = plan_cards([hilton, marriott], CATALOG, "1G", TODAY, chains=frozenset({"MC"}))
    assert [c.membership_id for c in plan.add] == [marriott.id]
    assert reasons(plan) == {hilton.id: "other_chain"}


def test_no_hotel_card_when_the_traveller_has_none_for_the_named_chain() -> None:
    hilton, qantas = held(HILTON), held(QANTAS)
    plan = plan_cards([hilton, qantas], CATALOG, "1G", TODAY, chains=frozenset({"HY"}))
    assert [c.supplier_type for c in plan.add] == ["Air"]
    assert reasons(plan) == {hilton.id: "other_chain"}


def test_card_numbers_over_36_characters_are_left_out() -> None:
    ok, long = held(HILTON, "A" * 36), held(QANTAS, "B" * 37)
    plan = plan_cards([ok, long], CATALOG, "1G", TODAY)
    assert [c.card_number for c in plan.add] == ["A" * 36]
    assert reasons(plan) == {long.id: "card_number_too_long"}


def test_expired_memberships_are_left_out_and_today_is_still_valid() -> None:
    expired, today = held(HILTON, expires="2026-11-20"), held(QANTAS, expires="2026-11-21")
    plan = plan_cards([expired, today], CATALOG, "1G", TODAY)
    assert [c.membership_id for c in plan.add] == [today.id]
    assert reasons(plan) == {expired.id: "expired"}


def test_existing_cards_count_toward_the_limit_of_four() -> None:
    existing = [ExistingCard("AA", "1", "Air"), ExistingCard("BA", "2"), ExistingCard("UA", "3")]
    hotel, air = held(HILTON), held(VIRGIN)
    plan = plan_cards([hotel, air], CATALOG, "1G", TODAY, existing=existing)
    assert [c.membership_id for c in plan.add] == [hotel.id]  # Air is taken already
    assert reasons(plan) == {air.id: "one_per_supplier_type"}
    four = [*existing, ExistingCard("DL", "4")]
    full = plan_cards([held(HILTON)], CATALOG, "1G", TODAY, existing=four)
    assert full.add == [] and list(reasons(full).values()) == ["card_limit"]


def test_a_card_already_in_the_request_is_not_duplicated() -> None:
    hotel = held(HILTON, "HH123")
    plan = plan_cards([hotel], CATALOG, "1G", TODAY, existing=[ExistingCard("HH", "HH123")])
    assert plan.add == []
    assert reasons(plan) == {hotel.id: "already_present"}


# -- SupplierCode and brand families (SPEC 6a) -------------------------------------------------

STASH = Provider(id="stash", name="Stash Hotel Rewards", vendor_type=VendorType.HOTEL)
FAMILY_HILTON = Provider(
    id="hh-family",
    name="Hilton Honors",
    vendor_type=VendorType.HOTEL,
    vendor_code="HH",
    chain_codes=("HH", "HX", "DT", "ES"),
)
SHIPPED = [
    Provider.model_validate(p)
    for p in json.loads((Path(__file__).parents[2] / "data/providers.json").read_text("utf-8"))
]
SHIPPED_HOTELS = [p for p in SHIPPED if p.vendor_type is VendorType.HOTEL]
BRANDS = [(p.name, code) for p in SHIPPED_HOTELS for code in p.chain_codes]


@pytest.mark.parametrize(
    ("provider", "gds", "chains", "expected"),
    [
        (FAMILY_HILTON, "1G", set(), ("HH", "primary_code")),
        (FAMILY_HILTON, "1P", {"HX"}, ("HX", "requested_chain")),
        (FAMILY_HILTON, "1V", {"MC", "DT"}, ("DT", "requested_chain")),
        (FAMILY_HILTON, "1G", {"ES", "HH"}, ("HH", "requested_chain")),  # family order: primary
        (FAMILY_HILTON, "1G", {"MC"}, None),
        (QANTAS, "1G", set(), ("QF", "airline_code")),
        (QANTAS, "1P", {"HH"}, ("QF", "airline_code")),
        (STASH, "1G", set(), ("$$", "generic_code")),
        (STASH, "1V", set(), ("$$", "generic_code")),
        (STASH, "1P", set(), ("XX", "generic_code")),
        (STASH, "1G", {"HH"}, None),
    ],
)
def test_supplier_code_and_the_rule_that_chose_it(
    provider: Provider, gds: str, chains: set[str], expected: tuple[str, str] | None
) -> None:
    assert supplier_code(provider, gds, frozenset(chains)) == expected


@pytest.mark.parametrize(("program", "code"), BRANDS)
def test_every_brand_code_of_the_catalog_takes_its_own_programs_card(
    program: str, code: str
) -> None:
    """A traveller holding every hotel program of the catalog, at a hotel of one brand: only
    that brand's program is sent, under that brand's chain code."""
    catalog = {p.id: p for p in SHIPPED}
    memberships = [held(p) for p in SHIPPED_HOTELS]
    plan = plan_cards(memberships, catalog, "1G", TODAY, chains=frozenset({code}))
    [card] = plan.add
    assert catalog[next(m.provider_id for m in memberships if m.id == card.membership_id)].name == (
        program
    )
    assert (card.supplier_code, card.supplier_type, card.rule) == (code, "Hotel", "requested_chain")
    assert set(reasons(plan).values()) == {"other_chain"}
    assert len(plan.left_out) == len(memberships) - 1


@pytest.mark.parametrize(("gds", "generic"), [("1G", "$$"), ("1V", "$$"), ("1P", "XX")])
def test_a_program_without_a_chain_code_gets_the_generic_code(gds: str, generic: str) -> None:
    catalog = {STASH.id: STASH, QANTAS.id: QANTAS}
    plan = plan_cards([held(STASH, "ST123"), held(QANTAS)], catalog, gds, TODAY)
    assert [(c.supplier_code, c.rule) for c in plan.add] == [
        (generic, "generic_code"),
        ("QF", "airline_code"),
    ]
    named = plan_cards([held(STASH)], catalog, gds, TODAY, chains=frozenset({"HH"}))
    assert named.add == [] and list(reasons(named).values()) == ["other_chain"]


def test_a_wholly_prohibited_family_is_left_out_and_takes_no_place() -> None:
    catalog = {p.id: p for p in (FAMILY_HILTON, MARRIOTT, QANTAS)}
    three = [ExistingCard("AA", "1", "Air"), ExistingCard("BA", "2"), ExistingCard("UA", "3")]
    hilton, marriott = held(FAMILY_HILTON), held(MARRIOTT)  # Hilton first: it would win
    prohibited = frozenset({"HH", "HX", "DT", "ES", "IC"})
    plan = plan_cards(
        [hilton, marriott], catalog, "1G", TODAY, existing=three, prohibited=prohibited
    )
    assert [(c.membership_id, c.supplier_code) for c in plan.add] == [(marriott.id, "MC")]
    assert reasons(plan) == {hilton.id: "prohibited_chain"}


@pytest.mark.parametrize(
    "prohibited", [{"HX"}, {"HX", "DT", "ES"}, {"HH"}, {"MC", "CY", "RZ", "SI", "WI"}]
)
def test_a_partly_prohibited_family_is_still_sent_under_its_primary_code(
    prohibited: set[str],
) -> None:
    catalog = {FAMILY_HILTON.id: FAMILY_HILTON}
    plan = plan_cards([held(FAMILY_HILTON)], catalog, "1G", TODAY, prohibited=frozenset(prohibited))
    assert [(c.supplier_code, c.rule) for c in plan.add] == [("HH", "primary_code")]


def test_prohibited_chains_never_leave_out_a_program_without_chain_codes() -> None:
    plan = plan_cards([held(STASH)], {STASH.id: STASH}, "1V", TODAY, prohibited=frozenset({"HH"}))
    assert [c.supplier_code for c in plan.add] == ["$$"]


@pytest.mark.parametrize("existing_code", ["HH", "HX", "DT"])
@pytest.mark.parametrize("existing_number", ["HH123", "HH-123", "HH 123"])
def test_a_card_of_the_family_already_in_the_request_is_not_duplicated(
    existing_code: str, existing_number: str
) -> None:
    catalog = {FAMILY_HILTON.id: FAMILY_HILTON}
    hotel = held(FAMILY_HILTON, "HH123")
    existing = [ExistingCard(existing_code, existing_number)]
    plan = plan_cards([hotel], catalog, "1G", TODAY, existing=existing)
    assert plan.add == []
    assert reasons(plan) == {hotel.id: "already_present"}
    other = plan_cards([hotel], catalog, "1G", TODAY, existing=[ExistingCard("MC", "HH123")])
    assert [c.supplier_code for c in other.add] == ["HH"]


def test_the_travellers_own_cards_already_there_take_their_supplier_types() -> None:
    """Cards the request carries without a SupplierType, that are the traveller's own
    Marriott and Qantas cards: no second Hotel or Air program is added beside them."""
    marriott, hilton = held(MARRIOTT, "M1ACCT"), held(HILTON, "H1ACCT")
    qantas, virgin = held(QANTAS, "Q1ACCT"), held(VIRGIN, "V1ACCT")
    existing = [ExistingCard("MC", "M1ACCT"), ExistingCard("QF", "Q1-ACCT")]
    plan = plan_cards([marriott, hilton, qantas, virgin], CATALOG, "1G", TODAY, existing=existing)
    assert plan.add == []
    assert reasons(plan) == {
        marriott.id: "already_present",
        qantas.id: "already_present",
        hilton.id: "one_per_supplier_type",
        virgin.id: "one_per_supplier_type",
    }
