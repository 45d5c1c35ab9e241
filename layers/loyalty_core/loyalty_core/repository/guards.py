"""The conditions every write of a user's partition is guarded by, as DynamoDB update
actions on their profile: the revision the write was decided on (nobody wrote for the
user since), the room its new memberships need under the cap, and a key's claim; and
those of an administrative change of their credentials: the login still there, a token
revoked still held, a new Concur token's hash unused."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from loyalty_core import models
from loyalty_core.repository import items as i
from loyalty_core.repository import keys as k
from loyalty_core.repository.codec import serialize, values
from loyalty_core.repository.retention import expiring_with

if TYPE_CHECKING:
    from loyalty_core.models import AuditRecord
    from loyalty_core.repository import KeyAnswer, UserWrite

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
    new membership count (and the user as they are to be, if the write changes them), and,
    when the write adds memberships, applying only if the stored count leaves room for
    them under MAX_MEMBERSHIPS_PER_USER."""
    snapshot = write.snapshot
    user = snapshot.user
    also: dict[str, Any] = {"membership_count": write.count}
    if write.user is not None:
        also.update(i.user_fields(write.user))
    guard = audit_guard(
        user.company,
        user.employee_id,
        snapshot.revision,
        snapshot.audit_expiring,
        write.audit,
        retention_days,
        also=also,
    )
    added = write.count - snapshot.count
    if added > 0:
        guard["ConditionExpression"] += " AND membership_count <= :room"
        guard["ExpressionAttributeValues"][":room"] = serialize(
            models.MAX_MEMBERSHIPS_PER_USER - added
        )
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


def login_update(write: UserWrite) -> Action | None:
    """The update of the user's login that goes with `write`, if it changes the user or
    their API tokens: only while the login exists, and each token it revokes is there."""
    user, credentials = write.user, write.credentials
    if user is None and credentials is None:  # a membership write
        return None
    added = credentials.api_tokens if credentials is not None else ()
    revoked = credentials.api_tokens_revoked if credentials is not None else ()
    sets: dict[str, Any] = i.user_fields(user) if user is not None else {}
    names = {f"#s{n}": name for n, name in enumerate(sets)}
    assigned = [f"#s{n} = :s{n}" for n in range(len(sets))]
    given: dict[str, Any] = {f":s{n}": value for n, value in enumerate(sets.values())}
    for n, token in enumerate(added):
        names[f"#t{n}"] = token.token_id
        assigned.append(f"tokens.#t{n} = :t{n}")
        given[f":t{n}"] = i.token_entry(token)
    removed, condition = [], ["attribute_exists(pk)"]
    for n, token_id in enumerate(revoked):
        names[f"#r{n}"] = token_id
        removed.append(f"tokens.#r{n}")
        condition.append(f"attribute_exists(tokens.#r{n})")
    if not assigned and not removed:
        return None
    expression = " ".join(
        part
        for part in (
            "SET " + ", ".join(assigned) if assigned else "",
            "REMOVE " + ", ".join(removed) if removed else "",
        )
        if part
    )
    action: Action = {
        "Key": k.login_key(write.snapshot.user.email),
        "UpdateExpression": expression,
        "ConditionExpression": " AND ".join(condition),
        "ExpressionAttributeNames": names,
    }
    if given:
        action["ExpressionAttributeValues"] = values(given)
    return action


def concur_token_actions(write: UserWrite) -> list[tuple[str, Action, bool]]:
    """The actions of the Concur tokens `write` issues (each new, with its application's
    and its user's index entries) and revokes (each still there, with both entries):
    (kind, action, whether its condition is the credential's own)."""
    actions: list[tuple[str, Action, bool]] = []
    if write.credentials is None:
        return actions
    new, held = "attribute_not_exists(pk)", "attribute_exists(pk)"
    for token in write.credentials.concur_tokens:
        item = i.access_token_item(token)
        actions.append(("Put", {"Item": item, "ConditionExpression": new}, True))
        actions.append(("Put", {"Item": i.application_token_item(token)}, False))
        actions.append(("Put", {"Item": i.concur_entry_item(token)}, False))
    for ref in write.credentials.concur_tokens_revoked:
        key = k.access_token_key(ref.token_hash)
        actions.append(("Delete", {"Key": key, "ConditionExpression": held}, True))
        app_key = k.application_token_key(ref.application_id, ref.token_hash)
        actions.append(("Delete", {"Key": app_key}, False))
        entry_key = k.concur_entry_key(ref.company, ref.employee_id, ref.token_hash)
        actions.append(("Delete", {"Key": entry_key}, False))
    return actions
