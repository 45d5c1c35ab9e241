"""Hotel LoyaltyCard enrichment: which cards a hotel request gets, and for whom.

The Universal API's rules (seed 003 and the v52 schema), as pure functions: at
most four cards per traveller; Hotel and Air programs only (no car cross-accrual
for hotels); one Hotel and one Air program per traveller; when the request names
chains, only the hotel program whose brand family holds one, under that chain's
code; no hotel program whose every brand the request prohibits; CardNumber at
most 36 characters; SupplierCode exactly two characters: the chain or airline
code, else `$$` (1G, 1V) or `XX` (1P, which refuses `$$`). Then the use case:
choose the GDS, find each place's traveller within the caller's reach, and plan
their cards. Reading and writing the XML is the hotel interface's
(`interfaces/hotel/uapi.py`).
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Mapping, Sequence
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
    NotAdded,
    Plan,
)
from loyalty_core.repository import Login, Repository
from loyalty_core.services.memberships import list_memberships
from loyalty_core.validators import without_formatting

CARD_LIMIT = 4
MAX_CARD_NUMBER = 36
PROVIDERS = ("1G", "1V", "1P")
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
        elif family and family <= prohibited:
            leave(m, "prohibited_chain", "the request prohibits every chain of this program")
        elif chosen is None:
            leave(m, "other_chain", f"the request names chain(s) {', '.join(sorted(chains))}")
        elif any((c, m.account_number) in present for c in family | {chosen[0]}):
            leave(m, "already_present", "the request already carries this card")
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


# -- the use case ---------------------------------------------------------------------


def choose_provider(named: tuple[str, ...], asked: str | None) -> str:
    """`?provider=` else the document's ProviderCode or single PermittedProviders code."""
    codes = {p.upper() for p in named}
    if asked:
        asked = asked.upper()
        if asked not in PROVIDERS:
            raise MalformedRequest(
                f"provider must be one of {', '.join(PROVIDERS)}",
                [Problem("must be 1G, 1V or 1P", ("provider",), kind="parameter")],
            )
        if codes - {asked}:
            raise MalformedRequest(
                f"provider={asked} disagrees with the document's {', '.join(sorted(codes))}"
            )
        return asked
    if len(codes) > 1:
        raise MalformedRequest(f"The document names several providers: {', '.join(sorted(codes))}")
    if not codes:
        raise MalformedRequest(
            "No provider: send ?provider=1G, 1V or 1P, or a ProviderCode or a single "
            "PermittedProviders/Provider in the request",
            [
                Problem(
                    "is required when the document names no provider",
                    ("provider",),
                    kind="parameter",
                )
            ],
        )
    (only,) = codes
    if only not in PROVIDERS:
        raise MalformedRequest(f"The document's provider {only} is not 1G, 1V or 1P")
    return only


def _traveller(
    repo: Repository,
    principal: Principal,
    place: CardPlace,
    employee_id: str | None,
    logins: dict[str, Login],
    known: dict[str, tuple[Membership, ...]],
) -> tuple[str, tuple[Membership, ...]] | None:
    """(employee id, memberships) of a place's traveller, or None if not matched.

    `known` remembers each traveller's memberships: one Query per traveller, however
    many places (BookingTravelers, HotelAdds) name them.
    """

    def memberships(who: str) -> tuple[str, tuple[Membership, ...]]:
        if who not in known:
            known[who] = list_memberships(repo, principal, who)
        return who, known[who]

    if place.traveller.emails:
        for email in place.traveller.emails:
            login = logins.get(email)
            if login is not None and reaches_user(principal, login.user):
                return memberships(login.user.employee_id)
        return None
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
    emails = [e for place in request.places for e in place.traveller.emails if len(e) <= 254]
    logins = repo.get_logins(emails) if emails else {}
    catalog = {p.id: p for p in repo.providers()}
    known: dict[str, tuple[Membership, ...]] = {}
    for place in request.places:
        cards: list[Card] = []
        result.cards.append(cards)
        if place.problem:
            result.left_out.append(
                NotAdded(place.label, "no_place", place.problem, traveller=place.traveller.label)
            )
            continue
        found = _traveller(repo, principal, place, employee_id, logins, known)
        if found is None:
            result.left_out.append(
                NotAdded(
                    place.label,
                    "traveller_not_found",
                    "no user of your company within your reach has this email",
                    traveller=place.traveller.label,
                )
            )
            continue
        who, held = found
        plan = plan_cards(
            held,
            catalog,
            gds,
            today,
            request.chains,
            place.existing,
            prohibited=request.prohibited_chains,
        )
        cards.extend(plan.add)
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
