"""The LoyaltyCard rules of each product, as pure functions: which of one traveller's
memberships become cards at one place of a request, and why each other one is left out.
One rule set per product (`RULES`, keyed by `CardPlace.product`); what they share comes
first. The use case that runs them (provider, travellers, reach, limits, the report) is
`services.enrichment`.

Shared (SPEC 6, 12): a card is only ever the traveller's own membership, of the kinds
the product takes; expired memberships and account numbers over the schema's 36
characters are left out; a card the request already carries is kept, counted, and not
sent twice; `SupplierCode` is exactly two characters; a `Key` on every card.

- hotel (SPEC 6, 6a): Hotel and Air programs, at most four cards, one Hotel and one Air
  program; brand families choose the SupplierCode; ProhibitedChains leave a family out.
- air (SPEC 12): airline programs whose carrier the request names (marketing or
  operating carrier, or permitted or preferred on a search; none named: every airline
  program); one card per airline, at most eight per traveller, flown carriers first.
- vehicle (SPEC 12): car programs of the vendors the request books or names (none named:
  every car program), one per vendor; a RateCode allows one card in all; none on a 1P
  search.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import date
from typing import TYPE_CHECKING

from loyalty_core.models import Membership, Provider, VendorType
from loyalty_core.models.cards import (
    AirTerms,
    Card,
    CardPlace,
    HotelTerms,
    LeftOut,
    Plan,
    VehicleTerms,
)
from loyalty_core.validators import without_formatting

if TYPE_CHECKING:
    from loyalty_core.models.cards import (
        ExistingCard,
    )

MAX_CARD_NUMBER = 36
CARD_LIMIT = 4  # hotel: the providers' limit per traveller
AIR_CARD_LIMIT = 8  # air: per traveller, cards already there included
RATE_CODE_CARDS = 1  # vehicle: with a RateCode, one supplier and one card per request
MAX_PLACE_CARDS = 999  # the schema's most LoyaltyCards in one vehicle place
CARD_TYPES = (VendorType.HOTEL, VendorType.AIR)  # never VendorType.CAR on a hotel request
PREFERENCE = ("Hotel", "Air")  # which card wins a hotel place when the limit is near
NAMED = 6  # codes a detail names, at most

# What each product takes, and why a program of another kind is left out.
TAKES = {
    "hotel": CARD_TYPES,
    "air": (VendorType.AIR,),
    "vehicle": (VendorType.CAR,),
}
OTHER_KIND = {
    VendorType.HOTEL: "hotel_program",
    VendorType.AIR: "air_program",
    VendorType.CAR: "vehicle_program",
}
OTHER_KIND_DETAIL = {
    ("hotel", VendorType.CAR): "car programs are not cross-accrued on hotel requests",
    ("air", VendorType.HOTEL): "hotel programs are not sent on air requests",
    ("air", VendorType.CAR): "car programs are not sent on air requests",
    ("vehicle", VendorType.HOTEL): "hotel programs are not sent on car requests",
    ("vehicle", VendorType.AIR): "only car programs are sent on car requests",
}


def _listing(codes: Iterable[str]) -> str:
    """Codes as a detail names them: the first few, then how many more."""
    codes = list(codes)
    shown = ", ".join(codes[:NAMED])
    return shown + (f" and {len(codes) - NAMED} more" if len(codes) > NAMED else "")


def _usable(
    m: Membership,
    providers: Mapping[str, Provider],
    product: str,
    today: date,
) -> Provider | LeftOut:
    """The membership's program, if it may be a card of `product` at all, whatever the
    request names; else why not: its provider is gone, it is of a kind the product does
    not take, it has expired, or its number is longer than CardNumber allows."""
    provider = providers.get(m.provider_id)
    if provider is None:
        return LeftOut(m.id, "unknown_provider", "its provider is no longer in the catalog")
    if provider.vendor_type not in TAKES[product]:
        detail = OTHER_KIND_DETAIL[(product, provider.vendor_type)]
        return LeftOut(m.id, OTHER_KIND[provider.vendor_type], detail)
    if m.is_expired(today):
        return LeftOut(m.id, "expired", f"the membership expired on {m.expires_on}")
    if len(m.account_number) > MAX_CARD_NUMBER:
        return LeftOut(
            m.id, "card_number_too_long", f"CardNumber allows {MAX_CARD_NUMBER} characters"
        )
    return provider


def _present(existing: Sequence[ExistingCard]) -> set[tuple[str, str]]:
    """(SupplierCode, CardNumber without formatting) of the cards already there."""
    return {(c.supplier_code, without_formatting(c.card_number)) for c in existing}


def _card(m: Membership, code: str, supplier_type: str, rule: str) -> Card:
    return Card(str(uuid.uuid4()), code, m.account_number, supplier_type, m.id, rule)


# -- hotel --------------------------------------------------------------------------------


def supplier_code(
    provider: Provider, gds: str, chains: frozenset[str] = frozenset()
) -> tuple[str, str] | None:
    """A program's SupplierCode on a hotel request and the rule that chose it (SPEC 6a);
    None when the request names chains and none of them is one of this hotel program's
    brands.

    An air program: its airline code. A hotel program: the named chain its brand family
    holds; with no chain named, its primary chain code; with no chain code of its own (an
    alliance), the GDS's generic code: `$$` for 1G and 1V, `XX` for 1P (which refuses `$$`).
    """
    if provider.vendor_type is not VendorType.HOTEL:
        return str(provider.vendor_code), "airline_code"
    if chains:
        named = [code for code in provider.chain_codes if code in chains]
        return (named[0], "requested_chain") if named else None
    if provider.vendor_code:
        return provider.vendor_code, "primary_code"
    return ("XX" if gds == "1P" else "$$"), "generic_code"


def _codes(provider: Provider, chosen: tuple[str, str] | None) -> set[str]:
    """Every supplier code a card of `provider` may carry in a request."""
    codes = set(provider.chain_codes) | ({provider.vendor_code} if provider.vendor_code else set())
    return codes | ({chosen[0]} if chosen else set())


def plan_cards(
    memberships: Iterable[Membership],
    providers: Mapping[str, Provider],
    gds: str,
    today: date,
    chains: frozenset[str] = frozenset(),
    existing: Sequence[ExistingCard] = (),
    limit: int = CARD_LIMIT,
    prohibited: frozenset[str] = frozenset(),
) -> Plan:
    """The hotel rule set: the cards to add for one traveller at one place of a hotel
    request, and every membership left out, why.

    `chains` are the chains the request names, `prohibited` those it prohibits: a hotel
    program all of whose brands are prohibited is left out before it takes a place."""
    plan = Plan()
    taken_types = {c.supplier_type for c in existing if c.supplier_type}
    present = _present(existing)
    candidates: dict[str, list[tuple[Membership, tuple[str, str]]]] = {"Hotel": [], "Air": []}

    def leave(m: Membership, reason: str, detail: str) -> None:
        plan.left_out.append(LeftOut(m.id, reason, detail))

    for m in memberships:
        provider = _usable(m, providers, "hotel", today)
        if isinstance(provider, LeftOut):
            plan.left_out.append(provider)
            continue
        chosen = supplier_code(provider, gds, chains)
        family = set(provider.chain_codes)
        if any((c, m.account_number) in present for c in _codes(provider, chosen)):
            # The traveller's own card is there: it is this traveller's card of its type.
            taken_types.add(provider.vendor_type.supplier_type)
            leave(m, "already_present", "the request already carries this card")
        elif family and family <= prohibited:
            leave(m, "prohibited_chain", "the request prohibits every chain of this program")
        elif chosen is None:
            leave(m, "other_chain", f"the request names chain(s) {', '.join(sorted(chains))}")
        else:
            candidates[provider.vendor_type.supplier_type].append((m, chosen))

    room = limit - len(existing)
    for kind in PREFERENCE:
        for rank, (m, (code, rule)) in enumerate(candidates[kind]):
            if kind in taken_types or rank > 0:
                leave(m, "one_per_supplier_type", f"only one {kind} program is sent per traveller")
            elif room <= 0:
                leave(m, "card_limit", f"at most {limit} loyalty cards per traveller")
            else:
                plan.add.append(_card(m, code, kind, rule))
                room -= 1
    return plan


def hotel_cards(
    held: Sequence[Membership],
    catalog: Mapping[str, Provider],
    gds: str,
    today: date,
    place: CardPlace,
) -> Plan:
    """The hotel rule set at one place of a hotel request."""
    terms = place.terms
    assert isinstance(terms, HotelTerms)
    return plan_cards(
        held,
        catalog,
        gds,
        today,
        terms.chains,
        place.existing,
        prohibited=terms.prohibited_chains,
    )


# -- one card per supplier, at most so many: the air and vehicle rules' shape ------------------


@dataclass(frozen=True)
class Suppliers:
    """What a request of a one-card-per-supplier product (air, vehicle) names: `named`, the
    suppliers whose programs take cards, in the order they go (none: every program, in the
    traveller's order), `prohibited` those it refuses, and at most `limit` cards at a
    place. `elsewhere` says why a program of another supplier is left out; `first`, when
    given, may leave a usable program out before any other rule."""

    product: str
    supplier_type: str  # Air, Vehicle
    rule: str  # airline_code, vendor_code
    word: str  # carrier, vendor: how a detail names a supplier
    named: tuple[str, ...]
    prohibited: frozenset[str]
    limit: int
    elsewhere: Callable[[Membership, Provider, str], LeftOut]
    first: Callable[[Membership], LeftOut | None] = lambda m: None


def one_per_supplier(
    held: Sequence[Membership],
    catalog: Mapping[str, Provider],
    today: date,
    place: CardPlace,
    suppliers: Suppliers,
) -> Plan:
    """The cards of a place of an air or vehicle request: usable programs of the suppliers
    the request names (or of any, if it names none), not prohibited nor already there, in
    the suppliers' order; one per supplier code (with the cards already there), at most
    `limit` at the place, those already there included."""
    plan = Plan()
    present = _present(place.existing)
    taken = {
        c.supplier_code
        for c in place.existing
        if c.supplier_type in (None, suppliers.supplier_type)
    }
    named = suppliers.named
    candidates: list[tuple[int, Membership, str]] = []
    for n, m in enumerate(held):
        provider = _usable(m, catalog, suppliers.product, today)
        if isinstance(provider, LeftOut):
            plan.left_out.append(provider)
            continue
        code = provider.vendor_code or ""  # air and car programs always have theirs
        first = suppliers.first(m)
        if first is not None:
            plan.left_out.append(first)
        elif (code, m.account_number) in present:
            taken.add(code)
            plan.left_out.append(
                LeftOut(m.id, "already_present", "the request already carries this card")
            )
        elif code in suppliers.prohibited:
            detail = f"the request prohibits {suppliers.word} {code}"
            plan.left_out.append(replace(suppliers.elsewhere(m, provider, code), detail=detail))
        elif named and code not in named:
            plan.left_out.append(suppliers.elsewhere(m, provider, code))
        else:
            candidates.append((named.index(code) if named else n, m, code))
    room = suppliers.limit - len(place.existing)
    for _, m, code in sorted(candidates, key=lambda c: c[0]):
        if code in taken:
            detail = f"one card per {suppliers.word}: {code} has one"
            plan.left_out.append(LeftOut(m.id, "one_per_supplier_type", detail))
        elif room <= 0:
            detail = f"at most {suppliers.limit} loyalty cards per traveller here"
            plan.left_out.append(LeftOut(m.id, "card_limit", detail))
        else:
            plan.add.append(_card(m, code, suppliers.supplier_type, suppliers.rule))
            taken.add(code)
            room -= 1
    return plan


# -- air ----------------------------------------------------------------------------------


def air_cards(
    held: Sequence[Membership],
    catalog: Mapping[str, Provider],
    gds: str,
    today: date,
    place: CardPlace,
) -> Plan:
    """The air rule set at one place (a BookingTraveler, a SearchPassenger, an AirAdd or
    AirUpdate): airline programs only; with carriers named, those of a named carrier, in
    the order the request names the carriers; an airline it does not name is
    `partner_carrier` when its alliance is a named carrier's (the detail names the
    alliance), else `other_carrier`; none named (an open search): every airline program,
    in the traveller's order. One card per airline, at most `AIR_CARD_LIMIT`."""
    terms = place.terms
    assert isinstance(terms, AirTerms)
    carriers = terms.carriers
    alliances = {
        p.vendor_code: p.partners_in
        for p in catalog.values()
        if p.vendor_type is VendorType.AIR and p.vendor_code in carriers and p.partners_in
    }

    def elsewhere(m: Membership, provider: Provider, code: str) -> LeftOut:
        partners = sorted(c for c, a in alliances.items() if a == provider.partners_in)
        if partners:
            detail = (
                f"{code} is no carrier of this request; a {provider.partners_in} partner of "
                f"{_listing(partners)}, which it names"
            )
            return LeftOut(m.id, "partner_carrier", detail)
        detail = f"{code} is no carrier of this request, which names {_listing(carriers)}"
        return LeftOut(m.id, "other_carrier", detail)

    suppliers = Suppliers(
        "air", "Air", "airline_code", "carrier", carriers, terms.prohibited, AIR_CARD_LIMIT,
        elsewhere,
    )  # fmt: skip
    return one_per_supplier(held, catalog, today, place, suppliers)


# -- vehicle ------------------------------------------------------------------------------


def vehicle_cards(
    held: Sequence[Membership],
    catalog: Mapping[str, Provider],
    gds: str,
    today: date,
    place: CardPlace,
) -> Plan:
    """The vehicle rule set at one place (the driver's BookingTraveler, a search's
    VehicleSearchModifiers, a VehicleAdd or VehicleUpdate): car programs only; of the
    vendors the request books or names (a RateCode: the vendors it is for, and one card in
    all), in that order; none named: every car program, in the traveller's order. One
    card per vendor. On a 1P search none (`not_on_provider`)."""
    terms = place.terms
    assert isinstance(terms, VehicleTerms)
    rated = terms.rate_code and bool(terms.rate_code_vendors)
    vendors = terms.rate_code_vendors if rated else terms.vendors
    named = "its RateCode is for" if rated else "it names"

    def elsewhere(m: Membership, provider: Provider, code: str) -> LeftOut:
        detail = f"{code} is no vendor of this request; {named} {_listing(vendors)}"
        return LeftOut(m.id, "other_vendor", detail)

    def first(m: Membership) -> LeftOut | None:
        if terms.search and gds == "1P":
            detail = "a 1P (Worldspan) car search takes a supplier's customer id, no traveller card"
            return LeftOut(m.id, "not_on_provider", detail)
        return None

    limit = RATE_CODE_CARDS if terms.rate_code else MAX_PLACE_CARDS
    suppliers = Suppliers(
        "vehicle", "Vehicle", "vendor_code", "vendor", vendors, terms.prohibited, limit,
        elsewhere, first,
    )  # fmt: skip
    return one_per_supplier(held, catalog, today, place, suppliers)


# A product's rule set: one traveller's cards at one place of one of its requests.
Rules = Callable[[Sequence[Membership], Mapping[str, Provider], str, date, CardPlace], Plan]
RULES: dict[str, Rules] = {"hotel": hotel_cards, "air": air_cards, "vehicle": vehicle_cards}
