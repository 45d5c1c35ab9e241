"""Hotel LoyaltyCard enrichment: which cards a hotel request gets, and for whom.

The Universal API's rules (seed 003 and the v52 schema), as pure functions: at
most four cards per traveller; Hotel and Air programs only (no car cross-accrual
for hotels); one Hotel and one Air program per traveller; when the request names
chains, only the hotel program whose brand family holds one, under that chain's
code; no hotel program whose every brand the request prohibits; CardNumber at
most 36 characters; SupplierCode exactly two characters: the chain or airline
code, else `$$` (1G, 1V) or `XX` (1P, which refuses `$$`). Then the use case:
choose the GDS, find each place's traveller within the caller's reach, and plan
their cards by the rule set of the request's product (`RULES`: hotel only so far).
Reading and writing the XML is the interface's codec (`interfaces/hotel/uapi.py`).
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import date

from loyalty_core.access import reaches_user
from loyalty_core.errors import InvalidInput, MalformedRequest, Problem
from loyalty_core.models import Membership, Principal, Provider, VendorType
from loyalty_core.models.cards import (
    Added,
    Card,
    CardPlace,
    CardRequest,
    Enrichment,
    ExistingCard,
    LeftOut,
    NamedProviders,
    NotAdded,
    Plan,
    Traveller,
)
from loyalty_core.repository import Login, Repository
from loyalty_core.services.memberships import list_memberships
from loyalty_core.validators import without_formatting

CARD_LIMIT = 4
MAX_CARD_NUMBER = 36
PROVIDERS = ("1G", "1V", "1P")  # the GDS codes; others (aggregators such as TRM) are ignored
TRAVELLER_LIMIT = 9  # BookingTravelers looked up per request, matched or not (SPEC 3)
LOGIN_BATCH = 100  # the keys of one BatchGetItem
EMAILS_PER_TRAVELLER = LOGIN_BATCH // TRAVELLER_LIMIT  # so their logins are one BatchGetItem
MAX_EMAIL = 254
CARD_TYPES = (VendorType.HOTEL, VendorType.AIR)  # never VendorType.CAR on a hotel request
PREFERENCE = ("Hotel", "Air")  # which card wins a place when the limit is near


def supplier_code(
    provider: Provider, gds: str, chains: frozenset[str] = frozenset()
) -> tuple[str, str] | None:
    """A program's SupplierCode and the rule that chose it (SPEC 6a); None when the request
    names chains and none of them is one of this hotel program's brands.

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
    """The cards to add for one traveller at one place, and every membership left out, why.

    `chains` are the chains the request names, `prohibited` those it prohibits: a hotel
    program all of whose brands are prohibited is left out before it takes a place."""
    plan = Plan()
    taken_types = {c.supplier_type for c in existing if c.supplier_type}
    present = {(c.supplier_code, without_formatting(c.card_number)) for c in existing}
    candidates: dict[str, list[tuple[Membership, tuple[str, str]]]] = {"Hotel": [], "Air": []}

    def leave(m: Membership, reason: str, detail: str) -> None:
        plan.left_out.append(LeftOut(m.id, reason, detail))

    for m in memberships:
        provider = providers.get(m.provider_id)
        if provider is None:
            leave(m, "unknown_provider", "its provider is no longer in the catalog")
            continue
        chosen = supplier_code(provider, gds, chains)
        family = set(provider.chain_codes)
        if provider.vendor_type not in CARD_TYPES:
            leave(m, "vehicle_program", "car programs are not cross-accrued on hotel requests")
        elif m.is_expired(today):
            leave(m, "expired", f"the membership expired on {m.expires_on}")
        elif len(m.account_number) > MAX_CARD_NUMBER:
            leave(m, "card_number_too_long", f"CardNumber allows {MAX_CARD_NUMBER} characters")
        elif any((c, m.account_number) in present for c in _codes(provider, chosen)):
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
                plan.add.append(Card(str(uuid.uuid4()), code, m.account_number, kind, m.id, rule))
                room -= 1
    return plan


def hotel_cards(
    held: Sequence[Membership],
    catalog: Mapping[str, Provider],
    gds: str,
    today: date,
    request: CardRequest,
    place: CardPlace,
) -> Plan:
    """The hotel rule set at one place of a hotel request."""
    return plan_cards(
        held,
        catalog,
        gds,
        today,
        request.chains,
        place.existing,
        prohibited=request.prohibited_chains,
    )


# A product's rule set: one traveller's cards at one place of one of its requests. The use
# case below (provider, travellers, reach, limits, the report) is the same for every product.
Rules = Callable[
    [Sequence[Membership], Mapping[str, Provider], str, date, CardRequest, CardPlace], Plan
]
RULES: dict[str, Rules] = {"hotel": hotel_cards}


# -- the use case ---------------------------------------------------------------------


def _code(code: str) -> str:
    """A provider code as an answer may quote it: short codes only, never caller text."""
    return code if re.fullmatch(r"[A-Za-z0-9]{1,5}", code) else "(not a provider code)"


def choose_provider(named: Sequence[NamedProviders], asked: str | None) -> str:
    """The GDS the request goes to: `?provider=`, else the one GDS code the document names
    (its ProviderCode, PointOfSale/@ProviderCode, or a PermittedProviders list naming a
    single GDS). Only 1G, 1V and 1P count; any other code (an aggregator such as TRM) is
    ignored. None at all, two that disagree, or a `?provider=` that disagrees: 400, naming
    what the document names (codes and fixed labels only)."""
    found: dict[str, list[str]] = {}  # GDS code -> where the document names it
    for source in named:
        gds = {c.strip().upper() for c in source.codes} & set(PROVIDERS)
        if len(gds) == 1:
            places = found.setdefault(gds.pop(), [])
            if source.where not in places:
                places.append(source.where)

    def listing(codes: Iterable[str]) -> str:
        return " and ".join(f"{c} ({', '.join(found[c])})" for c in sorted(codes))

    if asked:
        asked = asked.strip().upper()
        if asked not in PROVIDERS:
            raise MalformedRequest(
                f"provider must be one of {', '.join(PROVIDERS)}",
                [Problem("must be 1G, 1V or 1P", ("provider",), kind="parameter")],
            )
        if set(found) - {asked}:
            raise MalformedRequest(
                f"provider={asked} disagrees with the document, which names {listing(found)}"
            )
        return asked
    if len(found) > 1:
        raise MalformedRequest(
            f"The document names two GDS providers that disagree: {listing(found)}; "
            "send one, or ?provider=1G, 1V or 1P matching it"
        )
    if not found:
        sources = (
            f"{s.where} {', '.join(dict.fromkeys(_code(c.strip().upper()) for c in s.codes[:5]))}"
            for s in named[:5]
        )
        seen = "; ".join(dict.fromkeys(sources))
        message = (
            "No provider: the document names no single GDS (1G, 1V or 1P)"
            + (f" (it names {seen})" if seen else "")
            + "; send ?provider=1G, 1V or 1P, or a ProviderCode, PointOfSale or "
            "PermittedProviders naming one in the request"
        )
        raise MalformedRequest(message, [Problem(message, ("provider",), kind="parameter")])
    (only,) = found
    return only


def _emails(traveller: Traveller) -> tuple[str, ...]:
    """The emails a BookingTraveler is looked up by: its first few, of a length an email
    can have (nine travellers' fit one BatchGetItem)."""
    return tuple(e for e in traveller.emails if len(e) <= MAX_EMAIL)[:EMAILS_PER_TRAVELLER]


def _traveller(
    repo: Repository,
    principal: Principal,
    place: CardPlace,
    employee_id: str | None,
    logins: dict[str, Login],
    known: dict[str, tuple[Membership, ...]],
    alone: bool,
) -> tuple[str, tuple[Membership, ...]] | str:
    """(employee id, memberships) of a place's traveller, or why it is not found.

    A BookingTraveler is matched by its email to a user within the caller's reach; the
    request's only BookingTraveler, without an email, and a place of a request that names
    nobody, are the traveller the caller names by `employee_id`. `known` remembers each
    traveller's memberships: one Query per traveller, however many places name them.
    """

    def memberships(who: str) -> tuple[str, tuple[Membership, ...]]:
        if who not in known:
            known[who] = list_memberships(repo, principal, who)
        return who, known[who]

    traveller = place.traveller
    if traveller.booking_traveler and traveller.emails:
        for email in _emails(traveller):
            login = logins.get(email)
            if login is not None and reaches_user(principal, login.user):
                return memberships(login.user.employee_id)
        return "no user of your company within your reach has this email"
    if traveller.booking_traveler and not alone:
        return "this BookingTraveler has no Email to match it by, beside other travellers"
    if not employee_id:
        raise InvalidInput(
            "employee_id is required: the request names no traveller by email",
            [Problem("is required for this request", ("employee_id",), kind="parameter")],
        )
    return memberships(employee_id)


def enrich(
    repo: Repository,
    principal: Principal,
    request: CardRequest,
    today: date,
    provider: str | None = None,
    employee_id: str | None = None,
) -> Enrichment:
    """The cards for every place of `request`, for travellers within the caller's reach."""
    gds = choose_provider(request.providers, provider)
    result = Enrichment(gds, request.kind)
    booked = [p.traveller for p in request.places if p.traveller.booking_traveler]
    emails = [e for traveller in booked[:TRAVELLER_LIMIT] for e in _emails(traveller)]
    logins = repo.get_logins(emails) if emails else {}
    catalog = {p.id: p for p in repo.providers()}
    known: dict[str, tuple[Membership, ...]] = {}
    position = 0  # of the place's BookingTraveler, in document order
    rules = RULES[request.product]
    for place in request.places:
        if place.traveller.booking_traveler:
            position += 1
            if position > TRAVELLER_LIMIT:
                result.left_out.append(
                    NotAdded(
                        place.label,
                        "traveller_limit",
                        f"at most {TRAVELLER_LIMIT} travellers are looked up per request",
                        traveller=place.traveller.label,
                    )
                )
                continue
        if place.problem:
            result.left_out.append(
                NotAdded(place.label, "no_place", place.problem, traveller=place.traveller.label)
            )
            continue
        found = _traveller(
            repo, principal, place, employee_id, logins, known, alone=len(booked) == 1
        )
        if isinstance(found, str):
            result.left_out.append(
                NotAdded(place.label, "traveller_not_found", found, traveller=place.traveller.label)
            )
            continue
        who, held = found
        plan = rules(held, catalog, gds, today, request, place)
        result.added.extend(Added(place.label, who, card) for card in plan.add)
        result.left_out.extend(
            NotAdded(place.label, left.reason, left.detail, who, left.membership_id)
            for left in plan.left_out
        )
    if not request.takes_cards:
        result.left_out.append(
            NotAdded(request.kind, "no_place", f"{request.kind} takes no LoyaltyCard")
        )
    return result
