"""Admin CLI: companies, users, arranger assignments, Concur applications, tokens, catalog.

Works against the embedded DynamoDB of `make run`, another local DynamoDB
(`DYNAMODB_ENDPOINT_URL`) or the deployed table (AWS credentials + `TABLE_NAME`).
Tokens are printed once and stored only as SHA-256 hashes. Every command says what it
changed (a role change included); `--json` prints that as one JSON object instead.
Errors go to stderr: exit status 1 for a refused change, 2 when DynamoDB cannot be reached.

    python -m local.admin --help
    python -m local.admin issue-token peter@initech.example --days 90 --json
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass
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
            self._save_user(updated)
        return user, updated

    def unassign(self, company: str, arranger: str, traveller: str) -> tuple[User, User]:
        """Take `traveller` from `arranger` (who keeps their role); returns (before, after)."""
        user = self.get_user(company, arranger)
        updated = user.model_copy(update={"arranges": user.arranges - {traveller}})
        if updated != user:
            self._save_user(updated)
        return user, updated

    # -- API tokens ------------------------------------------------------------

    def issue_token(
        self, email: str, token: str | None = None, expires_at: datetime | None = None
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
                ExpressionAttributeValues=i.values({":token": i.token_entry(digest, expires_at)}),
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

    def set_certified(self, app_id: str, certified: bool) -> tuple[Application, Application, int]:
        """Record the review outcome on the application and on every token it holds;
        returns (before, after, tokens rewritten)."""
        before = self.get_application(app_id)
        app = before.model_copy(update={"certified": certified})
        self._put(i.application_item(app))
        tokens = self._app_tokens(app_id)
        for item in tokens:
            self.client.update_item(
                TableName=self.table,
                Key=k.access_token_key(i.token_hash_of(item)),
                UpdateExpression="SET application = :app",
                ExpressionAttributeValues=i.values({":app": app.model_dump(mode="json")}),
            )
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
        self.get_user(company, employee_id)
        token = token or new_token()
        digest = hash_token(token)
        access = AccessToken(token_id(digest), digest, app, company, employee_id, expires_at)
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
    parser.add_argument("--json", dest="json_first", action="store_true", help=argparse.SUPPRESS)
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
    p.add_argument("--days", type=int)
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
    p.add_argument("--days", type=int)
    p = add("revoke-concur-token", "revoke an application's token by its id")
    p.add_argument("app_id")
    p.add_argument("token_id")

    p = add("load-catalog", "load the provider catalog (idempotent)")
    p.add_argument("--file", type=Path, default=CATALOG)
    add("create-table", "create the table as template.yaml defines it (local)")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    if os.environ.get("DYNAMODB_ENDPOINT_URL"):  # a local DynamoDB takes any credentials
        use_local_credentials()
    admin = Admin()
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
