"""One queued delivery processed (SPEC 13), on the in-memory stores with a fake clock: when a
message is done with, how long it stays hidden, what each attempt and each settled delivery
records and says, a 410 on a subscription changed meanwhile, and replays sent as the
events they were."""

from __future__ import annotations

from datetime import timedelta
from functools import partial
from typing import Any

import pytest

from loyalty_core.models import Interface, MembershipDraft, Origin, Principal, Role
from loyalty_core.models.deliveries import (
    AttemptOutcome,
    ChangeRef,
    Delivery,
    DeliveryRecord,
    DeliveryStatus,
)
from loyalty_core.models.webhooks import DisabledReason, EventType, SubscriptionSettings
from loyalty_core.repository.keys import change_key
from loyalty_core.services import memberships as svc
from loyalty_core.services.webhooks import delivery, subscriptions
from loyalty_core.services.webhooks import replay as replays
from loyalty_core.services.webhooks.context import Reply
from tests.webhook_fakes import World, sqs_event, world

HILTON = "9c5b90ff-2cce-11e8-87f9-0662bed6e7db"
ORIGIN = Origin("user:acme_admin", Interface.LOCOMOTE, "test-request")
ADMIN = Principal(company="acme", employee_id="acme_admin", role=Role.ADMIN)
create = partial(svc.create_membership, origin=ORIGIN)


class Recorder:
    """The delivery queue, recording what the delivery asks of it."""

    def __init__(self) -> None:
        self.hidden: list[tuple[str, int]] = []
        self.dead: list[tuple[Delivery, str]] = []

    def send(self, deliveries: Any) -> None:
        raise AssertionError("a delivery queues nothing")

    def hide(self, receipt: str, seconds: int) -> None:
        self.hidden.append((receipt, seconds))

    def release(self, receipts: Any) -> None:
        raise AssertionError("not asked here")

    def dead_letter(self, found: Delivery, reason: str) -> None:
        self.dead.append((found, reason))


def subscribe(w: World, **settings: Any) -> str:
    values = {"url": "https://hooks.example.com/in", "events": ["loyalty_memberships.changed"]}
    made = subscriptions.create(
        w.webhooks, "acme", SubscriptionSettings.model_validate({**values, **settings}), ORIGIN
    )
    w.endpoint.secrets.append(made.secret)
    return made.subscription.id


def queued(w: World) -> tuple[Recorder, Delivery]:
    """The delivery the fan-out queued for the one change made, and a recording queue."""
    create(
        w.repo,
        ADMIN,
        "098765",
        MembershipDraft(provider_id=HILTON, account_number="A1", membership_name="John Smith"),
    )
    w.fan_out()
    (message,) = w.queue.sent
    recorder = Recorder()
    w.webhooks.queue = recorder
    return recorder, message


def record(w: World, message: Delivery) -> DeliveryRecord:
    found = w.store.get_delivery(
        message.company, message.subscription_id, message.enqueued_at, message.id
    )
    assert found is not None
    return found


@pytest.mark.parametrize(
    ("retry_after", "wait"), [(0.2, 1.0), (1.0, 1.0), (90.0, 90.0), (10**6, 86400.0)]
)
def test_retry_after_is_taken_from_one_second_to_a_day(retry_after: float, wait: float) -> None:
    assert delivery.wait_after(1, Reply(429, 1, "answered 429", retry_after), 0.5) == wait


def test_the_schedule_is_jittered_twenty_percent_either_way() -> None:
    failed = Reply(500, 1, "answered 500")
    assert delivery.wait_after(1, failed, 0.0) == pytest.approx(4.0)
    assert delivery.wait_after(1, failed, 1.0) == pytest.approx(6.0)
    assert delivery.wait_after(4, failed, 0.5) == pytest.approx(7200.0)


def test_a_message_not_yet_due_is_hidden_until_its_time_in_whole_seconds() -> None:
    w = world()
    subscribe(w)
    recorder, message = queued(w)
    start = w.clock()
    for ahead, hidden in [(0.2, 1), (5.5, 6), (7.0, 7), (10**6, delivery.MAX_HIDE)]:
        pending = DeliveryRecord(
            id=message.id,
            subscription_id=message.subscription_id,
            event_id=message.event_id,
            event_type=message.event_type,
            enqueued_at=message.enqueued_at,
            next_attempt_at=start + timedelta(seconds=ahead),
        )
        w.store.save_delivery("acme", pending)
        assert delivery.process(w.webhooks, message, "r-1") is False
        assert recorder.hidden[-1] == ("r-1", hidden)
    assert w.endpoint.received == []


def test_a_failed_attempt_is_recorded_and_its_message_hidden_until_the_next_try() -> None:
    w = world(script=lambda n, event, now: (429, 1.0) if n == 0 else 500)
    w.webhooks.jitter = lambda: 0.0
    subscribe(w)
    recorder, message = queued(w)
    assert delivery.process(w.webhooks, message, "r-1") is False
    assert recorder.hidden == [("r-1", 1)]  # Retry-After: 1
    found = record(w, message)
    (attempt,) = found.attempts
    assert (attempt.at, attempt.status, attempt.duration_ms, attempt.error, attempt.outcome) == (
        w.clock(),
        429,
        3,
        "answered 429",
        AttemptOutcome.RETRYING,
    )
    assert found.next_attempt_at == w.clock() + timedelta(seconds=1)
    w.clock.advance(1)
    assert delivery.process(w.webhooks, message, "r-2") is False
    assert recorder.hidden[-1] == ("r-2", 240)  # 5 min less 20 %: the 2nd of the schedule


def test_the_tenth_failure_goes_to_the_dead_letter_queue_saying_why() -> None:
    w = world(script=lambda n, event, now: 500)
    subscribe(w)
    recorder, message = queued(w)
    for _ in delivery.SCHEDULE:
        assert delivery.process(w.webhooks, message, "r") is False
        w.clock.advance(90000)
    assert delivery.process(w.webhooks, message, "r") is True
    reason = "10 attempts failed; the last: answered 500"
    assert recorder.dead == [(message, reason)]
    found = record(w, message)
    assert (found.status, found.reason) == (DeliveryStatus.FAILED, reason)
    assert found.attempts[-1].outcome is AttemptOutcome.FAILED


def test_a_last_failure_without_an_answer_names_what_went_wrong() -> None:
    w = world()
    subscribe(w)
    recorder, message = queued(w)
    w.webhooks.send = lambda url, headers, body: Reply(None, 15000, "could not connect")
    for _ in range(len(delivery.SCHEDULE) + 1):
        delivery.process(w.webhooks, message, "r")
        w.clock.advance(90000)
    assert recorder.dead[0][1] == "10 attempts failed; the last: could not connect"


@pytest.mark.parametrize(
    ("change", "reason"),
    [
        ("delete", "the subscription was deleted"),
        ("disable", "the subscription is disabled"),
    ],
)
def test_a_message_for_a_subscription_gone_or_disabled_is_skipped_saying_why(
    change: str, reason: str
) -> None:
    w = world()
    sub = subscribe(w)
    _, message = queued(w)
    if change == "delete":
        subscriptions.delete(w.webhooks, "acme", sub, ORIGIN)
    else:
        subscriptions.set_enabled(w.webhooks, "acme", sub, False, ORIGIN)
    w.clock.advance(5)
    assert delivery.process(w.webhooks, message, "r") is True
    found = record(w, message)
    assert (found.status, found.reason) == (DeliveryStatus.SKIPPED, reason)
    (attempt,) = found.attempts
    assert (attempt.at, attempt.status, attempt.error, attempt.outcome) == (
        w.clock(),
        None,
        reason,
        AttemptOutcome.SKIPPED,
    )
    assert w.endpoint.received == []


def test_a_delivery_goes_to_the_subscriptions_url_signed_by_every_secret_that_signs() -> None:
    w = world()
    sub = subscribe(w)
    _, message = queued(w)
    rotated = subscriptions.rotate(w.webhooks, "acme", sub, ORIGIN, 1)
    w.endpoint.secrets.append(rotated.secret)
    assert delivery.process(w.webhooks, message, "r") is True
    (got,) = w.endpoint.received
    assert got.url == "https://hooks.example.com/in"
    assert len(got.headers["webhook-signature"].split()) == 2  # the old key and the new
    found = record(w, message)
    assert found.status is DeliveryStatus.DELIVERED and found.reason is None
    assert found.attempts[-1].outcome is AttemptOutcome.DELIVERED


def test_a_410_fails_the_delivery_and_disables_a_subscription_changed_meanwhile() -> None:
    w = world(script=lambda n, event, now: 410)
    sub = subscribe(w)
    _, message = queued(w)
    stale = w.store.get_subscription("acme", sub)
    subscriptions.update(w.webhooks, "acme", sub, SubscriptionSettings(payload="thin"), ORIGIN)
    real = w.store.get_subscription
    reads = iter([stale])
    w.store.get_subscription = lambda c, s: next(reads, None) or real(c, s)  # type: ignore[method-assign]
    assert delivery.process(w.webhooks, message, "r") is True
    found = record(w, message)
    reason = "the endpoint answered 410 Gone: the subscription is disabled"
    assert (found.status, found.reason) == (DeliveryStatus.FAILED, reason)
    assert found.attempts[-1].outcome is AttemptOutcome.GONE
    now = real("acme", sub)
    assert (now.enabled, now.disabled_reason, now.payload.value) == (
        False,
        DisabledReason.GONE,
        "thin",
    )
    change = w.store.subscription_changes("acme")[0]
    assert change.actor == "system:webhook-delivery" and change.request_id == message.id


def test_a_410_for_a_subscription_deleted_meanwhile_disables_nothing() -> None:
    w = world(script=lambda n, event, now: 410)
    sub = subscribe(w)
    _, message = queued(w)
    stale = w.store.get_subscription("acme", sub)
    subscriptions.delete(w.webhooks, "acme", sub, ORIGIN)
    reads = iter([stale])
    w.store.get_subscription = lambda c, s: next(reads, None)  # type: ignore[method-assign]
    assert delivery.process(w.webhooks, message, "r") is True
    assert record(w, message).status is DeliveryStatus.FAILED


def test_a_test_event_that_fails_is_recorded_failed_with_its_error() -> None:
    w = world(script=lambda n, event, now: 500)
    sub = w.store.get_subscription("acme", subscribe(w))
    found = delivery.send_test(w.webhooks, sub)
    assert (found.status, found.reason, found.replay_id) == (
        DeliveryStatus.FAILED,
        "answered 500",
        None,
    )
    (attempt,) = found.attempts
    assert (attempt.status, attempt.error, attempt.outcome) == (
        500,
        "answered 500",
        AttemptOutcome.FAILED,
    )
    assert w.store.list_deliveries("acme", sub.id, 5).records == (found,)


def test_a_replay_is_sent_as_the_event_it_was_with_the_membership_as_it_is_now() -> None:
    w = world()
    sub = subscribe(w)
    created = create(
        w.repo,
        ADMIN,
        "098765",
        MembershipDraft(provider_id=HILTON, account_number="A1", membership_name="John Smith"),
    )
    w.fan_out()
    w.deliver()
    original = w.endpoint.delivered()[0]
    w.clock.now = created.created_at + timedelta(minutes=1)
    done = replays.replay(
        w.webhooks, "acme", sub, created.created_at - timedelta(minutes=1), w.clock()
    )
    w.deliver()
    again = w.endpoint.delivered()[1]
    for name in ("id", "source", "subject", "sequence", "type", "time"):
        assert again[name] == original[name], name
    (change,) = again["data"]["changes"]
    assert change["membership"]["id"] == created.id  # shown: the user holds it now
    (replayed,) = [r for r in w.store.deliveries.values() if r.replay_id is not None]
    assert replayed.replay_id == done.id and replayed.status is DeliveryStatus.DELIVERED
    assert replayed.id == f"{original['id']}.{done.id}"


def test_a_replay_of_a_change_gone_since_is_skipped_saying_why() -> None:
    w = world()
    sub = subscribe(w)
    key = change_key("acme", "098765", 7)  # a record erased, or past retention, since
    message = Delivery(
        subscription_id=sub,
        company="acme",
        event_id="e-7",
        event_type=EventType.CHANGED,
        employee_id="098765",
        enqueued_at=w.clock(),
        change=ChangeRef(pk=key["pk"]["S"], sk=key["sk"]["S"]),
        replay_id="replay-1",
    )
    assert delivery.process(w.webhooks, message, "r") is True
    found = record(w, message)
    reason = "the change is gone (erased or past retention) or none of it passes the filter"
    assert (found.status, found.reason, found.replay_id) == (
        DeliveryStatus.SKIPPED,
        reason,
        "replay-1",
    )
    assert found.attempts[0].error == reason
    assert w.endpoint.received == []


def test_an_empty_batch_reports_no_failure() -> None:
    w = world()
    assert delivery.process_batch(w.webhooks, {"Records": []}, None) == {"batchItemFailures": []}


@pytest.mark.parametrize(
    ("left", "tried"), [(delivery.TIME_NEEDED_MS - 1, False), (delivery.TIME_NEEDED_MS, True)]
)
def test_a_message_is_tried_only_with_time_left_for_an_attempt(left: int, tried: bool) -> None:
    w = world()
    subscribe(w)
    create(
        w.repo,
        ADMIN,
        "098765",
        MembershipDraft(provider_id=HILTON, account_number="A1", membership_name="John Smith"),
    )
    w.fan_out()
    taken = w.queue.receive()

    class Short:
        def get_remaining_time_in_millis(self) -> int:
            return left

    answer = delivery.process_batch(w.webhooks, sqs_event(taken), Short())
    assert len(w.endpoint.received) == (1 if tried else 0)
    if tried:
        assert answer == {"batchItemFailures": []}
    else:  # released at once: visible again, not waiting out the visibility timeout
        assert answer == {"batchItemFailures": [{"itemIdentifier": taken[0].id}]}
        assert w.queue.messages[0].visible_at == w.clock()
