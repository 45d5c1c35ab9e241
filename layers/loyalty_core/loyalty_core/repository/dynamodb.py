"""The DynamoDB adapter of the storage port (boto3 low-level client)."""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from datetime import datetime
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError, HTTPClientError

from loyalty_core.errors import (
    ConcurrentChange,
    CredentialConflict,
    RequestInProgress,
    StorageUnavailable,
    WriteOutcomeUnknown,
)
from loyalty_core.models import AccessToken, Membership, MembershipSet, Provider
from loyalty_core.repository import (
    History,
    KeyAnswer,
    KeyOwner,
    KeyRecord,
    Login,
    UserWrite,
)
from loyalty_core.repository import guards as g
from loyalty_core.repository import items as i
from loyalty_core.repository import keys as k
from loyalty_core.repository.codec import Item, values
from loyalty_core.repository.retention import is_purged, live_changes

# Errors that mean "try again later", never "your request was wrong".
_TRANSIENT = {
    "ProvisionedThroughputExceededException",
    "ThrottlingException",
    "RequestLimitExceeded",
    "InternalServerError",
    "ServiceUnavailable",
    "ResourceNotFoundException",  # table missing or not yet active
}
_TRANSIENT_REASONS = {"ThrottlingError", "ProvisionedThroughputExceeded", "RequestLimitExceeded"}
QUERY_LIMIT = 100_000  # a Query's Limit is a 32-bit number; a deep page reads in several
_CONCURRENT_REASONS = {"ConditionalCheckFailed", "TransactionConflict"}


KEY_TAKEN_OVER = "This request's Idempotency-Key was taken over by a retry; retry shortly"
CREDENTIALS_CHANGED = (
    "The user's login or tokens are not as the change expects; nothing was written"
)


def _status(err: ClientError) -> int:
    return int(err.response.get("ResponseMetadata", {}).get("HTTPStatusCode") or 0)


@contextmanager
def translate_errors(
    write: bool = False, key_at: int | None = None, credentials: Sequence[int] = ()
) -> Iterator[None]:
    """Turn boto errors into domain errors, once, at the adapter's edge.

    A write that was sent and then went unanswered (a read timeout, a dropped connection)
    or answered a server error (any 5xx, with or without an error code) may have been
    applied: WriteOutcomeUnknown, which the services settle by reading. A read that fails
    so is StorageUnavailable (503). `key_at`: the position, in a transaction, of the
    action that needs this request's claim on its Idempotency-Key; `credentials`: those of
    the actions whose conditions are a credential's (CredentialConflict when one fails and
    the profile's guard, first, held)."""
    try:
        yield
    except ClientError as err:
        code = err.response.get("Error", {}).get("Code", "")
        if code == "TransactionCanceledException":
            found = err.response.get("CancellationReasons", [])
            reasons = {r.get("Code") for r in found}

            def failed(at: int) -> bool:
                return len(found) > at and found[at].get("Code") == "ConditionalCheckFailed"

            if key_at is not None and failed(key_at):
                raise RequestInProgress(KEY_TAKEN_OVER) from err
            if not failed(0) and any(failed(at) for at in credentials):
                raise CredentialConflict(CREDENTIALS_CHANGED) from err
            if reasons & _CONCURRENT_REASONS and not reasons & _TRANSIENT_REASONS:
                raise ConcurrentChange("The user's memberships changed during the write") from err
            raise StorageUnavailable("The write was cancelled; nothing was written") from err
        if code == "TransactionInProgressException":  # the SDK's retry met its first try
            raise WriteOutcomeUnknown("The write is still being applied") from err
        if code in _TRANSIENT:
            raise StorageUnavailable("The membership store is busy; retry shortly") from err
        if _status(err) >= 500 or not code:  # a server error, named or not
            if write:
                raise WriteOutcomeUnknown("The membership store failed the write") from err
            raise StorageUnavailable("The membership store failed; retry shortly") from err
        raise
    except HTTPClientError as err:  # sent, but no answer: a read timeout, a dropped connection
        if write:
            raise WriteOutcomeUnknown("The membership store did not answer the write") from err
        raise StorageUnavailable("The membership store did not answer") from err
    except BotoCoreError as err:  # never sent: connection refused, connect timeout
        raise StorageUnavailable("The membership store could not be reached") from err


class DynamoRepository:
    """Reads and writes memberships in the single table; see `keys` for the layout."""

    def __init__(
        self,
        client: Any,
        table_name: str,
        catalog_ttl_seconds: float = 300.0,
        clock: Callable[[], float] = time.monotonic,
        audit_retention_days: int = 400,
    ) -> None:
        self.client = client
        self.table = table_name
        self.audit_retention_days = audit_retention_days
        self._catalog_ttl = catalog_ttl_seconds
        self._clock = clock
        self._catalog: dict[str, Provider] | None = None
        self._catalog_read_at = 0.0

    # -- reads -------------------------------------------------------------

    def _get(self, key: dict[str, dict[str, str]]) -> Item | None:
        with translate_errors():
            found = self.client.get_item(TableName=self.table, Key=key, ConsistentRead=True)
        item: Item | None = found.get("Item")
        return item

    def _query(
        self,
        pk: str,
        sk: str,
        sk_condition: str = "begins_with(sk, :sk)",
        more: Item | None = None,
    ) -> list[Item]:
        return self._every_page(
            {
                "KeyConditionExpression": f"pk = :pk AND {sk_condition}",
                "ExpressionAttributeValues": {":pk": {"S": pk}, ":sk": {"S": sk}, **(more or {})},
                "ConsistentRead": True,
            }
        )

    def _every_page(self, args: dict[str, Any], limit: int | None = None) -> list[Item]:
        """Every item a Query of the table (`args`, but its name) finds, page after page;
        with a `limit`, that many at most, read with no more pages than they need."""
        args = {"TableName": self.table, **args}
        items: list[Item] = []
        with translate_errors():
            while limit is None or len(items) < limit:
                if limit is not None:
                    args["Limit"] = limit - len(items)
                page = self.client.query(**args)
                items.extend(page.get("Items", []))
                if "LastEvaluatedKey" not in page:
                    break
                args["ExclusiveStartKey"] = page["LastEvaluatedKey"]
        return items

    def get_login(self, email: str) -> Login | None:
        item = self._get(k.login_key(email))
        return None if item is None else i.parse_login(item)

    def get_logins(self, emails: Sequence[str]) -> dict[str, Login]:
        """BatchGetItem, 100 keys a request (DynamoDB's limit); one request for a booking."""
        wanted = list(dict.fromkeys(e.lower() for e in emails))
        found: dict[str, Login] = {}
        with translate_errors():
            for start in range(0, len(wanted), 100):
                keys = [k.login_key(e) for e in wanted[start : start + 100]]
                pending: dict[str, Any] = {self.table: {"Keys": keys, "ConsistentRead": True}}
                while pending:
                    page = self.client.batch_get_item(RequestItems=pending)
                    for item in page.get("Responses", {}).get(self.table, []):
                        login = i.parse_login(item)
                        found[login.user.email] = login
                    pending = page.get("UnprocessedKeys") or {}
        return found

    def get_access_token(self, token_hash: str) -> AccessToken | None:
        item = self._get(k.access_token_key(token_hash))
        if item is None or "token_hash" not in item:
            # No token, or only what an update left of one whose item was removed (an
            # interrupted erasure, then `certify-app` rewriting its application): no token.
            return None
        return i.parse_access_token(item)

    def get_user_memberships(self, company: str, employee_id: str) -> MembershipSet | None:
        """The memberships and the profile: never an audit record nor a key."""
        items = self._query(
            k.user_pk(company, employee_id),
            k.MEMBERSHIP_PREFIX,
            "sk BETWEEN :sk AND :profile",
            {":profile": {"S": k.PROFILE}},
        )
        return i.parse_membership_set(items)

    def get_membership(
        self, company: str, employee_id: str, membership_id: str
    ) -> Membership | None:
        item = self._get(k.membership_key(company, employee_id, membership_id))
        return i.parse_membership(item) if item else None

    def get_history(
        self, company: str, employee_id: str, start: int, count: int, now: datetime
    ) -> History | None:
        """One Query from the profile on: the profile (the user and how many records they
        hold), then the newest records, newest first, up to the last one asked for (none
        past the trail's end). DynamoDB answers a Query at most 1 MB at a time: only a page
        deep in a long history needs more than one answer."""
        args: dict[str, Any] = {
            "TableName": self.table,
            "KeyConditionExpression": "pk = :pk AND sk >= :sk",
            "ExpressionAttributeValues": {
                ":pk": {"S": k.user_pk(company, employee_id)},
                ":sk": {"S": k.PROFILE},
            },
            "ConsistentRead": True,
            "Limit": min(start + count + 1, QUERY_LIMIT),
        }
        profile: Item | None = None
        records: list[Item] = []  # parsed only once the page is known
        total = wanted = 0
        with translate_errors():
            while True:
                page = self.client.query(**args)
                for item in page.get("Items", []):
                    if item["sk"]["S"] == k.PROFILE:
                        profile = item
                        total = live_changes(i.parse_revision(item)[1], now)
                        wanted = min(start + count, total) if start < total else 0
                    elif profile is not None and not is_purged(item, now):
                        records.append(item)
                if profile is None:
                    return None
                if len(records) >= wanted or "LastEvaluatedKey" not in page:
                    break
                args["ExclusiveStartKey"] = page["LastEvaluatedKey"]
                args["Limit"] = min(wanted - len(records), QUERY_LIMIT)
        page_records = tuple(i.parse_change(item) for item in records[start:wanted])
        return History(i.parse_user(profile), total, page_records)

    def committed(self, company: str, employee_id: str, revision: int, audit_id: str) -> bool:
        """The audit record numbered `revision` is the commit's own token: one GetItem."""
        with translate_errors():
            found = self.client.get_item(
                TableName=self.table,
                Key=k.change_key(company, employee_id, revision),
                ConsistentRead=True,
                ProjectionExpression="id",
            )
        item = found.get("Item")
        return item is not None and item.get("id", {}).get("S") == audit_id

    def providers(self) -> Sequence[Provider]:
        return tuple(self._provider_map().values())

    def get_provider(self, provider_id: str) -> Provider | None:
        return self._provider_map().get(provider_id)

    def forget_catalog(self) -> None:
        """Read the catalog again at its next use (its age is unknown: SnapStart restore)."""
        self._catalog = None

    def _provider_map(self) -> dict[str, Provider]:
        """The catalog is small, read-only reference data: one Query per container and TTL."""
        now = self._clock()
        if self._catalog is None or now - self._catalog_read_at > self._catalog_ttl:
            items = self._query(k.PROVIDER_PARTITION, k.PROVIDER_PREFIX)
            providers = [i.parse_provider(item) for item in items]
            self._catalog = {p.id: p for p in sorted(providers, key=lambda p: p.name)}
            self._catalog_read_at = now
        return self._catalog

    # -- writes ------------------------------------------------------------

    def _transact(self, actions: Sequence[dict[str, Any]]) -> None:
        """One TransactWriteItems of `actions` on the table; a refused condition is
        ConcurrentChange, an unknown outcome WriteOutcomeUnknown."""
        with translate_errors(write=True):
            self.client.transact_write_items(
                TransactItems=[
                    {kind: {"TableName": self.table, **body}}
                    for action in actions
                    for kind, body in action.items()
                ]
            )

    def _update_if(self, **update: Any) -> bool:
        """One conditional UpdateItem on the table (`update`, but its name): False when its
        condition refused it (nothing written)."""
        try:
            with translate_errors(write=True):
                self.client.update_item(TableName=self.table, **update)
        except ClientError as err:
            if err.response.get("Error", {}).get("Code") != "ConditionalCheckFailedException":
                raise
            return False
        return True

    def commit(self, write: UserWrite) -> None:
        """One TransactWriteItems: the profile's guard first, then each membership, the
        audit record, numbered by the revision the guard moves to (so a write that is
        refused, or that its re-read finds applied, never leaves a second one), and the
        answer of the request's Idempotency-Key, if it has one: the answer is durable
        with the write itself."""
        days = self.audit_retention_days
        actions: list[dict[str, Any]] = [
            {"Update": {"TableName": self.table, **g.user_write_guard(write, days)}}
        ]
        for m in write.put:
            actions.append({"Put": {"TableName": self.table, "Item": i.membership_item(m)}})
        for m in write.delete:
            key = k.membership_key(m.company, m.employee_id, m.id)
            actions.append({"Delete": {"TableName": self.table, "Key": key}})
        credentials: list[int] = []  # the actions whose conditions are a credential's
        login = g.login_update(write)
        if login is not None:
            credentials.append(len(actions))
            actions.append({"Update": {"TableName": self.table, **login}})
        for kind, action, own in g.concur_token_actions(write):
            if own:
                credentials.append(len(actions))
            actions.append({kind: {"TableName": self.table, **action}})
        user, revision = write.snapshot.user, write.snapshot.revision + 1
        record = i.change_item(write.audit, user.company, user.employee_id, revision, days)
        actions.append({"Put": {"TableName": self.table, "Item": record}})
        key_at = None
        if write.key is not None:
            key_at = len(actions)
            actions.append({"Update": {"TableName": self.table, **g.key_answer(write.key)}})
        # A token of this call makes the SDK's own retries of it idempotent on DynamoDB; the
        # services recognise a landing by its audit record (`committed`), whatever the store.
        with translate_errors(write=True, key_at=key_at, credentials=credentials):
            self.client.transact_write_items(
                TransactItems=actions, ClientRequestToken=str(uuid.uuid4())
            )

    # -- Idempotency-Keys ----------------------------------------------------------

    def claim_key(
        self,
        owner: KeyOwner,
        key_hash: str,
        request_hash: str,
        claim: str,
        lease_until: float,
        expires: int,
        taking_over: str | None = None,
    ) -> KeyRecord | None:
        """One conditional PutItem: a key no one holds (or one past its `purge_at`, which
        DynamoDB's TTL removes within days), or one whose claim is `taking_over` and has
        no answer. When the key is held, the record that holds it, from the same call."""
        item = i.key_item(
            owner.company, owner.employee_id, key_hash, request_hash, claim, lease_until, expires
        )
        if taking_over is None:
            condition = "attribute_not_exists(pk) OR purge_at <= :now"
            names = values({":now": int(time.time())})
        else:
            condition = "claim = :old AND attribute_not_exists(answer)"
            names = values({":old": taking_over})
        try:
            with translate_errors(write=True):
                self.client.put_item(
                    TableName=self.table,
                    Item=item,
                    ConditionExpression=condition,
                    ExpressionAttributeValues=names,
                    ReturnValuesOnConditionCheckFailure="ALL_OLD",
                )
        except ClientError as err:
            if err.response.get("Error", {}).get("Code") != "ConditionalCheckFailedException":
                raise
            held = err.response.get("Item")
            if held is None:  # taken over and gone meanwhile: it is free again
                return self.claim_key(owner, key_hash, request_hash, claim, lease_until, expires)
            return i.parse_key(held)
        return None

    def answer_key(self, key: KeyAnswer) -> None:
        try:
            with translate_errors(write=True):
                self.client.update_item(TableName=self.table, **g.key_answer(key))
        except ClientError as err:
            if err.response.get("Error", {}).get("Code") != "ConditionalCheckFailedException":
                raise
            raise RequestInProgress(KEY_TAKEN_OVER) from err

    def release_key(self, owner: KeyOwner, key_hash: str, claim: str) -> None:
        try:
            with translate_errors(write=True):
                self.client.delete_item(
                    TableName=self.table,
                    Key=k.idempotency_key(owner.company, owner.employee_id, key_hash),
                    ConditionExpression="claim = :claim AND attribute_not_exists(answer)",
                    ExpressionAttributeValues=values({":claim": claim}),
                )
        except ClientError as err:
            if err.response.get("Error", {}).get("Code") != "ConditionalCheckFailedException":
                raise
