"""The admin CLI's company import and export (SPEC 14): `import-memberships` and
`export-memberships`, against the same DynamoDB as every other command.

    python -m local.admin import-memberships acme.csv --company acme --dry-run
    python -m local.admin import-memberships acme.csv --company acme
    python -m local.admin import-memberships acme.csv --company acme --mode replace \\
        --confirm-deletions 12
    python -m local.admin export-memberships --company acme --format csv > acme.csv

An import checks the whole file first (nothing is written if the file itself cannot be
read), then applies it user by user, each user's rows all or nothing, with a progress bar
on stderr; it writes a report of every refused row (line, reason, the cells as written)
beside the file: FILE.report.csv and FILE.report.json (`--report PREFIX` to choose). A run
that stops (Ctrl-C, a lost connection) resumes by running the same command again: users
already applied are found done and not written twice. `--mode replace` also deletes each
named user's memberships the file does not name: it runs only with `--confirm-deletions N`
where N is what the dry run (run first, by itself) counts.
"""

from __future__ import annotations

import argparse
import json
import sys
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

from loyalty_core.errors import MalformedRequest
from loyalty_core.interfaces.bulk import files
from loyalty_core.models import Interface, Origin
from loyalty_core.models.bulk import ImportMode, ImportTotals
from loyalty_core.repository.dynamodb import DynamoRepository
from loyalty_core.services import imports

Add = Callable[[str, str], argparse.ArgumentParser]


def arguments(add: Add) -> None:
    """The group's commands and their arguments, on the CLI's parser (`add(name, help)`)."""
    p = add(
        "import-memberships",
        "import a company's memberships from a CSV or JSON Lines file (checked whole first, "
        "then user by user; --dry-run writes nothing)",
    )
    p.add_argument("file", type=Path)
    p.add_argument("--company", required=True)
    p.add_argument("--mode", choices=[m.value for m in ImportMode], default=ImportMode.MERGE.value)
    p.add_argument("--format", choices=files.FORMATS, help="default: from the file's suffix")
    p.add_argument("--dry-run", action="store_true", help="check and count; write nothing")
    p.add_argument(
        "--confirm-deletions",
        type=int,
        metavar="N",
        help="with --mode replace: the deletions the dry run counted",
    )
    p.add_argument("--report", type=Path, help="report files' prefix (default: FILE.report)")
    p = add(
        "export-memberships",
        "export every membership of a company as CSV or JSON Lines (the import's columns, "
        "account numbers whole)",
    )
    p.add_argument("--company", required=True)
    p.add_argument("--format", choices=files.FORMATS, default="csv")
    p.add_argument("--output", type=Path, help="default: stdout")


def commands(outcome: Callable[..., Any]) -> dict[str, Callable[[Any, argparse.Namespace], Any]]:
    """The group's commands, each making its `outcome` (the CLI's: data and text)."""
    return {
        "import-memberships": lambda admin, a: import_memberships(admin, a, outcome),
        "export-memberships": lambda admin, a: export_memberships(admin, a, outcome),
    }


def repository(admin: Any) -> DynamoRepository:
    return DynamoRepository(admin.client, admin.table, audit_retention_days=admin.retention_days)


def _format(path: Path, chosen: str | None) -> str:
    if chosen:
        return chosen
    suffix = path.suffix.lower().lstrip(".")
    return "jsonl" if suffix in ("jsonl", "ndjson") else "csv"


class _Bar:
    """A progress bar of users on stderr (rich's; silent when stderr is not a terminal)."""

    def __init__(self, label: str, total: int) -> None:
        from rich.console import Console
        from rich.progress import (
            BarColumn,
            MofNCompleteColumn,
            Progress,
            TextColumn,
            TimeRemainingColumn,
        )

        console = Console(stderr=True)
        self.progress = Progress(
            TextColumn("{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            TextColumn("users"),
            TimeRemainingColumn(),
            console=console,
            transient=False,
            disable=not console.is_terminal,
        )
        self.task = self.progress.add_task(label, total=total)

    def __enter__(self) -> _Bar:
        self.progress.start()
        return self

    def __exit__(self, *_: object) -> None:
        self.progress.stop()

    def advance(self, _: object = None) -> None:
        self.progress.advance(self.task)


def _summary(totals: ImportTotals, dry_run: bool) -> str:
    t = totals
    lines = [f"{t.rows} rows, {t.rows_refused} refused; {t.users} users, {t.users_refused} refused"]
    if dry_run:
        lines.append(
            f"dry run: would create {t.created}, update {t.updated}, delete {t.deleted} "
            f"memberships, leave {t.unchanged} unchanged; nothing was written"
        )
    else:
        lines.append(
            f"created {t.created}, updated {t.updated}, deleted {t.deleted} memberships, "
            f"{t.unchanged} unchanged; {t.users_applied} users applied"
        )
    if t.users_done_before:
        lines.append(f"{t.users_done_before} users applied by an earlier run: not written again")
    return "\n".join(lines)


def import_memberships(admin: Any, a: argparse.Namespace, outcome: Callable[..., Any]) -> Any:
    from local.admin import AdminError

    admin._require_company(a.company)
    path: Path = a.file
    if not path.is_file():
        raise AdminError(f"No file {path}")
    if path.stat().st_size > imports.MAX_FILE_BYTES:
        raise AdminError(f"{path} is over {imports.MAX_FILE_BYTES // (1024 * 1024)} MB; split it")
    mode = ImportMode(a.mode)
    repo = repository(admin)
    kind = _format(path, a.format)
    with path.open("rb") as data:
        rows = files.Rows(data, kind)
        try:
            checked = imports.check(rows, repo.providers())
        except MalformedRequest as err:
            raise AdminError(f"{path}: {err.detail}; nothing was written") from None
    origin = Origin(f"admin:{admin.operator}", Interface.IMPORT, f"import-{uuid.uuid4()}")
    if mode is ImportMode.REPLACE and not a.dry_run:
        with _Bar("dry run", len(checked.users)) as bar:
            counted, _ = imports.run(
                repo, a.company, checked, mode, origin, dry_run=True, progress=bar.advance
            )
        if a.confirm_deletions != counted.deleted:
            said = (
                "no --confirm-deletions"
                if a.confirm_deletions is None
                else (f"--confirm-deletions {a.confirm_deletions}")
            )
            raise AdminError(
                f"--mode replace would delete {counted.deleted} memberships, and {said} "
                f"was given: run it again with --confirm-deletions {counted.deleted} "
                "(nothing was written)"
            )
    label = "dry run" if a.dry_run else "importing"
    with _Bar(label, len(checked.users)) as bar:
        totals, refused = imports.run(
            repo, a.company, checked, mode, origin, dry_run=a.dry_run, progress=bar.advance
        )
    prefix: Path = a.report or path.with_name(path.name + ".report")
    report_csv, report_json = Path(f"{prefix}.csv"), Path(f"{prefix}.json")
    listed = [files.refusal_json(r, rows.columns) for r in refused]
    with report_csv.open("w", encoding="utf-8", newline="") as out:
        files.write_report_csv(out, listed, rows.columns)
    document = {
        "company": a.company,
        "file": str(path),
        "mode": mode.value,
        "dry_run": a.dry_run,
        "request_id": origin.request_id,
        "totals": totals.as_json(),
        "refused": listed,
    }
    report_json.write_text(json.dumps(document, indent=2, ensure_ascii=False) + "\n", "utf-8")
    text = _summary(totals, a.dry_run)
    if refused:
        text += f"\nrefused rows: {report_csv} and {report_json}"
    return outcome(
        {
            **{k: v for k, v in document.items() if k != "refused"},
            "report": {"csv": str(report_csv), "json": str(report_json)},
        },
        text,
    )


def export_memberships(admin: Any, a: argparse.Namespace, outcome: Callable[..., Any]) -> Any:
    from local.admin import AdminError
    from loyalty_core.services import exports

    if a.output is None and (getattr(a, "json", False) or getattr(a, "json_first", False)):
        raise AdminError("--json prints a summary: give --output FILE for the export itself")
    admin._require_company(a.company)
    repo = repository(admin)
    out = a.output.open("w", encoding="utf-8", newline="") if a.output else sys.stdout
    try:
        written = files.write_rows(out, a.format, exports.rows(repo, a.company))
    finally:
        if a.output:
            out.close()
    where = str(a.output) if a.output else "stdout"
    return outcome(
        {"company": a.company, "format": a.format, "rows": written, "output": where},
        f"{written} memberships of {a.company} exported to {where}" if a.output else "",
    )
