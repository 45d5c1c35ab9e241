"""An atomic request's operations on one user's memberships (the JSON:API Atomic
Operations extension): each adds, updates or removes one membership, in order, all or
nothing, as one write request (SPEC 14)."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from loyalty_core.models.membership import MembershipChanges, MembershipDraft

MAX_OPERATIONS = 50  # per request: one transaction, one audit record (as a Concur batch)


class OperationKind(StrEnum):
    ADD = "add"
    UPDATE = "update"
    REMOVE = "remove"


@dataclass(frozen=True)
class MembershipOperation:
    """One operation: its position in the request (from 0), what it does, and to what.

    An add carries the new membership's `draft`, and may declare a `lid` that later
    operations of the request name it by. An update or a remove names its membership by id
    (`membership_id`) or by the `lid` of an earlier add; an update carries the fields it
    changes (`changes`, and `provider_id` when it moves the membership to another
    provider). `if_match`: the membership's ETag as the operation expects to find it (an
    `If-Match` for this operation alone)."""

    position: int
    kind: OperationKind
    membership_id: str | None = None
    lid: str | None = None
    draft: MembershipDraft | None = None
    changes: MembershipChanges | None = None
    provider_id: str | None = None
    if_match: str | None = None
