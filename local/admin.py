"""Admin CLI: companies, users, arranger assignments, Concur applications, tokens, catalog.

Works against the embedded DynamoDB of `make run`, another local DynamoDB
(`DYNAMODB_ENDPOINT_URL`) or the deployed table (AWS credentials + `TABLE_NAME`).
Tokens are printed once and stored only as SHA-256 hashes. Every command says what it
changed (a role change included); `--json` prints that as one JSON object instead.
Errors go to stderr: exit status 1 for a refused change, 2 when DynamoDB cannot be reached.

Every change of a user (profile, role, arranger assignments), an API or Concur token, or
an application writes one audit record in the change's own transaction, naming the
operator: `--by NAME`, else the shell's AWS identity (STS GetCallerIdentity), else
(against a local DynamoDB, or with no AWS identity) the OS user@host. Records expire after
AUDIT_RETENTION_DAYS (400 unless set: give it the stack's AuditRetentionDays).
`erase-user` removes a user and everything of theirs, leaving one erasure record.

    python -m local.admin --help
    python -m local.admin issue-token peter@initech.example --days 90 --json
"""

from __future__ import annotations

import argparse
import getpass
import json
import os
import socket
import sys
import uuid
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError
from pydantic import ValidationError

from local.dynamo import use_local_credentials
from loyalty_core.auth import hash_token, new_token, token_id
from loyalty_core.models import (
    MAX_MEMBERSHIPS_PER_USER,
    Application,
    ApplicationKind,
    AuditRecord,
    Company,
    Entry,
    Interface,
    Origin,
    Provider,
    Role,
    User,
    VendorType,
)
from loyalty_core.models.audit import application_fields, entry, user_fields
from loyalty_core.repository import AccessToken, Login
from loyalty_core.repository import items as i
from loyalty_core.repository import keys as k
from loyalty_core.repository.dynamodb import DynamoRepository
from loyalty_core.repository.webhooks import erasure_mark, parse_erasure_mark
from loyalty_core.services.providers import by_code
from loyalty_core.settings import dynamodb_client, get_settings

CATALOG = Path(__file__).resolve().parent.parent / "data" / "providers.json"
TRANSACTION_LIMIT = 100  # DynamoDB's most actions in one TransactWriteItems
# What a change of a user gives `Admin._user_change`: the audit entries, what to set on the
# profile, and the transaction's other actions.
UserChange = tuple[list[Entry], dict[str, Any], list[dict[str, Any]]]


def _days(text: str) -> int:
    """--days: a whole number of days, 1 or more (a token that expires at once is no token;
    leave --days out for one that does not expire)."""
    days = int(text) if text.isdigit() else 0
    if days < 1:
        raise argparse.ArgumentTypeError("must be a whole number of days, 1 or more")
    return days


def _expiry(days: int | None) -> datetime | None:
    return datetime.now(UTC) + timedelta(days=days) if days else None


class AdminError(Exception):
    """An admin operation that cannot be done as asked."""


def who_am_i() -> str:
    """The operator an audit record names when `--by` is not given: the shell's AWS identity
    (its ARN, from STS GetCallerIdentity) when working against AWS; else, against a local
    DynamoDB or with no AWS identity to ask, the OS user at this host."""
    if not os.environ.get("DYNAMODB_ENDPOINT_URL"):
        import boto3
        from botocore.config import Config

        try:
            sts = boto3.client(
                "sts",
                region_name=get_settings().region,
                config=Config(connect_timeout=2, read_timeout=2, retries={"max_attempts": 1}),
            )
            return str(sts.get_caller_identity()["Arn"])
        except (BotoCoreError, ClientError):
            pass
    try:
        user = getpass.getuser()
    except (OSError, KeyError):  # no login name in the environment nor the password database
        user = "unknown"
    return f"{user}@{socket.gethostname()}"


REMOVED = ("concur_tokens", "concur_index", "logins", "memberships", "changes", "other")


@dataclass
class _Erasure:
    """The work of one erasure: the profile's revision as read, the actions in order, each
    with the kind of item it removes (or "arrangers" for an arranger's assignments), and
    what earlier, interrupted runs removed (counted on the profile)."""

    profile: dict[str, Any]
    revision: int
    actions: list[tuple[str, dict[str, Any]]] = field(default_factory=list)
    removed: Counter[str] = field(default_factory=Counter)
    arrangers: int = 0
    api_tokens: int = 0

    def __post_init__(self) -> None:
        fields = i.from_item(self.profile)
        for kind in REMOVED:
            if fields.get(f"erased_{kind}"):
                self.removed[kind] = int(fields[f"erased_{kind}"])

    def delete(self, kind: str, item: dict[str, Any]) -> None:
        self.actions.append((kind, {"Delete": {"Key": {"pk": item["pk"], "sk": item["sk"]}}}))


class Admin:
    """Administrative writes to the table. Scans are allowed here, never in the handlers."""

    def __init__(
        self, client: Any | None = None, table: str | None = None, operator: str | None = None
    ) -> None:
        self.client = client or dynamodb_client()
        self.table = table or get_settings().table_name
        self.retention_days = get_settings().audit_retention_days
        self._operator = operator

    # -- the audit trail -----------------------------------------------------------

    @property
    def operator(self) -> str:
        """Who the audit records name (asked of AWS once, when first needed)."""
        if self._operator is None:
            self._operator = who_am_i()
        return self._operator

    def audit(self, changes: list[Entry]) -> AuditRecord:
        """The audit record of one change (each change its own request id)."""
        origin = Origin(f"admin:{self.operator}", Interface.ADMIN, str(uuid.uuid4()))
        return AuditRecord.of(origin, changes)

    def _transact(self, actions: list[dict[str, Any]]) -> None:
        """One TransactWriteItems of `actions` ({"Put": {...}} and the like, on the table)."""
        self.client.transact_write_items(
            TransactItems=[
                {kind: {"TableName": self.table, **body}}
                for action in actions
                for kind, body in action.items()
            ]
        )

    def _user_change(
        self, company: str, employee_id: str, change: Callable[[User], UserChange], refused: str
    ) -> None:
        """One change of a user in one transaction: `change(user)` gives its audit entries,
        what to set on the profile and its other actions; the profile's guard (its revision,
        as every membership write moves it) and the user's audit record go with them. If the
        user was written meanwhile, read again (3 attempts); another refusal is `refused`."""
        for _ in range(3):
            item = self._get(k.profile_key(company, employee_id))
            if item is None:
                raise AdminError(f"No user {employee_id!r} in company {company!r}")
            revision, expiring = i.parse_revision(item)
            entries, sets, actions = change(i.parse_user(item))
            audit = self.audit(entries)
            days = self.retention_days
            guard = i.audit_guard(company, employee_id, revision, expiring, audit, days, sets)
            record = i.change_item(audit, company, employee_id, revision + 1, days)
            try:
                self._transact([{"Update": guard}, *actions, {"Put": {"Item": record}}])
                return
            except self.client.exceptions.TransactionCanceledException as err:
                reasons = err.response.get("CancellationReasons") or [{}]
                if reasons[0].get("Code") != "ConditionalCheckFailed":
                    raise AdminError(refused) from None
        raise AdminError(f"User {employee_id!r} kept changing; run the command again")

    def _put(self, item: dict[str, Any], new_only: bool = False) -> None:
        args: dict[str, Any] = {"TableName": self.table, "Item": item}
        if new_only:
            args["ConditionExpression"] = "attribute_not_exists(pk)"
        try:
            self.client.put_item(**args)
        except self.client.exceptions.ConditionalCheckFailedException:
            raise AdminError(f"{item['pk']['S']} already exists") from None

    def _get(self, key: dict[str, Any]) -> dict[str, Any] | None:
        found = self.client.get_item(TableName=self.table, Key=key, ConsistentRead=True)
        item: dict[str, Any] | None = found.get("Item")
        return item

    # -- companies and users -------------------------------------------------

    def create_company(self, company_id: str, name: str) -> Company:
        company = Company(id=company_id, name=name)
        self._put(i.company_item(company), new_only=True)
        return company

    def _require_company(self, company_id: str) -> Company:
        item = self._get(k.company_key(company_id))
        if item is None:
            raise AdminError(f"No company {company_id!r}; create it first")
        return i.parse_company(item)

    def get_user(self, company: str, employee_id: str) -> User:
        item = self._get(k.profile_key(company, employee_id))
        if item is None:
            raise AdminError(f"No user {employee_id!r} in company {company!r}")
        return i.parse_user(item)

    def create_user(
        self, company: str, employee_id: str, name: str, email: str, role: str = "traveller"
    ) -> User:
        self._require_company(company)
        user = User(
            company=company, employee_id=employee_id, name=name, email=email, role=Role(role)
        )
        audit = self.audit([entry("user_id", employee_id, None, user_fields(user))])
        days, new = self.retention_days, "attribute_not_exists(pk)"
        try:
            self._transact(
                [
                    {
                        "Put": {
                            "Item": i.profile_item(user, audit, days),
                            "ConditionExpression": new,
                        }
                    },
                    {"Put": {"Item": i.login_item(user), "ConditionExpression": new}},
                    {"Put": {"Item": i.change_item(audit, company, employee_id, 1, days)}},
                ]
            )
        except self.client.exceptions.TransactionCanceledException:
            raise AdminError(
                f"User {employee_id!r} or email {user.email!r} exists already"
            ) from None
        return user

    def list_users(self, company: str) -> list[dict[str, Any]]:
        """Every user of a company with how many memberships they hold (a Scan: admin only).
        A profile written before counts were kept is counted from its memberships."""
        self._require_company(company)
        args: dict[str, Any] = {
            "TableName": self.table,
            "FilterExpression": "begins_with(pk, :users) AND sk = :profile",
            "ExpressionAttributeValues": i.values(
                {":users": k.user_pk(company, ""), ":profile": k.PROFILE}
            ),
            "ConsistentRead": True,
        }
        users = []
        while True:
            page = self.client.scan(**args)
            for item in page.get("Items", []):
                user = i.parse_user(item)
                count = i.parse_membership_count(item)
                users.append(
                    {
                        "employee_id": user.employee_id,
                        "role": user.role.value,
                        "email": user.email,
                        "memberships": count if count is not None else self._count(user),
                    }
                )
            if "LastEvaluatedKey" not in page:
                return sorted(users, key=lambda u: u["employee_id"])
            args["ExclusiveStartKey"] = page["LastEvaluatedKey"]

    def _count(self, user: User) -> int:
        """Count a user's memberships in their partition (a profile without a stored count)."""
        args: dict[str, Any] = {
            "TableName": self.table,
            "KeyConditionExpression": "pk = :pk AND begins_with(sk, :sk)",
            "ExpressionAttributeValues": i.values(
                {":pk": k.user_pk(user.company, user.employee_id), ":sk": k.MEMBERSHIP_PREFIX}
            ),
            "Select": "COUNT",
            "ConsistentRead": True,
        }
        counted = 0
        while True:
            page = self.client.query(**args)
            counted += int(page["Count"])
            if "LastEvaluatedKey" not in page:
                return counted
            args["ExclusiveStartKey"] = page["LastEvaluatedKey"]

    def _save_user(self, before: User, user: User) -> None:
        """Rewrite a user's role and assignments in their profile and login items (keeping
        tokens), with the audit record of the change."""
        sets = {"role": user.role.value, "arranges": sorted(user.arranges)}

        def rewrite(_: User) -> UserChange:
            login = {
                "Key": k.login_key(user.email),
                "UpdateExpression": "SET #r = :role, arranges = :arranges",
                "ConditionExpression": "attribute_exists(pk)",
                "ExpressionAttributeNames": {"#r": "role"},
                "ExpressionAttributeValues": i.values(
                    {":role": sets["role"], ":arranges": sets["arranges"]}
                ),
            }
            change = entry("user_id", user.employee_id, user_fields(before), user_fields(user))
            return [change], sets, [{"Update": login}]

        self._user_change(user.company, user.employee_id, rewrite, f"{user.email} has no login")

    def assign(
        self, company: str, arranger: str, traveller: str, make_arranger: bool = False
    ) -> tuple[User, User]:
        """Let `arranger` manage `traveller`'s memberships; returns (before, after).

        A traveller becomes an arranger only when asked (`make_arranger`): that widens
        whom they reach, so it is never a side effect. An admin reaches every user of the
        company already; the assignment is recorded and the role kept.
        """
        self.get_user(company, traveller)
        user = self.get_user(company, arranger)
        if user.role is Role.TRAVELLER and not make_arranger:
            raise AdminError(
                f"{company}/{arranger} is a traveller: pass --make-arranger to make them an "
                f"arranger of {traveller}"
            )
        role = Role.ARRANGER if user.role is Role.TRAVELLER else user.role
        updated = user.model_copy(update={"role": role, "arranges": user.arranges | {traveller}})
        if updated != user:
            self._save_user(user, updated)
        return user, updated

    def unassign(self, company: str, arranger: str, traveller: str) -> tuple[User, User]:
        """Take `traveller` from `arranger` (who keeps their role); returns (before, after)."""
        user = self.get_user(company, arranger)
        updated = user.model_copy(update={"arranges": user.arranges - {traveller}})
        if updated != user:
            self._save_user(user, updated)
        return user, updated

    # -- API tokens ------------------------------------------------------------

    def issue_token(
        self, email: str, token: str | None = None, expires_at: datetime | None = None
    ) -> tuple[str, str]:
        """A new API token for the user with `email`; returns (token, token id)."""
        token = token or new_token()
        digest = hash_token(token)
        user = self._login(email).user

        def issue(_: User) -> UserChange:
            login = {
                "Key": k.login_key(email),
                "UpdateExpression": "SET tokens.#id = :token",
                "ConditionExpression": "attribute_exists(pk)",
                "ExpressionAttributeNames": {"#id": token_id(digest)},
                "ExpressionAttributeValues": i.values(
                    {":token": i.token_entry(digest, expires_at)}
                ),
            }
            after = {"expires_at": expires_at.isoformat() if expires_at else None}
            return [entry("api_token_id", token_id(digest), None, after)], {}, [{"Update": login}]

        self._user_change(user.company, user.employee_id, issue, f"No user with email {email!r}")
        return token, token_id(digest)

    def revoke_token(self, email: str, tid: str) -> None:
        login = self._login(email)
        if tid not in login.token_hashes:
            raise AdminError(f"No token {tid!r} for {email!r}")
        expiry = login.token_expiry.get(tid)

        def revoke(_: User) -> UserChange:
            remove = {
                "Key": k.login_key(email),
                "UpdateExpression": "REMOVE tokens.#id",
                "ConditionExpression": "attribute_exists(tokens.#id)",
                "ExpressionAttributeNames": {"#id": tid},
            }
            before = {"expires_at": expiry.isoformat() if expiry else None}
            return [entry("api_token_id", tid, before, None)], {}, [{"Update": remove}]

        user = login.user
        refused = f"No token {tid!r} for {email!r}"
        self._user_change(user.company, user.employee_id, revoke, refused)

    def _login(self, email: str) -> Login:
        item = self._get(k.login_key(email))
        if item is None:
            raise AdminError(f"No user with email {email!r}")
        return i.parse_login(item)

    def list_tokens(self, email: str) -> dict[str, Any]:
        login = self._login(email)
        return {
            tid: expiry.isoformat() if expiry else None
            for tid, expiry in login.token_expiry.items()
        }

    # -- Concur applications -----------------------------------------------------

    def create_application(
        self,
        app_id: str,
        name: str,
        kind: str,
        vendor_type: str | None = None,
        vendor_code: str | None = None,
        certified: bool = False,
    ) -> Application:
        if (kind == ApplicationKind.SUPPLIER) != bool(vendor_type and vendor_code):
            raise AdminError(
                "A supplier needs --vendor-type and --vendor-code; a TMC takes neither"
            )
        if vendor_type and vendor_code:
            # The supplier's program must be one the service knows, found as its Concur
            # calls will find it: else every call of the application would be refused.
            catalog = by_code(DynamoRepository(self.client, self.table).providers())
            if (VendorType(vendor_type), vendor_code) not in catalog:
                raise AdminError(
                    f"No {vendor_type} program with code {vendor_code!r} in the provider "
                    "catalog: load-catalog first, or check the code"
                )
        app = Application(
            id=app_id,
            name=name,
            kind=ApplicationKind(kind),
            vendor_type=vendor_type,
            vendor_code=vendor_code,
            certified=certified,
        )
        audit = self.audit([entry("application_id", app_id, None, application_fields(app))])
        record = i.application_change_item(audit, app_id, self.retention_days)
        new = {"Item": i.application_item(app), "ConditionExpression": "attribute_not_exists(pk)"}
        try:
            self._transact([{"Put": new}, {"Put": {"Item": record}}])
        except self.client.exceptions.TransactionCanceledException:
            raise AdminError(f"{k.application_pk(app_id)} already exists") from None
        return app

    def get_application(self, app_id: str) -> Application:
        item = self._get(k.application_key(app_id))
        if item is None:
            raise AdminError(f"No application {app_id!r}")
        return i.parse_application(item)

    def set_certified(self, app_id: str, certified: bool) -> tuple[Application, Application, int]:
        """Record the review outcome on the application and on every token it holds;
        returns (before, after, tokens rewritten). The application, its audit record and
        its first 98 tokens go in one transaction, further tokens 100 a transaction."""
        before = self.get_application(app_id)
        app = before.model_copy(update={"certified": certified})
        fields = application_fields(before), application_fields(app)
        audit = self.audit([entry("application_id", app_id, *fields)])
        snapshot = i.values({":app": app.model_dump(mode="json")})
        tokens = [
            {
                "Update": {
                    "Key": k.access_token_key(i.token_hash_of(item)),
                    "UpdateExpression": "SET application = :app",
                    "ExpressionAttributeValues": snapshot,
                }
            }
            for item in self._app_tokens(app_id)
        ]
        first = [
            {"Put": {"Item": i.application_item(app)}},
            {"Put": {"Item": i.application_change_item(audit, app_id, self.retention_days)}},
        ]
        room = TRANSACTION_LIMIT - len(first)
        self._transact(first + tokens[:room])
        for start in range(room, len(tokens), TRANSACTION_LIMIT):
            self._transact(tokens[start : start + TRANSACTION_LIMIT])
        return before, app, len(tokens)

    def _app_tokens(self, app_id: str, prefix: str = "") -> list[dict[str, Any]]:
        found = self.client.query(
            TableName=self.table,
            KeyConditionExpression="pk = :pk AND begins_with(sk, :sk)",
            ExpressionAttributeValues={
                ":pk": {"S": k.application_pk(app_id)},
                ":sk": {"S": k.TOKEN_PREFIX + prefix},
            },
        )
        items: list[dict[str, Any]] = found["Items"]
        return items

    def issue_concur_token(
        self,
        app_id: str,
        company: str,
        employee_id: str,
        token: str | None = None,
        expires_at: datetime | None = None,
    ) -> tuple[str, str]:
        """An OAuth access token for `app_id` acting for one user; returns (token, id)."""
        app = self.get_application(app_id)
        token = token or new_token()
        digest = hash_token(token)
        access = AccessToken(token_id(digest), digest, app, company, employee_id, expires_at)

        def issue(_: User) -> UserChange:
            put = {
                "Item": i.access_token_item(access),
                "ConditionExpression": "attribute_not_exists(pk)",
            }
            after = {
                "application_id": app_id,
                "expires_at": expires_at.isoformat() if expires_at else None,
            }
            return (
                [entry("concur_token_id", access.token_id, None, after)],
                {},
                [{"Put": put}, {"Put": {"Item": i.application_token_item(access)}}],
            )

        self._user_change(company, employee_id, issue, "This token exists already")
        return token, access.token_id

    def revoke_concur_token(self, app_id: str, tid: str) -> None:
        """Revoke an application's token (an audit record in its user's trail)."""
        found = self._app_tokens(app_id, tid)
        if len(found) != 1:
            raise AdminError(f"No single token {tid!r} for application {app_id!r}")
        digest = i.token_hash_of(found[0])
        index = i.from_item(found[0])
        stored = self._get(k.access_token_key(digest))
        before = {
            "application_id": app_id,
            "expires_at": i.from_item(stored).get("expires_at") if stored else None,
        }

        def revoke(_: User) -> UserChange:
            return (
                [entry("concur_token_id", tid, before, None)],
                {},
                [
                    {"Delete": {"Key": k.access_token_key(digest)}},
                    {"Delete": {"Key": k.application_token_key(app_id, digest)}},
                ],
            )

        refused = f"Token {tid!r} of application {app_id!r} could not be revoked"
        self._user_change(index["company"], index["employee_id"], revoke, refused)

    # -- erasure -------------------------------------------------------------------

    def _all(self, operation: str, **args: Any) -> list[dict[str, Any]]:
        """Every item a Query or Scan finds, page after page (admin tooling)."""
        items: list[dict[str, Any]] = []
        while True:
            page = getattr(self.client, operation)(TableName=self.table, **args)
            items.extend(page.get("Items", []))
            if "LastEvaluatedKey" not in page:
                return items
            args["ExclusiveStartKey"] = page["LastEvaluatedKey"]

    def _erasure_plan(self, company: str, employee_id: str) -> _Erasure | None:
        """What erasing a user takes, in the order it is done: their credentials first (the
        Concur tokens acting for them and the applications' index entries of those, the
        login with its API tokens), their id out of arrangers' assignments, then their
        memberships and audit records; the profile goes last. None: no such user."""
        partition = self._all(
            "query",
            KeyConditionExpression="pk = :pk",
            ExpressionAttributeValues=i.values({":pk": k.user_pk(company, employee_id)}),
            ConsistentRead=True,
        )
        profile = next((item for item in partition if item["sk"]["S"] == k.PROFILE), None)
        if profile is None:
            return None
        user = i.parse_user(profile)
        plan = _Erasure(profile, i.parse_revision(profile)[0])
        tokens = self._all(
            "scan",
            FilterExpression="(begins_with(pk, :oauth) OR (begins_with(pk, :app) AND "
            "begins_with(sk, :token))) AND #c = :c AND #e = :e",
            ExpressionAttributeNames={"#c": "company", "#e": "employee_id"},
            ExpressionAttributeValues=i.values(
                {
                    ":oauth": "OAUTH#",
                    ":app": k.application_pk(""),
                    ":token": k.TOKEN_PREFIX,
                    ":c": company,
                    ":e": employee_id,
                }
            ),
            ConsistentRead=True,
        )
        for item in tokens:
            kind = "concur_tokens" if item["pk"]["S"].startswith("OAUTH#") else "concur_index"
            plan.delete(kind, item)
        login = self._get(k.login_key(user.email))
        if login is not None:
            plan.delete("logins", login)
            plan.api_tokens = len(i.parse_login(login).token_hashes)
        arrangers = self._all(
            "scan",
            FilterExpression="begins_with(pk, :users) AND sk = :profile AND contains(arranges, :e)",
            ExpressionAttributeValues=i.values(
                {":users": k.user_pk(company, ""), ":profile": k.PROFILE, ":e": employee_id}
            ),
            ConsistentRead=True,
        )
        for item in arrangers:
            arranger = i.parse_user(item)
            if arranger.employee_id == employee_id:
                continue
            kept = i.values({":kept": sorted(arranger.arranges - {employee_id})})
            for key in (
                k.profile_key(company, arranger.employee_id),
                k.login_key(arranger.email),
            ):
                plan.actions.append(
                    (
                        "arrangers",
                        {
                            "Update": {
                                "Key": key,
                                "UpdateExpression": "SET arranges = :kept",
                                "ConditionExpression": "attribute_exists(pk)",
                                "ExpressionAttributeValues": kept,
                            }
                        },
                    )
                )
            plan.arrangers += 1
        for item in partition:
            sk = item["sk"]["S"]
            if sk.startswith(k.MEMBERSHIP_PREFIX):
                plan.delete("memberships", item)
            elif sk.startswith(k.CHANGE_PREFIX):
                plan.delete("changes", item)
            elif sk != k.PROFILE:
                plan.delete("other", item)
        return plan

    def erase_user(self, company: str, employee_id: str) -> dict[str, Any] | None:
        """Remove a user and everything of theirs, in as few transactions as DynamoDB allows
        (100 actions each), leaving one erasure record in the company's partition that
        names no one (who erased, when, how many items of each kind). None if there is no
        such user (already erased: running it again changes nothing).

        An interrupted erasure keeps the profile (it goes last) and counts what it removed
        on it, so running it again finishes the work and the record counts everything. If
        the user is written meanwhile (an admin of the company still reaches them), the
        last transaction is refused by the profile's revision and the rest is read again.
        """
        for _ in range(3):
            plan = self._erasure_plan(company, employee_id)
            if plan is None:
                return None
            try:
                return self._erase(company, employee_id, plan)
            except self.client.exceptions.TransactionCanceledException:
                continue
        raise AdminError(f"User {employee_id!r} kept changing; run the erasure again")

    def _erasure_audit(self, company: str, employee_id: str, plan: _Erasure) -> AuditRecord:
        """The erasure's record (its id and time): the one an interrupted run marked on the
        profile, else a new one, marked there now. The stream's image of the removed
        profile then names whom the record erased: the `user.erased` webhook event."""
        found = parse_erasure_mark(plan.profile)
        if found is not None:
            return found
        mark = erasure_mark(company, employee_id, self.audit([]))
        marked = self.client.update_item(TableName=self.table, **mark)["Attributes"]
        audit = parse_erasure_mark(marked)
        assert audit is not None
        return audit

    def _erase(self, company: str, employee_id: str, plan: _Erasure) -> dict[str, Any]:
        profile_key = k.profile_key(company, employee_id)
        actions = plan.actions
        last_room = TRANSACTION_LIMIT - 2  # the profile's deletion and the erasure record
        while len(actions) > last_room:
            chunk, actions = actions[: TRANSACTION_LIMIT - 1], actions[TRANSACTION_LIMIT - 1 :]
            done = Counter(kind for kind, _ in chunk if kind in REMOVED)
            progress = []
            if done:  # counted on the profile, for the record of a run that is interrupted
                names = {f"#n{n}": f"erased_{kind}" for n, kind in enumerate(done)}
                adds = ", ".join(f"#n{n} :n{n}" for n in range(len(done)))
                counts = {f":n{n}": count for n, count in enumerate(done.values())}
                progress.append(
                    {
                        "Update": {
                            "Key": profile_key,
                            "UpdateExpression": f"ADD {adds}",
                            "ConditionExpression": "attribute_exists(pk)",
                            "ExpressionAttributeNames": names,
                            "ExpressionAttributeValues": i.values(counts),
                        }
                    }
                )
            self._transact([*(action for _, action in chunk), *progress])
            plan.removed.update(done)
        removed = Counter(plan.removed)
        removed.update(kind for kind, _ in actions if kind in REMOVED)
        removed["profiles"] += 1
        audit = self._erasure_audit(company, employee_id, plan)
        record = i.erasure_item(
            company,
            audit,
            dict(sorted(removed.items())),
            arrangers_updated=plan.arrangers,
            api_tokens_revoked=plan.api_tokens,
        )
        delete_profile = {
            "Key": profile_key,
            "ConditionExpression": "revision = :rev OR "
            "(attribute_not_exists(revision) AND :rev = :zero)",
            "ExpressionAttributeValues": i.values({":rev": plan.revision, ":zero": 0}),
        }
        self._transact(
            [
                *(action for _, action in actions),
                {"Delete": delete_profile},
                {"Put": {"Item": record}},
            ]
        )
        return i.from_item(record)

    # -- catalog -------------------------------------------------------------------

    def load_catalog(self, path: Path = CATALOG, extra: Sequence[Provider] = ()) -> int:
        providers = [Provider.model_validate(p) for p in json.loads(path.read_text("utf-8"))]
        providers.extend(extra)
        requests = [{"PutRequest": {"Item": i.provider_item(p)}} for p in providers]
        for start in range(0, len(requests), 25):
            pending: dict[str, Any] = {self.table: requests[start : start + 25]}
            while pending:
                result = self.client.batch_write_item(RequestItems=pending)
                pending = result.get("UnprocessedItems") or {}
        return len(providers)


# -- the command line -----------------------------------------------------------------
#
# Each command is one function that does the change and says what it changed: an `Outcome`
# whose `data` is printed with --json and whose `text` is printed otherwise.


@dataclass(frozen=True)
class Outcome:
    data: dict[str, Any]
    text: str


Command = Callable[[Admin, argparse.Namespace], Outcome]
COMMANDS: dict[str, Command] = {}


def command(name: str) -> Callable[[Command], Command]:
    def register(run: Command) -> Command:
        COMMANDS[name] = run
        return run

    return register


def _when(moment: datetime | None) -> str | None:
    return moment.isoformat() if moment else None


def _user(user: User) -> dict[str, Any]:
    data = user.model_dump(mode="json")
    data["arranges"] = sorted(user.arranges)
    return data


@command("create-company")
def _create_company(admin: Admin, a: argparse.Namespace) -> Outcome:
    company = admin.create_company(a.company, a.name)
    return Outcome(
        {"created": "company", "company": company.model_dump(mode="json")},
        f"company {company.id} ({company.name}) created",
    )


@command("create-user")
def _create_user(admin: Admin, a: argparse.Namespace) -> Outcome:
    user = admin.create_user(a.company, a.employee_id, a.name, a.email, a.role)
    return Outcome(
        {"created": "user", "user": _user(user)},
        f"user {user.company}/{user.employee_id} ({user.role.value}) created",
    )


@command("list-users")
def _list_users(admin: Admin, a: argparse.Namespace) -> Outcome:
    users = admin.list_users(a.company)
    rows = [
        f"{u['employee_id']:16} {u['role']:10} "
        f"{u['memberships']:>4}/{MAX_MEMBERSHIPS_PER_USER}  {u['email']}"
        for u in users
    ]
    return Outcome(
        {"company": a.company, "limit": MAX_MEMBERSHIPS_PER_USER, "users": users},
        "\n".join([f"{'employee_id':16} {'role':10} memberships  email", *rows]),
    )


def _arranger_change(before: User, after: User) -> Outcome:
    who = f"{after.company}/{after.employee_id}"
    lines = []
    if before.role != after.role:
        lines.append(f"{who}: role {before.role.value} -> {after.role.value}")
    added, removed = after.arranges - before.arranges, before.arranges - after.arranges
    if added or removed:
        change = ", ".join([*(f"+{t}" for t in sorted(added)), *(f"-{t}" for t in sorted(removed))])
        lines.append(f"{who}: arranges {sorted(after.arranges)} ({change})")
    if not lines:
        lines.append(f"{who}: no change (arranges {sorted(after.arranges)})")
    return Outcome(
        {
            "changed": before != after,
            "user": _user(after),
            "before": {"role": before.role.value, "arranges": sorted(before.arranges)},
        },
        "\n".join(lines),
    )


@command("assign")
def _assign(admin: Admin, a: argparse.Namespace) -> Outcome:
    return _arranger_change(*admin.assign(a.company, a.arranger, a.traveller, a.make_arranger))


@command("unassign")
def _unassign(admin: Admin, a: argparse.Namespace) -> Outcome:
    return _arranger_change(*admin.unassign(a.company, a.arranger, a.traveller))


def _issued(data: dict[str, Any], subject: str) -> Outcome:
    expires = data["expires_at"] or "never"
    return Outcome(
        data,
        f"issued a token for {subject}\n"
        f"token_id:   {data['token_id']}\n"
        f"secret:     {data['token']}\n"
        f"expires_at: {expires}\n"
        "(the secret is shown once: only its hash is stored)",
    )


@command("issue-token")
def _issue_token(admin: Admin, a: argparse.Namespace) -> Outcome:
    expires = _expiry(a.days)
    token, tid = admin.issue_token(a.email, expires_at=expires)
    data = {"email": a.email, "token_id": tid, "token": token, "expires_at": _when(expires)}
    return _issued(data, a.email)


@command("revoke-token")
def _revoke_token(admin: Admin, a: argparse.Namespace) -> Outcome:
    admin.revoke_token(a.email, a.token_id)
    return Outcome(
        {"revoked": "token", "email": a.email, "token_id": a.token_id},
        f"token {a.token_id} of {a.email} revoked",
    )


@command("list-tokens")
def _list_tokens(admin: Admin, a: argparse.Namespace) -> Outcome:
    tokens = admin.list_tokens(a.email)
    lines = [f"{tid}  expires {expiry or 'never'}" for tid, expiry in tokens.items()]
    return Outcome(
        {
            "email": a.email,
            "tokens": [{"token_id": t, "expires_at": e} for t, e in tokens.items()],
        },
        "\n".join(lines) or f"{a.email} holds no token",
    )


@command("create-app")
def _create_app(admin: Admin, a: argparse.Namespace) -> Outcome:
    app = admin.create_application(
        a.app_id, a.name, a.kind, a.vendor_type, a.vendor_code, a.certified
    )
    return Outcome(
        {"created": "application", "application": app.model_dump(mode="json")},
        f"application {app.id} ({app.kind.value}, certified={app.certified}) created",
    )


@command("certify-app")
def _certify_app(admin: Admin, a: argparse.Namespace) -> Outcome:
    before, app, tokens = admin.set_certified(a.app_id, not a.revoke)
    return Outcome(
        {
            "changed": before != app,
            "application": app.model_dump(mode="json"),
            "before": {"certified": before.certified},
            "tokens_updated": tokens,
        },
        f"application {app.id}: certified {before.certified} -> {app.certified} "
        f"({tokens} token(s) updated)",
    )


@command("issue-concur-token")
def _issue_concur_token(admin: Admin, a: argparse.Namespace) -> Outcome:
    expires = _expiry(a.days)
    token, tid = admin.issue_concur_token(a.app_id, a.company, a.employee_id, expires_at=expires)
    data = {
        "application": a.app_id,
        "company": a.company,
        "employee_id": a.employee_id,
        "token_id": tid,
        "token": token,
        "expires_at": _when(expires),
    }
    return _issued(data, f"application {a.app_id} acting for {a.company}/{a.employee_id}")


@command("revoke-concur-token")
def _revoke_concur_token(admin: Admin, a: argparse.Namespace) -> Outcome:
    admin.revoke_concur_token(a.app_id, a.token_id)
    return Outcome(
        {"revoked": "concur_token", "application": a.app_id, "token_id": a.token_id},
        f"token {a.token_id} of application {a.app_id} revoked",
    )


@command("erase-user")
def _erase_user(admin: Admin, a: argparse.Namespace) -> Outcome:
    who = f"{a.company}/{a.employee_id}"
    record = admin.erase_user(a.company, a.employee_id)
    if record is None:
        return Outcome(
            {"erased": False, "company": a.company, "employee_id": a.employee_id},
            f"{who}: no such user, nothing to erase (an erased user leaves only the "
            "erasure record, which names no one)",
        )
    removed = ", ".join(f"{kind} {n}" for kind, n in record["removed"].items())
    return Outcome(
        {"erased": True, "company": a.company, "employee_id": a.employee_id, "record": record},
        f"{who} erased: {record['items_removed']} items ({removed}); "
        f"{record['api_tokens_revoked']} API token(s) revoked with the login; "
        f"{record['arrangers_updated']} arranger(s) no longer assigned to them\n"
        f"erasure record {record['id']} (by {record['actor']}, no personal data) "
        f"kept in company {a.company}",
    )


@command("load-catalog")
def _load_catalog(admin: Admin, a: argparse.Namespace) -> Outcome:
    loaded = admin.load_catalog(a.file)
    return Outcome({"providers_loaded": loaded}, f"{loaded} providers loaded")


@command("create-table")
def _create_table(admin: Admin, a: argparse.Namespace) -> Outcome:
    from local.dynamo import ensure_tables

    created = ensure_tables(admin.client, admin.table)
    return Outcome(
        {"table": admin.table, "created": created},
        f"table {admin.table} {'created' if created else 'exists'}",
    )


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m local.admin",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    output = argparse.ArgumentParser(add_help=False)
    output.add_argument(
        "--json", action="store_true", help="print what was done as one JSON object"
    )
    output.add_argument(
        "--by",
        help="the operator the audit trail names (default: the shell's AWS identity, "
        "else the OS user@host)",
    )
    parser.add_argument("--json", dest="json_first", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--by", dest="by_first", help=argparse.SUPPRESS)
    sub = parser.add_subparsers(dest="command", required=True)

    def add(name: str, text: str) -> argparse.ArgumentParser:
        return sub.add_parser(name, help=text, parents=[output])

    p = add("create-company", "create a company (tenant)")
    p.add_argument("company")
    p.add_argument("--name", required=True)

    p = add("create-user", "create a user of a company")
    p.add_argument("company")
    p.add_argument("employee_id")
    p.add_argument("--name", required=True)
    p.add_argument("--email", required=True)
    p.add_argument("--role", choices=[r.value for r in Role], default="traveller")

    p = add("list-users", "list a company's users and their membership counts")
    p.add_argument("company")

    p = add("assign", "let an arranger manage a traveller")
    p.add_argument("company")
    p.add_argument("arranger")
    p.add_argument("traveller")
    p.add_argument(
        "--make-arranger",
        action="store_true",
        help="the arranger is a traveller now: make them an arranger (else refused)",
    )
    p = add("unassign", "take a traveller from an arranger (their role stays)")
    p.add_argument("company")
    p.add_argument("arranger")
    p.add_argument("traveller")

    p = add("issue-token", "issue an API token to a user (printed once)")
    p.add_argument("email")
    p.add_argument("--days", type=_days, help="expire after this many days (1 or more)")
    p = add("revoke-token", "revoke a user's API token by its id")
    p.add_argument("email")
    p.add_argument("token_id")
    p = add("list-tokens", "list a user's token ids and expiry")
    p.add_argument("email")

    p = add("create-app", "register a Concur partner application")
    p.add_argument("app_id")
    p.add_argument("--name", required=True)
    p.add_argument("--kind", choices=[a.value for a in ApplicationKind], required=True)
    p.add_argument("--vendor-type", choices=[t.value for t in VendorType])
    p.add_argument("--vendor-code")
    p.add_argument("--certified", action="store_true")
    p = add("certify-app", "mark a supplier application reviewed (or not)")
    p.add_argument("app_id")
    p.add_argument("--revoke", action="store_true")

    p = add("issue-concur-token", "issue an OAuth token: app acting for a user")
    p.add_argument("app_id")
    p.add_argument("company")
    p.add_argument("employee_id")
    p.add_argument("--days", type=_days, help="expire after this many days (1 or more)")
    p = add("revoke-concur-token", "revoke an application's token by its id")
    p.add_argument("app_id")
    p.add_argument("token_id")

    p = add(
        "erase-user",
        "remove a user with their memberships, login, tokens and history (idempotent); "
        "leaves one erasure record naming no one",
    )
    p.add_argument("company")
    p.add_argument("employee_id")

    p = add("load-catalog", "load the provider catalog (idempotent)")
    p.add_argument("--file", type=Path, default=CATALOG)
    add("create-table", "create the table as template.yaml defines it (local)")
    from local.admin_webhooks import add_commands  # its commands register as it is imported

    add_commands(add)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    if os.environ.get("DYNAMODB_ENDPOINT_URL"):  # a local DynamoDB takes any credentials
        use_local_credentials()
    admin = Admin(operator=args.by or args.by_first)
    try:
        outcome = COMMANDS[args.command](admin, args)
    except AdminError as err:
        print(f"error: {err}", file=sys.stderr)
        return 1
    except ValidationError as err:
        for problem in err.errors(include_url=False):
            print(f"error: {'.'.join(map(str, problem['loc']))}: {problem['msg']}", file=sys.stderr)
        return 1
    except (BotoCoreError, ClientError) as err:
        print(f"error: DynamoDB ({admin.table}): {err}", file=sys.stderr)
        return 2
    json_out = args.json or args.json_first
    print(json.dumps(outcome.data, indent=2) if json_out else outcome.text)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
