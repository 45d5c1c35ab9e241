"""Every item shape of the table, written by one function and read by its pair (the key
of each is in `keys`; the attribute values' codec in `codec`)."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any

from loyalty_core import models
from loyalty_core import repository as port
from loyalty_core.repository import keys as k
from loyalty_core.repository.codec import deserialize, from_item, model_item, to_item
from loyalty_core.repository.retention import expiring_with, purge_at

if TYPE_CHECKING:
    from loyalty_core.models import (
        AccessToken,
        Application,
        AuditRecord,
        Company,
        Membership,
        MembershipSet,
        Provider,
        User,
    )
    from loyalty_core.models.credentials import ApiToken  # the admin's alone
    from loyalty_core.models.erasure import ErasureRecord  # the admin's alone
    from loyalty_core.repository import Answer, KeyRecord, Login
    from loyalty_core.repository.codec import Item


def _expiry(value: str | None) -> datetime | None:
    return datetime.fromisoformat(value) if value else None


# -- companies --------------------------------------------------------------------


def company_item(company: Company) -> Item:
    return model_item(company, k.company_key(company.id))


def parse_company(item: Item) -> Company:
    return models.Company.model_validate(from_item(item))


# -- a user's profile (with the write revision guarding their memberships) ------------
# Beside the user: `revision` (bumped by every write request for the user, the guard
# against concurrent writers, and the number of that request's audit record),
# `membership_count` (how many the user holds, kept by the same write),
# `audit_expiring` (how many of the user's audit records expire on each day:
# `retention.live_changes`), and the keys of the `company_users` index; an erasure that
# was interrupted counts there what it removed (`erased_<kind>`).

ERASED = "erased_"


def profile_item(user: User, audit: AuditRecord, retention_days: int) -> Item:
    """A new user's profile, holding no membership, with the audit record of its creation
    (revision 1)."""
    key = k.profile_key(user.company, user.employee_id)
    expiring = expiring_with({}, audit, retention_days)
    return model_item(
        user,
        key,
        revision=1,
        membership_count=0,
        audit_expiring=expiring,
        **k.company_users_keys(user.company, user.employee_id),
    )


def user_fields(user: User) -> dict[str, Any]:
    """What a change of a user rewrites on their profile and login (their email, company
    and employee id are keys: never changed)."""
    return {"name": user.name, "role": user.role.value, "arranges": sorted(user.arranges)}


def parse_user(item: Item) -> User:
    fields = from_item(item)
    return models.User.model_validate(
        {f: fields[f] for f in models.User.model_fields if f in fields}
    )


def parse_membership_count(item: Item) -> int:
    return int(from_item(item)["membership_count"])


def parse_revision(item: Item) -> tuple[int, dict[str, int]]:
    """A profile's revision and audit expiry counts."""
    fields = from_item(item)
    return int(fields["revision"]), dict(fields.get("audit_expiring") or {})


# An erasure's mark on the profile it is about to remove (`erasure_mark`, written by the
# directory's `erase`): its record's id, time and origin, so that the stream's image of the
# removed profile names whom the record erased (the `user.erased` webhook event), which
# the record itself never does. An interrupted run's mark is kept by the next run.
ERASURE_MARK = "erasure"


def erasure_mark(header: AuditRecord) -> dict[str, Any]:
    """The mark's value: the erasure record's id, time and origin."""
    return {
        "id": header.id,
        "occurred_at": header.occurred_at.isoformat(),
        "actor": header.actor,
        "interface": header.interface.value,
        "request_id": header.request_id,
    }


def parse_erasure_mark(item: Item) -> AuditRecord | None:
    """The erasure's record (its header: no changes, it names no one) as a profile's mark
    holds it; None on a profile no erasure marked."""
    mark = item.get(ERASURE_MARK)
    if mark is None:
        return None
    fields = deserialize(mark)
    return models.AuditRecord.model_validate({**fields, "changes": ()})


def parse_erased(item: Item) -> dict[str, int]:
    """What interrupted erasures of the user counted on the profile, by kind."""
    return {
        name.removeprefix(ERASED): int(value)
        for name, value in from_item(item).items()
        if name.startswith(ERASED) and value
    }


# -- audit records: a user's (in their partition), an application's, and erasures ---------


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


def trail_items(
    audit: AuditRecord, company: str, employee_id: str, revision: int, purge: int
) -> list[Item]:
    """The trail index's entries of a user's audit record: one per membership it touches,
    naming the record (by revision and id), expiring with it (`purge`: its `purge_at`)."""
    fields = {"revision": revision, "id": audit.id, "purge_at": purge}
    touched = dict.fromkeys(c.membership_id for c in audit.changes if c.membership_id)
    return [
        to_item(fields, k.trail_key(company, employee_id, m, revision, audit.id)) for m in touched
    ]


def parse_revised(item: Item) -> tuple[int, str]:
    """The revision and id of an audit record, or of the record a trail entry names."""
    fields = from_item(item)
    return int(fields["revision"]), str(fields["id"])


def application_change_item(audit: AuditRecord, app_id: str, retention_days: int) -> Item:
    key = k.application_change_key(app_id, audit.occurred_at.isoformat(), audit.id)
    return to_item(_audit_fields(audit, retention_days), key)


def parse_change(item: Item) -> AuditRecord:
    fields = from_item(item)
    return models.AuditRecord.model_validate(
        {name: fields[name] for name in models.AuditRecord.model_fields if name in fields}
    )


def erasure_item(company: str, record: ErasureRecord) -> Item:
    """The one record an erasure leaves, in the company's partition. It is kept: no
    `purge_at`."""
    key = k.erasure_key(company, record.occurred_at.isoformat(), record.id)
    return to_item(record.as_json(), key)


# -- logins: the user, found by email, with the hashes of their API tokens ---------------


def login_item(user: User) -> Item:
    """A new login, holding no token yet (`token_entry` adds them)."""
    return model_item(user, k.login_key(user.email), tokens={})


def token_entry(token: ApiToken) -> dict[str, Any]:
    """One API token inside a login item's `tokens` map (keyed by its token id)."""
    expires = token.expires_at
    return {"hash": token.token_hash, "expires_at": expires.isoformat() if expires else None}


def parse_login(item: Item) -> Login:
    tokens: dict[str, dict[str, Any]] = from_item(item).get("tokens", {})
    return port.Login(
        user=parse_user(item),
        token_hashes={tid: t["hash"] for tid, t in tokens.items()},
        token_expiry={tid: _expiry(t.get("expires_at")) for tid, t in tokens.items()},
    )


# -- memberships ----------------------------------------------------------------------


def membership_item(membership: Membership) -> Item:
    m = membership
    return model_item(m, k.membership_key(m.company, m.employee_id, m.id))


def parse_membership(item: Item) -> Membership:
    return models.Membership.model_validate(from_item(item))


def parse_membership_set(items: list[Item]) -> MembershipSet | None:
    """A user's profile and memberships (one Query) as the set they hold."""
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
    revision, expiring = parse_revision(profile)
    return models.MembershipSet(
        user=parse_user(profile),
        revision=revision,
        memberships=models.oldest_first(memberships),
        audit_expiring=expiring,
    )


# -- Idempotency-Keys ---------------------------------------------------------------------


def key_item(
    owner_company: str,
    owner_employee_id: str,
    key_hash: str,
    request_hash: str,
    claim: str,
    lease_until: float,
    expires: int,
) -> Item:
    """A key held by a running request; it expires (TTL on `purge_at`) once remembered."""
    fields = {
        "request_hash": request_hash,
        "claim": claim,
        "lease_until": lease_until,
        "purge_at": expires,
    }
    return to_item(fields, k.idempotency_key(owner_company, owner_employee_id, key_hash))


def parse_key(item: Item) -> KeyRecord:
    fields = from_item(item)
    answer: Answer | None = fields.get("answer")
    return port.KeyRecord(
        request_hash=fields["request_hash"],
        claim=fields["claim"],
        lease_until=float(fields["lease_until"]),
        answer=answer,
    )


# -- the provider catalog ---------------------------------------------------------------


def provider_item(provider: Provider) -> Item:
    return model_item(provider, k.provider_key(provider.id))


def parse_provider(item: Item) -> Provider:
    return models.Provider.model_validate(from_item(item))


# -- Concur applications and their OAuth access tokens ---------------------------------


def application_item(application: Application) -> Item:
    return model_item(application, k.application_key(application.id))


def parse_application(item: Item) -> Application:
    return models.Application.model_validate(from_item(item))


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
    return models.AccessToken(
        token_id=fields["token_id"],
        token_hash=fields["token_hash"],
        application=models.Application.model_validate(fields["application"]),
        company=fields["company"],
        employee_id=fields["employee_id"],
        expires_at=_expiry(fields.get("expires_at")),
    )


def application_token_item(token: AccessToken) -> Item:
    """The application's index entry of one of its tokens (to revoke or re-certify it;
    read by the admin's adapter alone, `repository.directory.parse_issued`)."""
    fields = {
        "token_id": token.token_id,
        "company": token.company,
        "employee_id": token.employee_id,
    }
    return to_item(fields, k.application_token_key(token.application.id, token.token_hash))


def concur_entry_item(token: AccessToken) -> Item:
    """The user's index entry of a Concur token acting for them (to erase it with them;
    read by the admin's adapter alone, `repository.directory.parse_issued`)."""
    fields = {"application_id": token.application.id, "token_id": token.token_id}
    return to_item(fields, k.concur_entry_key(token.company, token.employee_id, token.token_hash))
