"""The fan-out of the table's stream (SPEC 13): an event goes only to the enabled
subscriptions of its own company that take it; a stream batch keeps its order, a failed
record holding back every later one; what a subscription's audit record keeps of it."""

from __future__ import annotations

import json
from typing import Any

import pytest
from pydantic import ValidationError

from loyalty_core.models import AuditRecord, Interface, MembershipDraft, Origin, Principal, Role
from loyalty_core.models.webhooks import EventType, SubscriptionSettings
from loyalty_core.services import memberships as svc
from loyalty_core.services.webhooks import fanout, subscriptions
from tests.webhook_fakes import World, stream_insert, world

HILTON = "9c5b90ff-2cce-11e8-87f9-0662bed6e7db"
ORIGIN = Origin("user:acme_admin", Interface.LOCOMOTE, "req-1")
ADMIN = Principal(company="acme", employee_id="acme_admin", role=Role.ADMIN)


def subscribe(w: World, company: str = "acme", **settings: Any) -> Any:
    values = {"url": "https://hooks.example.com/in", "events": ["loyalty_memberships.changed"]}
    made = subscriptions.create(
        w.webhooks, company, SubscriptionSettings.model_validate({**values, **settings}), ORIGIN
    )
    return made.subscription


def change(w: World, account: str) -> dict[str, Any]:
    """The stream record of one new membership of John's."""
    draft = MembershipDraft(provider_id=HILTON, account_number=account, membership_name="John")
    svc.create_membership(w.repo, ADMIN, "098765", draft, origin=ORIGIN)
    revision, record, _ = w.repo.audits[("acme", "098765")][-1]
    return stream_insert(record, "acme", "098765", revision)


def test_an_event_goes_to_its_companys_enabled_subscriptions_that_take_it() -> None:
    w = world()
    wanted = subscribe(w)
    disabled = subscribe(w, enabled=False)
    erasures_only = subscribe(w, events=["user.erased"])
    elsewhere = subscribe(w, "globex")
    event = fanout.read(change(w, "A1"))
    assert event is not None and event.event_type is EventType.CHANGED
    made = fanout.deliveries(w.webhooks, event, [wanted, disabled, erasures_only, elsewhere])
    assert [d.subscription_id for d in made] == [wanted.id]
    assert fanout.deliveries(w.webhooks, event, [disabled, elsewhere]) == []


def test_a_record_that_is_no_event_makes_no_delivery() -> None:
    w = world()
    subscribe(w)
    token_change = AuditRecord.of(ORIGIN, [])
    assert fanout.FanOut(w.webhooks)(stream_insert(token_change, "acme", "098765", 9)) == 0
    assert fanout.FanOut(w.webhooks)(change(w, "A1")) == 1
    assert len(w.queue.sent) == 1


def test_an_empty_batch_reports_no_failure() -> None:
    w = world()
    assert fanout.process_batch(w.webhooks, {"Records": []}, None) == {"batchItemFailures": []}
    assert fanout.process_batch(w.webhooks, {}, None) == {"batchItemFailures": []}


def failing_once_at(w: World, account: str) -> None:
    """The queue refuses the deliveries of `account`'s change, once."""
    send = w.queue.send
    failed: list[str] = []

    def refusing(deliveries: Any) -> None:
        for found in deliveries:
            if account in (found.body or "") and not failed:
                failed.append(account)
                raise RuntimeError("the queue is unavailable")
        send(deliveries)

    w.webhooks.queue.send = refusing  # type: ignore[method-assign]


def test_a_failed_record_holds_back_every_later_one_of_its_batch() -> None:
    w = world()
    subscribe(w)
    records = [change(w, account) for account in ("A1", "A2", "A3")]
    ids = [r["dynamodb"]["SequenceNumber"] for r in records]
    failing_once_at(w, "A2")
    answer = fanout.process_batch(w.webhooks, {"Records": records}, None)
    assert answer == {"batchItemFailures": [{"itemIdentifier": ids[1]}, {"itemIdentifier": ids[2]}]}
    assert ["A1" in (d.body or "") for d in w.queue.sent] == [True]
    # the stream gives them again, in order
    again = fanout.process_batch(w.webhooks, {"Records": records[1:]}, None)
    assert again == {"batchItemFailures": []}
    bodies = [json.loads(d.body or "") for d in w.queue.sent]
    numbers = [
        c["membership"]["attributes"]["account_number"]
        for b in bodies
        for c in b["data"]["changes"]
    ]
    assert numbers == ["A1", "A2", "A3"]


def test_a_batch_whose_every_record_fails_is_reported_not_raised() -> None:
    w = world()
    subscribe(w)
    record = change(w, "A1")
    failing_once_at(w, "A1")
    answer = fanout.process_batch(w.webhooks, {"Records": [record]}, None)
    assert answer == {
        "batchItemFailures": [{"itemIdentifier": record["dynamodb"]["SequenceNumber"]}]
    }
    assert w.queue.sent == []


def test_a_subscriptions_audit_record_keeps_its_settings_never_its_secret() -> None:
    w = world()
    made = subscriptions.create(
        w.webhooks,
        "acme",
        SubscriptionSettings.model_validate(
            {
                "url": "https://hooks.example.com/in",
                "events": ["loyalty_memberships.changed", "user.erased"],
                "vendor_types": ["hotel", "car"],
                "payload": "thin",
                "enabled": False,
            }
        ),
        ORIGIN,
    )
    (record,) = w.store.subscription_changes("acme")
    assert record.changes[0].after == {
        "url": "https://hooks.example.com/in",
        "events": ["loyalty_memberships.changed", "user.erased"],
        "filter": ["hotel", "car"],
        "payload": "thin",
        "enabled": False,
        "disabled_reason": "disabled_by_admin",
    }
    assert made.secret not in json.dumps(record.as_json())
    assert made.subscription.settings_fields()["filter"] == ["hotel", "car"]
    every = subscribe(w)
    assert every.settings_fields()["filter"] is None


@pytest.mark.parametrize("name", ["events", "vendor_types"])
def test_a_setting_naming_a_value_twice_is_refused_in_words(name: str) -> None:
    twice = {"events": ["user.erased", "user.erased"], "vendor_types": ["hotel", "hotel"]}
    with pytest.raises(ValidationError) as refused:
        SubscriptionSettings.model_validate({name: twice[name]})
    assert "must not name a value twice" in str(refused.value)
