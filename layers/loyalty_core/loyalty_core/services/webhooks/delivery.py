"""Delivering one queued event to its endpoint: sign, POST, record the attempt, and on
failure schedule the next try (SPEC 13).

Order: the queue is FIFO with one message group per subscription and traveller, so a
traveller's next event waits until this one is delivered or given up; travellers and
subscriptions go in parallel. A failed attempt keeps its message hidden until the next try
(SQS's visibility, at most about 12 h at a time: a longer wait is hidden again when the
message comes back early, without an attempt), so its group waits with it.

Retries: after the 1st to 9th failure, wait 5 s, 5 min, 30 min, 2 h, 5 h, 10 h, 14 h,
20 h, 24 h, each within +-20 % (jitter); a 429 or 503 with Retry-After waits what it says
instead (1 s to 24 h). The 10th failure sends the event to the dead-letter queue with the
reason. A 410 disables the subscription. A 2xx is delivered; anything else (a redirect, no
answer within 15 s, an address the SSRF guard refuses) is a failure. Each attempt is kept
on the delivery's record (30 days), which also makes a second copy of a delivered message
a no-op.
"""

from __future__ import annotations

import hashlib
import uuid
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from loyalty_core.errors import ConcurrentChange
from loyalty_core.models import Interface, Origin
from loyalty_core.models.deliveries import (
    Attempt,
    AttemptOutcome,
    Delivery,
    DeliveryRecord,
    DeliveryStatus,
)
from loyalty_core.models.webhooks import EventType
from loyalty_core.services.webhooks import events, fanout, signing, subscriptions

if TYPE_CHECKING:
    from loyalty_core.models.webhooks import Subscription
    from loyalty_core.services.webhooks.context import Reply, Webhooks

SCHEDULE = (5, 300, 1800, 7200, 18000, 36000, 50400, 72000, 86400)  # seconds
JITTER = 0.2
MAX_RETRY_AFTER = 86400
MAX_HIDE = 43_000  # seconds: under SQS's 12 h (43,200) of visibility from a receive
SYSTEM = Origin("system:webhook-delivery", Interface.SYSTEM, "")


def group_id(delivery: Delivery) -> str:
    """The FIFO group: one per subscription and traveller (the employee id hashed: a group
    id is at most 128 characters, and names no one)."""
    who = hashlib.sha256(f"{delivery.company}/{delivery.employee_id or ''}".encode()).hexdigest()
    return f"{delivery.subscription_id}.{who[:32]}"


def dedup_id(delivery: Delivery) -> str:
    """SQS drops a second message with this id within 5 minutes: the same event for the
    same subscription (a replay has its own)."""
    return f"{delivery.id}.{delivery.subscription_id}"[:128]


def wait_after(failures: int, reply: Reply, jitter: float) -> float:
    """Seconds before the next try, after `failures` failed attempts (this one counted)."""
    if reply.status in (429, 503) and reply.retry_after is not None:
        return min(max(reply.retry_after, 1.0), MAX_RETRY_AFTER)
    base = SCHEDULE[failures - 1]
    return base * (1 - JITTER + 2 * JITTER * jitter)


def _record(webhooks: Webhooks, message: Delivery) -> DeliveryRecord:
    found = webhooks.store.get_delivery(
        message.company, message.subscription_id, message.enqueued_at, message.id
    )
    return found or DeliveryRecord(
        id=message.id,
        subscription_id=message.subscription_id,
        event_id=message.event_id,
        event_type=message.event_type,
        enqueued_at=message.enqueued_at,
        replay_id=message.replay_id,
    )


def _body(webhooks: Webhooks, message: Delivery, subscription: Subscription) -> str | None:
    """The event's body: as the fan-out built it, or, for a replay, built now from the
    audit record (None: the record is gone, erased or past retention, or the filter
    leaves nothing of it)."""
    if message.body is not None:
        return message.body
    if message.change is None:
        return None
    stored = webhooks.store.get_change(message.change)
    if stored is None:
        return None
    event = fanout.StreamEvent(
        EventType.CHANGED, stored.company, stored.employee_id, stored.record, stored.revision
    )
    held = None
    if fanout.needs_memberships([subscription]):
        held = fanout.held_now(webhooks, stored.company, stored.employee_id)
    return fanout.body_for(webhooks, event, subscription, held)


def post(
    webhooks: Webhooks, subscription: Subscription, event_id: str, body: str, now: datetime
) -> Reply:
    """Sign with every secret that signs now and POST."""
    context = subscriptions.secret_context(subscription.company, subscription.id)
    keys = [webhooks.box.open(s.sealed, context) for s in subscription.signing(now)]
    data = body.encode("utf-8")
    headers = signing.headers(keys, event_id, int(now.timestamp()), data)
    return webhooks.send(subscription.url, headers, data)


def process(webhooks: Webhooks, message: Delivery, receipt: str) -> bool:
    """Try one queued delivery; True when its message is done with (delivered, given up or
    skipped), False when it stays queued, hidden until its next try."""
    now = webhooks.clock()
    record = _record(webhooks, message)
    if record.status is not DeliveryStatus.PENDING:
        return True  # a second copy of a delivery already settled
    if record.next_attempt_at is not None and record.next_attempt_at > now:
        wait = (record.next_attempt_at - now).total_seconds()
        webhooks.queue.hide(receipt, min(MAX_HIDE, max(1, int(wait + 0.999))))
        return False
    subscription = webhooks.store.get_subscription(message.company, message.subscription_id)
    if subscription is None or not subscription.enabled:
        why = (
            "the subscription was deleted"
            if subscription is None
            else "the subscription is disabled"
        )
        _settle(webhooks, message, record, DeliveryStatus.SKIPPED, why, now)
        return True
    body = _body(webhooks, message, subscription)
    if body is None:
        why = "the change is gone (erased or past retention) or none of it passes the filter"
        _settle(webhooks, message, record, DeliveryStatus.SKIPPED, why, now)
        return True
    reply = post(webhooks, subscription, message.event_id, body, now)
    return _after(webhooks, message, record, subscription, reply, now, receipt)


def _attempt(reply: Reply, now: datetime, outcome: AttemptOutcome) -> Attempt:
    return Attempt(
        at=now,
        status=reply.status,
        duration_ms=reply.duration_ms,
        error=reply.error,
        outcome=outcome,
    )


def _after(
    webhooks: Webhooks,
    message: Delivery,
    record: DeliveryRecord,
    subscription: Subscription,
    reply: Reply,
    now: datetime,
    receipt: str,
) -> bool:
    company = message.company
    if reply.delivered:
        done = _attempt(reply, now, AttemptOutcome.DELIVERED)
        webhooks.store.save_delivery(company, _with(record, done, DeliveryStatus.DELIVERED))
        return True
    if reply.status == 410:
        gone = _attempt(reply, now, AttemptOutcome.GONE)
        reason = "the endpoint answered 410 Gone: the subscription is disabled"
        webhooks.store.save_delivery(company, _with(record, gone, DeliveryStatus.FAILED, reason))
        origin = Origin(SYSTEM.actor, SYSTEM.interface, message.id)
        try:
            subscriptions.disable_gone(webhooks, subscription, origin)
        except ConcurrentChange:  # changed meanwhile (another message's 410, an admin)
            fresh = webhooks.store.get_subscription(company, subscription.id)
            if fresh is not None:
                subscriptions.disable_gone(webhooks, fresh, origin)
        return True
    failures = record.failures + 1
    if failures > len(SCHEDULE):
        reason = f"{failures} attempts failed; the last: {reply.error or reply.status}"
        last = _attempt(reply, now, AttemptOutcome.FAILED)
        webhooks.queue.dead_letter(message, reason)
        webhooks.store.save_delivery(company, _with(record, last, DeliveryStatus.FAILED, reason))
        return True
    wait = wait_after(failures, reply, webhooks.jitter())
    retry = _attempt(reply, now, AttemptOutcome.RETRYING)
    pending = _with(record, retry, DeliveryStatus.PENDING)
    pending = pending.model_copy(update={"next_attempt_at": now + timedelta(seconds=wait)})
    webhooks.store.save_delivery(company, pending)
    webhooks.queue.hide(receipt, min(MAX_HIDE, max(1, int(wait + 0.999))))
    return False


def _with(
    record: DeliveryRecord, attempt: Attempt, status: DeliveryStatus, reason: str | None = None
) -> DeliveryRecord:
    return record.model_copy(
        update={
            "attempts": (*record.attempts, attempt),
            "status": status,
            "next_attempt_at": None,
            "reason": reason,
        }
    )


def _settle(
    webhooks: Webhooks,
    message: Delivery,
    record: DeliveryRecord,
    status: DeliveryStatus,
    reason: str,
    now: datetime,
) -> None:
    skipped = Attempt(at=now, error=reason, outcome=AttemptOutcome.SKIPPED)
    webhooks.store.save_delivery(message.company, _with(record, skipped, status, reason))


def send_test(webhooks: Webhooks, subscription: Subscription) -> DeliveryRecord:
    """Send a `webhook.test` event now, once (no retry), whether or not the subscription is
    enabled; its one attempt is recorded like any delivery's."""
    now = webhooks.clock()
    event_id, body = events.test_event(subscription, now)
    record = DeliveryRecord(
        id=event_id,
        subscription_id=subscription.id,
        event_id=event_id,
        event_type=EventType.TEST,
        enqueued_at=now,
        replay_id=None,
    )
    reply = post(webhooks, subscription, event_id, body, now)
    outcome = AttemptOutcome.DELIVERED if reply.delivered else AttemptOutcome.FAILED
    status = DeliveryStatus.DELIVERED if reply.delivered else DeliveryStatus.FAILED
    settled = _with(
        record, _attempt(reply, now, outcome), status, None if reply.delivered else reply.error
    )
    webhooks.store.save_delivery(subscription.company, settled)
    return settled


def new_replay_id() -> str:
    return uuid.uuid4().hex[:12]


# -- a batch from the queue ---------------------------------------------------------------

TIME_NEEDED_MS = 20_000  # an attempt starts only with this much of the invocation left


class _Waiting(Exception):
    """The message stays queued, hidden until its next try."""


class _NotTried(Exception):
    """The message was not tried (too little time left): it is released at once."""


def process_batch(webhooks: Webhooks, event: dict[str, Any], context: Any) -> dict[str, Any]:
    """A batch of queue messages (Powertools' FIFO batch processing, partial failures):
    each message group in order, stopping at its first message that stays queued; the
    groups at once, each in its own thread, so one slow endpoint never delays another.
    The messages not tried (a stopped group's later ones, or too little time left) are
    released at once (visible again, their group still waiting for its first), so none
    waits out a visibility timeout; one whose handling failed (the store or KMS
    unavailable) comes back after the queue's visibility timeout, as a backoff."""
    from aws_lambda_powertools.utilities.batch import process_partial_response
    from aws_lambda_powertools.utilities.batch.sqs_fifo_partial_processor import (
        SqsFifoPartialProcessor,
    )

    if not event.get("Records"):
        return {"batchItemFailures": []}
    groups: dict[str, list[dict[str, Any]]] = {}
    for record in event.get("Records", []):
        group = (record.get("attributes") or {}).get("MessageGroupId", "")
        groups.setdefault(group, []).append(record)
    tried: set[str] = set()  # hidden until their next try, or failed (visibility timeout)

    def handle(record: Any) -> None:
        remaining = context.get_remaining_time_in_millis() if context is not None else None
        if remaining is not None and remaining < TIME_NEEDED_MS:
            raise _NotTried("too little time left in this invocation")
        tried.add(record.message_id)
        message = Delivery.model_validate_json(record.body)
        if not process(webhooks, message, record.receipt_handle):
            raise _Waiting("another attempt is scheduled")

    def run(records: list[dict[str, Any]]) -> list[dict[str, str]]:
        processor = SqsFifoPartialProcessor()
        processor.raise_on_entire_batch_failure = False  # a lone waiting message is no error
        answer = process_partial_response(
            event={"Records": records}, record_handler=handle, processor=processor, context=context
        )
        return [{"itemIdentifier": str(f["itemIdentifier"])} for f in answer["batchItemFailures"]]

    with ThreadPoolExecutor(max_workers=max(1, min(len(groups), MAX_GROUPS_AT_ONCE))) as pool:
        failed = [f for found in pool.map(run, groups.values()) for f in found]
    receipts = {r["messageId"]: r["receiptHandle"] for r in event.get("Records", [])}
    release = [receipts[f["itemIdentifier"]] for f in failed if f["itemIdentifier"] not in tried]
    if release:
        webhooks.queue.release(release)
    return {"batchItemFailures": failed}


MAX_GROUPS_AT_ONCE = 10
