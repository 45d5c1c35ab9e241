"""How long audit records are kept (SPEC 10, `AuditRetentionDays`), and how many of a
user's are kept at a given moment without reading them.

Each record expires by the table's TTL on `purge_at` (epoch seconds): at the UTC midnight
after its retention, so that a user's records can be counted by the day they expire. The
user's profile keeps those counts (`audit_expiring`, day -> records), moved by the same
transaction that writes each record.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime, time, timedelta
from typing import TYPE_CHECKING

from loyalty_core.repository.codec import deserialize

if TYPE_CHECKING:
    from loyalty_core.models import AuditRecord
    from loyalty_core.repository.codec import Item


def purge_at(occurred_at: datetime, retention_days: int) -> int:
    """When a record written at `occurred_at` expires: the UTC midnight after it is
    `retention_days` old (it is kept at least that long, and less than a day more)."""
    day = (occurred_at.astimezone(UTC) + timedelta(days=retention_days)).date()
    return int(datetime.combine(day + timedelta(days=1), time(), UTC).timestamp())


def _expiry_day(purge: int) -> str:
    return datetime.fromtimestamp(purge, UTC).date().isoformat()


def expiring_with(
    expiring: Mapping[str, int], audit: AuditRecord, retention_days: int
) -> dict[str, int]:
    """A user's audit expiry counts once `audit` is added (days already past dropped: the
    map holds at most one entry per day of the retention)."""
    today = audit.occurred_at.astimezone(UTC).date().isoformat()
    counts = {day: n for day, n in expiring.items() if day > today}
    day = _expiry_day(purge_at(audit.occurred_at, retention_days))
    counts[day] = counts.get(day, 0) + 1
    return counts


def live_changes(expiring: Mapping[str, int], now: datetime) -> int:
    """How many of a user's audit records are kept at `now` (those expiring on a later day;
    a record past its `purge_at` that DynamoDB's TTL has not removed yet does not count)."""
    today = now.astimezone(UTC).date().isoformat()
    return sum(n for day, n in expiring.items() if day > today)


def is_purged(item: Item, now: datetime) -> bool:
    """Whether an item with a `purge_at` is past it (DynamoDB removes it within days)."""
    purge = item.get("purge_at")  # read alone: the rest of the record is not needed here
    return purge is not None and int(deserialize(purge)) <= now.timestamp()
