"""Storage ports: what the services need from a store, and what they hand it to write.

`Repository` is what the functions' services need; `DirectoryStore`, beyond it, what
the admin's need (`services.directory`, `services.erasure`). Each has its DynamoDB
adapter (`repository.dynamodb`; `repository.directory`, which no function imports: the
single table of `repository.keys`), and the in-memory store of the unit tests follows
both; one contract test holds the stores to them.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:  # the admin's alone: no function imports them
    from loyalty_core.models import (
        AccessToken,
        Application,
        AuditRecord,
        Company,
        Membership,
        MembershipSet,
        Provider,
        User,
    )
    from loyalty_core.models.credentials import CredentialChange, IssuedToken
    from loyalty_core.models.erasure import ErasurePlan, ErasureRecord

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

    def get_trail(
        self,
        company: str,
        employee_id: str,
        now: datetime,
        size: int,
        *,
        after: int | None = None,
        before: int | None = None,
        skip: int = 0,
        membership: str | None = None,
    ) -> TrailPage | None:
        """The user's audit records still kept at `now`, newest first (with `membership`:
        those that touch it): the `size` older than revision `after`, or the `size` newer
        than revision `before` (the closest to it), or else from the newest, past `skip`.
        One read of at most `size` + 1 items, whatever the page's depth (`skip` adds its
        own). None when the read finds there is no such user (a page past `after` cannot
        tell: it never reads the profile)."""
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
        `write.key` is no longer held by its claim; CredentialConflict (the user unchanged)
        if `write.credentials` or `write.user` find the user's login or tokens otherwise
        than expected; WriteOutcomeUnknown when the answer was lost after the write was
        sent.
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


class DirectoryStore(Repository, Protocol):
    """What the administrative services need beyond the write path: companies, users,
    Concur applications and their tokens, the catalog, and erasure (`services.directory`,
    `services.erasure`). A change of one user's profile or credentials is a `commit`."""

    # -- reads ----------------------------------------------------------------

    def get_company(self, company_id: str) -> Company | None: ...

    def get_user(self, company: str, employee_id: str) -> User | None: ...

    def company_users(
        self, company: str, after: str | None = None, limit: int = 100
    ) -> tuple[list[User], str | None]:
        """The company's users in employee id order, from the one after `after` (None: the
        first), at most `limit` (1 or more), and the `after` of the next page (None: this is
        the last). One bounded read per page; it may miss a user created or changed in the
        last second (the store's index follows its writes)."""
        ...

    def membership_counts(self, company: str, employee_ids: Sequence[str]) -> dict[str, int]:
        """How many memberships each of these users holds (those that exist), as written."""
        ...

    def get_application(self, app_id: str) -> Application | None: ...

    def application_tokens(self, app_id: str, token_id: str = "") -> list[IssuedToken]:
        """The application's tokens whose id starts with `token_id` (every one for "")."""
        ...

    def erasure_plan(self, company: str, employee_id: str) -> ErasurePlan | None:
        """What erasing the user removes; None if there is no such user."""
        ...

    # -- writes ---------------------------------------------------------------

    def add_company(self, company: Company) -> None:
        """Conflict if the company exists."""
        ...

    def add_user(self, user: User, audit: AuditRecord) -> None:
        """A new user (holding nothing, no token) with the audit record of their creation
        (their revision 1); Conflict if the company has the employee id or any user the
        email."""
        ...

    def add_application(self, application: Application, audit: AuditRecord) -> None:
        """A new application with its audit record; Conflict if it exists."""
        ...

    def update_application(self, application: Application, audit: AuditRecord) -> int:
        """Write the application with its audit record, and the copy of it that each of its
        tokens holds; returns how many tokens. Writing it again with the same content
        finishes the work of a run that was interrupted."""
        ...

    def put_providers(self, providers: Sequence[Provider]) -> None:
        """Add or replace these programs of the catalog."""
        ...

    def erase(self, plan: ErasurePlan, arrangers: Sequence[User], record: ErasureRecord) -> None:
        """Mark the profile with `record`'s header unless an earlier run marked it (the
        plan's `marked`), remove everything `plan` (this store's, unchanged) found, write
        `arrangers` (the plan's, as they are to be) and leave `record`, the profile last.
        ConcurrentChange if the user was written since the plan was read, or the profile's
        mark is another record's (what was removed stays removed, and is counted on the
        profile for the next run's record)."""
        ...
