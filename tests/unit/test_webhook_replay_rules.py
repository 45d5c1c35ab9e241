"""Replaying a window of changes (SPEC 13) on the in-memory stores and the fake queue: the
window's rules, the bound on a replay's events (refused whole), the events queued in order
with their original ids under one replay id, and delivered again."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from functools import partial
from typing import Any

import pytest

from loyalty_core.errors import InvalidInput, NotFound, Problem
from loyalty_core.models import (
    Interface,
    MembershipChanges,
    MembershipDraft,
    Origin,
    Principal,
    Role,
)
from loyalty_core.models.webhooks import EventType, SubscriptionSettings
from loyalty_core.services import memberships as svc
from loyalty_core.services.webhooks import replay as replays
from loyalty_core.services.webhooks import subscriptions
from tests.webhook_fakes import World, world

HILTON = "9c5b90ff-2cce-11e8-87f9-0662bed6e7db"
ORIGIN = Origin("user:acme_admin", Interface.LOCOMOTE, "test-request")
ADMIN = Principal(company="acme", employee_id="acme_admin", role=Role.ADMIN)
create = partial(svc.create_membership, origin=ORIGIN)
update = partial(svc.update_membership, origin=ORIGIN)


def subscribe(w: World, **settings: Any) -> str:
    values = {"url": "https://hooks.example.com/in", "events": ["loyalty_memberships.changed"]}
    made = subscriptions.create(
        w.webhooks, "acme", SubscriptionSettings.model_validate({**values, **settings}), ORIGIN
    )
    w.endpoint.secrets.append(made.secret)
    return made.subscription.id


def changes(w: World, count: int, account: str = "A1") -> list[str]:
    """`count` changes of John's, oldest first: their audit record ids; the clock just after."""
    made = create(
        w.repo,
        ADMIN,
        "098765",
        MembershipDraft(provider_id=HILTON, account_number=account, membership_name="John Smith"),
    )
    for n in range(count - 1):
        update(w.repo, ADMIN, "098765", made.id, MembershipChanges(level=f"L{n}"))
    w.clock.now = datetime.now(UTC) + timedelta(seconds=1)
    return [a.id for _, a, _ in w.repo.audits[("acme", "098765")]]


def window(w: World, **moved: timedelta) -> tuple[datetime, datetime]:
    now = w.clock()
    return now - moved.get("back", timedelta(hours=1)), now + moved.get("ahead", timedelta(0))


def problems(error: pytest.ExceptionInfo[InvalidInput]) -> list[tuple[str, tuple[Any, ...]]]:
    return [(p.detail, p.location) for p in error.value.problems]


def test_a_replay_queues_the_windows_changes_in_order_with_their_own_ids() -> None:
    w = world()
    sub = subscribe(w)
    ids = changes(w, 3)
    since, until = window(w, ahead=timedelta(days=2))  # past now: up to now
    done = replays.replay(w.webhooks, "acme", sub, since, until)
    assert (done.subscription_id, done.since, done.until, done.events) == (sub, since, until, 3)
    queued = w.queue.sent
    assert [d.event_id for d in queued] == ids
    assert {d.replay_id for d in queued} == {done.id} and len(done.id) == 12
    assert {(d.event_type, d.employee_id, d.company) for d in queued} == {
        (EventType.CHANGED, "098765", "acme")
    }
    assert {d.enqueued_at for d in queued} == {w.clock()}
    w.deliver()
    assert [e["id"] for e in w.endpoint.delivered()] == ids  # sent again, as they were


def test_each_replay_is_a_delivery_of_its_own() -> None:
    w = world()
    sub = subscribe(w)
    changes(w, 1)
    first = replays.replay(w.webhooks, "acme", sub, *window(w))
    second = replays.replay(w.webhooks, "acme", sub, *window(w))
    assert first.id != second.id
    assert len(w.queue.messages) == 2  # not deduplicated away


def test_an_empty_window_queues_nothing() -> None:
    w = world()
    sub = subscribe(w)
    changes(w, 2)
    since = w.clock() - timedelta(days=3)
    done = replays.replay(w.webhooks, "acme", sub, since, since + timedelta(days=1))
    assert done.events == 0 and w.queue.sent == []


def test_the_window_takes_since_and_ends_before_until() -> None:
    w = world()
    sub = subscribe(w)
    changes(w, 3)
    records = [a for _, a, _ in w.repo.audits[("acme", "098765")]]
    since, until = records[1].occurred_at, records[2].occurred_at
    done = replays.replay(w.webhooks, "acme", sub, since, until)
    expected = [a.id for a in records if since <= a.occurred_at < until]
    assert [d.event_id for d in w.queue.sent] == expected and done.events == len(expected)
    assert records[1].id in expected and records[2].id not in expected


def test_a_replay_holds_at_most_its_bound_of_events_or_is_refused_whole(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    assert replays.MAX_REPLAY_EVENTS == 1000
    monkeypatch.setattr(replays, "MAX_REPLAY_EVENTS", 3)
    w = world()
    sub = subscribe(w)
    changes(w, 3)
    assert replays.replay(w.webhooks, "acme", sub, *window(w)).events == 3
    changes(w, 1, account="A2")
    queued = len(w.queue.sent)
    with pytest.raises(InvalidInput) as error:
        replays.replay(w.webhooks, "acme", sub, *window(w))
    assert str(error.value) == "The window holds too many changes"
    assert problems(error) == [("must hold at most 3 changes: split the window", ("until",))]
    assert len(w.queue.sent) == queued  # nothing queued


@pytest.mark.parametrize(
    ("since", "until", "expected"),
    [
        (
            datetime(2026, 12, 1),
            datetime(2026, 12, 2),
            [
                ("must carry its time zone (2026-12-01T00:00:00Z)", ("since",)),
                ("must carry its time zone (2026-12-01T00:00:00Z)", ("until",)),
            ],
        ),
        (
            datetime(2026, 12, 1, tzinfo=UTC),
            datetime(2026, 12, 2),
            [("must carry its time zone (2026-12-01T00:00:00Z)", ("until",))],
        ),
        (
            datetime(2026, 12, 2, tzinfo=UTC),
            datetime(2026, 12, 2, tzinfo=UTC),
            [("must be before until", ("since",))],
        ),
        (
            datetime(2026, 12, 8, tzinfo=UTC),
            datetime(2026, 12, 9, tzinfo=UTC),
            [("must not be in the future", ("since",))],
        ),
        (
            datetime(2026, 11, 1, tzinfo=UTC),
            datetime(2026, 12, 2, 0, 0, 1, tzinfo=UTC),
            [("must be at most 31 days after since", ("until",))],
        ),
    ],
)
def test_a_window_out_of_the_rules_is_refused(
    since: datetime, until: datetime, expected: list[tuple[str, tuple[str, ...]]]
) -> None:
    w = world()  # now: 2026-12-07 09:00 UTC
    sub = subscribe(w)
    with pytest.raises(InvalidInput) as error:
        replays.replay(w.webhooks, "acme", sub, since, until)
    assert str(error.value) == "The replay cannot be made"
    assert problems(error) == expected


def test_a_window_of_31_days_since_now_is_taken() -> None:
    w = world()
    sub = subscribe(w)
    now = w.clock()
    done = replays.replay(w.webhooks, "acme", sub, now, now + timedelta(days=31))
    assert done.events == 0


def test_a_subscription_that_does_not_take_changes_gets_no_replay() -> None:
    w = world()
    sub = subscribe(w)
    subscriptions.set_enabled(w.webhooks, "acme", sub, False, ORIGIN)
    with pytest.raises(InvalidInput) as error:
        replays.replay(w.webhooks, "acme", sub, *window(w))
    assert error.value.problems == [
        Problem("The subscription must be enabled and take loyalty_memberships.changed events")
    ]
    erased_only = subscribe(w, events=["user.erased"])
    with pytest.raises(InvalidInput):
        replays.replay(w.webhooks, "acme", erased_only, *window(w))


def test_another_companys_subscription_is_not_found() -> None:
    w = world()
    sub = subscribe(w)
    with pytest.raises(NotFound):
        replays.replay(w.webhooks, "globex", sub, *window(w))
