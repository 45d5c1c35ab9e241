"""The hotel LoyaltyCard enrichment call: read the request, find each traveller, plan
their cards by the Universal API's rules, write them in place, report what was left out."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any

from loyalty_core.errors import InvalidInput, MalformedRequest, Problem
from loyalty_core.models import Membership, Principal
from loyalty_core.repository import Repository
from loyalty_core.services.enrichment import PROVIDERS, plan_cards
from loyalty_core.services.memberships import list_memberships
from loyalty_core.xml.uapi import RULES, HotelRequest, Place, read_request, write_cards


@dataclass
class Enrichment:
    document: bytes
    provider: str
    kind: str
    added: list[dict[str, Any]] = field(default_factory=list)
    left_out: list[dict[str, Any]] = field(default_factory=list)

    def report(self) -> dict[str, Any]:
        return {
            "provider": self.provider,
            "request": self.kind,
            "added": self.added,
            "left_out": self.left_out,
        }


def choose_provider(request: HotelRequest, asked: str | None) -> str:
    """`?provider=` else the document's ProviderCode or single PermittedProviders code."""
    named = {p.upper() for p in request.providers}
    if asked:
        asked = asked.upper()
        if asked not in PROVIDERS:
            raise MalformedRequest(
                f"provider must be one of {', '.join(PROVIDERS)}",
                [Problem("must be 1G, 1V or 1P", ("provider",), kind="parameter")],
            )
        if named - {asked}:
            raise MalformedRequest(
                f"provider={asked} disagrees with the document's {', '.join(sorted(named))}"
            )
        return asked
    if len(named) > 1:
        raise MalformedRequest(f"The document names several providers: {', '.join(sorted(named))}")
    if not named:
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
    (only,) = named
    if only not in PROVIDERS:
        raise MalformedRequest(f"The document's provider {only} is not 1G, 1V or 1P")
    return only


def _memberships_of(
    repo: Repository,
    principal: Principal,
    place: Place,
    employee_id: str | None,
    logins: dict[str, Any],
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
            if login is None:
                continue
            user = login.user
            if user.company == principal.company and principal.reaches(user.employee_id):
                return memberships(user.employee_id)
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
    data: bytes,
    today: date,
    provider: str | None = None,
    employee_id: str | None = None,
    booking_traveler_ref: str | None = None,
) -> Enrichment:
    request = read_request(data, booking_traveler_ref)
    gds = choose_provider(request, provider)
    result = Enrichment(b"", gds, request.kind)
    emails = [e for place in request.places for e in place.traveller.emails if len(e) <= 254]
    logins = repo.get_logins(emails) if emails else {}
    catalog = {p.id: p for p in repo.providers()}
    known: dict[str, tuple[Membership, ...]] = {}
    for place in request.places:
        if place.problem:
            result.left_out.append(
                {
                    "place": place.label,
                    "traveller": place.traveller.label,
                    "reason": "no_place",
                    "detail": place.problem,
                }
            )
            continue
        found = _memberships_of(repo, principal, place, employee_id, logins, known)
        if found is None:
            result.left_out.append(
                {
                    "place": place.label,
                    "traveller": place.traveller.label,
                    "reason": "traveller_not_found",
                    "detail": "no user of your company within your reach has this email",
                }
            )
            continue
        who, held = found
        plan = plan_cards(held, catalog, gds, today, request.chains, place.existing)
        write_cards(request, place, plan.add)
        for card in plan.add:
            result.added.append(
                {
                    "place": place.label,
                    "employee_id": who,
                    "membership_id": card.membership_id,
                    "key": card.key,
                    "supplier_code": card.supplier_code,
                    "supplier_type": card.supplier_type,
                }
            )
        for left in plan.left_out:
            result.left_out.append(
                {
                    "place": place.label,
                    "employee_id": who,
                    "membership_id": left.membership_id,
                    "reason": left.reason,
                    "detail": left.detail,
                }
            )
    if request.kind == RULES:
        result.left_out.append(
            {"place": RULES, "reason": "no_place", "detail": "HotelRulesReq takes no LoyaltyCard"}
        )
    result.document = request.serialize()
    return result
