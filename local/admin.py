"""Admin CLI: companies, users, arranger assignments, Concur applications, tokens, catalog.

Works against the embedded DynamoDB of `make run`, another local DynamoDB
(`DYNAMODB_ENDPOINT_URL`) or the deployed table (AWS credentials + `TABLE_NAME`).
Tokens are printed once and stored only as SHA-256 hashes.

    python -m local.admin --help
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Sequence
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
    Company,
    Provider,
    Role,
    User,
    VendorType,
)
from loyalty_core.repository import AccessToken
from loyalty_core.repository import items as i
from loyalty_core.repository import keys as k
from loyalty_core.settings import dynamodb_client, get_settings

CATALOG = Path(__file__).resolve().parent.parent / "data" / "providers.json"


def _expiry(days: int | None) -> datetime | None:
    return datetime.now(UTC) + timedelta(days=days) if days else None


class AdminError(Exception):
    """An admin operation that cannot be done as asked."""


class Admin:
    """Administrative writes to the table. Scans are allowed here, never in the handlers."""

    def __init__(self, client: Any | None = None, table: str | None = None) -> None:
        self.client = client or dynamodb_client()
        self.table = table or get_settings().table_name

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

    def _require_company(self, company_id: str) -> None:
        if self._get(k.company_key(company_id)) is None:
            raise AdminError(f"No company {company_id!r}; create it first")

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
        profile = i.profile_item(user)
        login = i.login_item(user)
        try:
            self.client.transact_write_items(
                TransactItems=[
                    {
                        "Put": {
                            "TableName": self.table,
                            "Item": profile,
                            "ConditionExpression": "attribute_not_exists(pk)",
                        }
                    },
                    {
                        "Put": {
                            "TableName": self.table,
                            "Item": login,
                            "ConditionExpression": "attribute_not_exists(pk)",
                        }
                    },
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

    def _save_user(self, user: User) -> None:
        """Rewrite a user's profile and login items, keeping tokens and revision."""
        args: dict[str, Any] = {
            "UpdateExpression": "SET #r = :role, arranges = :arranges",
            "ExpressionAttributeNames": {"#r": "role"},
            "ExpressionAttributeValues": i.values(
                {":role": user.role.value, ":arranges": sorted(user.arranges)}
            ),
            "ConditionExpression": "attribute_exists(pk)",
        }
        self.client.transact_write_items(
            TransactItems=[
                {
                    "Update": {
                        "TableName": self.table,
                        "Key": k.profile_key(user.company, user.employee_id),
                        **args,
                    }
                },
                {"Update": {"TableName": self.table, "Key": k.login_key(user.email), **args}},
            ]
        )

    def assign(self, company: str, arranger: str, traveller: str) -> User:
        """Let `arranger` manage `traveller`'s memberships (makes them an arranger)."""
        self.get_user(company, traveller)
        user = self.get_user(company, arranger)
        role = Role.ARRANGER if user.role is Role.TRAVELLER else user.role
        updated = user.model_copy(update={"role": role, "arranges": user.arranges | {traveller}})
        self._save_user(updated)
        return updated

    def unassign(self, company: str, arranger: str, traveller: str) -> User:
        user = self.get_user(company, arranger)
        updated = user.model_copy(update={"arranges": user.arranges - {traveller}})
        self._save_user(updated)
        return updated

    # -- API tokens ------------------------------------------------------------

    def issue_token(
        self, email: str, token: str | None = None, days: int | None = None
    ) -> tuple[str, str]:
        """A new API token for the user with `email`; returns (token, token id)."""
        token = token or new_token()
        digest = hash_token(token)
        try:
            self.client.update_item(
                TableName=self.table,
                Key=k.login_key(email),
                UpdateExpression="SET tokens.#id = :token",
                ConditionExpression="attribute_exists(pk)",
                ExpressionAttributeNames={"#id": token_id(digest)},
                ExpressionAttributeValues=i.values(
                    {":token": i.token_entry(digest, _expiry(days))}
                ),
            )
        except self.client.exceptions.ConditionalCheckFailedException:
            raise AdminError(f"No user with email {email!r}") from None
        return token, token_id(digest)

    def revoke_token(self, email: str, tid: str) -> None:
        try:
            self.client.update_item(
                TableName=self.table,
                Key=k.login_key(email),
                UpdateExpression="REMOVE tokens.#id",
                ConditionExpression="attribute_exists(tokens.#id)",
                ExpressionAttributeNames={"#id": tid},
            )
        except self.client.exceptions.ConditionalCheckFailedException:
            raise AdminError(f"No token {tid!r} for {email!r}") from None

    def list_tokens(self, email: str) -> dict[str, Any]:
        item = self._get(k.login_key(email))
        if item is None:
            raise AdminError(f"No user with email {email!r}")
        login = i.parse_login(item)
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
        app = Application(
            id=app_id,
            name=name,
            kind=ApplicationKind(kind),
            vendor_type=vendor_type,
            vendor_code=vendor_code,
            certified=certified,
        )
        self._put(i.application_item(app), new_only=True)
        return app

    def get_application(self, app_id: str) -> Application:
        item = self._get(k.application_key(app_id))
        if item is None:
            raise AdminError(f"No application {app_id!r}")
        return i.parse_application(item)

    def set_certified(self, app_id: str, certified: bool) -> Application:
        """Record the review outcome on the application and on every token it holds."""
        app = self.get_application(app_id).model_copy(update={"certified": certified})
        self._put(i.application_item(app))
        for item in self._app_tokens(app_id):
            self.client.update_item(
                TableName=self.table,
                Key=k.access_token_key(i.token_hash_of(item)),
                UpdateExpression="SET application = :app",
                ExpressionAttributeValues=i.values({":app": app.model_dump(mode="json")}),
            )
        return app

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
        days: int | None = None,
    ) -> tuple[str, str]:
        """An OAuth access token for `app_id` acting for one user; returns (token, id)."""
        app = self.get_application(app_id)
        self.get_user(company, employee_id)
        token = token or new_token()
        digest = hash_token(token)
        access = AccessToken(token_id(digest), digest, app, company, employee_id, _expiry(days))
        self.client.transact_write_items(
            TransactItems=[
                {
                    "Put": {
                        "TableName": self.table,
                        "Item": i.access_token_item(access),
                        "ConditionExpression": "attribute_not_exists(pk)",
                    }
                },
                {"Put": {"TableName": self.table, "Item": i.application_token_item(access)}},
            ]
        )
        return token, access.token_id

    def revoke_concur_token(self, app_id: str, tid: str) -> None:
        found = self._app_tokens(app_id, tid)
        if len(found) != 1:
            raise AdminError(f"No single token {tid!r} for application {app_id!r}")
        digest = i.token_hash_of(found[0])
        self.client.transact_write_items(
            TransactItems=[
                {"Delete": {"TableName": self.table, "Key": k.access_token_key(digest)}},
                {
                    "Delete": {
                        "TableName": self.table,
                        "Key": k.application_token_key(app_id, digest),
                    }
                },
            ]
        )

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


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m local.admin",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    sub = parser.add_subparsers(dest="command", required=True)

    p = sub.add_parser("create-company", help="create a company (tenant)")
    p.add_argument("company")
    p.add_argument("--name", required=True)

    p = sub.add_parser("create-user", help="create a user of a company")
    p.add_argument("company")
    p.add_argument("employee_id")
    p.add_argument("--name", required=True)
    p.add_argument("--email", required=True)
    p.add_argument("--role", choices=[r.value for r in Role], default="traveller")

    p = sub.add_parser("list-users", help="list a company's users and their membership counts")
    p.add_argument("company")

    for name, text in (
        ("assign", "let an arranger manage a traveller"),
        ("unassign", "take a traveller from an arranger"),
    ):
        p = sub.add_parser(name, help=text)
        p.add_argument("company")
        p.add_argument("arranger")
        p.add_argument("traveller")

    p = sub.add_parser("issue-token", help="issue an API token to a user (printed once)")
    p.add_argument("email")
    p.add_argument("--days", type=int)
    p = sub.add_parser("revoke-token", help="revoke a user's API token by its id")
    p.add_argument("email")
    p.add_argument("token_id")
    p = sub.add_parser("list-tokens", help="list a user's token ids and expiry")
    p.add_argument("email")

    p = sub.add_parser("create-app", help="register a Concur partner application")
    p.add_argument("app_id")
    p.add_argument("--name", required=True)
    p.add_argument("--kind", choices=[a.value for a in ApplicationKind], required=True)
    p.add_argument("--vendor-type", choices=[t.value for t in VendorType])
    p.add_argument("--vendor-code")
    p.add_argument("--certified", action="store_true")
    p = sub.add_parser("certify-app", help="mark a supplier application reviewed (or not)")
    p.add_argument("app_id")
    p.add_argument("--revoke", action="store_true")

    p = sub.add_parser("issue-concur-token", help="issue an OAuth token: app acting for a user")
    p.add_argument("app_id")
    p.add_argument("company")
    p.add_argument("employee_id")
    p.add_argument("--days", type=int)
    p = sub.add_parser("revoke-concur-token", help="revoke an application's token by its id")
    p.add_argument("app_id")
    p.add_argument("token_id")

    p = sub.add_parser("load-catalog", help="load the provider catalog (idempotent)")
    p.add_argument("--file", type=Path, default=CATALOG)
    sub.add_parser("create-table", help="create the table as template.yaml defines it (local)")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    if os.environ.get("DYNAMODB_ENDPOINT_URL"):  # a local DynamoDB takes any credentials
        use_local_credentials()
    admin = Admin()
    try:
        out = _run(admin, args)
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
    print(out)
    return 0


def _run(admin: Admin, a: argparse.Namespace) -> str:
    match a.command:
        case "create-company":
            return f"company {admin.create_company(a.company, a.name).id} created"
        case "create-user":
            user = admin.create_user(a.company, a.employee_id, a.name, a.email, a.role)
            return f"user {user.company}/{user.employee_id} ({user.role.value}) created"
        case "list-users":
            rows = [
                f"{u['employee_id']:16} {u['role']:10} "
                f"{u['memberships']:>4}/{MAX_MEMBERSHIPS_PER_USER}  {u['email']}"
                for u in admin.list_users(a.company)
            ]
            return "\n".join([f"{'employee_id':16} {'role':10} memberships  email", *rows])
        case "assign" | "unassign":
            change = admin.assign if a.command == "assign" else admin.unassign
            arranges = sorted(change(a.company, a.arranger, a.traveller).arranges)
            return f"{a.arranger} now arranges {arranges}"
        case "issue-token":
            token, tid = admin.issue_token(a.email, days=a.days)
            return f"token id {tid}\ntoken {token}\n(shown once: only its hash is stored)"
        case "revoke-token":
            admin.revoke_token(a.email, a.token_id)
            return f"token {a.token_id} revoked"
        case "list-tokens":
            return json.dumps(admin.list_tokens(a.email), indent=2)
        case "create-app":
            app = admin.create_application(
                a.app_id, a.name, a.kind, a.vendor_type, a.vendor_code, a.certified
            )
            return f"application {app.id} ({app.kind.value}) created"
        case "certify-app":
            app = admin.set_certified(a.app_id, not a.revoke)
            return f"application {app.id} certified={app.certified}"
        case "issue-concur-token":
            token, tid = admin.issue_concur_token(a.app_id, a.company, a.employee_id, days=a.days)
            return f"token id {tid}\ntoken {token}\n(shown once: only its hash is stored)"
        case "revoke-concur-token":
            admin.revoke_concur_token(a.app_id, a.token_id)
            return f"token {a.token_id} revoked"
        case "load-catalog":
            return f"{admin.load_catalog(a.file)} providers loaded"
        case "create-table":
            from local.dynamo import ensure_tables

            created = ensure_tables(admin.client, admin.table)
            return f"table {admin.table} {'created' if created else 'exists'}"
    raise AdminError(f"unknown command {a.command}")


if __name__ == "__main__":
    raise SystemExit(main())
