"""The in-memory webhook store and the DynamoDB one (on moto) keep the same contract."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from loyalty_core.errors import ConcurrentChange, NotFound, TooManySubscriptions
from loyalty_core.models import AuditRecord, Company, MembershipDraft, Principal, Role, User
from loyalty_core.models.audit import entry
from loyalty_core.models.deliveries import Attempt, AttemptOutcome, DeliveryRecord
from loyalty_core.models.webhooks import MAX_SUBSCRIPTIONS_PER_COMPANY, EventType, Subscription
from loyalty_core.services import memberships as svc
from tests.conftest import ORIGIN
from tests.memory_repository import InMemoryRepository, InMemoryWebhooks

NOW = datetime(2026, 12, 7, 12, 0, tzinfo=UTC)
HILTON = "9c5b90ff-2cce-11e8-87f9-0662bed6e7db"
ADMIN = Principal(company="acme", employee_id="acme_admin", role=Role.ADMIN)


@pytest.fixture(params=["memory", "dynamodb"])
def stores(request: pytest.FixtureRequest) -> Iterator[tuple[Any, Any]]:
    """(webhook store, membership store) of one kind; company acme exists, John in it."""
    if request.param == "memory":
        import json

        from local.admin import CATALOG
        from loyalty_core.models import Provider

        memberships = InMemoryRepository()
        for provider in json.loads(CATALOG.read_text("utf-8")):
            memberships.add_provider(Provider.model_validate(provider))
        memberships.seed_user(
            User(company="acme", employee_id="098765", name="John Smith", email="j@acme.example")
        )
        memberships.add_company(Company(id="acme", name="Acme"))
        webhooks = InMemoryWebhooks(memberships)
        yield webhooks, memberships
        return
    from loyalty_core.repository.webhooks import DynamoWebhooks
    from loyalty_core.settings import get_repository

    client = request.getfixturevalue("dynamodb")  # moto, the template's table, demo data
    yield DynamoWebhooks(client, "loyalty-memberships-test"), get_repository()


def subscription(company: str = "acme", **values: Any) -> Subscription:
    return Subscription.model_validate(
        {
            "id": str(uuid.uuid4()),
            "company": company,
            "url": "https://hooks.example.com/in",
            "events": ["loyalty_memberships.changed"],
            "created_at": NOW,
            "updated_at": NOW,
            **values,
        }
    )


def audit(subscription_id: str) -> AuditRecord:
    return AuditRecord.of(ORIGIN, [entry("subscription_id", subscription_id, None, {"url": "x"})])


def test_subscriptions_are_kept_per_company_and_versioned(stores: tuple[Any, Any]) -> None:
    store, _ = stores
    first, second = subscription(), subscription(created_at=NOW + timedelta(seconds=1))
    store.create_subscription(first, audit(first.id))
    store.create_subscription(second, audit(second.id))
    assert store.list_subscriptions("acme") == (first, second)
    assert store.list_subscriptions("globex") == ()
    assert store.get_subscription("globex", first.id) is None
    changed = first.model_copy(update={"enabled": False, "version": 2})
    store.save_subscription(first, changed, audit(first.id))
    assert store.get_subscription("acme", first.id) == changed
    with pytest.raises(ConcurrentChange):
        store.save_subscription(first, changed, None)  # decided on version 1: stale
    with pytest.raises(ConcurrentChange):
        store.delete_subscription(first, audit(first.id))
    store.delete_subscription(changed, audit(first.id))
    assert store.list_subscriptions("acme") == (second,)
    assert len(store.subscription_changes("acme")) == 4


def test_a_company_holds_at_most_so_many_and_must_exist(
    stores: tuple[Any, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    import tests.memory_repository as memory
    from loyalty_core.repository import webhooks as stored

    monkeypatch.setattr(stored, "MAX_SUBSCRIPTIONS_PER_COMPANY", 2)
    monkeypatch.setattr(memory, "MAX_SUBSCRIPTIONS_PER_COMPANY", 2)
    assert MAX_SUBSCRIPTIONS_PER_COMPANY > 2
    store, _ = stores
    made = [subscription(), subscription()]
    for s in made:
        store.create_subscription(s, audit(s.id))
    with pytest.raises(TooManySubscriptions):
        extra = subscription()
        store.create_subscription(extra, audit(extra.id))
    store.delete_subscription(made[0], audit(made[0].id))
    again = subscription()
    store.create_subscription(again, audit(again.id))  # room again
    with pytest.raises(NotFound):
        nowhere = subscription("initech")
        store.create_subscription(nowhere, audit(nowhere.id))


def test_deliveries_are_read_back_newest_first_a_page_at_a_time(stores: tuple[Any, Any]) -> None:
    store, _ = stores
    records = [
        DeliveryRecord(
            id=f"e{n}",
            subscription_id="s1",
            event_id=f"e{n}",
            event_type=EventType.CHANGED,
            enqueued_at=NOW + timedelta(minutes=n),
            attempts=(
                Attempt(at=NOW, status=200, duration_ms=3, outcome=AttemptOutcome.DELIVERED),
            ),
        )
        for n in range(5)
    ]
    for record in records:
        store.save_delivery("acme", record)
    assert store.get_delivery("acme", "s1", records[2].enqueued_at, "e2") == records[2]
    first = store.list_deliveries("acme", "s1", 2)
    assert [r.id for r in first.records] == ["e4", "e3"] and first.after
    second = store.list_deliveries("acme", "s1", 2, first.after)
    third = store.list_deliveries("acme", "s1", 2, second.after)
    assert [r.id for r in second.records + third.records] == ["e2", "e1", "e0"]
    assert third.after is None
    assert store.list_deliveries("globex", "s1", 10).records == ()


def test_the_change_feed_holds_a_companys_membership_changes_of_a_window(
    stores: tuple[Any, Any],
) -> None:
    store, memberships = stores

    def write(account: str) -> datetime:
        draft = MembershipDraft.model_validate(
            {
                "provider_id": HILTON,
                "account_number": account,
                "membership_name": "J",
                "expires_on": "2031-01-01",
            }
        )
        svc.create_membership(memberships, ADMIN, "098765", draft, origin=ORIGIN)
        return datetime.now(UTC)

    before = datetime.now(UTC) - timedelta(seconds=1)
    write("A1")
    middle = write("A2") + timedelta(microseconds=1)
    write("A3")
    after = datetime.now(UTC) + timedelta(seconds=1)
    every = store.change_feed("acme", before, after, 10)
    assert len(every) == 3 and {e.employee_id for e in every} == {"098765"}
    first_two = store.change_feed("acme", before, middle, 10)
    assert [e.event_id for e in first_two] == [e.event_id for e in every[:2]]
    assert store.change_feed("acme", before, after, 1) == every[:1]
    assert store.change_feed("globex", before, after, 10) == []
    stored = store.get_change(every[1].ref)
    assert stored.record.id == every[1].event_id and stored.employee_id == "098765"
    assert stored.revision >= 2 and stored.company == "acme"
