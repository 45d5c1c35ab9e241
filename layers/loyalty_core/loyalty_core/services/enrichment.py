"""LoyaltyCard enrichment, the use case: which cards a Universal API request gets, and for
whom, for every product (hotel, air, vehicle) alike.

Choose the GDS (`choose_provider`); find whose each place is (a BookingTraveler by its
email, a SearchPassenger by the employee id the caller names in its rank, any other place
by the one employee id the caller names), within the caller's reach and at most
`TRAVELLER_LIMIT` of the travellers the request lists; read each traveller's memberships
once (one Query each, run at once: a request of nine travellers waits for about one
Query); plan each place's cards by its product's rule set (`card_rules.RULES`); and report
every card added and every membership left out, each traveller once however many places
name them. Reading and writing the XML is the interface's codec (`interfaces/uapi/`).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from datetime import date
from typing import TYPE_CHECKING

from loyalty_core.access import reaches_user, require_reach
from loyalty_core.errors import InvalidInput, MalformedRequest, Problem
from loyalty_core.models.cards import (
    Added,
    Enrichment,
    NotAdded,
)
from loyalty_core.services.card_rules import RULES
from loyalty_core.services.memberships import list_memberships

if TYPE_CHECKING:
    from loyalty_core.models import Membership, Principal
    from loyalty_core.models.cards import (
        CardPlace,
        CardRequest,
        NamedProviders,
        Traveller,
    )
    from loyalty_core.repository import Login, Repository

PROVIDERS = ("1G", "1V", "1P")  # the GDS codes; others (aggregators such as TRM) are ignored
TRAVELLER_LIMIT = 9  # travellers looked up per request, matched or not (SPEC 3, 12)
LOGIN_BATCH = 100  # the keys of one BatchGetItem
EMAILS_PER_TRAVELLER = LOGIN_BATCH // TRAVELLER_LIMIT  # so their logins are one BatchGetItem
MAX_EMAIL = 254
EMPLOYEE_ID = "employee_id"


# -- the provider ---------------------------------------------------------------------------


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


# -- the travellers --------------------------------------------------------------------------


def employee_ids(named: str | None, request: CardRequest) -> tuple[str, ...]:
    """The travellers the caller names by `employee_id`: comma-separated, matched in order
    to the request's SearchPassengers, else one for the places the request names nobody
    at. More ids than the request has room for (at most `TRAVELLER_LIMIT`): 400."""
    if not named:
        return ()
    ids = tuple(named.split(",", TRAVELLER_LIMIT))
    room = request.passengers or 1
    if len(ids) > TRAVELLER_LIMIT or "" in ids or len(ids) > room:
        takes = (
            f"one employee id for each of its {room} SearchPassenger(s), in order"
            if request.passengers
            else "one employee id"
        )
        if len(ids) > TRAVELLER_LIMIT:
            found = f"more than {TRAVELLER_LIMIT} employee ids"
        elif "" in ids:
            found = "an empty employee id"
        else:
            found = f"{len(ids)} employee ids"
        message = f"employee_id names {found}; this {request.kind} takes {takes}"
        raise MalformedRequest(message, [Problem(message, (EMPLOYEE_ID,), kind="parameter")])
    return ids


def _emails(traveller: Traveller) -> tuple[str, ...]:
    """The emails a BookingTraveler is looked up by: its first few, of a length an email
    can have (nine travellers' fit one BatchGetItem)."""
    return tuple(e for e in traveller.emails if len(e) <= MAX_EMAIL)[:EMAILS_PER_TRAVELLER]


def _whose(
    principal: Principal,
    place: CardPlace,
    ids: Sequence[str],
    logins: dict[str, Login],
    alone: bool,
) -> str | NotAdded:
    """The employee id of a place's traveller, or why it is not found.

    A BookingTraveler is matched by its email to a user within the caller's reach; the
    request's only BookingTraveler without an email, and a place of a request that names
    nobody, are the traveller the caller names by `employee_id`; the n-th SearchPassenger
    is the n-th id the caller names (a passenger with none is not found)."""
    traveller = place.traveller

    def not_found(detail: str) -> NotAdded:
        return NotAdded(place.label, "traveller_not_found", detail, traveller=traveller.label)

    if traveller.booking_traveler and traveller.emails:
        for email in _emails(traveller):
            login = logins.get(email)
            if login is not None and reaches_user(principal, login.user):
                return str(login.user.employee_id)
        return not_found("no user of your company within your reach has this email")
    if traveller.booking_traveler and not alone:
        return not_found(
            "this BookingTraveler has no Email to match it by, beside other travellers"
        )
    if not ids:
        requires = "for this request" if traveller.passenger is None else "for its passengers"
        raise InvalidInput(
            "employee_id is required: the request names no traveller by email",
            [Problem(f"is required {requires}", (EMPLOYEE_ID,), kind="parameter")],
        )
    if traveller.passenger is None:
        return ids[0]
    if traveller.passenger > len(ids):
        return not_found(f"employee_id names {len(ids)} traveller(s), none for this passenger")
    return ids[traveller.passenger - 1]


def _memberships(
    repo: Repository, principal: Principal, travellers: Sequence[str]
) -> dict[str, tuple[Membership, ...]]:
    """Each traveller's memberships: one Query each, run at once, so that the request waits
    for about one Query however many travellers it names (the store client is shared and
    thread-safe). Every traveller's reach is checked before any is read."""
    for who in travellers:
        require_reach(principal, who)
    if len(travellers) <= 1:
        return {who: list_memberships(repo, principal, who) for who in travellers}
    from concurrent.futures import ThreadPoolExecutor  # only a call of two or more: cold start

    with ThreadPoolExecutor(max_workers=len(travellers)) as pool:
        reads = {who: pool.submit(list_memberships, repo, principal, who) for who in travellers}
    return {who: read.result() for who, read in reads.items()}


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
    ids = employee_ids(employee_id, request)
    result = Enrichment(gds, request.kind, request.product)
    booked = [p.traveller for p in request.places if p.traveller.booking_traveler]
    emails = [e for traveller in booked[:TRAVELLER_LIMIT] for e in _emails(traveller)]
    logins = repo.get_logins(emails) if emails else {}
    catalog = {p.id: p for p in repo.providers()}

    # Whose each place is: an employee id, or why no card can go there.
    whose: list[tuple[CardPlace, str]] = []
    position = 0  # of the place's traveller among those the request lists, in document order
    for place in request.places:
        traveller = place.traveller
        if traveller.counted:
            position += 1
            if position > TRAVELLER_LIMIT:
                detail = f"at most {TRAVELLER_LIMIT} travellers are looked up per request"
                result.left_out.append(
                    NotAdded(place.label, "traveller_limit", detail, traveller=traveller.label)
                )
                continue
        if place.problem:
            result.left_out.append(
                NotAdded(place.label, "no_place", place.problem, traveller=traveller.label)
            )
            continue
        found = _whose(principal, place, ids, logins, alone=len(booked) == 1)
        if isinstance(found, NotAdded):
            result.left_out.append(found)
        else:
            whose.append((place, found))

    held = _memberships(repo, principal, list(dict.fromkeys(who for _, who in whose)))
    reported: set[tuple[str, str | None, str]] = set()
    for place, who in whose:
        plan = RULES[place.product](held[who], catalog, gds, today, place)
        result.added.extend(Added(place.label, who, card) for card in plan.add)
        for left in plan.left_out:  # a traveller named at several places is reported once
            if (who, left.membership_id, left.reason) not in reported:
                reported.add((who, left.membership_id, left.reason))
                result.left_out.append(
                    NotAdded(place.label, left.reason, left.detail, who, left.membership_id)
                )
    if not request.takes_cards:
        result.left_out.append(
            NotAdded(request.kind, "no_place", f"{request.kind} takes no LoyaltyCard")
        )
    return result
