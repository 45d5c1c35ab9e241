"""Every item shape of the table, written by one function and read by its pair, for the
DynamoDB adapter and the admin CLI alike; and the attribute value codec beneath them.

The layer talks to DynamoDB through botocore alone: boto3's TypeSerializer would
pull in boto3 and s3transfer (about 60 ms of every cold start, see `make bench`)
for the handful of types our items use: strings, integers, booleans, maps, lists.
Whatever comes back from the table is validated again by its model.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime, time, timedelta
from decimal import Decimal
from typing import Any

from pydantic import BaseModel

from loyalty_core.models import (
    MAX_MEMBERSHIPS_PER_USER,
    Application,
    AuditRecord,
    Company,
    Membership,
    Provider,
    User,
)
from loyalty_core.repository import AccessToken, Login, UserMemberships
from loyalty_core.repository import keys as k

AttributeValue = dict[str, Any]
Item = dict[str, AttributeValue]


def serialize(value: Any) -> AttributeValue:
    if value is None:
        return {"NULL": True}
    if isinstance(value, bool):
        return {"BOOL": value}
    if isinstance(value, int | float | Decimal):
        return {"N": str(value)}
    if isinstance(value, str):
        return {"S": value}
    if isinstance(value, dict):
        return {"M": {str(k): serialize(v) for k, v in value.items()}}
    if isinstance(value, list | tuple | set | frozenset):
        return {"L": [serialize(v) for v in value]}
    raise TypeError(f"cannot store {type(value).__name__} in DynamoDB")


def _number(text: str) -> int | float:
    if text.isdigit():  # the common case (counts, revisions, expiry): no Decimal needed
        return int(text)
    number = Decimal(text)
    return int(number) if number == number.to_integral_value() else float(number)


def deserialize(value: AttributeValue) -> Any:
    ((kind, data),) = value.items()
    if kind == "S" or kind == "BOOL":
        return data
    if kind == "M":
        return {k: deserialize(v) for k, v in data.items()}
    if kind == "N":
        return _number(data)
    if kind == "NULL":
        return None
    if kind == "L":
        return [deserialize(v) for v in data]
    if kind in ("SS", "NS"):
        return [deserialize({kind[0]: v}) for v in data]
    raise TypeError(f"unexpected DynamoDB type {kind}")


def values(fields: dict[str, Any]) -> Item:
    """Attribute values for an expression (`:name` -> value)."""
    return {name: serialize(value) for name, value in fields.items()}


def to_item(fields: dict[str, Any], key: dict[str, dict[str, str]]) -> Item:
    """A DynamoDB item from plain JSON-able fields (None values are left out)."""
    item = {name: serialize(v) for name, v in fields.items() if v is not None}
    item.update(key)
    return item


def from_item(item: Item) -> dict[str, Any]:
    """Plain fields from a DynamoDB item, keys dropped; re-validate them with a model."""
    return {name: deserialize(v) for name, v in item.items() if name not in ("pk", "sk")}


def _model_item(model: BaseModel, key: dict[str, dict[str, str]], **extra: Any) -> Item:
    fields = model.model_dump(mode="json", exclude_none=True)
    fields.update(extra)
    return to_item(fields, key)


def _expiry(value: str | None) -> datetime | None:
    return datetime.fromisoformat(value) if value else None


# -- companies --------------------------------------------------------------------


def company_item(company: Company) -> Item:
    return _model_item(company, k.company_key(company.id))


def parse_company(item: Item) -> Company:
    return Company.model_validate(from_item(item))


# -- a user's profile (with the write revision guarding their memberships) ------------
# Beside the user: `revision` (bumped by every write request for the user, the guard
# against concurrent writers, and the number of that request's audit record),
# `membership_count` (how many the user holds, kept by the same write; profiles written
# before it existed lack it) and `audit_expiring` (how many of the user's audit records
# expire on each day: `live_changes`).

_REVISION_HELD = (
    "attribute_exists(pk) AND "
    "(revision = :rev OR (attribute_not_exists(revision) AND :rev = :zero))"
)


def profile_item(user: User, audit: AuditRecord | None = None, retention_days: int = 0) -> Item:
    """A new user's profile, holding no membership; with the audit record of its creation
    (revision 1) when there is one."""
    key = k.profile_key(user.company, user.employee_id)
    if audit is None:
        return _model_item(user, key, revision=0, membership_count=0)
    expiring = expiring_with({}, audit, retention_days)
    return _model_item(user, key, revision=1, membership_count=0, audit_expiring=expiring)


def parse_user(item: Item) -> User:
    fields = from_item(item)
    return User.model_validate({f: fields[f] for f in User.model_fields if f in fields})


def parse_membership_count(item: Item) -> int | None:
    """The count a profile holds, or None on a profile written before counts were kept."""
    count = from_item(item).get("membership_count")
    return None if count is None else int(count)


def parse_revision(item: Item) -> tuple[int, dict[str, int]]:
    """A profile's revision and audit expiry counts."""
    fields = from_item(item)
    return int(fields.get("revision", 0)), dict(fields.get("audit_expiring") or {})


def audit_guard(
    company: str,
    employee_id: str,
    revision: int,
    expiring: Mapping[str, int],
    audit: AuditRecord,
    retention_days: int,
    also: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    """The profile update that goes with every audit record of a user (one action of the
    write's transaction, which may set `also` on the profile too): it applies only if
    nobody wrote for the user since `revision` was read, takes the user to the next
    revision (the record's number) and counts the record in `audit_expiring`."""
    sets = {
        "revision": revision + 1,
        "audit_expiring": expiring_with(expiring, audit, retention_days),
        **(also or {}),
    }
    return {
        "Key": k.profile_key(company, employee_id),
        "UpdateExpression": "SET " + ", ".join(f"#s{n} = :s{n}" for n in range(len(sets))),
        "ConditionExpression": _REVISION_HELD,
        "ExpressionAttributeNames": {f"#s{n}": name for n, name in enumerate(sets)},
        "ExpressionAttributeValues": values(
            {
                ":rev": revision,
                ":zero": 0,
                **{f":s{n}": value for n, value in enumerate(sets.values())},
            }
        ),
    }


def profile_write_guard(
    snapshot: UserMemberships, count: int, audit: AuditRecord, retention_days: int
) -> dict[str, Any]:
    """The profile update that commits a membership write: `audit_guard`, recording the
    new count, and when the write adds memberships, applying only if the stored count
    leaves room for them under MAX_MEMBERSHIPS_PER_USER."""
    user = snapshot.user
    guard = audit_guard(
        user.company,
        user.employee_id,
        snapshot.revision,
        snapshot.audit_expiring,
        audit,
        retention_days,
        also={"membership_count": count},
    )
    added = count - snapshot.count
    if added > 0:
        guard["ConditionExpression"] += (
            " AND (attribute_not_exists(membership_count) OR membership_count <= :room)"
        )
        guard["ExpressionAttributeValues"][":room"] = serialize(MAX_MEMBERSHIPS_PER_USER - added)
    return guard


# -- audit records: a user's (in their partition), an application's, and erasures ---------
# Each expires by the table's TTL on `purge_at` (epoch seconds): at the UTC midnight after
# its retention, so that a user's records are counted by the day they expire.


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


def _audit_fields(audit: AuditRecord, retention_days: int, **extra: Any) -> dict[str, Any]:
    return {
        "id": audit.id,
        **audit.as_json(),
        **extra,
        "purge_at": purge_at(audit.occurred_at, retention_days),
    }


def change_item(
    audit: AuditRecord, company: str, employee_id: str, revision: int, retention_days: int
) -> Item:
    """A user's audit record, written with the write that took them to `revision`; in the
    change feed (webhook replays) when it touches a membership."""
    fields = _audit_fields(audit, retention_days, revision=revision)
    if any(c.membership_id for c in audit.changes):
        fields.update(k.feed_keys(company, audit.occurred_at, audit.id))
    return to_item(fields, k.change_key(company, employee_id, revision))


def application_change_item(audit: AuditRecord, app_id: str, retention_days: int) -> Item:
    key = k.application_change_key(app_id, audit.occurred_at.isoformat(), audit.id)
    return to_item(_audit_fields(audit, retention_days), key)


def is_purged(item: Item, now: datetime) -> bool:
    """Whether an audit record is past its `purge_at` (DynamoDB removes it within days)."""
    purge = item.get("purge_at")  # read alone: the rest of the record is not needed here
    return purge is not None and int(deserialize(purge)) <= now.timestamp()


def parse_change(item: Item) -> AuditRecord:
    fields = from_item(item)
    return AuditRecord.model_validate(
        {name: fields[name] for name in AuditRecord.model_fields if name in fields}
    )


def erasure_item(
    company: str, audit: AuditRecord, removed: Mapping[str, int], **counted: int
) -> Item:
    """The one record an erasure leaves: who erased, when, how many items of each kind it
    removed (and `counted`: what else it did); in the company's partition, naming no one
    (no employee id, name, email or hash of them). It is kept: no `purge_at`."""
    fields = {
        "id": audit.id,
        "occurred_at": audit.occurred_at.isoformat(),
        "actor": audit.actor,
        "interface": audit.interface.value,
        "request_id": audit.request_id,
        "removed": dict(removed),
        "items_removed": sum(removed.values()),
        **counted,
    }
    return to_item(fields, k.erasure_key(company, audit.occurred_at.isoformat(), audit.id))


# -- logins: the user, found by email, with the hashes of their API tokens ---------------


def login_item(user: User) -> Item:
    """A new login, holding no token yet (`token_entry` adds them)."""
    return _model_item(user, k.login_key(user.email), tokens={})


def token_entry(token_hash: str, expires_at: datetime | None) -> dict[str, Any]:
    """One API token inside a login item's `tokens` map (keyed by its token id)."""
    return {"hash": token_hash, "expires_at": expires_at.isoformat() if expires_at else None}


def parse_login(item: Item) -> Login:
    tokens: dict[str, dict[str, Any]] = from_item(item).get("tokens", {})
    return Login(
        user=parse_user(item),
        token_hashes={tid: t["hash"] for tid, t in tokens.items()},
        token_expiry={tid: _expiry(t.get("expires_at")) for tid, t in tokens.items()},
    )


# -- memberships ----------------------------------------------------------------------


def membership_item(membership: Membership) -> Item:
    m = membership
    return _model_item(m, k.membership_key(m.company, m.employee_id, m.id))


def parse_membership(item: Item) -> Membership:
    return Membership.model_validate(from_item(item))


def parse_user_memberships(items: list[Item]) -> UserMemberships | None:
    """A user's partition (profile and memberships, one Query) as a snapshot."""
    profile: Item | None = None
    memberships: list[Membership] = []
    for item in items:
        sk = item["sk"]["S"]
        if sk == k.PROFILE:
            profile = item
        elif sk.startswith(k.MEMBERSHIP_PREFIX):
            memberships.append(parse_membership(item))
    if profile is None:
        return None
    memberships.sort(key=lambda m: (m.created_at, m.id))
    revision, expiring = parse_revision(profile)
    return UserMemberships(
        user=parse_user(profile),
        revision=revision,
        memberships=tuple(memberships),
        audit_expiring=expiring,
    )


# -- the provider catalog ---------------------------------------------------------------


def provider_item(provider: Provider) -> Item:
    return _model_item(provider, k.provider_key(provider.id))


def parse_provider(item: Item) -> Provider:
    return Provider.model_validate(from_item(item))


# -- Concur applications and their OAuth access tokens ---------------------------------


def application_item(application: Application) -> Item:
    return _model_item(application, k.application_key(application.id))


def parse_application(item: Item) -> Application:
    return Application.model_validate(from_item(item))


def access_token_item(token: AccessToken) -> Item:
    """The token, keyed by its hash, with a snapshot of its application."""
    fields = {
        "token_id": token.token_id,
        "token_hash": token.token_hash,
        "application": token.application.model_dump(mode="json"),
        "company": token.company,
        "employee_id": token.employee_id,
        "expires_at": token.expires_at.isoformat() if token.expires_at else None,
    }
    return to_item(fields, k.access_token_key(token.token_hash))


def parse_access_token(item: Item) -> AccessToken:
    fields = from_item(item)
    return AccessToken(
        token_id=fields["token_id"],
        token_hash=fields["token_hash"],
        application=Application.model_validate(fields["application"]),
        company=fields["company"],
        employee_id=fields["employee_id"],
        expires_at=_expiry(fields.get("expires_at")),
    )


def application_token_item(token: AccessToken) -> Item:
    """The application's index entry of one of its tokens (to revoke or re-certify it)."""
    fields = {
        "token_id": token.token_id,
        "company": token.company,
        "employee_id": token.employee_id,
    }
    return to_item(fields, k.application_token_key(token.application.id, token.token_hash))


def token_hash_of(application_token: Item) -> str:
    sk: str = application_token["sk"]["S"]
    return sk.removeprefix(k.TOKEN_PREFIX)
