"""Membership use cases shared by every interface: list, read, create, update, delete.
The rules they keep are the membership set's (`models.membership_set`); each write is one
unit of work (`services.writes`)."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

from loyalty_core.access import require_reach
from loyalty_core.errors import NotFound, PreconditionFailed, Problem, clip, quote
from loyalty_core.models import (
    Change,
    Membership,
    MembershipChanges,
    MembershipDraft,
    MembershipSet,
    Origin,
    Principal,
    User,
)
from loyalty_core.repository import Repository
from loyalty_core.services.idempotency import Claim
from loyalty_core.services.writes import load, write
from loyalty_core.validators import MEMBERSHIP_NAME, NOT_NAME_CHARACTER, compiled, is_record_id


def _now() -> datetime:
    return datetime.now(UTC)


def membership_not_found(membership_id: str) -> NotFound:
    return NotFound(f"No loyalty membership {quote(membership_id)} for this user")


def name_on_membership(user: User) -> str:
    """The name a membership carries when its interface sends none (Concur): the user's
    profile name, each character the membership name rule refuses turned into a space,
    spaces collapsed, cut to 50; the employee id if no letter or digit is left."""
    name = " ".join(compiled(NOT_NAME_CHARACTER).sub(" ", user.name).split())[:50].strip()
    for candidate in (name, user.employee_id):
        if compiled(MEMBERSHIP_NAME).fullmatch(candidate):
            return candidate
    return "Member"  # an employee id of underscores only: no name to take


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


def new_membership(draft: MembershipDraft, company: str, employee_id: str) -> Membership:
    """A draft as a stored membership: a server-assigned id and fresh meta."""
    now = _now()
    return Membership(
        **draft.model_dump(),
        id=str(uuid.uuid4()),
        company=company,
        employee_id=employee_id,
        created_at=now,
        updated_at=now,
    )


def apply_changes(
    current: Membership, changes: MembershipChanges, provider_id: str | None = None
) -> Membership:
    """`current` with the fields that `changes` carries, as a new version; `current`
    itself when they change nothing (a write that changes nothing is not a write: no new
    version, no ETag change, no audit record)."""
    values = current.model_dump()
    values.update({name: getattr(changes, name) for name in changes.model_fields_set})
    if provider_id is not None:
        values["provider_id"] = provider_id
    if values == current.model_dump():
        return current
    values.update(version=current.version + 1, updated_at=_now())
    return Membership.model_validate(values)


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
        created = new_membership(draft, principal.company, employee_id)
        held.refuse_duplicate(created)
        return Change(put=(created,)), created

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
        updated = apply_changes(current, changes, provider_id)
        if updated is current:
            return Change(), current
        held.refuse_duplicate(updated)
        return Change(put=(updated,)), updated

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
        return Change(delete=(current,)), None

    write(repo, principal.company, employee_id, decide, origin)
