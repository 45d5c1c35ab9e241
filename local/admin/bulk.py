"""Commands: a company's memberships in and out as a file (SPEC 14; docs/bulk.md).

    python -m local.admin import-memberships acme.csv --company acme --dry-run
    python -m local.admin import-memberships acme.csv --company acme
    python -m local.admin import-memberships acme.csv --company acme --mode replace \\
        --confirm-deletions 12
    python -m local.admin export-memberships --company acme --format csv > acme.csv

An import checks the whole file first (nothing is written if the file itself cannot be
read), then applies it user by user (`loyalty_core.services.imports`), each user's rows all
or nothing, with a progress bar on stderr; it writes a report of every refused row (line,
reason, the cells as written) beside the file: FILE.report.csv and FILE.report.json
(`--report PREFIX` to choose). A run that stops (Ctrl-C, a lost connection) resumes by
running the same command again: users already applied are found done and not written
twice. `--mode replace` also deletes each named user's memberships the file does not name:
it runs only with `--confirm-deletions N`, N being what the dry run counts (it is counted
again first). An export reads the company user by user through its index of users.
"""

from __future__ import annotations

import argparse
import json
import sys
import uuid
from pathlib import Path

from local.admin.cli import Admin, Outcome, Refused, arg, command
from loyalty_core.errors import MalformedRequest
from loyalty_core.interfaces.bulk import files
from loyalty_core.models import Interface, Origin
from loyalty_core.models.bulk import ImportMode, ImportTotals
from loyalty_core.services import exports, imports


def _company(admin: Admin, company: str) -> None:
    if admin.repo.get_company(company) is None:
        raise Refused(f"No company {company!r}; create it first")


def _format(path: Path, chosen: str | None) -> str:
    if chosen:
        return chosen
    return "jsonl" if path.suffix.lower() in (".jsonl", ".ndjson") else "csv"


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
            f"{t.unchanged} unchanged; {t.users_applied} users written, "
            f"{t.users_unchanged} already as the file says"
        )
    if t.users_done_before:
        lines.append(
            f"{t.users_done_before} users applied by an earlier run with these rows, changed "
            "since: not applied again"
        )
    return "\n".join(lines)


@command(
    "import-memberships",
    "import a company's memberships from a CSV or JSON Lines file (checked whole first, "
    "then user by user; --dry-run writes nothing)",
    arg("file", type=Path),
    arg("--company", required=True),
    arg("--mode", choices=[m.value for m in ImportMode], default=ImportMode.MERGE.value),
    arg("--format", choices=files.FORMATS, help="default: from the file's suffix"),
    arg("--dry-run", action="store_true", help="check and count; write nothing"),
    arg(
        "--confirm-deletions",
        type=int,
        metavar="N",
        help="with --mode replace: the deletions the dry run counted",
    ),
    arg("--report", type=Path, help="report files' prefix (default: FILE.report)"),
)
def _import_memberships(admin: Admin, a: argparse.Namespace) -> Outcome:
    _company(admin, a.company)
    path: Path = a.file
    if not path.is_file():
        raise Refused(f"No file {path}")
    if path.stat().st_size > imports.MAX_FILE_BYTES:
        raise Refused(f"{path} is over {imports.MAX_FILE_BYTES // (1024 * 1024)} MB; split it")
    mode = ImportMode(a.mode)
    with path.open("rb") as data:
        rows = files.Rows(data, _format(path, a.format))
        try:
            checked = imports.check(rows, admin.repo.providers())
        except MalformedRequest as err:
            raise Refused(f"{path}: {err.detail}; nothing was written") from None
    origin = Origin(f"admin:{admin.operator}", Interface.IMPORT, f"import-{uuid.uuid4()}")
    if mode is ImportMode.REPLACE and not a.dry_run:
        with _Bar("dry run", len(checked.users)) as bar:
            counted, _ = imports.run(
                admin.repo, a.company, checked, mode, origin, dry_run=True, progress=bar.advance
            )
        if (a.confirm_deletions or 0) != counted.deleted or (
            counted.deleted and a.confirm_deletions is None
        ):
            given = (
                "no --confirm-deletions"
                if a.confirm_deletions is None
                else f"--confirm-deletions {a.confirm_deletions}"
            )
            raise Refused(
                f"--mode replace would delete {counted.deleted} memberships, and {given} "
                f"was given: run it again with --confirm-deletions {counted.deleted} "
                "(nothing was written)"
            )
    with _Bar("dry run" if a.dry_run else "importing", len(checked.users)) as bar:
        totals, refused = imports.run(
            admin.repo, a.company, checked, mode, origin, dry_run=a.dry_run, progress=bar.advance
        )
    prefix: Path = a.report or path.with_name(path.name + ".report")
    report_csv, report_json = Path(f"{prefix}.csv"), Path(f"{prefix}.json")
    listed = [files.refusal_json(r, rows.columns) for r in refused]
    with report_csv.open("w", encoding="utf-8", newline="") as out:
        files.write_report_csv(out, listed, rows.columns)
    summary = {
        "company": a.company,
        "file": str(path),
        "mode": mode.value,
        "dry_run": a.dry_run,
        "request_id": origin.request_id,
        "totals": totals.as_json(),
    }
    document = {**summary, "refused": listed}
    report_json.write_text(json.dumps(document, indent=2, ensure_ascii=False) + "\n", "utf-8")
    text = _summary(totals, a.dry_run)
    if refused:
        text += f"\nrefused rows: {report_csv} and {report_json}"
    return Outcome({**summary, "report": {"csv": str(report_csv), "json": str(report_json)}}, text)


@command(
    "export-memberships",
    "export every membership of a company as CSV or JSON Lines (the import's columns, "
    "account numbers whole)",
    arg("--company", required=True),
    arg("--format", choices=files.FORMATS, default="csv"),
    arg("--output", type=Path, help="default: stdout"),
)
def _export_memberships(admin: Admin, a: argparse.Namespace) -> Outcome:
    if a.output is None and (a.json or a.json_first):
        raise Refused("--json prints a summary: give --output FILE for the export itself")
    _company(admin, a.company)
    out = a.output.open("w", encoding="utf-8", newline="") if a.output else sys.stdout
    try:
        written = files.write_rows(out, a.format, exports.rows(admin.repo, a.company))
    finally:
        if a.output:
            out.close()
    where = str(a.output) if a.output else "stdout"
    return Outcome(
        {"company": a.company, "format": a.format, "rows": written, "output": where},
        f"{written} memberships of {a.company} exported to {where}" if a.output else "",
    )
