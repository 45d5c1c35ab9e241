"""Storage ports: what the services need from a store, and what they hand it to write.

`Repository` is what the functions' services need; `DirectoryStore`, beyond it, what
the admin's need (`services.directory`, `services.erasure`). Each has its DynamoDB
adapter (`repository.dynamodb`; `repository.directory`, which no function imports: the
single table of `repository.keys`), and the in-memory store of the unit tests follows
both; one contract test holds the stores to them. What a write hands the store, the
Idempotency-Keys' records and the trail's pages are `repository.records`', a user's login
`repository.login`'s (each imported when first asked of this package: the reads that list
need none of the records, the Concur function no login).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import TYPE_CHECKING, Any, Protocol

from loyalty_core.imports import exports

if TYPE_CHECKING:
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
    from loyalty_core.models.credentials import IssuedToken  # the admin's alone
    from loyalty_core.models.erasure import ErasurePlan, ErasureRecord  # the admin's alone
    from loyalty_core.repository.login import Login as Login
    from loyalty_core.repository.records import KeyAnswer as KeyAnswer
    from loyalty_core.repository.records import KeyOwner as KeyOwner
    from loyalty_core.repository.records import KeyRecord as KeyRecord
    from loyalty_core.repository.records import Revised as Revised
    from loyalty_core.repository.records import TrailPage as TrailPage
    from loyalty_core.repository.records import UserWrite as UserWrite

Answer = dict[str, Any]  # an HTTP answer as a key keeps it: {"status", "headers", "body"}
# The most memberships one commit may put or delete: DynamoDB's 100 actions a transaction,
# less the profile's guard, the audit record and an Idempotency-Key's answer.
MEMBERSHIPS_PER_COMMIT = 97


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


__getattr__ = exports(
    __name__,
    {
        "Login": "login",
        **dict.fromkeys(
            ("KeyAnswer", "KeyOwner", "KeyRecord", "Revised", "TrailPage", "UserWrite"), "records"
        ),
    },
)
