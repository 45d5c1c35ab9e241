"""Delivery (SPEC 13) on the in-memory stores, a fake FIFO queue and a fake clock: every
change arrives signed and in order per traveller, retries follow the schedule, Retry-After
and 410 are obeyed, nothing is lost across hours of downtime."""

from __future__ import annotations

import itertools
import random
from datetime import timedelta
from functools import partial
from typing import Any

import pytest

from loyalty_core.models import (
    Interface,
    MembershipChanges,
    MembershipDraft,
    Origin,
    Principal,
    Role,
)
from loyalty_core.models.deliveries import AttemptOutcome, DeliveryStatus
from loyalty_core.models.webhooks import DisabledReason, EventType, SubscriptionSettings
from loyalty_core.services import memberships as svc
from loyalty_core.services.webhooks import delivery, subscriptions
from tests.webhook_fakes import START, World, world

HILTON = "9c5b90ff-2cce-11e8-87f9-0662bed6e7db"
QANTAS = "9c5b9246-2cce-11e8-87f9-0662bed6e7db"
ORIGIN = Origin("user:acme_admin", Interface.LOCOMOTE, "test-request")
ADMIN = Principal(company="acme", employee_id="acme_admin", role=Role.ADMIN)
create = partial(svc.create_membership, origin=ORIGIN)
update = partial(svc.update_membership, origin=ORIGIN)
delete = partial(svc.delete_membership, origin=ORIGIN)


def draft(account: str = "A1", provider: str = HILTON) -> MembershipDraft:
    return MembershipDraft(
        provider_id=provider,
        account_number=account,
        membership_name="John Smith",
        expires_on="2031-01-01",  # type: ignore[arg-type]
    )


def subscribe(w: World, company: str = "acme", **settings: Any) -> str:
    values = {"url": "https://hooks.example.com/in", "events": ["loyalty_memberships.changed"]}
    made = subscriptions.create(
        w.webhooks, company, SubscriptionSettings.model_validate({**values, **settings}), ORIGIN
    )
    w.endpoint.secrets.append(made.secret)
    return made.subscription.id


def sequences(events: list[dict[str, Any]], subject: str) -> list[int]:
    return [int(e["sequence"]) for e in events if e.get("subject") == subject]


def test_each_change_arrives_once_signed_in_order_with_its_audit_id() -> None:
    w = world()
    subscribe(w)
    made = create(w.repo, ADMIN, "098765", draft())
    update(w.repo, ADMIN, "098765", made.id, MembershipChanges(level="Gold"))
    delete(w.repo, ADMIN, "098765", made.id)
    w.fan_out()
    w.deliver()
    got = w.endpoint.delivered()
    audits = [a.id for _, a, _ in w.repo.audits[("acme", "098765")]]
    assert [e["id"] for e in got] == audits
    assert [c["action"] for e in got for c in e["data"]["changes"]] == [
        "create",
        "update",
        "delete",
    ]
    assert sequences(got, "users/098765") == [1, 2, 3]
    assert all(r.headers["webhook-id"] == r.event["id"] for r in w.endpoint.received)


def test_a_failing_endpoint_is_retried_on_the_schedule_then_dead_lettered() -> None:
    w = world(script=lambda n, event, now: 500)
    sub = subscribe(w)
    create(w.repo, ADMIN, "098765", draft())
    w.fan_out()
    w.deliver()
    times = [r.at for r in w.endpoint.received]
    waits = [(b - a).total_seconds() for a, b in itertools.pairwise(times)]
    # jitter is pinned to the middle here: each wait is the schedule's own
    assert waits == [float(s) for s in delivery.SCHEDULE]
    assert len(times) == len(delivery.SCHEDULE) + 1
    ((dead, reason),) = w.queue.dead
    assert dead.subscription_id == sub and "10 attempts failed" in reason
    (record,) = w.store.deliveries.values()
    assert record.status is DeliveryStatus.FAILED and record.reason == reason
    assert [a.outcome for a in record.attempts][-1] is AttemptOutcome.FAILED
    assert all(a.status == 500 for a in record.attempts)
    assert not w.queue.messages


def test_waits_past_twelve_hours_are_hidden_again_without_an_attempt() -> None:
    """SQS hides a message at most 12 h at a time: a 24 h wait comes back early and is
    hidden again, and no attempt is made before its time."""
    w = world(script=lambda n, event, now: 500 if n < 9 else 200)
    subscribe(w)
    create(w.repo, ADMIN, "098765", draft())
    w.fan_out()
    w.deliver()
    (record,) = w.store.deliveries.values()
    assert record.status is DeliveryStatus.DELIVERED
    assert len(record.attempts) == 10
    last_wait = (record.attempts[-1].at - record.attempts[-2].at).total_seconds()
    assert last_wait == delivery.SCHEDULE[-1]  # 24 h, though no hide is over 12 h


@pytest.mark.parametrize("status", [429, 503])
def test_retry_after_is_obeyed(status: int) -> None:
    w = world(script=lambda n, event, now: (status, 120.0) if n == 0 else 200)
    subscribe(w)
    create(w.repo, ADMIN, "098765", draft())
    w.fan_out()
    w.deliver()
    first, second = w.endpoint.received
    assert (second.at - first.at).total_seconds() == 120  # not the schedule's 5 s
    assert second.status == 200


def test_retry_after_on_another_status_is_not_taken() -> None:
    w = world(script=lambda n, event, now: (500, 3600.0) if n == 0 else 200)
    subscribe(w)
    create(w.repo, ADMIN, "098765", draft())
    w.fan_out()
    w.deliver()
    first, second = w.endpoint.received
    assert (second.at - first.at).total_seconds() == delivery.SCHEDULE[0]


def test_410_disables_the_subscription_and_stops_its_deliveries() -> None:
    w = world(script=lambda n, event, now: 410)
    sub = subscribe(w)
    made = create(w.repo, ADMIN, "098765", draft())
    update(w.repo, ADMIN, "098765", made.id, MembershipChanges(level="Gold"))
    w.fan_out()
    w.deliver()
    assert len(w.endpoint.received) == 1  # the second event is not sent to a gone endpoint
    stored = w.store.get_subscription("acme", sub)
    assert not stored.enabled and stored.disabled_reason is DisabledReason.GONE
    change = w.store.subscription_changes("acme")[0]
    assert change.actor == "system:webhook-delivery" and change.interface is Interface.SYSTEM
    assert change.changes[0].after["enabled"] is False
    statuses = sorted(r.status.value for r in w.store.deliveries.values())
    assert statuses == ["failed", "skipped"]
    assert not w.queue.messages and not w.queue.dead


def test_410s_of_two_travellers_at_once_disable_the_subscription_once() -> None:
    """Two message groups of one subscription, sent in parallel, both answered 410 once
    both were sent: each disables the subscription it read, the second finds it changed."""
    import threading

    both = threading.Barrier(2, timeout=5)

    def gone(n: int, event: dict[str, Any], now: Any) -> int:
        both.wait()
        return 410

    w = world(script=gone)
    sub = subscribe(w)
    create(w.repo, ADMIN, "098765", draft())
    create(w.repo, ADMIN, "112233", draft())
    w.fan_out()
    w.deliver()
    assert len(w.endpoint.received) == 2
    assert not w.store.get_subscription("acme", sub).enabled
    disabled = [c for c in w.store.subscription_changes("acme") if c.interface is Interface.SYSTEM]
    assert len(disabled) == 1
    assert not w.queue.messages
    assert w.clock.now == START  # both settled at once: none waited to be tried again


def test_a_disabled_or_deleted_subscription_gets_nothing_queued_before() -> None:
    w = world()
    kept, dropped = subscribe(w), subscribe(w)
    create(w.repo, ADMIN, "098765", draft())
    w.fan_out()
    subscriptions.set_enabled(w.webhooks, "acme", kept, False, ORIGIN)
    subscriptions.delete(w.webhooks, "acme", dropped, ORIGIN)
    w.deliver()
    assert w.endpoint.received == []
    reasons = sorted(r.reason or "" for r in w.store.deliveries.values())
    assert reasons == ["the subscription is disabled", "the subscription was deleted"]


def test_a_second_copy_of_a_delivered_event_is_not_sent_again() -> None:
    """The stream may give a record twice, later than SQS's 5-minute deduplication."""
    w = world()
    subscribe(w)
    create(w.repo, ADMIN, "098765", draft())
    records = w.stream()
    from loyalty_core.services.webhooks import fanout

    fanout.process_batch(w.webhooks, {"Records": records}, None)
    w.deliver()
    w.clock.advance(3600)
    fanout.process_batch(w.webhooks, {"Records": records}, None)
    assert len(w.queue.sent) == 2
    w.deliver()
    assert len(w.endpoint.received) == 1


@pytest.mark.parametrize("downtime", [timedelta(minutes=30), timedelta(hours=2)])
def test_nothing_is_lost_across_the_endpoints_downtime(downtime: timedelta) -> None:
    """The endpoint answers 503 (no Retry-After) or nothing at all for `downtime`, while
    travellers keep changing memberships: every event arrives after, in order."""
    w = world()
    back = w.clock.now + downtime
    w.endpoint.script = lambda n, event, now: 200 if now >= back else (503 if n % 2 else 599)
    subscribe(w)
    rng = random.Random(7)
    held: dict[str, list[str]] = {"098765": [], "112233": []}
    writes = 0
    while w.clock.now < back + timedelta(minutes=10):
        employee = rng.choice(list(held))
        if not held[employee] or rng.random() < 0.4:
            held[employee].append(create(w.repo, ADMIN, employee, draft(f"A{writes}")).id)
        else:
            level = rng.choice(["Gold", "Silver", "Blue"])
            update(
                w.repo, ADMIN, employee, rng.choice(held[employee]), MembershipChanges(level=level)
            )
        writes += 1
        w.fan_out()
        w.deliver(until=w.clock.now + timedelta(minutes=3))
        w.clock.advance(rng.randint(20, 240))
    w.deliver()
    got = w.endpoint.delivered()
    audits = {a.id for records in w.repo.audits.values() for _, a, _ in records}
    assert {e["id"] for e in got} == audits and len(audits) >= 10
    assert len(got) == len(audits)  # no duplicates either
    for employee in held:
        seen = sequences(got, f"users/{employee}")
        assert seen == sorted(seen)
    assert any(r.status != 200 for r in w.endpoint.received)  # the downtime did refuse some
    assert not w.queue.dead


def test_a_thousand_events_with_random_failures_keep_each_travellers_order() -> None:
    w = world()
    from loyalty_core.models import User

    travellers = [f"t{n:02d}" for n in range(20)]
    for employee in travellers:
        w.repo.seed_user(
            User(company="acme", employee_id=employee, name="T T", email=f"{employee}@acme.example")
        )
    rng = random.Random(1000)

    def flaky(n: int, event: dict[str, Any], now: Any) -> int | tuple[int, float]:
        roll = rng.random()
        if roll < 0.15:
            return rng.choice([500, 502, 599])
        if roll < 0.2:
            return (429, float(rng.randint(1, 30)))
        return 200

    w.endpoint.script = flaky
    subscribe(w, payload="thin")
    held: dict[str, str] = {}
    for n in range(1000):
        employee = rng.choice(travellers)
        if employee not in held:
            held[employee] = create(w.repo, ADMIN, employee, draft(f"A{n}")).id
        else:
            changes = MembershipChanges(point_total=n)
            update(w.repo, ADMIN, employee, held[employee], changes)
        if n % 50 == 49:
            w.fan_out()
            w.deliver(until=w.clock.now + timedelta(seconds=20))
            w.clock.advance(30)
    w.fan_out()
    w.deliver()
    got = w.endpoint.delivered()
    assert len({e["id"] for e in got}) == 1000
    for employee in travellers:
        seen = sequences(got, f"users/{employee}")
        assert seen == sorted(seen), employee
    assert sum(1 for r in w.endpoint.received if r.status != 200) > 100


def test_messages_of_other_travellers_are_not_held_by_a_failing_one() -> None:
    """John's event fails, Jane's goes through in the same batch."""
    w = world(script=lambda n, event, now: 500 if event["subject"] == "users/098765" else 200)
    subscribe(w)
    create(w.repo, ADMIN, "098765", draft())
    create(w.repo, ADMIN, "112233", draft())
    w.fan_out()
    w.deliver(until=w.clock.now)
    assert [e["subject"] for e in w.endpoint.delivered()] == ["users/112233"]


def test_test_event_is_sent_once_and_recorded() -> None:
    w = world()
    sub = subscribe(w)
    record = delivery.send_test(w.webhooks, w.store.get_subscription("acme", sub))
    (got,) = w.endpoint.received
    assert got.event["type"] == EventType.TEST.value and got.event["id"] == record.event_id
    assert record.status is DeliveryStatus.DELIVERED
    assert w.store.list_deliveries("acme", sub, 10).records == (record,)


def test_a_message_whose_handling_fails_comes_back_after_the_visibility_timeout() -> None:
    """The store or KMS unavailable: no attempt recorded, the message is tried again after
    the queue's visibility timeout (a backoff), not at once in a loop."""
    from loyalty_core.errors import StorageUnavailable

    w = world()
    subscribe(w)
    create(w.repo, ADMIN, "098765", draft())
    w.fan_out()
    real = w.store.get_subscription
    calls = {"n": 0}

    def flaky(company: str, subscription_id: str) -> Any:
        calls["n"] += 1
        if calls["n"] == 1:
            raise StorageUnavailable("busy")
        return real(company, subscription_id)

    w.store.get_subscription = flaky
    w.deliver()
    (received,) = w.endpoint.received
    assert (received.at - START).total_seconds() == w.queue.VISIBILITY
