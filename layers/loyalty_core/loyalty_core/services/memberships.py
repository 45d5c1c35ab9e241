"""Membership use cases shared by every interface."""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from typing import TypeVar

from loyalty_core.access import require_reach, user_not_found
from loyalty_core.errors import (
    ConcurrentChange,
    DomainError,
    Duplicate,
    NotFound,
    PreconditionFailed,
    Problem,
    TooManyMemberships,
    WriteOutcomeUnknown,
    clip,
    quote,
)
from loyalty_core.models import (
    MAX_MEMBERSHIPS_PER_USER,
    AuditRecord,
    Membership,
    MembershipChanges,
    MembershipDraft,
    Origin,
    Principal,
    User,
)
from loyalty_core.models.audit import membership_entry
from loyalty_core.repository import Repository, UserMemberships
from loyalty_core.validators import is_record_id

T = TypeVar("T")
WRITE_ATTEMPTS = 3


@dataclass
class Change:
    """What a use case wants written, and what it answers."""

    put: list[Membership] = field(default_factory=list)
    delete: list[Membership] = field(default_factory=list)

    def shown_by(self, snapshot: UserMemberships) -> bool:
        """Whether `snapshot` shows this change applied: every membership it wrote is there
        as written (its own id, version and update time) and every one it deleted is gone.
        This is how a writer whose answer was lost (or whose SDK retry was refused by the
        revision its first try moved) recognises its own write."""
        return all(snapshot.find(m.id) == m for m in self.put) and all(
            snapshot.find(m.id) is None for m in self.delete
        )

    def audit(self, snapshot: UserMemberships, origin: Origin) -> AuditRecord:
        """The request's audit record: one entry per membership written, against the
        snapshot the change was decided on."""
        entries = [membership_entry(snapshot.find(m.id), m) for m in self.put]
        entries += [membership_entry(m, None) for m in self.delete]
        return AuditRecord.of(origin, entries)


def _now() -> datetime:
    return datetime.now(UTC)


def _membership_not_found(membership_id: str) -> NotFound:
    return NotFound(f"No loyalty membership {quote(membership_id)} for this user")


def name_on_membership(user: User) -> str:
    """The name a membership carries when its interface sends none (Concur): the user's
    profile name, each character the membership name rule refuses turned into a space,
    spaces collapsed, cut to 50; the employee id if no letter or digit is left."""
    name = " ".join(re.sub(r"[^\w .'-]", " ", user.name).split())[:50].strip()
    for candidate in (name, user.employee_id):
        if re.search(r"[^\W_]", candidate):
            return candidate
    return "Member"  # an employee id of underscores only: no name to take


def with_profile_name(membership: Membership, user: User) -> Membership:
    """A membership stored without a name (created through Concur before names were taken
    from the profile) reads with its user's profile name; the next write stores it."""
    if membership.membership_name is not None:
        return membership
    return membership.model_copy(update={"membership_name": name_on_membership(user)})


def _snapshot(repo: Repository, company: str, employee_id: str) -> UserMemberships:
    snapshot = repo.get_user_memberships(company, employee_id)
    if snapshot is None:
        raise user_not_found(employee_id)
    named = tuple(with_profile_name(m, snapshot.user) for m in snapshot.memberships)
    return replace(snapshot, memberships=named)


def _load(repo: Repository, principal: Principal, employee_id: str) -> UserMemberships:
    require_reach(principal, employee_id)
    return _snapshot(repo, principal.company, employee_id)


def refuse_too_many(snapshot: UserMemberships, change: Change) -> None:
    """A write that adds memberships may not take the user past the most a user holds."""
    after = snapshot.count_after(change.put, change.delete)
    if after > MAX_MEMBERSHIPS_PER_USER and after > snapshot.count:
        raise TooManyMemberships(
            "The request would pass the membership limit; nothing was written",
            [
                Problem(
                    f"A user holds at most {MAX_MEMBERSHIPS_PER_USER} memberships: this one "
                    f"holds {snapshot.count} and the request adds {after - snapshot.count}",
                    ("data",),
                )
            ],
        )


def write_with_retry(
    repo: Repository,
    company: str,
    employee_id: str,
    decide: Callable[[UserMemberships], tuple[Change, T]],
    origin: Origin,
) -> T:
    """Read the user's memberships, decide, commit with the request's audit record; on a
    concurrent write, decide again.

    Every rule is checked against a fresh snapshot, and the commit only applies
    if nobody wrote for this user since that snapshot, so two writers never
    create duplicates, pass the membership limit together, nor lose each other's
    updates. When a commit is refused or unanswered, the fresh snapshot first tells
    whether that commit applied after all (its answer lost, the SDK's retry refused):
    then it is this request's success, never someone else's conflict, and its audit
    record is the one that commit wrote (a commit and its record apply together).
    """
    attempts = 0
    # Every commit refused or unanswered so far: any of them may have applied after all
    # (an earlier one can land late, after a later one was decided).
    unsure: list[tuple[Change, T]] = []
    failure: DomainError | None = None
    while True:
        snapshot = _snapshot(repo, company, employee_id)
        for sent, answer in unsure:
            if sent.shown_by(snapshot):
                return answer
        if failure is not None and attempts == WRITE_ATTEMPTS:
            raise failure
        change, result = decide(snapshot)
        if not change.put and not change.delete:
            return result
        refuse_too_many(snapshot, change)
        attempts += 1
        try:
            audit = change.audit(snapshot, origin)
            repo.commit(snapshot, put=change.put, delete=change.delete, audit=audit)
            return result
        except (ConcurrentChange, WriteOutcomeUnknown) as err:
            unsure.append((change, result))
            failure = err


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


def refuse_duplicate(snapshot: UserMemberships, membership: Membership) -> None:
    """Duplicate (409) if the user holds another membership with this provider and account
    number, or with this provider and program: (user, provider, program) is the key a
    partner's loyalty update upserts by (Concur's UniqueID), so it names one membership."""
    existing = duplicate_of(
        snapshot, membership.provider_id, membership.account_number, membership.id
    )
    if existing is not None:
        raise Duplicate(
            f"This user already holds membership {existing.id} with this provider "
            "and account number",
            [Problem("already used with this provider", ("account_number",))],
        )
    if membership.program is None:
        return
    same_program = next(
        (
            m
            for m in snapshot.memberships
            if m.provider_id == membership.provider_id
            and m.program == membership.program
            and m.id != membership.id
        ),
        None,
    )
    if same_program is not None:
        raise Duplicate(
            f"This user already holds membership {same_program.id} in this provider's program",
            [Problem("already used with this provider", ("program",))],
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
    if found.membership_name is None:  # stored before names came from the profile: read it
        named = _snapshot(repo, principal.company, employee_id).find(membership_id)
        return named if named is not None else found
    return found


def create_membership(
    repo: Repository,
    principal: Principal,
    employee_id: str,
    draft: MembershipDraft,
    *,
    origin: Origin,
) -> Membership:
    require_provider(repo, draft.provider_id)

    def decide(snapshot: UserMemberships) -> tuple[Change, Membership]:
        created = new_membership(draft, principal.company, employee_id)
        refuse_duplicate(snapshot, created)
        return Change(put=[created]), created

    require_reach(principal, employee_id)
    return write_with_retry(repo, principal.company, employee_id, decide, origin)


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
    if provider_id is not None:
        require_provider(repo, provider_id)

    def decide(snapshot: UserMemberships) -> tuple[Change, Membership]:
        current = snapshot.find(membership_id)
        if current is None:
            raise _membership_not_found(membership_id)
        check_if_match(current, if_match)
        updated = apply_changes(current, changes, provider_id)
        if updated is current:
            return Change(), current
        refuse_duplicate(snapshot, updated)
        return Change(put=[updated]), updated

    require_reach(principal, employee_id)
    return write_with_retry(repo, principal.company, employee_id, decide, origin)


def delete_membership(
    repo: Repository,
    principal: Principal,
    employee_id: str,
    membership_id: str,
    if_match: str | None = None,
    *,
    origin: Origin,
) -> None:
    def decide(snapshot: UserMemberships) -> tuple[Change, None]:
        current = snapshot.find(membership_id)
        if current is None:
            raise _membership_not_found(membership_id)
        check_if_match(current, if_match)
        return Change(delete=[current]), None

    require_reach(principal, employee_id)
    write_with_retry(repo, principal.company, employee_id, decide, origin)
