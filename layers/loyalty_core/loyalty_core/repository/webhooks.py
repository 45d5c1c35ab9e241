"""Storage of change notifications (SPEC 13): the port the webhook services need, the item
shapes, and the DynamoDB adapter of them (the same single table; see `keys`).

- Subscriptions live in their company's partition, counted by an item of their own beside
  them (at most MAX_SUBSCRIPTIONS_PER_COMPANY): a write's fan-out reads them in one
  Query. Each change of one writes its audit record beside it, in one transaction.
- A delivery (one event to one subscription) is one item holding its attempts, expiring
  30 days after the last (`purge_at`, the table's TTL).
- A replay reads the change feed (index `ChangeFeed`, keys only) one Query per day of its
  window, then the audit records themselves as it sends them.
- An erasure marks the profile with its record's id and time before it removes it
  (`items.erasure_mark`, written by the directory's `erase`): the stream's image of the
  removed profile then names the erased user, which the erasure record itself never does.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any, Protocol

from loyalty_core.errors import ConcurrentChange, NotFound, TooManySubscriptions
from loyalty_core.models.deliveries import ChangeRef, DeliveryRecord
from loyalty_core.models.webhooks import MAX_SUBSCRIPTIONS_PER_COMPANY, Subscription
from loyalty_core.repository import items as i
from loyalty_core.repository import keys as k
from loyalty_core.repository.codec import deserialize, from_item, to_item, values
from loyalty_core.repository.dynamodb import DynamoRepository, translate_errors
from loyalty_core.repository.retention import is_purged, purge_at

if TYPE_CHECKING:
    from loyalty_core.models import AuditRecord
    from loyalty_core.repository.codec import Item

DELIVERY_RETENTION = timedelta(days=30)


@dataclass(frozen=True)
class StoredChange:
    """A user's audit record as a replay reads it back: the record, whose it is, and the
    revision it took them to (the event's `sequence`)."""

    record: AuditRecord
    company: str
    employee_id: str
    revision: int


@dataclass(frozen=True)
class FeedEntry:
    """A change a replay sends again: its audit record's id, whose, and where it is."""

    event_id: str
    employee_id: str
    ref: ChangeRef


@dataclass(frozen=True)
class StreamedChange:
    """What a stream record is to the webhooks: a user's audit record that touches a
    membership (`erased` False), or the erasure of a user (`erased` True: the record is
    the erasure's, from its mark on the removed profile). `revision`: the record's, or
    for an erasure the one after the user's last."""

    erased: bool
    company: str
    employee_id: str
    record: AuditRecord
    revision: int


def read_stream_record(raw: Mapping[str, Any]) -> StreamedChange | None:
    """The change a DynamoDB stream record (as Lambda passes it) is, if any: the INSERT of
    a user's audit record touching a membership, or the REMOVE of a profile an erasure
    marked. Anything else (memberships, TTL expiries, the erasure record) is none."""
    change = raw.get("dynamodb") or {}
    keys = change.get("Keys") or {}
    pk, sk = keys.get("pk", {}).get("S", ""), keys.get("sk", {}).get("S", "")
    if not pk.startswith(k.USER_PREFIX):
        return None
    company, employee_id = k.user_of(pk)
    if raw.get("eventName") == "INSERT" and sk.startswith(k.CHANGE_PREFIX):
        image = change.get("NewImage") or {}
        record = i.parse_change(image)
        if not any(c.membership_id for c in record.changes):
            return None
        revision = int(deserialize(image["revision"])) if "revision" in image else 0
        return StreamedChange(False, company, employee_id, record, revision)
    if raw.get("eventName") == "REMOVE" and sk == k.PROFILE:
        image = change.get("OldImage") or {}
        mark = i.parse_erasure_mark(image)
        if mark is None:
            return None
        return StreamedChange(True, company, employee_id, mark, i.parse_revision(image)[0] + 1)
    return None


@dataclass(frozen=True)
class DeliveryPage:
    records: tuple[DeliveryRecord, ...]
    after: str | None  # the cursor of the next (older) page; None: this is the last


class WebhookRepository(Protocol):
    def list_subscriptions(self, company: str) -> tuple[Subscription, ...]:
        """Every subscription of the company, oldest first (one Query)."""
        ...

    def get_subscription(self, company: str, subscription_id: str) -> Subscription | None: ...

    def create_subscription(self, subscription: Subscription, audit: AuditRecord) -> None:
        """Raise TooManySubscriptions at the company's limit, NotFound with no company."""
        ...

    def save_subscription(
        self, before: Subscription, after: Subscription, audit: AuditRecord | None
    ) -> None:
        """Replace `before` (ConcurrentChange if it changed meanwhile) with `after`."""
        ...

    def delete_subscription(self, subscription: Subscription, audit: AuditRecord) -> None: ...

    def subscription_changes(self, company: str) -> tuple[AuditRecord, ...]:
        """The audit records of the company's subscription changes, newest first."""
        ...

    def get_delivery(
        self, company: str, subscription_id: str, enqueued_at: datetime, delivery_id: str
    ) -> DeliveryRecord | None: ...

    def save_delivery(self, company: str, record: DeliveryRecord) -> None: ...

    def list_deliveries(
        self, company: str, subscription_id: str, count: int, after: str | None = None
    ) -> DeliveryPage:
        """A subscription's deliveries newest first, `count` from the cursor `after`."""
        ...

    def change_feed(
        self, company: str, since: datetime, until: datetime, limit: int
    ) -> list[FeedEntry]:
        """The company's audit records touching a membership with since <= occurred_at <
        until, oldest first, at most `limit`."""
        ...

    def get_change(self, ref: ChangeRef) -> StoredChange | None: ...


# -- item shapes -------------------------------------------------------------------------


def subscription_item(subscription: Subscription) -> Item:
    fields = subscription.model_dump(mode="json", exclude_none=True)
    return to_item(fields, k.subscription_key(subscription.company, subscription.id))


def parse_subscription(item: Item) -> Subscription:
    return Subscription.model_validate(from_item(item))


def subscription_change_item(audit: AuditRecord, company: str, retention_days: int) -> Item:
    fields = {
        "id": audit.id,
        **audit.as_json(),
        "purge_at": purge_at(audit.occurred_at, retention_days),
    }
    return to_item(fields, k.subscription_change_key(company, audit.occurred_at, audit.id))


def delivery_item(company: str, record: DeliveryRecord) -> Item:
    last = record.attempts[-1].at if record.attempts else record.enqueued_at
    fields = record.model_dump(mode="json", exclude_none=True)
    fields["purge_at"] = int((last + DELIVERY_RETENTION).timestamp())
    key = k.delivery_key(company, record.subscription_id, record.enqueued_at, record.id)
    return to_item(fields, key)


def parse_delivery(item: Item) -> DeliveryRecord:
    fields = from_item(item)
    fields.pop("purge_at", None)
    return DeliveryRecord.model_validate(fields)


def parse_stored_change(item: Item) -> StoredChange:
    company, employee_id = k.user_of(item["pk"]["S"])
    revision = int(deserialize(item["revision"])) if "revision" in item else 0
    return StoredChange(i.parse_change(item), company, employee_id, revision)


def _cursor(item: Item) -> str:
    sk: str = item["sk"]["S"]
    return sk.removeprefix(k.DELIVERY_PREFIX)


# -- the DynamoDB adapter ------------------------------------------------------------------


class DynamoWebhooks(DynamoRepository):
    """The webhook port on the single table (the same client as the memberships'), with
    the adapter's reads, pager and transactions."""

    def _audit_put(self, company: str, audit: AuditRecord) -> dict[str, Any]:
        item = subscription_change_item(audit, company, self.audit_retention_days)
        return {"Put": {"Item": item}}

    # -- subscriptions -------------------------------------------------------------

    def list_subscriptions(self, company: str) -> tuple[Subscription, ...]:
        items = self._query(k.company_pk(company), k.SUBSCRIPTION_PREFIX)
        found = [parse_subscription(item) for item in items]
        return tuple(sorted(found, key=lambda s: (s.created_at, s.id)))

    def get_subscription(self, company: str, subscription_id: str) -> Subscription | None:
        item = self._get(k.subscription_key(company, subscription_id))
        return None if item is None else parse_subscription(item)

    def create_subscription(self, subscription: Subscription, audit: AuditRecord) -> None:
        company = subscription.company
        exists = {"Key": k.company_key(company), "ConditionExpression": "attribute_exists(pk)"}
        count = {
            "Key": k.subscription_count_key(company),
            "UpdateExpression": "SET subscriptions = if_not_exists(subscriptions, :zero) + :one",
            "ConditionExpression": "attribute_not_exists(subscriptions) OR subscriptions < :most",
            "ExpressionAttributeValues": values(
                {":zero": 0, ":one": 1, ":most": MAX_SUBSCRIPTIONS_PER_COMPANY}
            ),
        }
        put = {
            "Item": subscription_item(subscription),
            "ConditionExpression": "attribute_not_exists(pk)",
        }
        actions = [{"ConditionCheck": exists}, {"Update": count}, {"Put": put}]
        try:
            self._transact([*actions, self._audit_put(company, audit)])
        except ConcurrentChange:
            if self._get(k.company_key(company)) is None:
                raise NotFound(f"No company {company!r}") from None
            raise TooManySubscriptions(
                f"A company holds at most {MAX_SUBSCRIPTIONS_PER_COMPANY} webhook subscriptions"
            ) from None

    def save_subscription(
        self, before: Subscription, after: Subscription, audit: AuditRecord | None
    ) -> None:
        put = {
            "Item": subscription_item(after),
            "ConditionExpression": "version = :v",
            "ExpressionAttributeValues": values({":v": before.version}),
        }
        actions = [{"Put": put}]
        if audit is not None:
            actions.append(self._audit_put(after.company, audit))
        self._transact(actions)

    def delete_subscription(self, subscription: Subscription, audit: AuditRecord) -> None:
        company = subscription.company
        delete = {
            "Key": k.subscription_key(company, subscription.id),
            "ConditionExpression": "version = :v",
            "ExpressionAttributeValues": values({":v": subscription.version}),
        }
        count = {
            "Key": k.subscription_count_key(company),
            "UpdateExpression": "SET subscriptions = subscriptions - :one",
            "ConditionExpression": "subscriptions > :zero",
            "ExpressionAttributeValues": values({":one": 1, ":zero": 0}),
        }
        self._transact([{"Delete": delete}, {"Update": count}, self._audit_put(company, audit)])

    def subscription_changes(self, company: str) -> tuple[AuditRecord, ...]:
        items = self._every_page(
            {
                "KeyConditionExpression": "pk = :pk AND begins_with(sk, :sk)",
                "ExpressionAttributeValues": values(
                    {":pk": k.company_pk(company), ":sk": k.SUBSCRIPTION_CHANGE_PREFIX}
                ),
                "ScanIndexForward": False,
                "ConsistentRead": True,
            }
        )
        return tuple(i.parse_change(item) for item in items)

    # -- deliveries ------------------------------------------------------------------

    def get_delivery(
        self, company: str, subscription_id: str, enqueued_at: datetime, delivery_id: str
    ) -> DeliveryRecord | None:
        item = self._get(k.delivery_key(company, subscription_id, enqueued_at, delivery_id))
        return None if item is None else parse_delivery(item)

    def save_delivery(self, company: str, record: DeliveryRecord) -> None:
        with translate_errors(write=True):
            self.client.put_item(TableName=self.table, Item=delivery_item(company, record))

    def list_deliveries(
        self, company: str, subscription_id: str, count: int, after: str | None = None
    ) -> DeliveryPage:
        """`count` + 1 items at most (the one more says whether a page follows), whatever
        the page's depth."""
        pk = k.deliveries_pk(company, subscription_id)
        args: dict[str, Any] = {
            "KeyConditionExpression": "pk = :pk AND begins_with(sk, :sk)",
            "ExpressionAttributeValues": values({":pk": pk, ":sk": k.DELIVERY_PREFIX}),
            "ScanIndexForward": False,
            "ConsistentRead": True,
        }
        if after is not None:
            args["ExclusiveStartKey"] = k.Key(pk, k.DELIVERY_PREFIX + after)
        items = self._every_page(args, limit=count + 1)
        now = datetime.now(UTC)
        shown = [item for item in items[:count] if not is_purged(item, now)]
        more = _cursor(items[count - 1]) if len(items) > count else None
        return DeliveryPage(tuple(parse_delivery(item) for item in shown), more)

    # -- replays -----------------------------------------------------------------------

    def change_feed(
        self, company: str, since: datetime, until: datetime, limit: int
    ) -> list[FeedEntry]:
        """One Query of the index per day of the window (fewer once `limit` is met)."""
        refs: list[FeedEntry] = []
        day = since.astimezone(UTC).date()
        last = until.astimezone(UTC).date()
        low, high = k.stamp(since), k.stamp(until)
        while day <= last and len(refs) < limit:
            # BETWEEN is inclusive, but a key of the `until` moment itself sorts after
            # `high` (it goes on with `#id`): the window ends before `until`.
            args = {
                "IndexName": k.FEED_INDEX,
                "KeyConditionExpression": "feed_pk = :pk AND feed_sk BETWEEN :low AND :high",
                "ExpressionAttributeValues": values(
                    {":pk": k.feed_pk(company, day.isoformat()), ":low": low, ":high": high}
                ),
            }
            for item in self._every_page(args, limit=limit - len(refs)):
                record_id = item["feed_sk"]["S"].partition("#")[2]
                ref = ChangeRef(pk=item["pk"]["S"], sk=item["sk"]["S"])
                refs.append(FeedEntry(record_id, k.user_of(ref.pk)[1], ref))
            day += timedelta(days=1)
        return refs

    def get_change(self, ref: ChangeRef) -> StoredChange | None:
        item = self._get(k.Key(ref.pk, ref.sk))
        if item is None or not ref.sk.startswith(k.CHANGE_PREFIX):
            return None
        return parse_stored_change(item)

    # -- the backfill of the change feed ---------------------------------------------

    def backfill_feed(self, items: Iterable[Item]) -> int:
        """Put in the change feed the users' audit records touching a membership that were
        written before it existed, idempotently (a record removed meanwhile stays removed).
        `items`: every item of the table (the admin CLI's walk of it). How many it wrote."""
        done = 0
        for item in items:
            pk, sk = item["pk"]["S"], item["sk"]["S"]
            if not pk.startswith(k.USER_PREFIX) or not sk.startswith(k.CHANGE_PREFIX):
                continue
            record = i.parse_change(item)
            if "feed_pk" in item or not any(c.membership_id for c in record.changes):
                continue
            feed = k.feed_keys(k.user_of(pk)[0], record.occurred_at, record.id)
            done += self._update_if(  # False: purged or erased, or in the feed meanwhile
                Key=k.Key(pk, sk),
                UpdateExpression="SET feed_pk = :pk, feed_sk = :sk",
                ConditionExpression="attribute_exists(pk) AND attribute_not_exists(feed_pk)",
                ExpressionAttributeValues=values({":pk": feed["feed_pk"], ":sk": feed["feed_sk"]}),
            )
        return done


def _follows_the_port(store: DynamoWebhooks) -> WebhookRepository:
    return store  # mypy holds the adapter to the port here
