"""An in-memory store with the same behaviour as the DynamoDB adapter, for unit tests."""

from __future__ import annotations

import threading
from collections.abc import Sequence
from datetime import datetime

from loyalty_core.errors import ConcurrentChange, NotFound, TooManySubscriptions
from loyalty_core.models import MAX_MEMBERSHIPS_PER_USER, AuditRecord, Membership, Provider, User
from loyalty_core.models.webhooks import (
    MAX_SUBSCRIPTIONS_PER_COMPANY,
    ChangeRef,
    DeliveryRecord,
    Subscription,
)
from loyalty_core.repository import AccessToken, History, Login, UserMemberships
from loyalty_core.repository.items import purge_at
from loyalty_core.repository.keys import change_key, stamp, user_of
from loyalty_core.repository.webhooks import DeliveryPage, FeedEntry, StoredChange


class InMemoryRepository:
    def __init__(self) -> None:
        self.logins: dict[str, Login] = {}
        self.access_tokens: dict[str, AccessToken] = {}
        self.users: dict[tuple[str, str], tuple[User, int]] = {}
        self.memberships: dict[tuple[str, str], dict[str, Membership]] = {}
        self.catalog: dict[str, Provider] = {}
        # oldest first, each with its purge_at as written
        self.audits: dict[tuple[str, str], list[tuple[AuditRecord, int]]] = {}
        self.audit_retention_days = 400
        self._lock = threading.Lock()

    # -- fixtures ----------------------------------------------------------

    def add_user(self, user: User, token_hashes: dict[str, str] | None = None) -> None:
        self.users[(user.company, user.employee_id)] = (user, 0)
        self.memberships.setdefault((user.company, user.employee_id), {})
        hashes = token_hashes or {}
        self.logins[user.email] = Login(user, hashes, dict.fromkeys(hashes))

    def add_provider(self, provider: Provider) -> None:
        self.catalog[provider.id] = provider

    # -- the port ----------------------------------------------------------

    def get_login(self, email: str) -> Login | None:
        return self.logins.get(email.lower())

    def get_logins(self, emails: Sequence[str]) -> dict[str, Login]:
        return {e.lower(): self.logins[e.lower()] for e in emails if e.lower() in self.logins}

    def get_access_token(self, token_hash: str) -> AccessToken | None:
        return self.access_tokens.get(token_hash)

    def get_user_memberships(self, company: str, employee_id: str) -> UserMemberships | None:
        with self._lock:
            found = self.users.get((company, employee_id))
            if found is None:
                return None
            user, revision = found
            held = sorted(
                self.memberships[(company, employee_id)].values(),
                key=lambda m: (m.created_at, m.id),
            )
            return UserMemberships(user=user, revision=revision, memberships=tuple(held))

    def get_membership(
        self, company: str, employee_id: str, membership_id: str
    ) -> Membership | None:
        return self.memberships.get((company, employee_id), {}).get(membership_id)

    def get_history(
        self, company: str, employee_id: str, start: int, count: int, now: datetime
    ) -> History | None:
        found = self.users.get((company, employee_id))
        if found is None:
            return None
        kept = [
            record
            for record, purge in reversed(self.audits.get((company, employee_id), []))
            if purge > now.timestamp()
        ]
        return History(found[0], len(kept), tuple(kept[start : start + count]))

    def commit(
        self,
        snapshot: UserMemberships,
        put: Sequence[Membership] = (),
        delete: Sequence[Membership] = (),
        *,
        audit: AuditRecord,
    ) -> None:
        key = (snapshot.user.company, snapshot.user.employee_id)
        count = snapshot.count_after(put, delete)
        with self._lock:
            user, revision = self.users[key]
            if revision != snapshot.revision:
                raise ConcurrentChange("The user's memberships changed during the write")
            if count > MAX_MEMBERSHIPS_PER_USER and count > snapshot.count:
                raise ConcurrentChange("The write would pass the membership limit")
            self.users[key] = (user, revision + 1)
            held = self.memberships[key]
            for m in put:
                held[m.id] = m
            for m in delete:
                held.pop(m.id, None)
            purge = purge_at(audit.occurred_at, self.audit_retention_days)
            self.audits.setdefault(key, []).append((audit, purge))

    def providers(self) -> Sequence[Provider]:
        return tuple(sorted(self.catalog.values(), key=lambda p: p.name))

    def get_provider(self, provider_id: str) -> Provider | None:
        return self.catalog.get(provider_id)


class InMemoryWebhooks:
    """The webhook port in memory (`loyalty_core.repository.webhooks`), reading the audit
    records of `memberships` for the change feed and replays."""

    def __init__(self, memberships: InMemoryRepository) -> None:
        self.memberships = memberships
        self.subscriptions: dict[tuple[str, str], Subscription] = {}
        self.changes: dict[str, list[AuditRecord]] = {}
        self.deliveries: dict[tuple[str, str, str], DeliveryRecord] = {}
        self.companies: set[str] = set()
        self._lock = threading.Lock()

    def add_company(self, company: str) -> None:
        self.companies.add(company)

    def list_subscriptions(self, company: str) -> tuple[Subscription, ...]:
        found = [s for (c, _), s in self.subscriptions.items() if c == company]
        return tuple(sorted(found, key=lambda s: (s.created_at, s.id)))

    def get_subscription(self, company: str, subscription_id: str) -> Subscription | None:
        return self.subscriptions.get((company, subscription_id))

    def create_subscription(self, subscription: Subscription, audit: AuditRecord) -> None:
        with self._lock:
            if subscription.company not in self.companies:
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
        return self.deliveries.get((company, subscription_id, delivery_id))

    def save_delivery(self, company: str, record: DeliveryRecord) -> None:
        self.deliveries[(company, record.subscription_id, record.id)] = record

    def list_deliveries(
        self, company: str, subscription_id: str, count: int, after: str | None = None
    ) -> DeliveryPage:
        found = sorted(
            (
                (f"{stamp(r.enqueued_at)}#{r.id}", r)
                for (c, s, _), r in self.deliveries.items()
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
            for revision, (record, _) in enumerate(records, start=1):
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
        for revision, (record, _) in enumerate(records, start=1):
            if change_key(company, employee_id, revision)["sk"]["S"] == ref.sk:
                return StoredChange(record, company, employee_id, revision)
        return None
