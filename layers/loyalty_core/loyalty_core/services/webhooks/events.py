"""The events (SPEC 13): CloudEvents 1.0 structured JSON, built from the audit trail.

`loyalty_memberships.changed`: one per audit record that touches a membership, whatever
interface wrote it. `id` is the record's id (the same on every retry and replay),
`sequence` the user's revision that record took them to (zero-padded: text order and number
order agree), `time` when it was committed. `data` holds who and how (`actor`,
`interface`, `request_id`) and one entry per membership changed: its id, the action, its
`version` after the change (before it, on a delete), the names of the fields that changed
and, in a `full` payload, the membership as an admin GETs it now (whole account number;
its `meta.version` says which version that is). A membership deleted since the change
has none (`membership_omitted: "deleted"`), nor one that would take the event past 64 KB
(`"too_large"`, the partner GETs it): memberships are kept in the order of the changes
while they fit. `thin` payloads carry ids and versions only.

`user.erased`: one per erasure, no personal data but the erased user's employee id
(`subject`), which the partner needs to erase its copy. `webhook.test`: on request.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable, Mapping
from datetime import datetime
from typing import TYPE_CHECKING, Any

from loyalty_core.models import Provider
from loyalty_core.models.audit import Action
from loyalty_core.models.webhooks import EventType, PayloadKind

if TYPE_CHECKING:
    from loyalty_core.models import AuditRecord, Entry, Membership, VendorType
    from loyalty_core.models.webhooks import Subscription
    from loyalty_core.services.webhooks.context import MembershipRenderer

MAX_EVENT_BYTES = 64 * 1024
OMITTED_DELETED = "deleted"
OMITTED_TOO_LARGE = "too_large"
ProviderLookup = Callable[[str], Provider | None]


def sequence(revision: int) -> str:
    return f"{revision:012d}"


def encode(event: Mapping[str, Any]) -> str:
    """An event's body: compact JSON, UTF-8 (not escaped: smaller)."""
    return json.dumps(event, separators=(",", ":"), ensure_ascii=False)


def size(event: Mapping[str, Any]) -> int:
    return len(encode(event).encode("utf-8"))


def envelope(
    event_id: str,
    event_type: EventType,
    company: str,
    time: datetime,
    data: dict[str, Any],
    employee_id: str | None = None,
    revision: int | None = None,
) -> dict[str, Any]:
    event: dict[str, Any] = {
        "specversion": "1.0",
        "id": event_id,
        "source": f"/companies/{company}",
        "type": event_type.value,
    }
    if employee_id is not None:
        event["subject"] = f"users/{employee_id}"
    event["time"] = time.isoformat()
    if revision is not None:
        event["sequence"] = sequence(revision)
    event["datacontenttype"] = "application/json"
    event["data"] = data
    return event


def _origin(record: AuditRecord) -> dict[str, Any]:
    return {
        "actor": record.actor,
        "interface": record.interface.value,
        "request_id": record.request_id,
    }


def vendor_type_of(
    entry: Entry, held: Mapping[str, Membership] | None, providers: ProviderLookup
) -> VendorType | None:
    """The vendor type of a change's membership: its provider's now, else the one the entry
    recorded (a create, a delete, a change of provider); None if neither is known."""
    assert entry.membership_id is not None
    found = held.get(entry.membership_id) if held else None
    provider_id = found.provider_id if found else None
    for side in (entry.after, entry.before):
        if provider_id is None and side and isinstance(side.get("loyalty_provider"), str):
            provider_id = side["loyalty_provider"]
    provider = providers(provider_id) if provider_id else None
    return provider.vendor_type if provider else None


def changed_event(
    record: AuditRecord,
    company: str,
    employee_id: str,
    revision: int,
    subscription: Subscription,
    held: Mapping[str, Membership] | None,
    providers: ProviderLookup,
    render: MembershipRenderer,
) -> str | None:
    """The event of one audit record for one subscription (None: nothing in it passes the
    subscription's filter). `held`: the user's memberships now, by id (None: not read, as
    a thin payload without filter needs none)."""
    entries = [
        e
        for e in record.changes
        if e.membership_id and subscription.takes(vendor_type_of(e, held, providers))
    ]
    if not entries:
        return None
    changes: list[dict[str, Any]] = [
        {
            "membership_id": e.membership_id,
            "action": e.action.value,
            "version": e.version,
            "changed": e.changed,
        }
        for e in entries
    ]
    data = {**_origin(record), "changes": changes}
    event = envelope(
        record.id,
        EventType.CHANGED,
        company,
        record.occurred_at,
        data,
        employee_id,
        revision,
    )
    if subscription.payload is PayloadKind.FULL:
        _with_memberships(event, entries, changes, held or {}, render)
    return encode(event)


def _with_memberships(
    event: dict[str, Any],
    entries: list[Entry],
    changes: list[dict[str, Any]],
    held: Mapping[str, Membership],
    render: MembershipRenderer,
) -> None:
    """Each change's membership as it is now, in order, while the event stays within
    MAX_EVENT_BYTES with room for a marker on every change after it (a member added to an
    object adds exactly its encoded length, less the braces, plus a comma)."""

    def added(member: dict[str, Any]) -> int:
        return len(encode(member).encode("utf-8")) - 1

    marker = added({"membership_omitted": OMITTED_TOO_LARGE})
    shown = [n for n, e in enumerate(entries) if e.action is not Action.DELETE]
    total = size(event)
    for place, n in enumerate(shown):
        later = len(shown) - place - 1
        found = held.get(entries[n].membership_id or "")
        if found is not None:
            resource = render(found)
            extra = added({"membership": resource})
            if total + extra + later * marker <= MAX_EVENT_BYTES:
                changes[n]["membership"] = resource
                total += extra
                continue
        why = OMITTED_TOO_LARGE if found is not None else OMITTED_DELETED
        changes[n]["membership_omitted"] = why
        total += added({"membership_omitted": why})


def erased_event(record: AuditRecord, company: str, employee_id: str, revision: int) -> str:
    """The erasure's event: its record's id and time, the next of the user's sequence."""
    return encode(
        envelope(
            record.id,
            EventType.ERASED,
            company,
            record.occurred_at,
            _origin(record),
            employee_id,
            revision,
        )
    )


def test_event(subscription: Subscription, now: datetime) -> tuple[str, str]:
    """(id, body) of a test event for a subscription: a fresh id each time."""
    event_id = str(uuid.uuid4())
    data = {"subscription_id": subscription.id, "message": "A test event: nothing changed."}
    return event_id, encode(envelope(event_id, EventType.TEST, subscription.company, now, data))
