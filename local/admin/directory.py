"""Commands: companies, users, arranger assignments, API tokens, Concur applications and
their tokens (`loyalty_core.services.directory`)."""

from __future__ import annotations

import argparse
from typing import Any

from local.admin.cli import Admin, Outcome, Refused, arg, command, when
from loyalty_core.models import (
    MAX_MEMBERSHIPS_PER_USER,
    Application,
    ApplicationKind,
    Company,
    Role,
    User,
    VendorType,
)
from loyalty_core.services import directory
from loyalty_core.services.directory import MIN_TOKEN_DAYS, NotAnArranger, token_expiry


def _days(text: str) -> int:
    """--days: a whole number of days, 1 or more (a token that expires at once is no token;
    leave --days out for one that does not expire)."""
    days = int(text) if text.isdigit() else 0
    if days < MIN_TOKEN_DAYS:
        raise argparse.ArgumentTypeError("must be a whole number of days, 1 or more")
    return days


def _user(user: User) -> dict[str, Any]:
    data = user.model_dump(mode="json")
    data["arranges"] = sorted(user.arranges)
    return data


# -- companies and users ------------------------------------------------------------------


@command(
    "create-company", "create a company (tenant)", arg("company"), arg("--name", required=True)
)
def _create_company(admin: Admin, a: argparse.Namespace) -> Outcome:
    company = directory.create_company(admin.repo, Company(id=a.company, name=a.name))
    return Outcome(
        {"created": "company", "company": company.model_dump(mode="json")},
        f"company {company.id} ({company.name}) created",
    )


@command(
    "create-user",
    "create a user of a company",
    arg("company"),
    arg("employee_id"),
    arg("--name", required=True),
    arg("--email", required=True),
    arg("--role", choices=[r.value for r in Role], default="traveller"),
)
def _create_user(admin: Admin, a: argparse.Namespace) -> Outcome:
    new = User(
        company=a.company, employee_id=a.employee_id, name=a.name, email=a.email, role=a.role
    )
    user = directory.create_user(admin.repo, new, origin=admin.origin())
    return Outcome(
        {"created": "user", "user": _user(user)},
        f"user {user.company}/{user.employee_id} ({user.role.value}) created",
    )


@command("list-users", "list a company's users and their membership counts", arg("company"))
def _list_users(admin: Admin, a: argparse.Namespace) -> Outcome:
    users = [
        {
            "employee_id": user.employee_id,
            "role": user.role.value,
            "email": user.email,
            "memberships": held,
        }
        for user, held in directory.list_users(admin.repo, a.company)
    ]
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


ASSIGNMENT = (arg("company"), arg("arranger"), arg("traveller"))


@command(
    "assign",
    "let an arranger manage a traveller",
    *ASSIGNMENT,
    arg(
        "--make-arranger",
        action="store_true",
        help="the arranger is a traveller now: make them an arranger (else refused)",
    ),
)
def _assign(admin: Admin, a: argparse.Namespace) -> Outcome:
    try:
        changed = directory.assign(
            admin.repo, a.company, a.arranger, a.traveller, a.make_arranger, origin=admin.origin()
        )
    except NotAnArranger as err:
        raise Refused(
            f"{a.company}/{a.arranger} is a traveller: pass --make-arranger to make them an "
            f"arranger of {err.traveller}"
        ) from None
    return _arranger_change(*changed)


@command("unassign", "take a traveller from an arranger (their role stays)", *ASSIGNMENT)
def _unassign(admin: Admin, a: argparse.Namespace) -> Outcome:
    changed = directory.unassign(
        admin.repo, a.company, a.arranger, a.traveller, origin=admin.origin()
    )
    return _arranger_change(*changed)


# -- API tokens -----------------------------------------------------------------------------

DAYS = arg("--days", type=_days, help="expire after this many days (1 or more)")


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


@command("issue-token", "issue an API token to a user (printed once)", arg("email"), DAYS)
def _issue_token(admin: Admin, a: argparse.Namespace) -> Outcome:
    expires = token_expiry(a.days)
    token, tid = directory.issue_token(
        admin.repo, a.email, origin=admin.origin(), expires_at=expires
    )
    data = {"email": a.email, "token_id": tid, "token": token, "expires_at": when(expires)}
    return _issued(data, a.email)


@command("revoke-token", "revoke a user's API token by its id", arg("email"), arg("token_id"))
def _revoke_token(admin: Admin, a: argparse.Namespace) -> Outcome:
    directory.revoke_token(admin.repo, a.email, a.token_id, origin=admin.origin())
    return Outcome(
        {"revoked": "token", "email": a.email, "token_id": a.token_id},
        f"token {a.token_id} of {a.email} revoked",
    )


@command("list-tokens", "list a user's token ids and expiry", arg("email"))
def _list_tokens(admin: Admin, a: argparse.Namespace) -> Outcome:
    tokens = {
        tid: when(expiry) for tid, expiry in directory.list_tokens(admin.repo, a.email).items()
    }
    lines = [f"{tid}  expires {expiry or 'never'}" for tid, expiry in tokens.items()]
    return Outcome(
        {
            "email": a.email,
            "tokens": [{"token_id": t, "expires_at": e} for t, e in tokens.items()],
        },
        "\n".join(lines) or f"{a.email} holds no token",
    )


# -- Concur applications and their tokens ----------------------------------------------------


@command(
    "create-app",
    "register a Concur partner application",
    arg("app_id"),
    arg("--name", required=True),
    arg("--kind", choices=[k.value for k in ApplicationKind], required=True),
    arg("--vendor-type", choices=[t.value for t in VendorType]),
    arg("--vendor-code"),
    arg("--certified", action="store_true"),
)
def _create_app(admin: Admin, a: argparse.Namespace) -> Outcome:
    new = Application(
        id=a.app_id,
        name=a.name,
        kind=a.kind,
        vendor_type=a.vendor_type,
        vendor_code=a.vendor_code,
        certified=a.certified,
    )
    app = directory.create_application(admin.repo, new, origin=admin.origin())
    return Outcome(
        {"created": "application", "application": app.model_dump(mode="json")},
        f"application {app.id} ({app.kind.value}, certified={app.certified}) created",
    )


@command(
    "certify-app",
    "mark a supplier application reviewed (or not)",
    arg("app_id"),
    arg("--revoke", action="store_true"),
)
def _certify_app(admin: Admin, a: argparse.Namespace) -> Outcome:
    before, app, tokens = directory.certify_application(
        admin.repo, a.app_id, not a.revoke, origin=admin.origin()
    )
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


@command(
    "issue-concur-token",
    "issue an OAuth token: app acting for a user",
    arg("app_id"),
    arg("company"),
    arg("employee_id"),
    DAYS,
)
def _issue_concur_token(admin: Admin, a: argparse.Namespace) -> Outcome:
    expires = token_expiry(a.days)
    token, tid = directory.issue_concur_token(
        admin.repo, a.app_id, a.company, a.employee_id, origin=admin.origin(), expires_at=expires
    )
    data = {
        "application": a.app_id,
        "company": a.company,
        "employee_id": a.employee_id,
        "token_id": tid,
        "token": token,
        "expires_at": when(expires),
    }
    return _issued(data, f"application {a.app_id} acting for {a.company}/{a.employee_id}")


@command(
    "revoke-concur-token",
    "revoke an application's token by its id",
    arg("app_id"),
    arg("token_id"),
)
def _revoke_concur_token(admin: Admin, a: argparse.Namespace) -> Outcome:
    directory.revoke_concur_token(admin.repo, a.app_id, a.token_id, origin=admin.origin())
    return Outcome(
        {"revoked": "concur_token", "application": a.app_id, "token_id": a.token_id},
        f"token {a.token_id} of application {a.app_id} revoked",
    )
