"""The DynamoDB adapter of the directory port (`repository.DirectoryStore`): companies,
users, Concur applications and their tokens, the catalog, erasure, and the backfill of
the keyed reads they rely on. Only the admin CLI uses it: no function imports it (a
company's users, which an export reads too, are the write path's adapter's).

Every read is a GetItem, a Query or a BatchGetItem on keys: a company's users through
the `company_users` index, a user's Concur tokens through their index entries in the
user's partition, an application's tokens through its own.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from botocore.exceptions import ClientError

from loyalty_core.errors import ConcurrentChange, Conflict
from loyalty_core.models.credentials import IssuedToken
from loyalty_core.models.erasure import ErasurePlan
from loyalty_core.repository import items as i
from loyalty_core.repository import keys as k
from loyalty_core.repository.codec import from_item, values
from loyalty_core.repository.dynamodb import DynamoRepository, translate_errors

if TYPE_CHECKING:
    from loyalty_core.models import Application, AuditRecord, Company, Provider, User
    from loyalty_core.models.erasure import ErasureRecord
    from loyalty_core.repository import DirectoryStore
    from loyalty_core.repository.codec import Item

TRANSACTION_LIMIT = 100  # DynamoDB's most actions in one TransactWriteItems
BATCH_GET_LIMIT = 100  # and keys in one BatchGetItem
BATCH_WRITE_LIMIT = 25  # and items in one BatchWriteItem
Action = dict[str, Any]  # one action of a TransactWriteItems: {"Put": {...}} and the like
Unit = tuple[tuple[str, Action], ...]  # actions never split between two transactions, by kind


@dataclass(frozen=True)
class _Plan(ErasurePlan):
    """The erasure's work as read: the credentials' deletions (each Concur token with its
    two index entries, one unit; the login), the arrangers' items as read (profile
    `arranges`, as stored, and email), then the partition's deletions; the profile last."""

    credentials: tuple[Unit, ...]
    partition: tuple[Unit, ...]
    arranges_as_read: dict[str, tuple[Any, str]]  # employee id -> (stored value, email)


def parse_issued(item: Item) -> IssuedToken:
    """A Concur token as an index entry names it: the application's (`APP#{app}`,
    `TOKEN#{hash}`, `items.application_token_item`) or its user's (`USER#...`,
    `CONCUR#{hash}`, `items.concur_entry_item`)."""
    fields = from_item(item)
    pk, sk = item["pk"]["S"], item["sk"]["S"]
    if pk.startswith(k.application_pk("")):  # the application's entry
        app = pk.removeprefix(k.application_pk(""))
        company, employee_id = fields["company"], fields["employee_id"]
        token_hash = sk.removeprefix(k.TOKEN_PREFIX)
    else:  # the user's
        app = fields["application_id"]
        company, employee_id = k.user_of(pk)
        token_hash = sk.removeprefix(k.CONCUR_PREFIX)
    return IssuedToken(app, fields["token_id"], token_hash, company, employee_id)


def _delete(kind: str, key: dict[str, Any]) -> Unit:
    return ((kind, {"Delete": {"Key": key}}),)


class DynamoDirectory(DynamoRepository):
    """The single table's directory: see `keys` for its layout."""

    # -- reads -------------------------------------------------------------------

    def get_company(self, company_id: str) -> Company | None:
        item = self._get(k.company_key(company_id))
        return None if item is None else i.parse_company(item)

    def get_user(self, company: str, employee_id: str) -> User | None:
        item = self._get(k.profile_key(company, employee_id))
        return None if item is None else i.parse_user(item)

    def _batch_get(self, keys: Sequence[dict[str, Any]], projection: str = "") -> list[Item]:
        """The items of `keys` that exist, read consistently, 100 keys a request."""
        found: list[Item] = []
        with translate_errors():
            for start in range(0, len(keys), BATCH_GET_LIMIT):
                request: dict[str, Any] = {
                    "Keys": list(keys[start : start + BATCH_GET_LIMIT]),
                    "ConsistentRead": True,
                }
                if projection:
                    request["ProjectionExpression"] = projection
                pending: dict[str, Any] = {self.table: request}
                while pending:
                    page = self.client.batch_get_item(RequestItems=pending)
                    found.extend(page.get("Responses", {}).get(self.table, []))
                    pending = page.get("UnprocessedKeys") or {}
        return found

    def membership_counts(self, company: str, employee_ids: Sequence[str]) -> dict[str, int]:
        keys = [k.profile_key(company, e) for e in dict.fromkeys(employee_ids)]
        found = self._batch_get(keys, "employee_id, membership_count")
        return {from_item(item)["employee_id"]: i.parse_membership_count(item) for item in found}

    def get_application(self, app_id: str) -> Application | None:
        item = self._get(k.application_key(app_id))
        return None if item is None else i.parse_application(item)

    def application_tokens(self, app_id: str, token_id: str = "") -> list[IssuedToken]:
        items = self._query(k.application_pk(app_id), k.TOKEN_PREFIX + token_id)
        return [parse_issued(item) for item in items]

    def _partition(self, company: str, employee_id: str) -> list[Item]:
        return self._every_page(
            {
                "KeyConditionExpression": "pk = :pk",
                "ExpressionAttributeValues": values({":pk": k.user_pk(company, employee_id)}),
                "ConsistentRead": True,
            }
        )

    def _arrangers_of(self, company: str, employee_id: str) -> list[Item]:
        """The profiles of the company's other users whose assignments name the user: found
        through the index (which follows writes within a second), read again consistently
        (what the erasure's writes are conditioned on)."""
        naming = self._every_page(
            {
                "IndexName": k.COMPANY_USERS,
                "KeyConditionExpression": "#p = :p",
                "FilterExpression": "contains(arranges, :e)",
                "ExpressionAttributeNames": {"#p": k.COMPANY_USERS_PK},
                "ExpressionAttributeValues": values(
                    {":p": k.company_pk(company), ":e": employee_id}
                ),
                "ProjectionExpression": "employee_id",
            }
        )
        named = [from_item(item)["employee_id"] for item in naming]
        keys = [k.profile_key(company, e) for e in named if e != employee_id]
        found = self._batch_get(keys)
        held = [item for item in found if employee_id in i.parse_user(item).arranges]
        return sorted(held, key=lambda item: str(item["pk"]["S"]))

    def erasure_plan(self, company: str, employee_id: str) -> ErasurePlan | None:
        """Their partition (one Query), their login (one GetItem), the arrangers naming them
        (the index, then one BatchGetItem). In the order the erasure goes: the Concur tokens
        acting for them (each with its application's and their index entries), the login
        with its API tokens, the arrangers' assignments, then the memberships, audit records
        and the rest of the partition; the profile last."""
        partition = self._partition(company, employee_id)
        profile = next((item for item in partition if item["sk"]["S"] == k.PROFILE), None)
        if profile is None:
            return None
        user = i.parse_user(profile)
        credentials: list[Unit] = []
        rest: list[Unit] = []
        for item in partition:
            sk = item["sk"]["S"]
            if sk.startswith(k.CONCUR_PREFIX):
                token = parse_issued(item)
                credentials.append(
                    _delete("concur_tokens", k.access_token_key(token.token_hash))
                    + _delete(
                        "concur_index",
                        k.application_token_key(token.application_id, token.token_hash),
                    )
                    + _delete("concur_user_index", k.Key(item["pk"]["S"], sk))
                )
            elif sk.startswith(k.MEMBERSHIP_PREFIX):
                rest.append(_delete("memberships", k.Key(item["pk"]["S"], sk)))
            elif sk.startswith(k.CHANGE_PREFIX):
                rest.append(_delete("changes", k.Key(item["pk"]["S"], sk)))
            elif sk.startswith(k.TRAIL_PREFIX):
                rest.append(_delete("trail_index", k.Key(item["pk"]["S"], sk)))
            elif sk != k.PROFILE:
                rest.append(_delete("other", k.Key(item["pk"]["S"], sk)))
        login = self._get(k.login_key(user.email))
        api_tokens = 0
        if login is not None:
            credentials.append(_delete("logins", k.login_key(user.email)))
            api_tokens = len(i.parse_login(login).token_hashes)
        arrangers = self._arrangers_of(company, employee_id)
        removing = Counter(kind for unit in credentials + rest for kind, _ in unit)
        removing["profiles"] += 1
        return _Plan(
            user=user,
            revision=i.parse_revision(profile)[0],
            removing=dict(removing),
            removed=i.parse_erased(profile),
            api_tokens=api_tokens,
            arrangers=tuple(i.parse_user(item) for item in arrangers),
            marked=i.parse_erasure_mark(profile),
            credentials=tuple(credentials),
            partition=tuple(rest),
            arranges_as_read={
                i.parse_user(item).employee_id: (item["arranges"], i.parse_user(item).email)
                for item in arrangers
            },
        )

    # -- writes ------------------------------------------------------------------

    def _add(self, actions: Sequence[Action], exists: str) -> None:
        try:
            self._transact(actions)
        except ConcurrentChange as err:
            raise Conflict(exists) from err

    def add_company(self, company: Company) -> None:
        try:
            with translate_errors(write=True):
                self.client.put_item(
                    TableName=self.table,
                    Item=i.company_item(company),
                    ConditionExpression="attribute_not_exists(pk)",
                )
        except ClientError as err:
            if err.response.get("Error", {}).get("Code") != "ConditionalCheckFailedException":
                raise
            raise Conflict(f"Company {company.id!r} exists already") from err

    def add_user(self, user: User, audit: AuditRecord) -> None:
        days, new = self.audit_retention_days, "attribute_not_exists(pk)"
        profile = {"Item": i.profile_item(user, audit, days), "ConditionExpression": new}
        login = {"Item": i.login_item(user), "ConditionExpression": new}
        record = {"Item": i.change_item(audit, user.company, user.employee_id, 1, days)}
        self._add(
            [{"Put": profile}, {"Put": login}, {"Put": record}],
            f"User {user.employee_id!r} or email {user.email!r} exists already",
        )

    def add_application(self, application: Application, audit: AuditRecord) -> None:
        new = {
            "Item": i.application_item(application),
            "ConditionExpression": "attribute_not_exists(pk)",
        }
        record = i.application_change_item(audit, application.id, self.audit_retention_days)
        self._add(
            [{"Put": new}, {"Put": {"Item": record}}],
            f"Application {application.id!r} exists already",
        )

    def update_application(self, application: Application, audit: AuditRecord) -> int:
        """The application, its audit record and its first 98 tokens in one transaction,
        further tokens 100 a transaction."""
        copy = values({":app": application.model_dump(mode="json")})
        tokens = [
            {
                "Update": {
                    "Key": k.access_token_key(token.token_hash),
                    "UpdateExpression": "SET application = :app",
                    "ExpressionAttributeValues": copy,
                }
            }
            for token in self.application_tokens(application.id)
        ]
        record = i.application_change_item(audit, application.id, self.audit_retention_days)
        first = [
            {"Put": {"Item": i.application_item(application)}},
            {"Put": {"Item": record}},
        ]
        room = TRANSACTION_LIMIT - len(first)
        self._transact(first + tokens[:room])
        for start in range(room, len(tokens), TRANSACTION_LIMIT):
            self._transact(tokens[start : start + TRANSACTION_LIMIT])
        return len(tokens)

    def put_providers(self, providers: Sequence[Provider]) -> None:
        requests = [{"PutRequest": {"Item": i.provider_item(p)}} for p in providers]
        with translate_errors(write=True):
            for start in range(0, len(requests), BATCH_WRITE_LIMIT):
                pending: dict[str, Any] = {self.table: requests[start : start + BATCH_WRITE_LIMIT]}
                while pending:
                    result = self.client.batch_write_item(RequestItems=pending)
                    pending = result.get("UnprocessedItems") or {}
        self.forget_catalog()

    def erase(self, plan: ErasurePlan, arrangers: Sequence[User], record: ErasureRecord) -> None:
        """The profile's mark first (one UpdateItem, unless the plan found one); then in as
        few transactions as DynamoDB allows (100 actions each), never splitting a unit:
        every full one also adds what it removed to the profile's `erased_<kind>` counts
        (for the record of a later run, if this one is interrupted); the last deletes the
        profile, only at the revision the plan read and marked with this record, and
        writes the record."""
        if not isinstance(plan, _Plan):
            raise TypeError("a plan of this store's own erasure_plan")
        company, employee_id = plan.user.company, plan.user.employee_id
        profile = k.profile_key(company, employee_id)
        if plan.marked is None:
            self._mark(profile, record)
        units = [*plan.credentials, *self._arranger_units(plan, arrangers), *plan.partition]
        last_room = TRANSACTION_LIMIT - 2  # the profile's deletion and the record
        while sum(len(unit) for unit in units) > last_room:
            chunk: list[tuple[str, Action]] = []
            while units and len(chunk) + len(units[0]) <= TRANSACTION_LIMIT - 1:
                chunk += units.pop(0)
            self._transact([action for _, action in chunk] + self._progress(profile, chunk))
        final = [action for unit in units for _, action in unit]
        delete_profile = {
            "Key": profile,
            "ConditionExpression": "revision = :rev AND #m.id = :id",
            "ExpressionAttributeNames": {"#m": i.ERASURE_MARK},
            "ExpressionAttributeValues": values({":rev": plan.revision, ":id": record.id}),
        }
        self._transact(
            [
                *final,
                {"Delete": delete_profile},
                {"Put": {"Item": i.erasure_item(company, record)}},
            ]
        )

    def _mark(self, profile: dict[str, Any], record: ErasureRecord) -> None:
        """The profile marked with the record's header, unless another run marked it
        meanwhile (its mark stays: this run's last step then refuses, and the next plan
        finishes that run's record); ConcurrentChange if the profile is gone."""
        marked = self._update_if(
            Key=profile,
            UpdateExpression="SET #m = if_not_exists(#m, :m)",
            ConditionExpression="attribute_exists(pk)",
            ExpressionAttributeNames={"#m": i.ERASURE_MARK},
            ExpressionAttributeValues=values({":m": i.erasure_mark(record.header)}),
        )
        if not marked:
            raise ConcurrentChange("The user was erased meanwhile")

    @staticmethod
    def _arranger_units(plan: _Plan, arrangers: Sequence[User]) -> list[Unit]:
        """Each arranger's assignments as they are to be, on their profile (only if still
        as read) and their login; their revision unmoved: no write of theirs."""
        units: list[Unit] = []
        for arranger in arrangers:
            stored, email = plan.arranges_as_read[arranger.employee_id]
            kept = values({":kept": sorted(arranger.arranges)})
            profile = {
                "Key": k.profile_key(arranger.company, arranger.employee_id),
                "UpdateExpression": "SET arranges = :kept",
                "ConditionExpression": "arranges = :read",
                "ExpressionAttributeValues": {**kept, ":read": stored},
            }
            login = {
                "Key": k.login_key(email),
                "UpdateExpression": "SET arranges = :kept",
                "ConditionExpression": "attribute_exists(pk)",
                "ExpressionAttributeValues": kept,
            }
            units.append((("arrangers", {"Update": profile}), ("arrangers", {"Update": login})))
        return units

    @staticmethod
    def _progress(profile: dict[str, Any], chunk: list[tuple[str, Action]]) -> list[Action]:
        done = Counter(kind for kind, _ in chunk if kind != "arrangers")
        if not done:
            return []
        names = {f"#n{n}": i.ERASED + kind for n, kind in enumerate(done)}
        adds = ", ".join(f"#n{n} :n{n}" for n in range(len(done)))
        counts = {f":n{n}": count for n, count in enumerate(done.values())}
        update = {
            "Key": profile,
            "UpdateExpression": f"ADD {adds}",
            "ConditionExpression": "attribute_exists(pk)",
            "ExpressionAttributeNames": names,
            "ExpressionAttributeValues": values(counts),
        }
        return [{"Update": update}]

    # -- the backfill of the keyed reads ---------------------------------------------

    def backfill(self, items: Iterable[Item]) -> dict[str, int]:
        """Give items written before the keyed reads what those need, idempotently: each
        profile the `company_users` index's keys, each Concur token its index entry in its
        user's partition (unless the user or the token is gone meanwhile). `items`: every
        item of the table (the admin CLI's walk of it). Returns how many it wrote, of each
        kind: `profiles`, `concur_tokens`."""
        written: Counter[str] = Counter()
        tokens: dict[str, Item] = {}
        entries: set[str] = set()
        for item in items:
            pk, sk = item["pk"]["S"], item["sk"]["S"]
            if pk.startswith("USER#") and sk == k.PROFILE:
                if k.COMPANY_USERS_PK not in item and self._index_profile(item):
                    written["profiles"] += 1
            elif pk.startswith(k.ACCESS_TOKEN_PREFIX) and "token_hash" in item:
                tokens[pk.removeprefix(k.ACCESS_TOKEN_PREFIX)] = item
            elif pk.startswith("USER#") and sk.startswith(k.CONCUR_PREFIX):
                entries.add(sk.removeprefix(k.CONCUR_PREFIX))
        for token_hash, item in sorted(tokens.items()):
            if token_hash not in entries and self._index_token(item):
                written["concur_tokens"] += 1
        return {"profiles": written["profiles"], "concur_tokens": written["concur_tokens"]}

    def _index_profile(self, item: Item) -> bool:
        user = i.parse_user(item)
        keys = k.company_users_keys(user.company, user.employee_id)
        return self._update_if(  # False: erased, or indexed meanwhile
            Key=k.Key(item["pk"]["S"], item["sk"]["S"]),
            UpdateExpression="SET #p = :p, #s = :s",
            ConditionExpression="attribute_exists(pk) AND attribute_not_exists(#p)",
            ExpressionAttributeNames={"#p": k.COMPANY_USERS_PK, "#s": k.COMPANY_USERS_SK},
            ExpressionAttributeValues=values(
                {":p": keys[k.COMPANY_USERS_PK], ":s": keys[k.COMPANY_USERS_SK]}
            ),
        )

    def _index_token(self, item: Item) -> bool:
        token = i.parse_access_token(item)
        exists = "attribute_exists(pk)"
        try:
            self._transact(
                [
                    {
                        "ConditionCheck": {
                            "Key": k.access_token_key(token.token_hash),
                            "ConditionExpression": "attribute_exists(token_hash)",
                        }
                    },
                    {
                        "ConditionCheck": {
                            "Key": k.profile_key(token.company, token.employee_id),
                            "ConditionExpression": exists,
                        }
                    },
                    {"Put": {"Item": i.concur_entry_item(token)}},
                ]
            )
        except ConcurrentChange:
            return False  # the token revoked, or its user erased, meanwhile
        return True


def _follows_the_port(store: DynamoDirectory) -> DirectoryStore:
    return store  # mypy holds the adapter to the port here
