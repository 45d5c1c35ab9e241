"""Storage port: what the services need from a store, and the snapshot they work on."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Protocol

from loyalty_core.models import Application, AuditRecord, Membership, Provider, User


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
class UserMemberships:
    """One user and every membership they hold, as read in one Query.

    `revision` guards writes: a commit applies only if nobody else committed
    for this user since the read, so invariants checked on the snapshot
    (no duplicate account, one membership per program, the most memberships a
    user may hold) hold after the write. Each revision is one write request with its
    audit record; `audit_expiring` counts the user's audit records by the day they expire
    (`repository.items.live_changes`).
    """

    user: User
    revision: int
    memberships: tuple[Membership, ...] = field(default_factory=tuple)
    audit_expiring: Mapping[str, int] = field(default_factory=dict)

    def find(self, membership_id: str) -> Membership | None:
        return next((m for m in self.memberships if m.id == membership_id), None)

    @property
    def count(self) -> int:
        return len(self.memberships)

    def count_after(self, put: Sequence[Membership], delete: Sequence[Membership]) -> int:
        """How many memberships the user holds once `put` and `delete` are applied."""
        held = {m.id for m in self.memberships}
        gone = {m.id for m in delete} & held
        added = {m.id for m in put} - held
        return len(held) - len(gone) + len(added)


@dataclass(frozen=True)
class History:
    """A user's audit trail as one read finds it: how many records it holds, and the
    records asked for (counted from the newest), newest first."""

    user: User
    total: int
    records: tuple[AuditRecord, ...]


class Repository(Protocol):
    def get_login(self, email: str) -> Login | None: ...

    def get_logins(self, emails: Sequence[str]) -> dict[str, Login]:
        """The logins of these emails that exist, in one request."""
        ...

    def get_access_token(self, token_hash: str) -> AccessToken | None: ...

    def get_user_memberships(self, company: str, employee_id: str) -> UserMemberships | None: ...

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

    def commit(
        self,
        snapshot: UserMemberships,
        put: Sequence[Membership] = (),
        delete: Sequence[Membership] = (),
        *,
        audit: AuditRecord,
    ) -> None:
        """Write all or nothing, with `audit` as the user's next audit record.

        Raise ConcurrentChange if the user changed since `snapshot`, or if a write
        that adds memberships would take them past MAX_MEMBERSHIPS_PER_USER (the
        store's own guard: the services refuse such a write before committing).
        Raise WriteOutcomeUnknown when the answer was lost after the write was sent.
        """
        ...

    def providers(self) -> Sequence[Provider]: ...

    def get_provider(self, provider_id: str) -> Provider | None: ...
