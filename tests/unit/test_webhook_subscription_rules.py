"""A company's webhook subscriptions (SPEC 13) on the in-memory stores: refusals in their
words, each change a new version at the clock's time with its audit record, settings that
cannot be unset, a new URL checked again, rotations that keep the previous secret for their
overlap only, a 410 disabling once, and the delivery log of one subscription."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from loyalty_core.errors import AccessDenied, InvalidInput, NotFound, PreconditionFailed
from loyalty_core.models import Interface, Origin, Principal, Role
from loyalty_core.models.webhooks import (
    MAX_OVERLAP_HOURS,
    DisabledReason,
    EventType,
    SubscriptionSettings,
)
from loyalty_core.services.webhooks import delivery, subscriptions
from tests.webhook_fakes import World, world

ORIGIN = Origin("user:acme_admin", Interface.LOCOMOTE, "req-1")
SETTINGS = {"url": "https://hooks.example.com/in", "events": ["loyalty_memberships.changed"]}


def settings(**values: Any) -> SubscriptionSettings:
    return SubscriptionSettings.model_validate({**SETTINGS, **values})


def made(w: World, company: str = "acme") -> str:
    created = subscriptions.create(w.webhooks, company, settings(), ORIGIN)
    w.endpoint.secrets.append(created.secret)
    return created.subscription.id


def latest_change(w: World) -> Any:
    return w.store.subscription_changes("acme")[0]


def test_a_caller_who_is_no_admin_is_told_why() -> None:
    caller = Principal(company="acme", employee_id="098765", role=Role.TRAVELLER)
    with pytest.raises(AccessDenied) as refused:
        subscriptions.admin_company(caller)
    assert str(refused.value) == "Only a company admin manages its webhook subscriptions"


def test_an_unknown_subscription_is_named_and_a_non_id_is_not_looked_up() -> None:
    w = world()
    reads: list[str] = []
    real = w.store.get_subscription
    w.store.get_subscription = lambda c, s: reads.append(s) or real(c, s)  # type: ignore[method-assign]
    missing = "00000000-0000-4000-8000-000000000000"
    with pytest.raises(NotFound) as refused:
        subscriptions.get(w.webhooks, "acme", missing)
    assert str(refused.value) == f'No webhook subscription "{missing}"'
    with pytest.raises(NotFound) as refused:
        subscriptions.get(w.webhooks, "acme", "../x")
    assert str(refused.value) == 'No webhook subscription "../x"'
    assert reads == [missing]


def test_a_company_lists_its_own_subscriptions() -> None:
    w = world()
    mine = [made(w)]
    w.clock.advance(1)
    mine.append(made(w))
    made(w, "globex")
    assert [s.id for s in subscriptions.list_all(w.webhooks, "acme")] == mine


def test_a_subscriptions_deliveries_newest_first_a_page_at_a_time() -> None:
    w = world()
    sub, other = made(w), made(w)
    for _ in range(3):
        w.clock.advance(60)
        delivery.send_test(w.webhooks, w.store.get_subscription("acme", sub))
    delivery.send_test(w.webhooks, w.store.get_subscription("acme", other))
    first = subscriptions.deliveries(w.webhooks, "acme", sub, 2)
    assert len(first.records) == 2 and first.after is not None
    assert first.records[0].enqueued_at > first.records[1].enqueued_at
    rest = subscriptions.deliveries(w.webhooks, "acme", sub, 2, first.after)
    assert len(rest.records) == 1 and rest.after is None
    assert {r.subscription_id for r in (*first.records, *rest.records)} == {sub}
    with pytest.raises(NotFound):
        subscriptions.deliveries(w.webhooks, "globex", sub, 2)


def test_a_change_is_a_new_version_at_the_clocks_time_with_its_audit_record() -> None:
    w = world()
    sub = made(w)
    w.clock.advance(3600)
    changed = subscriptions.update(
        w.webhooks, "acme", sub, SubscriptionSettings(payload="thin"), ORIGIN
    )
    assert (changed.version, changed.updated_at) == (2, w.clock())
    assert latest_change(w).occurred_at == w.clock()
    w.clock.advance(60)
    subscriptions.delete(w.webhooks, "acme", sub, ORIGIN)
    assert latest_change(w).occurred_at == w.clock()


@pytest.mark.parametrize("name", ["url", "events", "payload", "enabled"])
def test_a_setting_a_subscription_needs_cannot_be_set_to_null(name: str) -> None:
    w = world()
    sub = made(w)
    with pytest.raises(InvalidInput) as refused:
        subscriptions.update(
            w.webhooks, "acme", sub, SubscriptionSettings.model_validate({name: None}), ORIGIN
        )
    assert str(refused.value) == "The webhook subscription is not valid"
    assert [(p.detail, p.location) for p in refused.value.problems] == [
        ("must not be null", (name,))
    ]
    assert w.store.get_subscription("acme", sub).version == 1


def test_the_filter_may_be_set_to_null_every_vendor_type_again() -> None:
    w = world()
    sub = subscriptions.create(
        w.webhooks, "acme", settings(vendor_types=["hotel"]), ORIGIN
    ).subscription.id
    cleared = subscriptions.update(
        w.webhooks, "acme", sub, SubscriptionSettings(vendor_types=None), ORIGIN
    )
    assert cleared.vendor_types is None and cleared.version == 2


def test_a_new_url_is_checked_again_and_an_unchanged_one_is_not() -> None:
    w = world()
    sub = made(w)
    w.webhooks.resolve = lambda host, port: ["10.0.0.1"]  # the host now names a private address
    with pytest.raises(InvalidInput) as refused:
        subscriptions.update(
            w.webhooks, "acme", sub, settings(url="https://other.example.com/in"), ORIGIN
        )
    assert refused.value.problems[0].location == ("url",)
    # the same URL sent again with another change: not resolved again, the change is made
    same = subscriptions.update(w.webhooks, "acme", sub, settings(payload="thin"), ORIGIN)
    assert same.payload.value == "thin"
    w.webhooks.resolve = lambda host, port: ["93.184.216.34"]
    moved = subscriptions.update(
        w.webhooks, "acme", sub, SubscriptionSettings(url="https://other.example.com/in"), ORIGIN
    )
    assert moved.url == "https://other.example.com/in"


def test_under_make_run_a_new_url_may_be_a_local_receiver() -> None:
    w = world(local=True)
    sub = made(w)
    w.webhooks.resolve = lambda host, port: ["127.0.0.1"]
    local = subscriptions.update(
        w.webhooks, "acme", sub, SubscriptionSettings(url="http://localhost:8080/in"), ORIGIN
    )
    assert local.url == "http://localhost:8080/in"


def test_a_delete_honours_if_match() -> None:
    w = world()
    sub = made(w)
    with pytest.raises(PreconditionFailed):
        subscriptions.delete(w.webhooks, "acme", sub, ORIGIN, '"2"')
    assert w.store.get_subscription("acme", sub) is not None
    subscriptions.delete(w.webhooks, "acme", sub, ORIGIN, '"1"')
    assert w.store.get_subscription("acme", sub) is None


@pytest.mark.parametrize("hours", [0, MAX_OVERLAP_HOURS])
def test_an_overlap_from_none_to_a_week_is_taken(hours: int) -> None:
    w = world()
    sub = made(w)
    rotated = subscriptions.rotate(w.webhooks, "acme", sub, ORIGIN, hours).subscription
    assert rotated.version == 2
    assert MAX_OVERLAP_HOURS == 7 * 24


@pytest.mark.parametrize("hours", [-1, MAX_OVERLAP_HOURS + 1])
def test_an_overlap_out_of_range_is_refused_in_words(hours: int) -> None:
    w = world()
    sub = made(w)
    with pytest.raises(InvalidInput) as refused:
        subscriptions.rotate(w.webhooks, "acme", sub, ORIGIN, hours)
    assert str(refused.value) == "The overlap is out of range"
    assert [(p.detail, p.location) for p in refused.value.problems] == [
        ("must be a whole number of hours from 0 to 168", ("overlap_hours",))
    ]


def test_a_rotation_keeps_the_previous_secret_for_its_overlap_only() -> None:
    w = world()
    sub = made(w)
    first = w.store.get_subscription("acme", sub).secrets[0]
    w.clock.advance(60)
    start = w.clock()
    once = subscriptions.rotate(w.webhooks, "acme", sub, ORIGIN, 24).subscription
    assert (once.version, once.updated_at) == (2, start)
    assert [s.expires_at for s in once.secrets] == [None, start + timedelta(hours=24)]
    assert once.secrets[1].sealed == first.sealed
    audit = latest_change(w)
    assert audit.occurred_at == start
    assert audit.changes[0].before == {
        "secret_created_at": first.created_at.isoformat(),
        "previous_secret_expires_at": None,
    }
    assert audit.changes[0].after == {
        "secret_created_at": start.isoformat(),
        "previous_secret_expires_at": (start + timedelta(hours=24)).isoformat(),
    }
    # a second rotation within the overlap: the first secret keeps its own end
    w.clock.advance(3600)
    twice = subscriptions.rotate(w.webhooks, "acme", sub, ORIGIN, 48).subscription
    assert [s.expires_at for s in twice.secrets] == [
        None,
        w.clock() + timedelta(hours=48),
        start + timedelta(hours=24),
    ]
    assert latest_change(w).changes[0].before["secret_created_at"] == (
        once.secrets[0].created_at.isoformat()
    )
    # once their overlaps end, rotated secrets are dropped
    w.clock.advance(49 * 3600)
    thrice = subscriptions.rotate(w.webhooks, "acme", sub, ORIGIN, 0).subscription
    assert [s.expires_at for s in thrice.secrets] == [None]
    assert thrice.signing(w.clock()) == thrice.secrets


def test_a_secret_whose_overlap_ends_now_is_dropped() -> None:
    w = world()
    sub = made(w)
    subscriptions.rotate(w.webhooks, "acme", sub, ORIGIN, 1)
    w.clock.advance(3600)  # the first secret stops signing now
    rotated = subscriptions.rotate(w.webhooks, "acme", sub, ORIGIN, 2).subscription
    assert len(rotated.secrets) == 2


def test_a_410_disables_the_subscription_once_as_a_new_version() -> None:
    w = world()
    sub = w.store.get_subscription("acme", made(w))
    w.clock.advance(60)
    gone = Origin("system:webhook-delivery", Interface.SYSTEM, "m-1")
    subscriptions.disable_gone(w.webhooks, sub, gone)
    disabled = w.store.get_subscription("acme", sub.id)
    assert (disabled.enabled, disabled.disabled_reason) == (False, DisabledReason.GONE)
    assert (disabled.version, disabled.updated_at) == (2, w.clock())
    audit = latest_change(w)
    assert audit.occurred_at == w.clock() and audit.actor == "system:webhook-delivery"
    assert audit.changes[0].before == {"enabled": True, "disabled_reason": None}
    assert audit.changes[0].after == {"enabled": False, "disabled_reason": "endpoint_gone"}
    subscriptions.disable_gone(w.webhooks, disabled, gone)  # already disabled: no write
    assert w.store.get_subscription("acme", sub.id).version == 2
    assert not disabled.wants(EventType.CHANGED)
