"""Membership use cases shared by every interface: list, read, create, update, delete.
The rules they keep are the membership set's (`models.membership_set`); each write is one
unit of work (`services.writes`)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from loyalty_core import models
from loyalty_core.access import require_reach
from loyalty_core.errors import NotFound, PreconditionFailed, Problem, clip, quote
from loyalty_core.services.writes import load, write
from loyalty_core.validators import is_record_id

if TYPE_CHECKING:
    from loyalty_core.models import (
        Change,
        Membership,
        MembershipChanges,
        MembershipDraft,
        MembershipSet,
        Origin,
        Principal,
    )
    from loyalty_core.repository import Repository
    from loyalty_core.services.idempotency import Claim


def membership_not_found(membership_id: str) -> NotFound:
    return NotFound(f"No loyalty membership {quote(membership_id)} for this user")


def check_if_match(membership: Membership, if_match: str | None) -> None:
    """Honour an `If-Match` header (a list of ETags, or *) against the stored version, by
    strong comparison (RFC 9110): a weak tag (`W/"1"`) never matches."""
    if if_match is None:
        return
    tags = {t.strip() for t in if_match.split(",")}
    if "*" not in tags and membership.etag not in tags:
        raise PreconditionFailed(
            f"If-Match {clip(if_match)} does not match the current ETag {membership.etag}"
            ' (an ETag is quoted: If-Match: "1")'
        )


def require_provider(repo: Repository, provider_id: str) -> None:
    if repo.get_provider(provider_id) is None:
        raise NotFound(
            f"No loyalty provider {quote(provider_id)}",
            [Problem(f"No loyalty provider {quote(provider_id)} in the catalog", ("provider_id",))],
        )


# -- the use cases ----------------------------------------------------------------------


def list_memberships(
    repo: Repository, principal: Principal, employee_id: str
) -> tuple[Membership, ...]:
    require_reach(principal, employee_id)
    return load(repo, principal.company, employee_id).memberships


def get_membership(
    repo: Repository, principal: Principal, employee_id: str, membership_id: str
) -> Membership:
    require_reach(principal, employee_id)
    found = (
        repo.get_membership(principal.company, employee_id, membership_id)
        if is_record_id(membership_id)
        else None
    )
    if found is None:
        raise membership_not_found(membership_id)
    return found


def create_membership(
    repo: Repository,
    principal: Principal,
    employee_id: str,
    draft: MembershipDraft,
    *,
    origin: Origin,
    claim: Claim | None = None,
) -> Membership:
    require_reach(principal, employee_id)
    require_provider(repo, draft.provider_id)

    def decide(held: MembershipSet) -> tuple[Change, Membership]:
        created = models.new_membership(draft, principal.company, employee_id)
        held.refuse_duplicate(created)
        return models.Change(put=(created,)), created

    return write(repo, principal.company, employee_id, decide, origin, claim)


def update_membership(
    repo: Repository,
    principal: Principal,
    employee_id: str,
    membership_id: str,
    changes: MembershipChanges,
    provider_id: str | None = None,
    if_match: str | None = None,
    *,
    origin: Origin,
) -> Membership:
    require_reach(principal, employee_id)
    if provider_id is not None:
        require_provider(repo, provider_id)

    def decide(held: MembershipSet) -> tuple[Change, Membership]:
        current = held.find(membership_id)
        if current is None:
            raise membership_not_found(membership_id)
        check_if_match(current, if_match)
        updated = models.apply_changes(current, changes, provider_id)
        if updated is current:
            return models.Change(), current
        held.refuse_duplicate(updated)
        return models.Change(put=(updated,)), updated

    return write(repo, principal.company, employee_id, decide, origin)


def delete_membership(
    repo: Repository,
    principal: Principal,
    employee_id: str,
    membership_id: str,
    if_match: str | None = None,
    *,
    origin: Origin,
) -> None:
    require_reach(principal, employee_id)

    def decide(held: MembershipSet) -> tuple[Change, None]:
        current = held.find(membership_id)
        if current is None:
            raise membership_not_found(membership_id)
        check_if_match(current, if_match)
        return models.Change(delete=(current,)), None

    write(repo, principal.company, employee_id, decide, origin)
