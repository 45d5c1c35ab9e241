"""The one unit of work of every write for a user: read the user's memberships, decide,
commit with the request's audit record (and its Idempotency-Key's answer), and on a
refused or unanswered commit, find out whether it landed before deciding again. The
admin's changes of a user (role, assignments, API and Concur tokens) are writes of that
user too (`services.directory`).

Every rule is checked against a fresh snapshot (`MembershipSet`), and the commit only
applies if nobody wrote for the user since that snapshot, so two writers never create
duplicates, pass the membership limit together, nor lose each other's updates. A commit
that was refused or went unanswered may still have landed (its answer lost, the SDK's
retry refused by the revision its first try moved, or landing late): the request
recognises its own landing by its own token, the id of the audit record that commit
wrote at the revision it moved to (`Repository.committed`), never by finding the state
it wanted (another request may have made it: that request's 2xx, not this one's).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, TypeVar

from loyalty_core import models, repository
from loyalty_core.access import user_not_found
from loyalty_core.errors import ConcurrentChange, WriteOutcomeUnknown

if TYPE_CHECKING:
    from loyalty_core.errors import DomainError
    from loyalty_core.models import Change, MembershipSet, Origin
    from loyalty_core.repository import Answer, Repository
    from loyalty_core.services.idempotency import Claim

T = TypeVar("T")
WRITE_ATTEMPTS = 3
Decide = Callable[["MembershipSet"], tuple["Change", T]]


@dataclass(frozen=True)
class _Attempt:
    """A commit sent whose fate is not known: the revision it moves the user to, its audit
    record's id (its token), and what the request answers if it landed."""

    revision: int
    audit_id: str
    result: Any
    answer: Answer | None


def load(repo: Repository, company: str, employee_id: str) -> MembershipSet:
    """The user's memberships; 404 if there is no such user."""
    snapshot = repo.get_user_memberships(company, employee_id)
    if snapshot is None:
        raise user_not_found(employee_id)
    return snapshot


def write(
    repo: Repository,
    company: str,
    employee_id: str,
    decide: Decide[T],
    origin: Origin,
    claim: Claim | None = None,
) -> T:
    """Decide on a fresh snapshot and commit, up to WRITE_ATTEMPTS times; `decide`'s
    result once its change is written (or when it changes nothing: then nothing is
    written). With a `claim`, the answer of the request's Idempotency-Key is written by
    the same commit (`claim.answer`)."""
    attempts = 0
    unsure: list[_Attempt] = []
    failure: DomainError | None = None
    while True:
        snapshot = load(repo, company, employee_id)
        for attempt in list(unsure):
            if repo.committed(company, employee_id, attempt.revision, attempt.audit_id):
                if claim is not None:
                    claim.answer = attempt.answer
                return attempt.result  # type: ignore[no-any-return]
            if snapshot.revision >= attempt.revision:  # another write holds that number
                unsure.remove(attempt)
        if failure is not None and attempts == WRITE_ATTEMPTS:
            raise failure
        change, result = decide(snapshot)
        if change.empty:
            return result
        count = snapshot.refuse_too_many(change)
        audit = models.AuditRecord.of(origin, snapshot.entries(change))
        key, answer = claim.completion(result) if claim is not None else (None, None)
        attempts += 1
        try:
            repo.commit(
                repository.UserWrite(
                    snapshot,
                    audit,
                    count,
                    change.put,
                    change.delete,
                    key,
                    change.user,
                    change.credentials,
                )
            )
        except (ConcurrentChange, WriteOutcomeUnknown) as err:
            unsure.append(_Attempt(snapshot.revision + 1, audit.id, result, answer))
            failure = err
            continue
        if claim is not None:
            claim.answer = answer
        return result
