"""Change notifications' deliveries (SPEC 13): each delivery made to a subscription, its
attempts, and what goes on the delivery queue."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from pydantic import BaseModel, ConfigDict

from loyalty_core.models.webhooks import EventType
from loyalty_core.validators import CompanyId


class AttemptOutcome(StrEnum):
    DELIVERED = "delivered"  # a 2xx
    RETRYING = "retrying"  # failed, another attempt is scheduled
    FAILED = "failed"  # failed for the last time: sent to the dead-letter queue
    GONE = "gone"  # 410: the subscription is disabled
    SKIPPED = "skipped"  # not sent: the subscription is disabled or deleted


class Attempt(BaseModel):
    """One try to deliver an event: when, the answer's status (None: no answer), how long
    it took, what went wrong, and what it led to."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    at: datetime
    status: int | None = None
    duration_ms: int = 0
    error: str | None = None
    outcome: AttemptOutcome


class DeliveryStatus(StrEnum):
    PENDING = "pending"
    DELIVERED = "delivered"
    FAILED = "failed"
    SKIPPED = "skipped"


MAX_ATTEMPTS_KEPT = 30  # attempts listed per delivery (the schedule makes at most 10)


class DeliveryRecord(BaseModel):
    """Every attempt to deliver one event to one subscription (a replay is a delivery of
    its own), kept 30 days after the last: readable by the company's admins."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    id: str  # the delivery's id: the event's, and the replay's when it is one
    subscription_id: str
    event_id: str
    event_type: EventType
    enqueued_at: datetime
    replay_id: str | None = None
    status: DeliveryStatus = DeliveryStatus.PENDING
    attempts: tuple[Attempt, ...] = ()
    next_attempt_at: datetime | None = None
    reason: str | None = None  # why it failed for good, or was skipped

    @property
    def failures(self) -> int:
        """Attempts that failed (what the retry schedule counts)."""
        return sum(1 for a in self.attempts if a.outcome is AttemptOutcome.RETRYING)


class ChangeRef(BaseModel):
    """Where a user's audit record is stored: the event a replay sends again."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    pk: str
    sk: str


class Delivery(BaseModel):
    """A message of the delivery queue: one event for one subscription. Its body is built
    when the event is read from the table's stream; a replay's is built when it is sent,
    from the audit record `change` names."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    subscription_id: str
    company: CompanyId
    event_id: str
    event_type: EventType
    employee_id: str | None = None  # the traveller whose events are ordered together
    # When the delivery was made: the event's own time for one read from the stream (so a
    # second copy of it is the same delivery), the replay's for a replay.
    enqueued_at: datetime
    body: str | None = None
    change: ChangeRef | None = None
    replay_id: str | None = None

    @property
    def id(self) -> str:
        """The delivery's id: the event's, with the replay's."""
        return f"{self.event_id}.{self.replay_id}" if self.replay_id else self.event_id
