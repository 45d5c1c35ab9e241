"""An in-memory store with the same behaviour as the DynamoDB adapter, for unit tests."""

from __future__ import annotations

import threading
from collections.abc import Sequence
from datetime import datetime

from loyalty_core.errors import ConcurrentChange
from loyalty_core.models import MAX_MEMBERSHIPS_PER_USER, AuditRecord, Membership, Provider, User
from loyalty_core.repository import AccessToken, History, Login, UserMemberships
from loyalty_core.repository.items import purge_at


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
