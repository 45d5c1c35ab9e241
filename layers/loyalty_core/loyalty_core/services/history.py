"""A user's audit trail as the interfaces read it: newest first, a page at a time, with
exactly the reach of their memberships (`access.py`)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from loyalty_core.access import require_reach, user_not_found
from loyalty_core.errors import MalformedRequest, Problem
from loyalty_core.models import AuditRecord, Principal
from loyalty_core.repository import Repository
from loyalty_core.validators import is_record_id

FILTERS = ("membership",)
# filter[membership] looks through this many of the user's newest records, in the same
# one Query: a bounded read, whatever the length of the history.
FILTER_WINDOW = 1000


@dataclass(frozen=True)
class Changes:
    """One page of a user's audit records and how many there are in all (`searched`: how
    many of the newest records a filter looked through; None without one)."""

    records: tuple[AuditRecord, ...]
    total: int
    searched: int | None = None


def list_changes(
    repo: Repository,
    principal: Principal,
    employee_id: str,
    first: int,
    size: int,
    membership: str | None = None,
    now: datetime | None = None,
) -> Changes:
    """Records `first` to `first + size` (from 0, newest first) of the user's trail, or of
    those touching `membership` among the newest FILTER_WINDOW. 404 outside the caller's
    reach or for no such user; a deleted membership's records stay readable."""
    require_reach(principal, employee_id)
    if membership is not None and not is_record_id(membership):
        raise MalformedRequest(
            "filter[membership] must be a membership id",
            [Problem("must be a membership id", ("filter[membership]",), kind="parameter")],
        )
    now = now or datetime.now(UTC)
    if membership is None:
        history = repo.get_history(principal.company, employee_id, first, size, now)
    else:
        history = repo.get_history(principal.company, employee_id, 0, FILTER_WINDOW, now)
    if history is None:
        raise user_not_found(employee_id)
    if membership is None:
        return Changes(history.records, history.total)
    matching = [r for r in history.records if r.touches(membership)]
    return Changes(tuple(matching[first : first + size]), len(matching), len(history.records))
