"""What the webhook services run with: the stores, the secret box, the delivery queue, the
HTTP sender, the clock; each a port, so a test swaps any of them (an injected clock runs
hours of retries in no time)."""

from __future__ import annotations

import random
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:
    from loyalty_core.models import Membership
    from loyalty_core.models.deliveries import Delivery
    from loyalty_core.repository import Repository
    from loyalty_core.repository.webhooks import WebhookRepository


class SecretBox(Protocol):
    """Seals signing secrets for storage (KMS when deployed) and opens them to sign."""

    def seal(self, secret: bytes, context: Mapping[str, str]) -> str: ...

    def open(self, sealed: str, context: Mapping[str, str]) -> bytes: ...


class Queue(Protocol):
    """The delivery queue: FIFO, one message group per subscription and traveller."""

    def send(self, deliveries: Sequence[Delivery]) -> None:
        """Enqueue all (StorageUnavailable if any could not be: the caller retries them)."""
        ...

    def hide(self, receipt: str, seconds: int) -> None:
        """Keep a received message out of sight (and its group waiting) for `seconds`."""
        ...

    def release(self, receipts: Sequence[str]) -> None:
        """Make received messages visible again at once."""
        ...

    def dead_letter(self, delivery: Delivery, reason: str) -> None: ...


@dataclass(frozen=True)
class Reply:
    """What an endpoint answered: its status (None: no answer), its Retry-After in seconds
    (None: none or unreadable), what went wrong, how long it took."""

    status: int | None
    duration_ms: int
    error: str | None = None
    retry_after: float | None = None

    @property
    def delivered(self) -> bool:
        return self.status is not None and 200 <= self.status < 300


class Sender(Protocol):
    def __call__(self, url: str, headers: Mapping[str, str], body: bytes) -> Reply: ...


# The addresses a host name resolves to (a test resolves without DNS).
Resolver = Callable[[str, int], Sequence[str]]
MembershipRenderer = Callable[["Membership"], dict[str, Any]]


def utc_now() -> datetime:
    return datetime.now(UTC)


@dataclass
class Webhooks:
    store: WebhookRepository
    memberships: Repository
    box: SecretBox
    queue: Queue
    send: Sender
    resolve: Resolver
    # A membership as an admin GETs it (the JSON:API resource, account number whole).
    render: MembershipRenderer
    # Under `make run` only: plain http and loopback endpoints (a receiver on this machine).
    local_targets: bool = False
    clock: Callable[[], datetime] = utc_now
    jitter: Callable[[], float] = field(default=random.random)
