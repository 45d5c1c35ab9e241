"""Atomic operations on one user's memberships (SPEC 14): adds, updates and removes
applied in order to the set one read found, all or nothing, as one write request: one
transaction, one audit record (`services.writes`). Each operation keeps the rules of its
single-route twin (reach, the catalog, `If-Match`, the duplicate rule, the membership
limit), checked against the set as the operations before it left it; what is written is
the net change (a membership added then removed is not written at all).

A refusal names the operation at fault: its problems' locations start with the
operation's position (from 0).
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import replace
from typing import TYPE_CHECKING

from loyalty_core.access import require_reach
from loyalty_core.errors import DomainError, Problem
from loyalty_core.models import (
    Change,
    Membership,
    apply_changes,
    new_membership,
)
from loyalty_core.models.operation import OperationKind
from loyalty_core.services.memberships import (
    check_if_match,
    membership_not_found,
    require_provider,
)
from loyalty_core.services.writes import write

if TYPE_CHECKING:
    from loyalty_core.models import (
        MembershipSet,
        Origin,
        Principal,
    )
    from loyalty_core.models.operation import MembershipOperation
    from loyalty_core.repository import Repository
    from loyalty_core.services.idempotency import Claim

# What each operation leaves: the membership it added or updated, as it is after it;
# None for a remove.
Results = list[Membership | None]


@contextmanager
def at(position: int) -> Iterator[None]:
    """Refusals inside re-raised as the operation's own: each problem located under its
    position; a refusal with no problem gets one naming the operation."""
    try:
        yield
    except DomainError as err:
        located = [replace(p, location=(position, *p.location)) for p in err.problems]
        err.problems = located or [Problem(err.detail, (position,))]
        raise


def _apply(
    current: MembershipSet,
    operation: MembershipOperation,
    lids: dict[str, str],
    company: str,
    employee_id: str,
) -> tuple[MembershipSet, Membership | None]:
    """The set once `operation` is applied to `current`, and what the operation leaves."""
    if operation.kind is OperationKind.ADD:
        assert operation.draft is not None
        created = new_membership(operation.draft, company, employee_id)
        current.refuse_duplicate(created)
        change = Change(put=(created,))
        current.refuse_too_many(change)
        if operation.lid is not None:
            lids[operation.lid] = created.id
        return current.after(change), created
    target = operation.membership_id or lids[operation.lid or ""]
    found = current.find(target)
    if found is None:
        raise membership_not_found(target)
    check_if_match(found, operation.if_match)
    if operation.kind is OperationKind.REMOVE:
        return current.after(Change(delete=(found,))), None
    assert operation.changes is not None
    updated = apply_changes(found, operation.changes, operation.provider_id)
    if updated is found:
        return current, found
    current.refuse_duplicate(updated)
    return current.after(Change(put=(updated,))), updated


def apply_operations(
    repo: Repository,
    principal: Principal,
    employee_id: str,
    operations: Sequence[MembershipOperation],
    *,
    origin: Origin,
    claim: Claim | None = None,
) -> Results:
    """Apply every operation to `employee_id`'s memberships in order, all or nothing; what
    each operation leaves, in order."""
    require_reach(principal, employee_id)
    for operation in operations:
        if operation.provider_id is not None:
            with at(operation.position):
                require_provider(repo, operation.provider_id)

    def decide(held: MembershipSet) -> tuple[Change, Results]:
        current = held
        lids: dict[str, str] = {}
        results: Results = []
        for operation in operations:
            with at(operation.position):
                current, result = _apply(current, operation, lids, principal.company, employee_id)
            results.append(result)
        return held.changes_to(current), results

    return write(repo, principal.company, employee_id, decide, origin, claim)
