"""From the table's stream to the delivery queue: the audit record is the outbox.

A stream record is an event when it is
- the INSERT of a user's audit record that touches a membership (`loyalty_memberships.
  changed`; records of other changes, such as an admin's token changes, are none), or
- the REMOVE of a user's profile that an erasure marked (`user.erased`: the mark holds
  the erasure record's id and time, the removed profile whose it was).
Anything else (membership items, TTL expiries, the erasure record itself, which names no
one) is none. Each event goes to every subscription of its company that wants it (one Query
per company per batch), as one message per subscription, grouped by subscription and
traveller and deduplicated by event and subscription.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from loyalty_core.errors import NotFound
from loyalty_core.models import Principal, Role
from loyalty_core.models.deliveries import Delivery
from loyalty_core.models.webhooks import EventType, PayloadKind
from loyalty_core.repository.webhooks import read_stream_record
from loyalty_core.services import memberships
from loyalty_core.services.webhooks import events

if TYPE_CHECKING:
    from loyalty_core.models import AuditRecord, Membership
    from loyalty_core.models.webhooks import Subscription
    from loyalty_core.services.webhooks.context import Webhooks


@dataclass(frozen=True)
class StreamEvent:
    """An event found in the stream: its kind, whose, and its audit record."""

    event_type: EventType
    company: str
    employee_id: str
    record: AuditRecord
    revision: int  # the sequence: the record's revision (an erasure: the one after the last)


def read(raw: Mapping[str, Any]) -> StreamEvent | None:
    """The event a DynamoDB stream record (as Lambda passes it) is, if any."""
    found = read_stream_record(raw)
    if found is None:
        return None
    kind = EventType.ERASED if found.erased else EventType.CHANGED
    return StreamEvent(kind, found.company, found.employee_id, found.record, found.revision)


def held_now(webhooks: Webhooks, company: str, employee_id: str) -> dict[str, Membership]:
    """The user's memberships as an admin of their company reads them now (none if the
    user is gone)."""
    reader = Principal(company=company, employee_id="webhooks", role=Role.ADMIN)
    try:
        found = memberships.list_memberships(webhooks.memberships, reader, employee_id)
    except NotFound:
        return {}
    return {m.id: m for m in found}


def body_for(
    webhooks: Webhooks,
    event: StreamEvent,
    subscription: Subscription,
    held: Mapping[str, Membership] | None,
) -> str | None:
    if event.event_type is EventType.ERASED:
        return events.erased_event(event.record, event.company, event.employee_id, event.revision)
    return events.changed_event(
        event.record,
        event.company,
        event.employee_id,
        event.revision,
        subscription,
        held,
        webhooks.memberships.get_provider,
        webhooks.render,
    )


def needs_memberships(subscriptions: Iterable[Subscription]) -> bool:
    return any(s.payload is PayloadKind.FULL or s.vendor_types for s in subscriptions)


def deliveries(
    webhooks: Webhooks, event: StreamEvent, subscriptions: Iterable[Subscription]
) -> list[Delivery]:
    """One message per subscription of the event's company that wants it."""
    wanted = [s for s in subscriptions if s.company == event.company and s.wants(event.event_type)]
    if not wanted:
        return []
    held = None
    if event.event_type is EventType.CHANGED and needs_memberships(wanted):
        held = held_now(webhooks, event.company, event.employee_id)
    found = []
    for subscription in wanted:
        body = body_for(webhooks, event, subscription, held)
        if body is not None:
            found.append(
                Delivery(
                    subscription_id=subscription.id,
                    company=event.company,
                    event_id=event.record.id,
                    event_type=event.event_type,
                    employee_id=event.employee_id,
                    enqueued_at=event.record.occurred_at,
                    body=body,
                )
            )
    return found


class FanOut:
    """One stream batch's fan-out: each company's subscriptions read once."""

    def __init__(self, webhooks: Webhooks) -> None:
        self.webhooks = webhooks
        self._subscriptions: dict[str, tuple[Subscription, ...]] = {}

    def subscriptions(self, company: str) -> tuple[Subscription, ...]:
        if company not in self._subscriptions:
            self._subscriptions[company] = self.webhooks.store.list_subscriptions(company)
        return self._subscriptions[company]

    def __call__(self, raw: Mapping[str, Any]) -> int:
        """Enqueue the deliveries of one stream record; how many it made."""
        event = read(raw)
        if event is None:
            return 0
        made = deliveries(self.webhooks, event, self.subscriptions(event.company))
        if made:
            self.webhooks.queue.send(made)
        return len(made)


class _Held(Exception):
    """Not read: an earlier record of the batch failed, and events keep their order."""


def process_batch(webhooks: Webhooks, event: dict[str, Any], context: Any) -> dict[str, Any]:
    """A stream batch (Powertools' batch processing): each record's deliveries queued. A
    record that fails holds every later one of the batch back (reported failed, unread), so
    the stream gives them again in order and no traveller's events are queued out of it."""
    from aws_lambda_powertools.utilities.batch import (
        BatchProcessor,
        EventType,
        process_partial_response,
    )

    if not event.get("Records"):
        return {"batchItemFailures": []}
    fan = FanOut(webhooks)
    failed = False

    def handle(record: Any) -> int:
        nonlocal failed
        if failed:
            raise _Held("held back behind a failed record")
        try:
            return fan(record.raw_event)
        except Exception:
            failed = True
            raise

    processor = BatchProcessor(
        event_type=EventType.DynamoDBStreams, raise_on_entire_batch_failure=False
    )
    answer = process_partial_response(
        event=event, record_handler=handle, processor=processor, context=context
    )
    return {"batchItemFailures": list(answer["batchItemFailures"])}
