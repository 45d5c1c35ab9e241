"""An in-memory store with the same behaviour as the DynamoDB adapters, for unit tests (the
contract test holds both to the ports: `Repository` and `DirectoryStore`)."""

from __future__ import annotations

import threading
import time
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import datetime

from loyalty_core.errors import (
    ConcurrentChange,
    Conflict,
    CredentialConflict,
    NotFound,
    RequestInProgress,
    TooManySubscriptions,
)
from loyalty_core.models import (
    MAX_MEMBERSHIPS_PER_USER,
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
from loyalty_core.models.deliveries import ChangeRef, DeliveryRecord
from loyalty_core.models.erasure import ErasurePlan, ErasureRecord
from loyalty_core.models.membership_set import oldest_first
from loyalty_core.models.webhooks import MAX_SUBSCRIPTIONS_PER_COMPANY, Subscription
from loyalty_core.repository import (
    KeyAnswer,
    KeyOwner,
    KeyRecord,
    Login,
    Revised,
    TrailPage,
    UserWrite,
)
from loyalty_core.repository.keys import change_key, stamp, user_of
from loyalty_core.repository.retention import purge_at
from loyalty_core.repository.webhooks import DeliveryPage, FeedEntry, StoredChange

Keyed = tuple[str, str]


@dataclass(frozen=True)
class _Plan(ErasurePlan):
    arranges_as_read: dict[str, frozenset[str]]


def _issued(token: AccessToken) -> IssuedToken:
    return IssuedToken(
        token.application.id, token.token_id, token.token_hash, token.company, token.employee_id
    )


class InMemoryRepository:
    def __init__(self) -> None:
        self.companies: dict[str, Company] = {}
        self.logins: dict[str, Login] = {}
        self.access_tokens: dict[str, AccessToken] = {}
        self.applications: dict[str, Application] = {}
        self.application_audits: dict[str, list[AuditRecord]] = {}
        self.users: dict[Keyed, tuple[User, int]] = {}
        self.memberships: dict[Keyed, dict[str, Membership]] = {}
        self.catalog: dict[str, Provider] = {}
        # oldest first: (revision, record, purge_at as written)
        self.audits: dict[Keyed, list[tuple[int, AuditRecord, int]]] = {}
        self.keys: dict[tuple[str, str, str], tuple[KeyRecord, int]] = {}  # ..., expires
        self.erasures: dict[str, list[ErasureRecord]] = {}
        self.erasure_marks: dict[Keyed, AuditRecord] = {}  # an erasure's mark on the profile
        self.audit_retention_days = 400
        self._lock = threading.RLock()

    # -- fixtures ----------------------------------------------------------

    def seed_user(self, user: User, token_hashes: dict[str, str] | None = None) -> None:
        """A user as if created long ago (no audit record left), holding these tokens."""
        self.users[(user.company, user.employee_id)] = (user, 0)
        self.memberships.setdefault((user.company, user.employee_id), {})
        hashes = token_hashes or {}
        self.logins[user.email] = Login(user, hashes, dict.fromkeys(hashes))

    def add_provider(self, provider: Provider) -> None:
        self.catalog[provider.id] = provider

    # -- reads ---------------------------------------------------------------

    def get_login(self, email: str) -> Login | None:
        return self.logins.get(email.lower())

    def get_logins(self, emails: Sequence[str]) -> dict[str, Login]:
        return {e.lower(): self.logins[e.lower()] for e in emails if e.lower() in self.logins}

    def get_access_token(self, token_hash: str) -> AccessToken | None:
        return self.access_tokens.get(token_hash)

    def get_user_memberships(self, company: str, employee_id: str) -> MembershipSet | None:
        with self._lock:
            found = self.users.get((company, employee_id))
            if found is None:
                return None
            user, revision = found
            held = oldest_first(list(self.memberships[(company, employee_id)].values()))
            return MembershipSet(user=user, revision=revision, memberships=held)

    def get_membership(
        self, company: str, employee_id: str, membership_id: str
    ) -> Membership | None:
        return self.memberships.get((company, employee_id), {}).get(membership_id)

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
        """As the DynamoDB adapter reads it: the total only where its read reaches the
        profile (the first pages, a page[before] page at the newest record, no filter)."""
        kept = [
            Revised(revision, record)
            for revision, record, purge in reversed(self.audits.get((company, employee_id), []))
            if purge > now.timestamp()
        ]
        total = len(kept) if membership is None else None
        if membership is not None:
            kept = [r for r in kept if r.record.touches(membership)]
        if after is not None:  # never reads the profile
            older = [r for r in kept if r.revision < after]
            return TrailPage(tuple(older[:size]), None, True, len(older) > size, after)
        if (company, employee_id) not in self.users:
            return None
        if before is not None:
            newer = [r for r in kept if r.revision > before]
            top = len(newer) <= size
            return TrailPage(tuple(newer[-size:]), total if top else None, not top, True, before)
        shown = tuple(kept[skip : skip + size])
        edge = kept[-1].revision - 1 if kept and not shown else 0
        return TrailPage(shown, total, skip > 0 and bool(kept), len(kept) > skip + size, edge)

    def committed(self, company: str, employee_id: str, revision: int, audit_id: str) -> bool:
        return any(
            number == revision and record.id == audit_id
            for number, record, _ in self.audits.get((company, employee_id), [])
        )

    def providers(self) -> Sequence[Provider]:
        return tuple(sorted(self.catalog.values(), key=lambda p: p.name))

    def get_provider(self, provider_id: str) -> Provider | None:
        return self.catalog.get(provider_id)

    # -- writes ---------------------------------------------------------------

    def commit(self, write: UserWrite) -> None:
        snapshot = write.snapshot
        key = (snapshot.user.company, snapshot.user.employee_id)
        with self._lock:
            user, revision = self.users[key]
            if revision != snapshot.revision:
                raise ConcurrentChange("The user's memberships changed during the write")
            if write.count > MAX_MEMBERSHIPS_PER_USER and write.count > snapshot.count:
                raise ConcurrentChange("The write would pass the membership limit")
            if write.key is not None:
                self._check_claim(write.key)
            self._check_credentials(write)
            if write.key is not None:
                self._answer(write.key)
            self._change_credentials(write)
            self.users[key] = (write.user or user, revision + 1)
            held = self.memberships[key]
            for m in write.put:
                held[m.id] = m
            for m in write.delete:
                held.pop(m.id, None)
            purge = purge_at(write.audit.occurred_at, self.audit_retention_days)
            self.audits.setdefault(key, []).append((revision + 1, write.audit, purge))

    def _check_credentials(self, write: UserWrite) -> None:
        credentials = write.credentials or CredentialChange()
        login = self.logins.get(write.snapshot.user.email)
        touches_login = write.user is not None or credentials.api_tokens
        if (touches_login or credentials.api_tokens_revoked) and login is None:
            raise CredentialConflict("The user's login is gone")
        for token_id in credentials.api_tokens_revoked:
            if login is None or token_id not in login.token_hashes:
                raise CredentialConflict("The token was revoked meanwhile")
        for token in credentials.concur_tokens:
            if token.token_hash in self.access_tokens:
                raise CredentialConflict("The token exists already")
        for issued in credentials.concur_tokens_revoked:
            if issued.token_hash not in self.access_tokens:
                raise CredentialConflict("The token was revoked meanwhile")

    def _change_credentials(self, write: UserWrite) -> None:
        credentials = write.credentials or CredentialChange()
        email = write.snapshot.user.email
        if email in self.logins:
            login = self.logins[email]
            hashes, expiry = dict(login.token_hashes), dict(login.token_expiry)
            for token in credentials.api_tokens:
                hashes[token.token_id], expiry[token.token_id] = token.token_hash, token.expires_at
            for token_id in credentials.api_tokens_revoked:
                del hashes[token_id]
                del expiry[token_id]
            self.logins[email] = Login(write.user or login.user, hashes, expiry)
        for token in credentials.concur_tokens:
            self.access_tokens[token.token_hash] = token
        for issued in credentials.concur_tokens_revoked:
            self.access_tokens.pop(issued.token_hash)

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
        where = (owner.company, owner.employee_id, key_hash)
        with self._lock:
            held = self.keys.get(where)
            free = held is None or held[1] <= time.time()
            taken_over = held is not None and taking_over == held[0].claim and not held[0].answer
            if held is not None and not free and not taken_over:
                return held[0]
            self.keys[where] = (KeyRecord(request_hash, claim, lease_until), expires)
            return None

    def _check_claim(self, key: KeyAnswer) -> None:
        held = self.keys.get((key.owner.company, key.owner.employee_id, key.key_hash))
        if held is None or held[0].claim != key.claim:
            raise RequestInProgress("This request's Idempotency-Key was taken over by a retry")

    def _answer(self, key: KeyAnswer) -> None:
        where = (key.owner.company, key.owner.employee_id, key.key_hash)
        record, _ = self.keys[where]
        self.keys[where] = (replace(record, answer=key.answer), key.expires)

    def answer_key(self, key: KeyAnswer) -> None:
        with self._lock:
            self._check_claim(key)
            self._answer(key)

    def release_key(self, owner: KeyOwner, key_hash: str, claim: str) -> None:
        where = (owner.company, owner.employee_id, key_hash)
        with self._lock:
            held = self.keys.get(where)
            if held is not None and held[0].claim == claim and not held[0].answer:
                del self.keys[where]

    # -- the directory ------------------------------------------------------------

    def get_company(self, company_id: str) -> Company | None:
        return self.companies.get(company_id)

    def get_user(self, company: str, employee_id: str) -> User | None:
        found = self.users.get((company, employee_id))
        return None if found is None else found[0]

    def company_users(
        self, company: str, after: str | None = None, limit: int = 100
    ) -> tuple[list[User], str | None]:
        if limit < 1:
            raise ValueError("a page holds 1 user or more")
        ids = sorted(e for c, e in self.users if c == company and (after is None or e > after))
        page = [self.users[(company, e)][0] for e in ids[:limit]]
        return page, page[-1].employee_id if len(ids) > limit else None

    def membership_counts(self, company: str, employee_ids: Sequence[str]) -> dict[str, int]:
        return {
            e: len(self.memberships.get((company, e), {}))
            for e in employee_ids
            if (company, e) in self.users
        }

    def get_application(self, app_id: str) -> Application | None:
        return self.applications.get(app_id)

    def application_tokens(self, app_id: str, token_id: str = "") -> list[IssuedToken]:
        return [
            _issued(t)
            for _, t in sorted(self.access_tokens.items())
            if t.application.id == app_id and t.token_id.startswith(token_id)
        ]

    def add_company(self, company: Company) -> None:
        with self._lock:
            if company.id in self.companies:
                raise Conflict(f"Company {company.id!r} exists already")
            self.companies[company.id] = company

    def add_user(self, user: User, audit: AuditRecord) -> None:
        key = (user.company, user.employee_id)
        with self._lock:
            if key in self.users or user.email in self.logins:
                raise Conflict(f"User {user.employee_id!r} or email {user.email!r} exists already")
            self.users[key] = (user, 1)
            self.memberships[key] = {}
            self.logins[user.email] = Login(user, {}, {})
            purge = purge_at(audit.occurred_at, self.audit_retention_days)
            self.audits[key] = [(1, audit, purge)]

    def add_application(self, application: Application, audit: AuditRecord) -> None:
        with self._lock:
            if application.id in self.applications:
                raise Conflict(f"Application {application.id!r} exists already")
            self.applications[application.id] = application
            self.application_audits[application.id] = [audit]

    def update_application(self, application: Application, audit: AuditRecord) -> int:
        with self._lock:
            self.applications[application.id] = application
            self.application_audits.setdefault(application.id, []).append(audit)
            tokens = [t for t in self.access_tokens.values() if t.application.id == application.id]
            for token in tokens:
                self.access_tokens[token.token_hash] = replace(token, application=application)
            return len(tokens)

    def put_providers(self, providers: Sequence[Provider]) -> None:
        for provider in providers:
            self.catalog[provider.id] = provider

    # -- erasure ---------------------------------------------------------------------

    def erasure_plan(self, company: str, employee_id: str) -> ErasurePlan | None:
        with self._lock:
            found = self.users.get((company, employee_id))
            if found is None:
                return None
            user, revision = found
            tokens = [t for t in self.access_tokens.values() if t.company == company]
            tokens = [t for t in tokens if t.employee_id == employee_id]
            login = self.logins.get(user.email)
            removing = Counter(
                {
                    "memberships": len(self.memberships.get((company, employee_id), {})),
                    "changes": len(self.audits.get((company, employee_id), [])),
                    "trail_index": sum(
                        len({c.membership_id for c in record.changes if c.membership_id})
                        for _, record, _ in self.audits.get((company, employee_id), [])
                    ),
                    "other": sum(1 for c, e, _ in self.keys if (c, e) == (company, employee_id)),
                    "concur_tokens": len(tokens),
                    "concur_index": len(tokens),
                    "concur_user_index": len(tokens),
                    "logins": 1 if login is not None else 0,
                    "profiles": 1,
                }
            )
            arrangers = tuple(
                other
                for (c, e), (other, _) in sorted(self.users.items())
                if c == company and e != employee_id and employee_id in other.arranges
            )
            return _Plan(
                user=user,
                revision=revision,
                removing={kind: n for kind, n in removing.items() if n},
                removed={},
                api_tokens=len(login.token_hashes) if login is not None else 0,
                arrangers=arrangers,
                marked=self.erasure_marks.get((company, employee_id)),
                arranges_as_read={a.employee_id: a.arranges for a in arrangers},
            )

    def erase(self, plan: ErasurePlan, arrangers: Sequence[User], record: ErasureRecord) -> None:
        if not isinstance(plan, _Plan):
            raise TypeError("a plan of this store's own erasure_plan")
        company, employee_id = plan.user.company, plan.user.employee_id
        where = (company, employee_id)
        with self._lock:
            found = self.users.get(where)
            if found is None:
                raise ConcurrentChange("The user was erased meanwhile")
            mark = self.erasure_marks.setdefault(where, record.header)
            if found[1] != plan.revision or mark.id != record.id:
                raise ConcurrentChange("The user was written during the erasure")
            for arranger in arrangers:
                now = self.users[(company, arranger.employee_id)][0]
                if now.arranges != plan.arranges_as_read[arranger.employee_id]:
                    raise ConcurrentChange("An arranger changed during the erasure")
            for arranger in arrangers:
                key = (company, arranger.employee_id)
                self.users[key] = (arranger, self.users[key][1])
                login = self.logins.get(arranger.email)
                if login is not None:
                    self.logins[arranger.email] = replace(login, user=arranger)
            for token_hash, token in list(self.access_tokens.items()):
                if (token.company, token.employee_id) == where:
                    del self.access_tokens[token_hash]
            self.logins.pop(plan.user.email, None)
            for owned in [key for key in self.keys if key[:2] == where]:
                del self.keys[owned]
            self.memberships.pop(where, None)
            self.audits.pop(where, None)
            self.erasure_marks.pop(where)
            del self.users[where]
            self.erasures.setdefault(company, []).append(record)


class InMemoryWebhooks:
    """The webhook port in memory (`loyalty_core.repository.webhooks`), reading the audit
    records of `memberships` for the change feed and replays."""

    def __init__(self, memberships: InMemoryRepository) -> None:
        self.memberships = memberships
        self.subscriptions: dict[tuple[str, str], Subscription] = {}
        self.changes: dict[str, list[AuditRecord]] = {}
        # by (company, subscription, enqueued_at, id): the adapter's key holds the time too
        self.deliveries: dict[tuple[str, str, datetime, str], DeliveryRecord] = {}
        self._lock = threading.Lock()

    def list_subscriptions(self, company: str) -> tuple[Subscription, ...]:
        found = [s for (c, _), s in self.subscriptions.items() if c == company]
        return tuple(sorted(found, key=lambda s: (s.created_at, s.id)))

    def get_subscription(self, company: str, subscription_id: str) -> Subscription | None:
        return self.subscriptions.get((company, subscription_id))

    def create_subscription(self, subscription: Subscription, audit: AuditRecord) -> None:
        with self._lock:
            if self.memberships.get_company(subscription.company) is None:
                raise NotFound(f"No company {subscription.company!r}")
            if len(self.list_subscriptions(subscription.company)) >= MAX_SUBSCRIPTIONS_PER_COMPANY:
                raise TooManySubscriptions("A company holds at most so many subscriptions")
            self.subscriptions[(subscription.company, subscription.id)] = subscription
            self.changes.setdefault(subscription.company, []).append(audit)

    def save_subscription(
        self, before: Subscription, after: Subscription, audit: AuditRecord | None
    ) -> None:
        with self._lock:
            stored = self.subscriptions.get((before.company, before.id))
            if stored is None or stored.version != before.version:
                raise ConcurrentChange("The subscription changed meanwhile")
            self.subscriptions[(after.company, after.id)] = after
            if audit is not None:
                self.changes.setdefault(after.company, []).append(audit)

    def delete_subscription(self, subscription: Subscription, audit: AuditRecord) -> None:
        with self._lock:
            stored = self.subscriptions.get((subscription.company, subscription.id))
            if stored is None or stored.version != subscription.version:
                raise ConcurrentChange("The subscription changed meanwhile")
            del self.subscriptions[(subscription.company, subscription.id)]
            self.changes.setdefault(subscription.company, []).append(audit)

    def subscription_changes(self, company: str) -> tuple[AuditRecord, ...]:
        return tuple(reversed(self.changes.get(company, [])))

    def get_delivery(
        self, company: str, subscription_id: str, enqueued_at: datetime, delivery_id: str
    ) -> DeliveryRecord | None:
        return self.deliveries.get((company, subscription_id, enqueued_at, delivery_id))

    def save_delivery(self, company: str, record: DeliveryRecord) -> None:
        self.deliveries[(company, record.subscription_id, record.enqueued_at, record.id)] = record

    def list_deliveries(
        self, company: str, subscription_id: str, count: int, after: str | None = None
    ) -> DeliveryPage:
        found = sorted(
            (
                (f"{stamp(r.enqueued_at)}#{r.id}", r)
                for (c, s, _, _), r in self.deliveries.items()
                if c == company and s == subscription_id
            ),
            reverse=True,
        )
        if after is not None:
            found = [(cursor, r) for cursor, r in found if cursor < after]
        more = found[count - 1][0] if len(found) > count else None
        return DeliveryPage(tuple(r for _, r in found[:count]), more)

    def change_feed(
        self, company: str, since: datetime, until: datetime, limit: int
    ) -> list[FeedEntry]:
        found = []
        for (c, employee_id), records in self.memberships.audits.items():
            if c != company:
                continue
            for revision, record, _ in records:
                if since <= record.occurred_at < until and any(
                    e.membership_id for e in record.changes
                ):
                    key = change_key(company, employee_id, revision)
                    ref = ChangeRef(pk=key["pk"]["S"], sk=key["sk"]["S"])
                    found.append((record.occurred_at, FeedEntry(record.id, employee_id, ref)))
        found.sort(key=lambda f: (f[0], f[1].event_id))
        return [entry for _, entry in found[:limit]]

    def get_change(self, ref: ChangeRef) -> StoredChange | None:
        company, employee_id = user_of(ref.pk)
        records = self.memberships.audits.get((company, employee_id), [])
        for revision, record, _ in records:
            if change_key(company, employee_id, revision)["sk"]["S"] == ref.sk:
                return StoredChange(record, company, employee_id, revision)
        return None
