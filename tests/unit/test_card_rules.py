"""The air and vehicle LoyaltyCard rules (SPEC 12) as pure functions, table-driven: for each
reason a card is left out, a traveller and a request that give it, the cards that are
added beside it, and what the detail says. Then the ordering and limits, each rule both
ways."""

from __future__ import annotations

import itertools
import json
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path

import pytest

from loyalty_core.models import Alliance, Membership, Provider, VendorType
from loyalty_core.models.cards import (
    AirTerms,
    CardPlace,
    ExistingCard,
    HotelTerms,
    Plan,
    Terms,
    Traveller,
    VehicleTerms,
)
from loyalty_core.services.card_rules import AIR_CARD_LIMIT, RULES

TODAY = date(2026, 12, 7)


def airline(code: str, alliance: Alliance | None) -> Provider:
    return Provider(
        id=code.lower(), name=code, vendor_type=VendorType.AIR, vendor_code=code, alliance=alliance
    )


def car(code: str) -> Provider:
    return Provider(id=code.lower(), name=code, vendor_type=VendorType.CAR, vendor_code=code)


QF = airline("QF", Alliance.ONEWORLD)
BA = airline("BA", Alliance.ONEWORLD)
AA = airline("AA", Alliance.ONEWORLD)
UA = airline("UA", Alliance.STAR_ALLIANCE)
DL = airline("DL", Alliance.SKYTEAM)
VA = airline("VA", Alliance.NONE)
XX = airline("X1", None)  # an airline whose alliance is not recorded
HH = Provider(id="hh", name="Hilton", vendor_type=VendorType.HOTEL, vendor_code="HH")
ZE, ZI, SX = car("ZE"), car("ZI"), car("SX")
CATALOG = {p.id: p for p in (QF, BA, AA, UA, DL, VA, XX, HH, ZE, ZI, SX)}
GONE = Provider(id="gone", name="Gone", vendor_type=VendorType.AIR, vendor_code="GG")
_n = itertools.count()


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


def plan(
    memberships: list[Membership],
    terms: Terms,
    gds: str = "1G",
    existing: tuple[ExistingCard, ...] = (),
) -> Plan:
    place = CardPlace("here", Traveller("here"), existing, terms=terms)
    return RULES[terms.product](memberships, CATALOG, gds, TODAY, place)


@dataclass(frozen=True)
class Case:
    """A traveller holding `others` and `it`, at a place of `terms`: `it` is left out for
    `reason` (the detail saying `says`), and `added` are the cards that go in."""

    reason: str
    terms: Terms
    it: tuple[Provider, str | None, str | None]  # program, account, expiry
    says: str
    others: tuple[Provider, ...] = ()
    added: tuple[str, ...] = ()
    gds: str = "1G"
    existing: tuple[ExistingCard, ...] = field(default=())


FLOWN = AirTerms(carriers=("AA", "BA"))
OPEN = AirTerms()
HERTZ_BOOKED = VehicleTerms(vendors=("ZE",))
ANY_CAR = VehicleTerms(search=True)
CASES = {
    # -- air
    "air: a hotel program": Case(
        "hotel_program", OPEN, (HH, None, None), "hotel programs", (QF,), ("QF",)
    ),
    "air: a car program": Case(
        "vehicle_program", OPEN, (ZE, None, None), "car programs", (QF,), ("QF",)
    ),
    "air: expired": Case(
        "expired", OPEN, (QF, None, "2026-12-06"), "expired on 2026-12-06", (BA,), ("BA",)
    ),
    "air: a number over 36 characters": Case(
        "card_number_too_long", OPEN, (QF, "Q" * 37, None), "36 characters", (BA,), ("BA",)
    ),
    "air: its provider is gone": Case(
        "unknown_provider", OPEN, (GONE, None, None), "no longer in the catalog", (QF,), ("QF",)
    ),
    "air: already in the request": Case(
        "already_present",
        FLOWN,
        (BA, "BA-123", None),
        "already carries",
        (AA,),
        ("AA",),
        existing=(ExistingCard("BA", "BA 123", "Air"),),
    ),
    "air: an alliance partner of a flown carrier": Case(
        "partner_carrier", FLOWN, (QF, None, None), "a oneworld partner of AA, BA", (AA,), ("AA",)
    ),
    "air: an airline of another alliance": Case(
        "other_carrier", FLOWN, (UA, None, None), "names AA, BA", (BA,), ("BA",)
    ),
    "air: an airline of no alliance": Case(
        "other_carrier", AirTerms(carriers=("VA",)), (QF, None, None), "names VA", (VA,), ("VA",)
    ),
    "air: an airline whose alliance is not known": Case(
        "other_carrier", FLOWN, (XX, None, None), "names AA, BA", (AA,), ("AA",)
    ),
    "air: a prohibited carrier on an open search": Case(
        "other_carrier",
        AirTerms(prohibited=frozenset({"DL"})),
        (DL, None, None),
        "prohibits carrier DL",
        (UA,),
        ("UA",),
    ),
    "air: a second program of one airline": Case(
        "one_per_supplier_type",
        OPEN,
        (QF, "QF2ND", None),
        "one card per carrier: QF has one",
        (QF,),
        ("QF",),
    ),
    "air: an airline with a card already there": Case(
        "one_per_supplier_type",
        FLOWN,
        (AA, "AAMINE", None),
        "AA has one",
        (BA,),
        ("BA",),
        existing=(ExistingCard("AA", "SOMEONE-ELSES"),),
    ),
    "air: past eight cards": Case(
        "card_limit",
        OPEN,
        (UA, None, None),
        "at most 8",
        (QF,),
        (),
        existing=tuple(ExistingCard(f"C{n}", f"N{n}", "Air") for n in range(8)),
    ),
    # -- vehicle
    "vehicle: a hotel program": Case(
        "hotel_program", ANY_CAR, (HH, None, None), "hotel programs", (ZE,), ("ZE",)
    ),
    "vehicle: an airline program": Case(
        "air_program", ANY_CAR, (QF, None, None), "only car programs", (ZE,), ("ZE",)
    ),
    "vehicle: expired": Case(
        "expired", ANY_CAR, (ZE, None, "2020-01-31"), "expired on 2020-01-31", (ZI,), ("ZI",)
    ),
    "vehicle: a number over 36 characters": Case(
        "card_number_too_long", ANY_CAR, (ZE, "Z" * 40, None), "36 characters", (ZI,), ("ZI",)
    ),
    "vehicle: its provider is gone": Case(
        "unknown_provider", ANY_CAR, (GONE, None, None), "no longer in the catalog", (ZI,), ("ZI",)
    ),
    "vehicle: a 1P search": Case(
        "not_on_provider", ANY_CAR, (ZE, None, None), "1P", (), (), gds="1P"
    ),
    "vehicle: already in the request": Case(
        "already_present",
        ANY_CAR,
        (ZE, "ZE1", None),
        "already carries",
        (ZI,),
        ("ZI",),
        existing=(ExistingCard("ZE", "ZE1", "Vehicle"),),
    ),
    "vehicle: another vendor than the one booked": Case(
        "other_vendor", HERTZ_BOOKED, (ZI, None, None), "it names ZE", (ZE,), ("ZE",)
    ),
    "vehicle: a prohibited vendor": Case(
        "other_vendor",
        VehicleTerms(prohibited=frozenset({"ZI"})),
        (ZI, None, None),
        "prohibits vendor ZI",
        (ZE,),
        ("ZE",),
    ),
    "vehicle: a vendor the rate code is not for": Case(
        "other_vendor",
        VehicleTerms(vendors=("ZI", "ZE"), rate_code_vendors=("ZE",), rate_code=True),
        (ZI, None, None),
        "its RateCode is for ZE",
        (ZE,),
        ("ZE",),
    ),
    "vehicle: a second program of one vendor": Case(
        "one_per_supplier_type",
        ANY_CAR,
        (ZE, "ZE2ND", None),
        "one card per vendor: ZE has one",
        (ZE,),
        ("ZE",),
    ),
    "vehicle: a second card with a rate code": Case(
        "card_limit",
        VehicleTerms(vendors=("ZE", "ZI"), rate_code=True),
        (ZI, None, None),
        "at most 1",
        (ZE,),
        ("ZE",),
    ),
    # -- hotel, on the same table
    "hotel: a car program": Case(
        "vehicle_program", HotelTerms(), (ZE, None, None), "car programs", (HH,), ("HH",)
    ),
    "hotel: another chain": Case(
        "other_chain", HotelTerms(chains=frozenset({"MC"})), (HH, None, None), "MC", (QF,), ("QF",)
    ),
    "hotel: every brand prohibited": Case(
        "prohibited_chain",
        HotelTerms(prohibited_chains=frozenset({"HH"})),
        (HH, None, None),
        "prohibits every chain",
        (QF,),
        ("QF",),
    ),
    "hotel: a second airline": Case(
        "one_per_supplier_type", HotelTerms(), (BA, None, None), "one Air program", (QF,), ("QF",)
    ),
}


@pytest.mark.parametrize("case", CASES.values(), ids=CASES.keys())
def test_each_reason_a_card_is_left_out(case: Case) -> None:
    others = [held(p) for p in case.others]
    provider, account, expires = case.it
    it = held(provider, account, expires)
    result = plan([*others, it], case.terms, case.gds, case.existing)
    assert [c.supplier_code for c in result.add] == list(case.added)
    mine = [left for left in result.left_out if left.membership_id == it.id]
    assert [left.reason for left in mine] == [case.reason]
    assert case.says in mine[0].detail
    assert len(mine[0].detail) < 200


def test_every_reason_of_the_rules_is_in_the_table() -> None:
    reasons = {case.reason for case in CASES.values()}
    assert reasons == {
        "hotel_program",
        "air_program",
        "vehicle_program",
        "expired",
        "card_number_too_long",
        "unknown_provider",
        "already_present",
        "partner_carrier",
        "other_carrier",
        "one_per_supplier_type",
        "card_limit",
        "not_on_provider",
        "other_vendor",
        "other_chain",
        "prohibited_chain",
    }


# -- air: which carriers, in which order, how many -------------------------------------------


def codes(result: Plan) -> list[str]:
    return [card.supplier_code for card in result.add]


def test_air_cards_carry_the_airline_code_and_type() -> None:
    [card] = plan([held(QF, "QF123")], FLOWN.__class__(carriers=("QF",))).add
    assert (card.supplier_code, card.supplier_type, card.card_number, card.rule) == (
        "QF",
        "Air",
        "QF123",
        "airline_code",
    )
    assert len(card.key) == 36


def test_flown_carriers_come_first_in_the_order_the_request_names_them() -> None:
    mine = [held(p) for p in (AA, UA, BA)]  # the traveller's order
    assert codes(plan(mine, AirTerms(carriers=("BA", "UA", "AA")))) == ["BA", "UA", "AA"]
    assert codes(plan(mine, OPEN)) == ["AA", "UA", "BA"]  # open: the traveller's order


def test_an_open_search_takes_every_airline_program_up_to_eight() -> None:
    airlines = [airline(f"A{n}", None) for n in range(10)]
    catalog = {**CATALOG, **{p.id: p for p in airlines}}
    mine = [held(p) for p in airlines]
    place = CardPlace("here", Traveller("here"), terms=OPEN)
    result = RULES["air"](mine, catalog, "1G", TODAY, place)
    assert codes(result) == [f"A{n}" for n in range(AIR_CARD_LIMIT)]
    assert [left.reason for left in result.left_out] == ["card_limit"] * 2


def test_a_marketing_and_an_operating_carrier_each_take_their_card() -> None:
    codeshare = AirTerms(carriers=("AA", "BA"))  # AA marketed, operated by BA
    assert codes(plan([held(BA), held(AA)], codeshare)) == ["AA", "BA"]


def test_a_partner_is_named_only_when_its_alliance_flies() -> None:
    qantas = held(QF)
    star = plan([qantas], AirTerms(carriers=("UA",)))
    assert [left.reason for left in star.left_out] == ["other_carrier"]
    oneworld = plan([qantas], AirTerms(carriers=("UA", "BA")))
    [left] = oneworld.left_out
    assert left.reason == "partner_carrier"
    assert "a oneworld partner of BA" in left.detail and "UA" not in left.detail


def test_cards_of_other_kinds_already_there_count_toward_eight_but_take_no_airline() -> None:
    existing = tuple(ExistingCard(f"H{n}", f"N{n}", "Hotel") for n in range(7))
    result = plan([held(QF), held(BA)], OPEN, existing=existing)
    assert codes(result) == ["QF"]
    assert [left.reason for left in result.left_out] == ["card_limit"]


# -- vehicle: which vendors ---------------------------------------------------------------------


def test_vehicle_cards_carry_the_vendor_code_and_type() -> None:
    [card] = plan([held(ZE, "ZE42")], HERTZ_BOOKED).add
    assert (card.supplier_code, card.supplier_type, card.card_number, card.rule) == (
        "ZE",
        "Vehicle",
        "ZE42",
        "vendor_code",
    )


def test_no_vendor_named_takes_one_card_per_car_program() -> None:
    assert codes(plan([held(SX), held(ZE), held(ZI)], ANY_CAR)) == ["SX", "ZE", "ZI"]


def test_named_vendors_go_in_the_order_the_request_names_them() -> None:
    terms = VehicleTerms(vendors=("ZI", "ZE"))
    assert codes(plan([held(ZE), held(ZI), held(SX)], terms)) == ["ZI", "ZE"]


def test_a_rate_code_for_one_vendor_takes_that_vendors_card_only() -> None:
    terms = VehicleTerms(vendors=("ZE", "ZI"), rate_code_vendors=("ZI",), rate_code=True)
    result = plan([held(ZE), held(ZI)], terms)
    assert codes(result) == ["ZI"]
    assert [left.reason for left in result.left_out] == ["other_vendor"]


def test_a_rate_code_allows_one_card_even_beside_a_card_already_there() -> None:
    terms = VehicleTerms(rate_code=True)
    result = plan([held(ZE)], terms, existing=(ExistingCard("ZI", "X1", "Vehicle"),))
    assert result.add == [] and [left.reason for left in result.left_out] == ["card_limit"]


@pytest.mark.parametrize("gds", ["1G", "1V"])
def test_1g_and_1v_searches_and_any_booking_take_car_cards(gds: str) -> None:
    assert codes(plan([held(ZE)], ANY_CAR, gds)) == ["ZE"]
    assert codes(plan([held(ZE)], HERTZ_BOOKED, "1P")) == ["ZE"]  # a 1P booking does


# -- the catalog's alliances --------------------------------------------------------------------

SHIPPED = [
    Provider.model_validate(p)
    for p in json.loads((Path(__file__).parents[2] / "data/providers.json").read_text("utf-8"))
]


def test_every_airline_program_of_the_catalog_records_its_alliance() -> None:
    for provider in SHIPPED:
        if provider.vendor_type is VendorType.AIR:
            assert provider.alliance is not None, provider.name
        else:
            assert provider.alliance is None, provider.name


@pytest.mark.parametrize(
    ("code", "alliance"),
    [
        ("QF", "oneworld"),
        ("AA", "oneworld"),
        ("UA", "Star Alliance"),
        ("DL", "SkyTeam"),
        ("VS", "SkyTeam"),
        ("EK", "none"),
    ],
)
def test_the_catalog_alliances_of_well_known_airlines(code: str, alliance: str) -> None:
    [program] = [p for p in SHIPPED if p.vendor_code == code and p.vendor_type is VendorType.AIR]
    assert program.alliance == alliance


def test_only_airline_programs_belong_to_an_alliance() -> None:
    with pytest.raises(ValueError, match="only airline programs"):
        Provider(id="x", name="X", vendor_type=VendorType.CAR, vendor_code="ZE", alliance="SkyTeam")
    assert VA.partners_in is None and XX.partners_in is None and QF.partners_in == "oneworld"
