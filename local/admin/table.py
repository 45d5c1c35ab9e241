"""Commands: the table itself: the provider catalog, creating the table (local), and the
backfill of the keyed reads for items written before them."""

from __future__ import annotations

import argparse
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from local.admin.cli import Admin, Outcome, arg, command
from loyalty_core.models import Provider
from loyalty_core.services.directory import load_catalog

CATALOG = Path(__file__).resolve().parents[2] / "data" / "providers.json"


def read_catalog(path: Path = CATALOG) -> list[Provider]:
    """The programs of a catalog file (data/providers.json's shape)."""
    return [Provider.model_validate(p) for p in json.loads(path.read_text("utf-8"))]


@command(
    "load-catalog",
    "load the provider catalog (idempotent)",
    arg("--file", type=Path, default=CATALOG),
)
def _load_catalog(admin: Admin, a: argparse.Namespace) -> Outcome:
    loaded = load_catalog(admin.repo, read_catalog(a.file))
    return Outcome({"providers_loaded": loaded}, f"{loaded} providers loaded")


@command("create-table", "create the table as template.yaml defines it (local)")
def _create_table(admin: Admin, a: argparse.Namespace) -> Outcome:
    from local.dynamo import ensure_tables

    created = ensure_tables(admin.client, admin.table)
    return Outcome(
        {"table": admin.table, "created": created},
        f"table {admin.table} {'created' if created else 'exists'}",
    )


def every_item(admin: Admin) -> Iterator[dict[str, Any]]:
    """Every item of the table, page by page: a Scan, the one of this code base (a backfill
    cannot read through the index it builds); admin tooling only, run once per version (the
    backfills of the keyed reads, of the trail index and of the webhooks' change feed)."""
    pages = admin.client.get_paginator("scan").paginate(TableName=admin.table, ConsistentRead=True)
    for page in pages:
        yield from page.get("Items", [])


@command(
    "backfill-indexes",
    "give users and Concur tokens written before the keyed reads what those need "
    "(idempotent; once after upgrading)",
)
def _backfill_indexes(admin: Admin, a: argparse.Namespace) -> Outcome:
    written = admin.repo.backfill(every_item(admin))
    return Outcome(
        {"backfilled": written},
        f"{written['profiles']} user(s) added to the company_users index, "
        f"{written['concur_tokens']} Concur token(s) given their user's index entry",
    )


@command(
    "index-trail",
    "index earlier audit records by the memberships they touch, for the trail's "
    "filter[membership] (idempotent; once after upgrading)",
    arg("company", nargs="?", help="one company's users (default: every user)"),
)
def _index_trail(admin: Admin, a: argparse.Namespace) -> Outcome:
    from loyalty_core.services.history import backfill_index

    done = backfill_index(admin.repo, admin.repo.users_among(every_item(admin), a.company))
    return Outcome(
        {"users": done.users, "entries_written": done.entries},
        f"{done.users} user(s) read; {done.entries} trail index entries written",
    )
