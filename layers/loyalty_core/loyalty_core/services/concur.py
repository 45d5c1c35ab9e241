"""Concur loyalty updates: who may write which program, and the atomic upsert."""

from __future__ import annotations

import hmac
from collections.abc import Sequence
from datetime import UTC, datetime

from loyalty_core.auth import hash_token
from loyalty_core.errors import AccessDenied, InvalidInput, Problem, Unauthenticated
from loyalty_core.models import ApplicationKind, Membership, MembershipDraft, Provider, VendorType
from loyalty_core.repository import AccessToken, Repository, UserMemberships
from loyalty_core.services.memberships import (
    Change,
    apply_changes,
    duplicate_of,
    new_membership,
    write_with_retry,
)
from loyalty_core.xml.concur import ConcurMembership

VENDOR_TYPES = {"A": VendorType.AIR, "C": VendorType.CAR, "H": VendorType.HOTEL}
_SCHEMES = ("oauth", "bearer")


def authenticate_application(
    repo: Repository, authorization: str | None, now: datetime | None = None
) -> AccessToken:
    """The application and user behind `Authorization: OAuth {token}` (or Bearer).

    Unauthenticated (401) for a missing, unknown or expired token; AccessDenied (403)
    for a supplier that has not completed the review process.
    """
    scheme, _, token = (authorization or "").strip().partition(" ")
    if scheme.lower() not in _SCHEMES or not token.strip():
        raise Unauthenticated("An Authorization header 'OAuth {access token}' is required")
    presented = hash_token(token.strip())
    found = repo.get_access_token(presented)
    if found is None or not hmac.compare_digest(found.token_hash, presented):
        raise Unauthenticated("The access token is not valid")
    if found.expires_at is not None and (now or datetime.now(UTC)) >= found.expires_at:
        raise Unauthenticated("The access token has expired")
    app = found.application
    if app.kind is ApplicationKind.SUPPLIER and not app.certified:
        raise AccessDenied(
            f"Application {app.id} has not completed the review process; "
            "only certified suppliers may post loyalty updates"
        )
    return found


def _catalog_by_code(repo: Repository) -> dict[tuple[VendorType, str], Provider]:
    return {(p.vendor_type, p.vendor_code): p for p in repo.providers()}


def programs(
    repo: Repository, token: AccessToken, sent: Sequence[ConcurMembership]
) -> list[Provider]:
    """The provider of each Membership: a supplier's own, or the TMC's VendorCode + VendorType."""
    app = token.application
    catalog = _catalog_by_code(repo)
    if app.kind is ApplicationKind.SUPPLIER:
        own = catalog.get((app.vendor_type, app.vendor_code or "")) if app.vendor_type else None
        if own is None:
            raise AccessDenied(f"Application {app.id}'s program is not in the provider catalog")
        return [own for _ in sent]  # a supplier's body VendorCode/VendorType are ignored
    problems: list[Problem] = []
    found: list[Provider] = []
    for m in sent:
        if not m.vendor_code:
            problems.append(m.problem("VendorCode", "is required when a TMC sends the update"))
        if not m.vendor_type:
            problems.append(m.problem("VendorType", "is required when a TMC sends the update"))
        elif m.vendor_type not in VENDOR_TYPES:
            problems.append(m.problem("VendorType", "must be A (air), C (car) or H (hotel)"))
        elif m.vendor_code:
            provider = catalog.get((VENDOR_TYPES[m.vendor_type], m.vendor_code.upper()))
            if provider is None:
                problems.append(
                    m.problem(
                        "VendorCode", f"{m.vendor_code} ({m.vendor_type}) is not a known program"
                    )
                )
            else:
                found.append(provider)
    if problems:
        raise InvalidInput("The update is not valid; nothing was applied", problems)
    return found


def apply_update(
    repo: Repository, token: AccessToken, sent: Sequence[ConcurMembership]
) -> list[Membership]:
    """Upsert each Membership by (user, provider, UniqueID), all in one transaction."""
    providers = programs(repo, token, sent)

    def decide(snapshot: UserMemberships) -> tuple[Change, list[Membership]]:
        held = list(snapshot.memberships)
        written: list[Membership] = []
        problems: list[Problem] = []
        seen: set[tuple[str, str]] = set()
        for m, provider in zip(sent, providers, strict=True):
            if (provider.id, m.unique_id) in seen:
                problems.append(m.problem("UniqueID", "is sent twice for the same program"))
                continue
            seen.add((provider.id, m.unique_id))
            current = next(
                (h for h in held if h.provider_id == provider.id and h.program == m.unique_id), None
            )
            if current is not None:
                result = apply_changes(current, m.changes)
            elif m.changes.account_number is None:
                problems.append(m.problem("AccountNo", "is required to add a new membership"))
                continue
            else:
                draft = MembershipDraft.model_validate(
                    {**m.changes.model_dump(exclude_unset=True), "provider_id": provider.id}
                )
                result = new_membership(draft, token.company, token.employee_id)
            view = UserMemberships(snapshot.user, snapshot.revision, tuple(held))
            if duplicate_of(view, provider.id, result.account_number, result.id):
                problems.append(
                    m.problem("AccountNo", "is already held under another program of this vendor")
                )
                continue
            held = [h for h in held if h.id != result.id] + [result]
            written.append(result)
        if problems:
            raise InvalidInput("The update is not valid; nothing was applied", problems)
        return Change(put=written), written

    return write_with_retry(repo, token.company, token.employee_id, decide)
