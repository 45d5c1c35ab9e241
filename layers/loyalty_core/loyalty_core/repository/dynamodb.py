"""The DynamoDB adapter of the storage port (boto3 low-level client)."""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from datetime import datetime
from typing import TYPE_CHECKING, Any

from botocore.exceptions import BotoCoreError, ClientError, HTTPClientError

from loyalty_core import repository as port
from loyalty_core.errors import (
    ConcurrentChange,
    CredentialConflict,
    RequestInProgress,
    StorageUnavailable,
    WriteOutcomeUnknown,
)
from loyalty_core.repository import guards as g
from loyalty_core.repository import items as i
from loyalty_core.repository import keys as k
from loyalty_core.repository.codec import from_item, values
from loyalty_core.repository.retention import is_purged, live_changes, purge_at

if TYPE_CHECKING:
    from loyalty_core.models import AccessToken, Membership, MembershipSet, Provider, User
    from loyalty_core.repository import (
        KeyAnswer,
        KeyOwner,
        KeyRecord,
        Login,
        Revised,
        TrailPage,
        UserWrite,
    )
    from loyalty_core.repository.codec import Item

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
TRANSACTION_LIMIT = 100  # DynamoDB's most actions in one TransactWriteItems
BATCH_WRITE_LIMIT = 25  # and items in one BatchWriteItem
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


def _revised(items: Any) -> tuple[Revised, ...]:
    """Audit record items as the trail's records, each with its revision."""
    return tuple(port.Revised(i.parse_revised(item)[0], i.parse_change(item)) for item in items)


def _live(profile: Item, now: datetime) -> int:
    """How many of the user's audit records are kept at `now`, as their profile counts."""
    return live_changes(i.parse_revision(profile)[1], now)


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

    def get_trail(
        self,
        company: str,
        employee_id: str,
        now: datetime,
        size: int,
        *,
        after: int | None = None,
        before: int | None = None,
        skip: int = 0,
        membership: str | None = None,
    ) -> TrailPage | None:
        """One Query on the user's partition (`keys`): from the profile on for the first
        pages (the profile, then the records); from a cursor's revision, away from the
        profile for `after`, towards it for `before` (reaching it past the newest record).
        Under a membership filter the Query reads the trail index, and one BatchGetItem the
        records it names (or the profile, when it names none). Each Query asks one item more
        than the page shows (the profile, or the first record past the page) and reads on
        only past records that expired but are not removed yet."""
        if membership is not None:
            return self._indexed_trail(
                company, employee_id, membership, now, size, after, before, skip
            )
        pk = k.user_pk(company, employee_id)
        end = k.CHANGE_PREFIX + k.END
        if after is not None:
            if after <= 1:  # nothing is older than the first revision
                return port.TrailPage((), None, newer=True, older=False, edge=after)
            _, items = self._range(pk, (k.change_sk(after - 1), end), True, size + 1, now)
            return port.TrailPage(_revised(items[:size]), None, True, len(items) > size, after)
        if before is not None:
            profile, items = self._range(
                pk, (k.PROFILE, k.change_sk(before + 1)), False, size + 1, now
            )
            if profile is None and len(items) <= size:
                return None  # the Query went past every record, to where the profile is
            total = None if profile is None else _live(profile, now)
            shown = _revised(reversed(items[:size]))
            return port.TrailPage(shown, total, len(items) > size, True, before)
        profile, items = self._range(pk, (k.PROFILE, end), True, skip + size, now, first=1)
        if profile is None:
            return None
        total = _live(profile, now)
        shown = _revised(items[skip:])
        edge = 0 if shown or not items else i.parse_revised(items[-1])[0] - 1
        return port.TrailPage(shown, total, skip > 0 and bool(items), total > skip + size, edge)

    def _range(
        self,
        pk: str,
        between: tuple[str, str],
        forward: bool,
        wanted: int,
        now: datetime,
        first: int = 0,
    ) -> tuple[Item | None, list[Item]]:
        """Up to `wanted` items kept at `now` whose keys are `between`, in the order read,
        and the profile if the range holds it: one Query of `wanted` items (and the `first`
        one, the profile, when the range starts there); more only past items expired but
        not yet removed."""
        args: dict[str, Any] = {
            "TableName": self.table,
            "KeyConditionExpression": "pk = :pk AND sk BETWEEN :low AND :high",
            "ExpressionAttributeValues": values(
                {":pk": pk, ":low": between[0], ":high": between[1]}
            ),
            "ScanIndexForward": forward,
            "ConsistentRead": True,
            "Limit": wanted + first,
        }
        profile: Item | None = None
        items: list[Item] = []
        with translate_errors():
            while True:
                page = self.client.query(**args)
                for item in page.get("Items", []):
                    if item["sk"]["S"] == k.PROFILE:
                        profile = item
                    elif not is_purged(item, now):
                        items.append(item)
                done = len(items) >= wanted or (profile is not None and not forward)
                if done or "LastEvaluatedKey" not in page:
                    return profile, items
                args["ExclusiveStartKey"] = page["LastEvaluatedKey"]
                args["Limit"] = wanted - len(items)

    def _indexed_trail(
        self,
        company: str,
        employee_id: str,
        membership: str,
        now: datetime,
        size: int,
        after: int | None,
        before: int | None,
        skip: int,
    ) -> TrailPage | None:
        """The trail index's entries for `membership` (one Query, paged as the trail is),
        then the records they name (one BatchGetItem; with none, the profile). An entry
        whose record is not the one it names (its write never committed) is passed over."""
        pk = k.user_pk(company, employee_id)
        prefix = k.trail_prefix(membership)
        edge = 0
        if after is not None:
            if after <= 1:
                return port.TrailPage((), None, newer=True, older=False, edge=after)
            _, entries = self._range(
                pk, (k.trail_sk(membership, after - 1), prefix + k.END), True, size + 1, now
            )
            newer, older, edge = True, len(entries) > size, after
            entries = entries[:size]
        elif before is not None:
            between = (prefix, k.trail_sk(membership, before + 1) + k.END)
            _, entries = self._range(pk, between, False, size + 1, now)
            newer, older, edge = len(entries) > size, True, before
            entries = entries[:size][::-1]
        else:
            _, entries = self._range(pk, (prefix, prefix + k.END), True, skip + size + 1, now)
            newer, older = skip > 0 and bool(entries), len(entries) > skip + size
            if entries and len(entries) <= skip:
                edge = i.parse_revised(entries[-1])[0] - 1
            entries = entries[skip : skip + size]
        named = [i.parse_revised(entry) for entry in entries]
        # The records named (at most 100, BatchGetItem's most keys), or with none, the
        # profile: whether there is such a user.
        revisions = dict.fromkeys(revision for revision, _ in named)  # each once
        keys = [k.change_key(company, employee_id, revision) for revision in revisions]
        found = self._by_sort_key(keys or [k.profile_key(company, employee_id)])
        if not keys and not found:
            return None
        records = []
        for revision, record_id in named:
            item = found.get(k.change_sk(revision))
            if item is not None and i.parse_revised(item)[1] == record_id:
                records.append(port.Revised(revision, i.parse_change(item)))
        return port.TrailPage(tuple(records), None, newer, older, edge)

    def _by_sort_key(self, keys: list[dict[str, dict[str, str]]]) -> dict[str, Item]:
        """The items of these keys of one partition that exist, by sort key: one
        BatchGetItem (another only for keys DynamoDB left unprocessed)."""
        found: dict[str, Item] = {}
        pending: dict[str, Any] = {self.table: {"Keys": keys, "ConsistentRead": True}}
        with translate_errors():
            while pending:
                page = self.client.batch_get_item(RequestItems=pending)
                for item in page.get("Responses", {}).get(self.table, []):
                    found[item["sk"]["S"]] = item
                pending = page.get("UnprocessedKeys") or {}
        return found

    def company_users(
        self, company: str, after: str | None = None, limit: int = 100
    ) -> tuple[list[User], str | None]:
        """A page of the company's users (`DirectoryStore.company_users`; an export reads
        them too): one Query of the index, of at most `limit` + 1 profiles (the one more
        tells whether a next page exists); again only if DynamoDB's 1 MB page cut it
        short."""
        if limit < 1:
            raise ValueError("a page holds 1 user or more")
        condition = "#p = :p" + (" AND #s > :after" if after is not None else "")
        args: dict[str, Any] = {
            "IndexName": k.COMPANY_USERS,
            "KeyConditionExpression": condition,
            "ExpressionAttributeNames": {"#p": k.COMPANY_USERS_PK}
            | ({"#s": k.COMPANY_USERS_SK} if after is not None else {}),
            "ExpressionAttributeValues": values(
                {":p": k.company_pk(company)} | ({":after": after} if after is not None else {})
            ),
        }
        found = self._every_page(args, limit=limit + 1)
        users = [i.parse_user(item) for item in found[:limit]]
        return users, users[-1].employee_id if len(found) > limit else None

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
        refused, or that its re-read finds applied, never leaves a second one), its trail
        index entries, and the answer of the request's Idempotency-Key, if it has one: the
        answer is durable with the write itself.

        A write that touches so many memberships that their index entries do not all fit
        in the transaction's 100 actions (49 or more: a Concur batch near its 50) writes
        the rest first, on their own: an entry names its record's id, so an entry whose
        write then fails names a record that is not there and is passed over."""
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
        purge = purge_at(write.audit.occurred_at, days)
        index = i.trail_items(write.audit, user.company, user.employee_id, revision, purge)
        room = TRANSACTION_LIMIT - len(actions) - (write.key is not None)
        self._put_all(index[room:])
        actions.extend({"Put": {"TableName": self.table, "Item": e}} for e in index[:room])
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

    def _put_all(self, items: Sequence[Item]) -> None:
        """Write these items, 25 a BatchWriteItem (DynamoDB's most)."""
        with translate_errors():
            for start in range(0, len(items), BATCH_WRITE_LIMIT):
                chunk = items[start : start + BATCH_WRITE_LIMIT]
                pending: dict[str, Any] = {self.table: [{"PutRequest": {"Item": e}} for e in chunk]}
                while pending:
                    pending = (
                        self.client.batch_write_item(RequestItems=pending).get("UnprocessedItems")
                        or {}
                    )

    # -- the trail index of records written before it (admin tooling) --------------------

    @staticmethod
    def users_among(items: Iterable[Item], company: str | None = None) -> list[tuple[str, str]]:
        """The users (company, employee id) whose profiles are among `items` (the admin's
        walk of the table), of one company or of all, in order."""
        return sorted(
            k.user_of(item["pk"]["S"])
            for item in items
            if item["pk"]["S"].startswith(k.USER_PREFIX) and item["sk"]["S"] == k.PROFILE
            if company is None or k.user_of(item["pk"]["S"])[0] == company
        )

    def index_trail(self, company: str, employee_id: str) -> int:
        """Write the trail index entries the user's audit records lack (a record written
        before the index has none): the user's records and entries read (two Queries of
        their partition), the missing entries written, expiring with their records; how
        many it wrote."""
        pk = k.user_pk(company, employee_id)

        def every(prefix: str) -> list[Item]:
            return self._every_page(
                {
                    "KeyConditionExpression": "pk = :pk AND begins_with(sk, :sk)",
                    "ExpressionAttributeValues": values({":pk": pk, ":sk": prefix}),
                    "ConsistentRead": True,
                }
            )

        held = {entry["sk"]["S"] for entry in every(k.TRAIL_PREFIX)}
        missing: list[Item] = []
        for item in every(k.CHANGE_PREFIX):
            revision = i.parse_revised(item)[0]
            purge = int(from_item(item)["purge_at"])
            for entry in i.trail_items(i.parse_change(item), company, employee_id, revision, purge):
                if entry["sk"]["S"] not in held:
                    missing.append(entry)
        self._put_all(missing)
        return len(missing)

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
