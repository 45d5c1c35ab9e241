"""Erasure (SPEC 10): a user goes with everything of theirs, and one record naming no one
stays.

What goes: their memberships, their audit trail, the Idempotency-Keys they sent (with
their answers), their login with its API tokens, the Concur tokens acting for them, their
profile, and their id from every arranger's assignments (the arrangers keep their role;
it is no change of theirs: nothing in their trail). What stays: one `ErasureRecord` in
the company, who erased and when, and how many items of each kind went.

Running it again finishes what an interrupted run left (the profile goes last, and
counts what went before it), and once the user is gone it changes nothing. The store
marks the profile with the record's id, time and origin before it removes anything
(`DirectoryStore.erase`); a later run finishes that record (its id stays the erasure's,
however often it is run), and the profile's removal names whom it erased (the webhooks'
`user.erased`), which the record never does. A write for
the user while it runs (an admin of the company still reaches them) makes its last step
fail; what was written is read and erased too.
"""

from __future__ import annotations

from collections import Counter
from typing import TYPE_CHECKING

from loyalty_core.errors import ConcurrentChange
from loyalty_core.models.erasure import ErasureRecord
from loyalty_core.services.writes import WRITE_ATTEMPTS

if TYPE_CHECKING:
    from loyalty_core.models import Origin
    from loyalty_core.repository import DirectoryStore


def erase_user(
    repo: DirectoryStore, company: str, employee_id: str, *, origin: Origin
) -> ErasureRecord | None:
    """Erase the user; the record left, or None if there is no such user (already erased:
    nothing to do)."""
    for _ in range(WRITE_ATTEMPTS):
        plan = repo.erasure_plan(company, employee_id)
        if plan is None:
            return None
        arrangers = [
            a.model_copy(update={"arranges": a.arranges - {employee_id}}) for a in plan.arrangers
        ]
        removed = Counter(plan.removed)
        removed.update(plan.removing)
        record = ErasureRecord.of(
            origin, removed, len(arrangers), plan.api_tokens, header=plan.marked
        )
        try:
            repo.erase(plan, arrangers, record)
        except ConcurrentChange:
            continue  # written (or marked by another run) meanwhile: read what is left
        return record
    raise ConcurrentChange(f"User {employee_id!r} kept changing; run the erasure again")
