"""Command: erase a user (`loyalty_core.services.erasure`)."""

from __future__ import annotations

import argparse

from local.admin.cli import Admin, Outcome, arg, command
from loyalty_core.services.erasure import erase_user


@command(
    "erase-user",
    "remove a user with their memberships, login, tokens and history (idempotent); "
    "leaves one erasure record naming no one",
    arg("company"),
    arg("employee_id"),
)
def _erase_user(admin: Admin, a: argparse.Namespace) -> Outcome:
    who = f"{a.company}/{a.employee_id}"
    erased = erase_user(admin.repo, a.company, a.employee_id, origin=admin.origin())
    if erased is None:
        return Outcome(
            {"erased": False, "company": a.company, "employee_id": a.employee_id},
            f"{who}: no such user, nothing to erase (an erased user leaves only the "
            "erasure record, which names no one)",
        )
    record = erased.as_json()
    removed = ", ".join(f"{kind} {n}" for kind, n in record["removed"].items())
    return Outcome(
        {"erased": True, "company": a.company, "employee_id": a.employee_id, "record": record},
        f"{who} erased: {record['items_removed']} items ({removed}); "
        f"{record['api_tokens_revoked']} API token(s) revoked with the login; "
        f"{record['arrangers_updated']} arranger(s) no longer assigned to them\n"
        f"erasure record {record['id']} (by {record['actor']}, no personal data) "
        f"kept in company {a.company}",
    )
