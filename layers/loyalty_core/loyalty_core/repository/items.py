"""Every item shape of the table, written by one function and read by its pair, for the
DynamoDB adapter and the admin CLI alike; and the attribute value codec beneath them.

The layer talks to DynamoDB through botocore alone: boto3's TypeSerializer would
pull in boto3 and s3transfer (about 60 ms of every cold start, see `make bench`)
for the handful of types our items use: strings, integers, booleans, maps, lists.
Whatever comes back from the table is validated again by its model.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

from pydantic import BaseModel

from loyalty_core.models import (
    MAX_MEMBERSHIPS_PER_USER,
    Application,
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


def deserialize(value: AttributeValue) -> Any:
    ((kind, data),) = value.items()
    if kind == "S" or kind == "BOOL":
        return data
    if kind == "N":
        number = Decimal(data)
        return int(number) if number == number.to_integral_value() else float(number)
    if kind == "NULL":
        return None
    if kind == "M":
        return {k: deserialize(v) for k, v in data.items()}
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
# Beside the user: `revision` (bumped by every membership write, the guard against
# concurrent writers) and `membership_count` (how many the user holds, kept by the same
# write; profiles written before it existed lack it).


def profile_item(user: User) -> Item:
    """A new user's profile: no membership yet."""
    key = k.profile_key(user.company, user.employee_id)
    return _model_item(user, key, revision=0, membership_count=0)


def parse_user(item: Item) -> User:
    fields = from_item(item)
    return User.model_validate({f: fields[f] for f in User.model_fields if f in fields})


def parse_membership_count(item: Item) -> int | None:
    """The count a profile holds, or None on a profile written before counts were kept."""
    count = from_item(item).get("membership_count")
    return None if count is None else int(count)


def profile_write_guard(snapshot: UserMemberships, count: int) -> dict[str, Any]:
    """The profile update that commits a membership write (one action of its transaction).

    It applies only if nobody wrote for the user since `snapshot` (`revision`) and, when
    the write adds memberships, only if the stored count leaves room for them under
    MAX_MEMBERSHIPS_PER_USER; it records the new count.
    """
    condition = (
        "attribute_exists(pk) AND "
        "(revision = :rev OR (attribute_not_exists(revision) AND :rev = :zero))"
    )
    fields: dict[str, Any] = {
        ":next": snapshot.revision + 1,
        ":rev": snapshot.revision,
        ":zero": 0,
        ":count": count,
    }
    added = count - snapshot.count
    if added > 0:
        condition += " AND (attribute_not_exists(membership_count) OR membership_count <= :room)"
        fields[":room"] = MAX_MEMBERSHIPS_PER_USER - added
    return {
        "Key": k.profile_key(snapshot.user.company, snapshot.user.employee_id),
        "UpdateExpression": "SET revision = :next, membership_count = :count",
        "ConditionExpression": condition,
        "ExpressionAttributeValues": values(fields),
    }


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
    return UserMemberships(
        user=parse_user(profile),
        revision=int(from_item(profile).get("revision", 0)),
        memberships=tuple(memberships),
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
