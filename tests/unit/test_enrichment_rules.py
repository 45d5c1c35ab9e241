"""The Universal API's LoyaltyCard rules as pure functions: each rule, both sides."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from loyalty_core.models import Membership, Provider, VendorType
from loyalty_core.models.cards import ExistingCard
from loyalty_core.services.enrichment import plan_cards, supplier_code

TODAY = date(2026, 11, 21)
HILTON = Provider(id="hh", name="Hilton Honors", vendor_type=VendorType.HOTEL, vendor_code="HH")
MARRIOTT = Provider(id="mc", name="Marriott Bonvoy", vendor_type=VendorType.HOTEL, vendor_code="MC")
QANTAS = Provider(id="qf", name="Qantas", vendor_type=VendorType.AIR, vendor_code="QF")
VIRGIN = Provider(id="va", name="Velocity", vendor_type=VendorType.AIR, vendor_code="VA")
HERTZ = Provider(id="ze", name="Hertz", vendor_type=VendorType.CAR, vendor_code="ZE")
CATALOG = {p.id: p for p in (HILTON, MARRIOTT, QANTAS, VIRGIN, HERTZ)}
_n = iter(range(1000))


def held(provider: Provider, account: str | None = None, expires: str | None = None) -> Membership:
    n = next(_n)
    now = datetime(2026, 1, 1, tzinfo=UTC)
    return Membership(
        id=f"m{n}",
        company="acme",
        employee_id="098765",
        provider_id=provider.id,
        account_number=account or f"{provider.vendor_code}{n:06d}",
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


@pytest.mark.parametrize(("gds", "generic"), [("1G", "$$"), ("1V", "$$"), ("1P", "XX")])
def test_supplier_code_is_the_chain_else_the_gds_generic_code(gds: str, generic: str) -> None:
    assert supplier_code(HILTON, gds) == "HH"
    assert supplier_code(QANTAS, gds) == "QF"
    odd = Provider(id="x", name="Odd", vendor_type=VendorType.HOTEL, vendor_code="$$")
    assert supplier_code(odd, gds) == generic
    assert supplier_code(odd, "1P") != "$$"
