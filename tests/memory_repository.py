"""An in-memory store with the same behaviour as the DynamoDB adapter, for unit tests (the
contract test holds both to the port)."""

from __future__ import annotations

import threading
import time
from collections.abc import Sequence
from dataclasses import replace
from datetime import datetime

from loyalty_core.errors import ConcurrentChange, RequestInProgress
from loyalty_core.models import (
    MAX_MEMBERSHIPS_PER_USER,
    AuditRecord,
    Membership,
    MembershipSet,
    Provider,
    User,
)
from loyalty_core.models.membership_set import oldest_first
from loyalty_core.repository import (
    AccessToken,
    KeyAnswer,
    KeyOwner,
    KeyRecord,
    Login,
    Revised,
    TrailPage,
    UserWrite,
)
from loyalty_core.repository.retention import purge_at

Keyed = tuple[str, str]


class InMemoryRepository:
    def __init__(self) -> None:
        self.logins: dict[str, Login] = {}
        self.access_tokens: dict[str, AccessToken] = {}
        self.users: dict[Keyed, tuple[User, int]] = {}
        self.memberships: dict[Keyed, dict[str, Membership]] = {}
        self.catalog: dict[str, Provider] = {}
        # oldest first: (revision, record, purge_at as written)
        self.audits: dict[Keyed, list[tuple[int, AuditRecord, int]]] = {}
        self.keys: dict[tuple[str, str, str], tuple[KeyRecord, int]] = {}  # ..., expires
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
                self._answer(write.key)
            self.users[key] = (user, revision + 1)
            held = self.memberships[key]
            for m in write.put:
                held[m.id] = m
            for m in write.delete:
                held.pop(m.id, None)
            purge = purge_at(write.audit.occurred_at, self.audit_retention_days)
            self.audits.setdefault(key, []).append((revision + 1, write.audit, purge))

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
