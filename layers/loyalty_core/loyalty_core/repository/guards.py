"""The conditions every write of a user's partition is guarded by, as DynamoDB update
actions on their profile: the revision the write was decided on (nobody wrote for the
user since), the room its new memberships need under the cap, and a key's claim."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from loyalty_core.models import MAX_MEMBERSHIPS_PER_USER, AuditRecord
from loyalty_core.repository import KeyAnswer, UserWrite
from loyalty_core.repository import keys as k
from loyalty_core.repository.codec import serialize, values
from loyalty_core.repository.retention import expiring_with

Action = dict[str, Any]  # one action of a TransactWriteItems, without its table


def audit_guard(
    company: str,
    employee_id: str,
    revision: int,
    expiring: Mapping[str, int],
    audit: AuditRecord,
    retention_days: int,
    also: Mapping[str, Any] | None = None,
) -> Action:
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
        "ConditionExpression": "revision = :rev",
        "ExpressionAttributeNames": {f"#s{n}": name for n, name in enumerate(sets)},
        "ExpressionAttributeValues": values(
            {":rev": revision, **{f":s{n}": value for n, value in enumerate(sets.values())}}
        ),
    }


def user_write_guard(write: UserWrite, retention_days: int) -> Action:
    """The profile update that commits `write`: its `audit_guard`, recording the user's
    new membership count, and, when the write adds memberships, applying only if the
    stored count leaves room for them under MAX_MEMBERSHIPS_PER_USER."""
    snapshot = write.snapshot
    user = snapshot.user
    guard = audit_guard(
        user.company,
        user.employee_id,
        snapshot.revision,
        snapshot.audit_expiring,
        write.audit,
        retention_days,
        also={"membership_count": write.count},
    )
    added = write.count - snapshot.count
    if added > 0:
        guard["ConditionExpression"] += " AND membership_count <= :room"
        guard["ExpressionAttributeValues"][":room"] = serialize(MAX_MEMBERSHIPS_PER_USER - added)
    return guard


def key_answer(key: KeyAnswer) -> Action:
    """The update that records a key's answer: only while the request that wrote it still
    holds the key (another may have taken it over once its lease ran out)."""
    return {
        "Key": k.idempotency_key(key.owner.company, key.owner.employee_id, key.key_hash),
        "UpdateExpression": "SET answer = :answer, purge_at = :expires",
        "ConditionExpression": "claim = :claim",
        "ExpressionAttributeValues": values(
            {":answer": key.answer, ":expires": key.expires, ":claim": key.claim}
        ),
    }
