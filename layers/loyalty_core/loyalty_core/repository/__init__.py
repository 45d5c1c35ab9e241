"""Storage port: what the services need from a store, and what they hand it to write.

Two adapters follow it: the DynamoDB one (`repository.dynamodb`, the single table of
`repository.keys`) and the in-memory fake of the unit tests; one contract test holds
both to it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

from loyalty_core.models import (
    Application,
    AuditRecord,
    Membership,
    MembershipSet,
    Provider,
    User,
)

Answer = dict[str, Any]  # an HTTP answer as a key keeps it: {"status", "headers", "body"}
# The most memberships one commit may put or delete: DynamoDB's 100 actions a transaction,
# less the profile's guard, the audit record and an Idempotency-Key's answer.
MEMBERSHIPS_PER_COMMIT = 97


@dataclass(frozen=True)
class Login:
    """What authenticating a Locomote-style caller needs, in one item."""

    user: User
    token_hashes: dict[str, str]  # token id -> sha256 hex
    token_expiry: dict[str, datetime | None]


@dataclass(frozen=True)
class AccessToken:
    """A Concur OAuth access token: one application acting for one user."""

    token_id: str
    token_hash: str
    application: Application
    company: str
    employee_id: str
    expires_at: datetime | None = None

    @property
    def actor(self) -> str:
        """How logs and the audit trail name this caller."""
        return f"app:{self.application.id}"


@dataclass(frozen=True)
class History:
    """A user's audit trail as one read finds it: how many records it holds, and the
    records asked for (counted from the newest), newest first."""

    user: User
    total: int
    records: tuple[AuditRecord, ...]


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
    adds (`count`: the memberships held after it)."""

    snapshot: MembershipSet
    audit: AuditRecord
    count: int
    put: Sequence[Membership] = ()
    delete: Sequence[Membership] = ()
    key: KeyAnswer | None = None


class Repository(Protocol):
    # -- reads ----------------------------------------------------------------

    def get_login(self, email: str) -> Login | None: ...

    def get_logins(self, emails: Sequence[str]) -> dict[str, Login]:
        """The logins of these emails that exist, in one request."""
        ...

    def get_access_token(self, token_hash: str) -> AccessToken | None: ...

    def get_user_memberships(self, company: str, employee_id: str) -> MembershipSet | None:
        """The user and their memberships (oldest first), in one Query; None: no user."""
        ...

    def get_membership(
        self, company: str, employee_id: str, membership_id: str
    ) -> Membership | None: ...

    def get_history(
        self, company: str, employee_id: str, start: int, count: int, now: datetime
    ) -> History | None:
        """The user's audit records still kept at `now`, newest first, from the `start`th
        (from 0) for `count` (fewer at the end), and how many it holds; None if there is
        no such user."""
        ...

    def committed(self, company: str, employee_id: str, revision: int, audit_id: str) -> bool:
        """Whether the user's write numbered `revision` is the one whose audit record is
        `audit_id`: how a writer whose commit went unanswered, or was refused, recognises
        its own landing (and never another request's)."""
        ...

    def providers(self) -> Sequence[Provider]: ...

    def get_provider(self, provider_id: str) -> Provider | None: ...

    # -- writes ---------------------------------------------------------------

    def commit(self, write: UserWrite) -> None:
        """Write all or nothing.

        Raise ConcurrentChange if the user changed since `write.snapshot`, or if a write
        that adds memberships would take them past MAX_MEMBERSHIPS_PER_USER (the store's own
        guard: the services refuse such a write before committing); RequestInProgress if
        `write.key` is no longer held by its claim; WriteOutcomeUnknown when the answer
        was lost after the write was sent.
        """
        ...

    # -- Idempotency-Keys -------------------------------------------------------

    def claim_key(
        self,
        owner: KeyOwner,
        key_hash: str,
        request_hash: str,
        claim: str,
        lease_until: float,
        expires: int,
        taking_over: str | None = None,
    ) -> KeyRecord | None:
        """Hold the key for the request `claim` until `lease_until`: None when it is now
        held; else the record that holds it (a key remembered until `expires`, epoch
        seconds). `taking_over` names a claim whose lease ran out, to take over from."""
        ...

    def answer_key(self, key: KeyAnswer) -> None:
        """Write a key's answer on its own (a request that committed nothing); raise
        RequestInProgress if the key is no longer held by `key.claim`."""
        ...

    def release_key(self, owner: KeyOwner, key_hash: str, claim: str) -> None:
        """Forget a key held by `claim` (its request was refused: it may run again)."""
        ...
