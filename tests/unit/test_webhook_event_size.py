"""An event's size (SPEC 13): a full payload shows each changed membership while the event
stays within 64 KB, keeping room for a marker on every later change, and uses that budget to
the byte; and the test event an admin asks for."""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime
from typing import Any

from loyalty_core.models import AuditRecord, Interface, Membership, Origin
from loyalty_core.models.audit import membership_entry
from loyalty_core.models.webhooks import PayloadKind, Subscription
from loyalty_core.services.webhooks import events

AT = datetime(2026, 12, 7, 9, 0, tzinfo=UTC)
ORIGIN = Origin("user:acme_admin", Interface.LOCOMOTE, "req-1")
FULL = Subscription(
    id="sub-1",
    company="acme",
    url="https://hooks.example.com/in",
    events=("loyalty_memberships.changed",),  # type: ignore[arg-type]
    payload=PayloadKind.FULL,
    created_at=AT,
    updated_at=AT,
)


def membership(n: int) -> Membership:
    return Membership(
        id=f"m-{n}",
        company="acme",
        employee_id="098765",
        provider_id="hh",
        account_number=f"A{n}",
        created_at=AT,
        updated_at=AT,
    )


def event(pads: dict[str, int], held: list[str]) -> dict[str, Any]:
    """The full event of one record creating the memberships `pads` names, each rendered
    as a resource padded to its number of characters; `held`: those the user holds now."""
    made = {name: membership(n) for n, name in enumerate(pads)}
    record = AuditRecord.of(ORIGIN, [membership_entry(None, m) for m in made.values()], AT)
    now = {made[name].id: made[name] for name in held}
    by_id = {m.id: name for name, m in made.items()}
    body = events.changed_event(
        record,
        "acme",
        "098765",
        1,
        FULL,
        now,
        lambda _provider: None,
        lambda m: {"id": m.id, "pad": "x" * pads[by_id[m.id]]},
    )
    assert body is not None
    assert len(body.encode("utf-8")) <= events.MAX_EVENT_BYTES
    return {"size": len(body.encode("utf-8")), **json.loads(body)}


def shown(found: dict[str, Any]) -> list[str]:
    return [
        "shown" if "membership" in c else c["membership_omitted"] for c in found["data"]["changes"]
    ]


def largest_shown(pads: dict[str, int], name: str, held: list[str]) -> int:
    """The largest pad of `name` with which its membership is still shown."""
    low, high = 0, events.MAX_EVENT_BYTES
    while low < high:
        middle = (low + high + 1) // 2
        found = event({**pads, name: middle}, held)
        position = list(pads).index(name)
        if "membership" in found["data"]["changes"][position]:
            low = middle
        else:
            high = middle - 1
    return low


def test_a_membership_is_shown_while_the_event_fits_to_the_byte() -> None:
    pad = largest_shown({"a": 0}, "a", ["a"])
    fits = event({"a": pad}, ["a"])
    assert shown(fits) == ["shown"] and fits["size"] == events.MAX_EVENT_BYTES
    over = event({"a": pad + 1}, ["a"])
    assert shown(over) == ["too_large"]


def test_room_is_kept_for_a_marker_on_every_later_change() -> None:
    pads = {"a": 0, "b": 10, "c": 10}
    pad = largest_shown(pads, "a", ["a", "b", "c"])
    fits = event({**pads, "a": pad}, ["a", "b", "c"])
    # the first takes all the room the two markers after it leave: the event is full
    assert shown(fits) == ["shown", "too_large", "too_large"]
    assert fits["size"] == events.MAX_EVENT_BYTES
    assert shown(event({**pads, "a": pad + 1}, ["a", "b", "c"])) == [
        "too_large",
        "shown",
        "shown",
    ]


def test_a_membership_deleted_since_takes_the_shorter_marker() -> None:
    pads = {"a": 0, "b": 10}
    pad = largest_shown(pads, "a", ["a", "b"])
    fits = event({**pads, "a": pad}, ["a"])  # b deleted since: "deleted" is shorter
    assert shown(fits) == ["shown", "deleted"]
    marker = len(',"membership_omitted":"too_large"') - len(',"membership_omitted":"deleted"')
    assert fits["size"] == events.MAX_EVENT_BYTES - marker


def test_a_test_event_says_nothing_changed_with_a_fresh_id_each_time() -> None:
    first_id, body = events.test_event(FULL, AT)
    second_id, _ = events.test_event(FULL, AT)
    assert first_id != second_id
    assert str(uuid.UUID(first_id)) == first_id
    sent = json.loads(body)
    assert (sent["id"], sent["type"], sent["source"], sent["time"]) == (
        first_id,
        "webhook.test",
        "/companies/acme",
        AT.isoformat(),
    )
    assert sent["data"] == {"subscription_id": "sub-1", "message": "A test event: nothing changed."}
    assert "subject" not in sent and "sequence" not in sent
