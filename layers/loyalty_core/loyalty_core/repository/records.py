"""What the storage port hands a store and gets back beyond the models: one write request's
commit for a user, the Idempotency-Keys' records, and the audit trail's pages (re-exported
by `loyalty_core.repository`)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from loyalty_core.models import AuditRecord, Membership, MembershipSet, User
    from loyalty_core.models.credentials import CredentialChange  # the admin's alone
    from loyalty_core.repository import Answer


@dataclass(frozen=True)
class Revised:
    """An audit record with its revision: the number of the write that left it, its place
    in the user's trail (what cursors name)."""

    revision: int
    record: AuditRecord


@dataclass(frozen=True)
class TrailPage:
    """One page of a user's audit trail (or of the records touching one membership), newest
    first, as one read finds it: whether records newer and older than the page are kept,
    and `total`, the count the profile keeps, when the read reached the profile (None
    otherwise, and always under a membership filter). An empty page falls at `edge`: the
    revision it is just older than (newer records are those above it)."""

    records: tuple[Revised, ...]
    total: int | None
    newer: bool
    older: bool
    edge: int = 0


@dataclass(frozen=True)
class KeyOwner:
    """Whose Idempotency-Keys a key belongs to: the caller's own user record (a Locomote
    caller's, or the user a partner application's token acts for), so that erasing that
    user erases their keys, and a later holder of the employee id has none of them."""

    company: str
    employee_id: str


@dataclass(frozen=True)
class KeyRecord:
    """An Idempotency-Key as the store holds it: the request it was first sent with, the
    request running under it (`claim`, until `lease_until`, epoch seconds), and once that
    request committed, its answer."""

    request_hash: str
    claim: str
    lease_until: float
    answer: Answer | None = None


@dataclass(frozen=True)
class KeyAnswer:
    """A key's answer, written by the commit of the request that holds it (`claim`)."""

    owner: KeyOwner
    key_hash: str
    claim: str
    answer: Answer
    expires: int  # epoch seconds: the key is remembered until then


@dataclass(frozen=True)
class UserWrite:
    """One write request's commit for one user: all or nothing, with its audit record
    (numbered `snapshot.revision + 1`), applied only if nobody wrote for the user since
    `snapshot` was read, and only if the user's stored count leaves room for what it
    adds (`count`: the memberships held after it). An administrative change also writes
    the user's profile as it is to be (`user`: their name, role and assignments, on the
    profile and the login alike) and changes their credentials (`credentials`), applied
    only if those are as it expects (a new token's hash unused, a revoked one still
    there, the login still there)."""

    snapshot: MembershipSet
    audit: AuditRecord
    count: int
    put: Sequence[Membership] = ()
    delete: Sequence[Membership] = ()
    key: KeyAnswer | None = None
    user: User | None = None
    credentials: CredentialChange | None = None
