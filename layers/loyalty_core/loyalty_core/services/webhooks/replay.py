"""Replaying a time window (SPEC 13): the `loyalty_memberships.changed` events of every
audit record of the company committed in [since, until), sent again to one subscription
with their original ids, re-signed when sent (a fresh timestamp). They are read from the
change feed (one Query per day of the window, no Scan) and queued in their order; each
event's body is built when it is sent, from its audit record (a full payload shows each
membership as it is then). An erased user's records are gone, and an erasure's record
names no one: a replay never sends either again.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from loyalty_core.errors import InvalidInput, Problem
from loyalty_core.models.deliveries import Delivery
from loyalty_core.models.webhooks import EventType
from loyalty_core.services.webhooks import delivery, subscriptions

if TYPE_CHECKING:
    from loyalty_core.services.webhooks.context import Webhooks

MAX_REPLAY_EVENTS = 1000
MAX_REPLAY_DAYS = 31


@dataclass(frozen=True)
class Replay:
    id: str
    subscription_id: str
    since: datetime
    until: datetime
    events: int


def _window(since: datetime, until: datetime, now: datetime) -> list[Problem]:
    problems = []
    for name, moment in (("since", since), ("until", until)):
        if moment.tzinfo is None:
            problems.append(Problem("must carry its time zone (2026-12-01T00:00:00Z)", (name,)))
    if problems:
        return problems
    if since >= until:
        problems.append(Problem("must be before until", ("since",)))
    if since > now:
        problems.append(Problem("must not be in the future", ("since",)))
    if until - since > timedelta(days=MAX_REPLAY_DAYS):
        problems.append(Problem(f"must be at most {MAX_REPLAY_DAYS} days after since", ("until",)))
    return problems


def replay(
    webhooks: Webhooks, company: str, subscription_id: str, since: datetime, until: datetime
) -> Replay:
    """Queue the window's events for the subscription; at most MAX_REPLAY_EVENTS a replay
    (a larger window is refused whole, nothing queued: split it)."""
    subscription = subscriptions.get(webhooks, company, subscription_id)
    now = webhooks.clock()
    problems = _window(since, until, now)
    if not subscription.wants(EventType.CHANGED):
        problems.append(
            Problem(f"The subscription must be enabled and take {EventType.CHANGED.value} events")
        )
    if problems:
        raise InvalidInput("The replay cannot be made", problems)
    found = webhooks.store.change_feed(company, since, min(until, now), MAX_REPLAY_EVENTS + 1)
    if len(found) > MAX_REPLAY_EVENTS:
        raise InvalidInput(
            "The window holds too many changes",
            [
                Problem(
                    f"must hold at most {MAX_REPLAY_EVENTS} changes: split the window",
                    ("until",),
                )
            ],
        )
    replay_id = delivery.new_replay_id()
    messages = [
        Delivery(
            subscription_id=subscription.id,
            company=company,
            event_id=entry.event_id,
            event_type=EventType.CHANGED,
            employee_id=entry.employee_id,
            enqueued_at=now,
            change=entry.ref,
            replay_id=replay_id,
        )
        for entry in found
    ]
    if messages:
        webhooks.queue.send(messages)
    return Replay(replay_id, subscription.id, since, until, len(messages))
