"""Membership use cases shared by every interface."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TypeVar

from loyalty_core.access import require_reach, user_not_found
from loyalty_core.errors import (
    ConcurrentChange,
    Duplicate,
    NotFound,
    PreconditionFailed,
    Problem,
    quote,
)
from loyalty_core.models import Membership, MembershipChanges, MembershipDraft, Principal
from loyalty_core.repository import Repository, UserMemberships
from loyalty_core.validators import is_record_id

T = TypeVar("T")
WRITE_ATTEMPTS = 3


@dataclass
class Change:
    """What a use case wants written, and what it answers."""

    put: list[Membership] = field(default_factory=list)
    delete: list[Membership] = field(default_factory=list)


def _now() -> datetime:
    return datetime.now(UTC)


def _membership_not_found(membership_id: str) -> NotFound:
    return NotFound(f"No loyalty membership {quote(membership_id)} for this user")


def _snapshot(repo: Repository, company: str, employee_id: str) -> UserMemberships:
    snapshot = repo.get_user_memberships(company, employee_id)
    if snapshot is None:
        raise user_not_found(employee_id)
    return snapshot


def _load(repo: Repository, principal: Principal, employee_id: str) -> UserMemberships:
    require_reach(principal, employee_id)
    return _snapshot(repo, principal.company, employee_id)


def write_with_retry(
    repo: Repository,
    company: str,
    employee_id: str,
    decide: Callable[[UserMemberships], tuple[Change, T]],
) -> T:
    """Read the user's memberships, decide, commit; on a concurrent write, decide again.

    Every rule is checked against a fresh snapshot, and the commit only applies
    if nobody wrote for this user since that snapshot, so two writers never
    create duplicates nor lose each other's updates.
    """
    attempt = 1
    while True:
        snapshot = _snapshot(repo, company, employee_id)
        change, result = decide(snapshot)
        if not change.put and not change.delete:
            return result
        try:
            repo.commit(snapshot, put=change.put, delete=change.delete)
            return result
        except ConcurrentChange:
            if attempt == WRITE_ATTEMPTS:
                raise
            attempt += 1


def check_if_match(membership: Membership, if_match: str | None) -> None:
    """Honour an `If-Match` header (a list of ETags, or *) against the stored version."""
    if if_match is None:
        return
    tags = {t.strip().removeprefix("W/") for t in if_match.split(",")}
    if "*" not in tags and membership.etag not in tags:
        raise PreconditionFailed(
            f"If-Match {quote(if_match)} does not match the current ETag {membership.etag}"
        )


def duplicate_of(
    snapshot: UserMemberships, provider_id: str, account_number: str, other_than: str | None
) -> Membership | None:
    return next(
        (
            m
            for m in snapshot.memberships
            if m.provider_id == provider_id
            and m.account_number == account_number
            and m.id != other_than
        ),
        None,
    )


def refuse_duplicate(
    snapshot: UserMemberships, provider_id: str, account_number: str, other_than: str | None = None
) -> None:
    """Duplicate if the user holds another membership with this provider and account number."""
    existing = duplicate_of(snapshot, provider_id, account_number, other_than)
    if existing is not None:
        raise Duplicate(
            f"This user already holds membership {existing.id} with this provider "
            "and account number",
            [Problem("already used with this provider", ("account_number",))],
        )


def require_provider(repo: Repository, provider_id: str) -> None:
    if repo.get_provider(provider_id) is None:
        raise NotFound(
            f"No loyalty provider {quote(provider_id)}",
            [Problem(f"No loyalty provider {quote(provider_id)} in the catalog", ("provider_id",))],
        )


def list_memberships(
    repo: Repository, principal: Principal, employee_id: str
) -> tuple[Membership, ...]:
    return _load(repo, principal, employee_id).memberships


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
        raise _membership_not_found(membership_id)
    return found


def create_membership(
    repo: Repository, principal: Principal, employee_id: str, draft: MembershipDraft
) -> Membership:
    require_provider(repo, draft.provider_id)

    def decide(snapshot: UserMemberships) -> tuple[Change, Membership]:
        refuse_duplicate(snapshot, draft.provider_id, draft.account_number)
        created = new_membership(draft, principal.company, employee_id)
        return Change(put=[created]), created

    require_reach(principal, employee_id)
    return write_with_retry(repo, principal.company, employee_id, decide)


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
    """`current` with the fields that `changes` carries, as a new version."""
    values = current.model_dump()
    values.update({name: getattr(changes, name) for name in changes.model_fields_set})
    if provider_id is not None:
        values["provider_id"] = provider_id
    values.update(version=current.version + 1, updated_at=_now())
    return Membership.model_validate(values)


def update_membership(
    repo: Repository,
    principal: Principal,
    employee_id: str,
    membership_id: str,
    changes: MembershipChanges,
    provider_id: str | None = None,
    if_match: str | None = None,
) -> Membership:
    if provider_id is not None:
        require_provider(repo, provider_id)

    def decide(snapshot: UserMemberships) -> tuple[Change, Membership]:
        current = snapshot.find(membership_id)
        if current is None:
            raise _membership_not_found(membership_id)
        check_if_match(current, if_match)
        updated = apply_changes(current, changes, provider_id)
        refuse_duplicate(snapshot, updated.provider_id, updated.account_number, updated.id)
        return Change(put=[updated]), updated

    require_reach(principal, employee_id)
    return write_with_retry(repo, principal.company, employee_id, decide)


def delete_membership(
    repo: Repository,
    principal: Principal,
    employee_id: str,
    membership_id: str,
    if_match: str | None = None,
) -> None:
    def decide(snapshot: UserMemberships) -> tuple[Change, None]:
        current = snapshot.find(membership_id)
        if current is None:
            raise _membership_not_found(membership_id)
        check_if_match(current, if_match)
        return Change(delete=[current]), None

    require_reach(principal, employee_id)
    write_with_retry(repo, principal.company, employee_id, decide)
