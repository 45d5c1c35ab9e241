"""The company file codec (SPEC 14): memberships one a row, as CSV or JSON Lines, with the
API's attribute names as columns plus `employee_id` and the provider (`provider_id`, or
`provider_code` with `provider_category` where a code names programs of two categories).

Reading streams the file: a file that cannot be read as a whole (not UTF-8, a header that
is not ours, broken CSV quoting) is refused whole (MalformedRequest, naming the line); a
row that cannot be used is refused alone (`RowRefusal`, with its line and cells), so the
report lists every one.

CSV: UTF-8 with or without a byte-order mark, comma or semicolon (as the header uses), every
cell text (account numbers keep their leading zeros; numbers are whole digits), an empty
cell leaves the field as it is. A cell a spreadsheet would run as a formula (starting with
`=`, `+`, `-` or `@`) is refused, unless written with a leading apostrophe, which the
reader takes off; the writer escapes such cells (and any starting with an apostrophe) that
way, so what an export writes imports back the same. JSON Lines: one object a line, the
same names; `null` clears a field, a name left out leaves it; no escaping.
"""

from __future__ import annotations

import csv
import io
import itertools
import json
from collections.abc import Iterable, Iterator, Mapping
from typing import IO, Any

from pydantic import ValidationError

from loyalty_core.errors import MalformedRequest, Problem, clip, quote, quote_all
from loyalty_core.interfaces import strict_json
from loyalty_core.models import MEMBERSHIP_ATTRIBUTES, MembershipChanges
from loyalty_core.models.bulk import FileRow, MembershipRow, Reason, RowRefusal
from loyalty_core.validators import is_employee_id, problems_from

FORMATS = ("csv", "jsonl")
USER_COLUMNS = ("employee_id",)
PROVIDER_COLUMNS = ("provider_id", "provider_code", "provider_category")
COLUMNS = (*USER_COLUMNS, *PROVIDER_COLUMNS, *MEMBERSHIP_ATTRIBUTES)
CATEGORIES = ("airline", "hotel", "car")
# The whole-number attributes: a CSV cell of digits is read as a number.
COUNTS = frozenset(
    ("point_total", "segment_total", "points_until_next_status", "segments_until_next_status")
)
MAX_ROW_BYTES = 16 * 1024  # one row (a line of JSON, the cells of a CSV record)
FORMULA_START = ("=", "+", "-", "@")
ESCAPE = "'"


# -- cells ------------------------------------------------------------------------------------


def escape(value: str) -> str:
    """A cell as a CSV writer writes it: one a spreadsheet would run as a formula (or one
    starting with the escape itself) gets a leading apostrophe."""
    return ESCAPE + value if value.startswith((*FORMULA_START, ESCAPE)) else value


def unescape(cell: str) -> tuple[str, bool]:
    """A CSV cell's value, and whether it is formula-like as written (refused): an
    apostrophe the writer put before a cell that needed it is taken off."""
    if cell.startswith(ESCAPE) and cell[1:].startswith((*FORMULA_START, ESCAPE)):
        return cell[1:], False
    return cell, cell.startswith(FORMULA_START)


# -- reading ----------------------------------------------------------------------------------


def _refusal(
    source: FileRow,
    reason: Reason,
    detail: str,
    field: str | None = None,
    values: Mapping[str, Any] | None = None,
) -> RowRefusal:
    """A refused row, naming its user when its values hold a well-formed employee id."""
    employee_id = (values or {}).get("employee_id")
    user = employee_id if isinstance(employee_id, str) and is_employee_id(employee_id) else None
    return RowRefusal(source, reason, clip(detail, 300), field, user)


def _text(value: Any) -> str | None:
    return value if isinstance(value, str) else None


def _row(source: FileRow, values: Mapping[str, Any]) -> MembershipRow | RowRefusal:
    """A row's values (column -> value; a column left out is not set) checked against the
    field rules: every broken field named in one refusal."""
    problems: list[Problem] = []
    for name in ("employee_id", "account_number"):
        if values.get(name) is None:
            problems.append(Problem("is required", (name,)))
    if "membership_name" in values and values["membership_name"] is None:
        problems.append(Problem("must not be null", ("membership_name",)))
    if values.get("provider_id") is None and values.get("provider_code") is None:
        problems.append(Problem("or provider_code is required", ("provider_id",)))
    for name in (*USER_COLUMNS, *PROVIDER_COLUMNS):
        if name in values and values[name] is not None and not isinstance(values[name], str):
            problems.append(Problem("must be a string", (name,)))
    employee_id = _text(values.get("employee_id"))
    if employee_id is not None and not is_employee_id(employee_id):
        problems.append(
            Problem("must be 1-50 characters of letters A-Z, digits and _", ("employee_id",))
        )
    category = _text(values.get("provider_category"))
    if category is not None and category.lower() not in CATEGORIES:
        problems.append(Problem(f"must be one of {', '.join(CATEGORIES)}", ("provider_category",)))
    attributes = {k: v for k, v in values.items() if k in MEMBERSHIP_ATTRIBUTES}
    try:
        changes = MembershipChanges.model_validate(attributes)
    except ValidationError as err:
        problems.extend(problems_from(err))
        changes = MembershipChanges()
    if problems:
        detail = "; ".join(f"{p.location[0]} {p.detail}" for p in problems)
        return _refusal(source, Reason.INVALID, detail, str(problems[0].location[0]), values)
    return MembershipRow(
        source=source,
        employee_id=str(employee_id),
        changes=changes,
        provider_id=_text(values.get("provider_id")),
        provider_code=(_text(values.get("provider_code")) or "").upper() or None,
        provider_category=category.lower() if category else None,
    )


def _count(cell: str) -> int | str:
    """A CSV count cell: whole digits as a number, anything else left for the rule to refuse."""
    return int(cell) if cell.isascii() and cell.isdigit() and len(cell) <= 20 else cell


def _csv_rows(text: IO[str], rows: Rows) -> Iterator[MembershipRow | RowRefusal]:
    first = text.readline()
    delimiter = ";" if ";" in first and "," not in first else ","
    reader = csv.reader(itertools.chain([first], text), delimiter=delimiter, strict=True)
    try:
        header = next(reader, None)
    except csv.Error as err:
        raise MalformedRequest(f"line 1: the header is not CSV ({err})") from None
    if not header or not any(header):
        raise MalformedRequest("The file is empty: it needs a header line naming its columns")
    columns = [name.strip() for name in header]
    unknown = [name for name in columns if name not in COLUMNS]
    if unknown:
        raise MalformedRequest(
            f"line 1: unknown columns {quote_all(unknown)}; the columns are " + ", ".join(COLUMNS)
        )
    rows.columns = tuple(columns)
    twice = sorted({name for name in columns if columns.count(name) > 1})
    if twice:
        raise MalformedRequest(f"line 1: columns named twice: {quote_all(twice)}")
    missing = [n for n in ("employee_id", "account_number") if n not in columns]
    if "provider_id" not in columns and "provider_code" not in columns:
        missing.append("provider_id or provider_code")
    if missing:
        raise MalformedRequest(f"line 1: the header lacks {', '.join(missing)}")
    end = reader.line_num
    while True:
        try:
            cells = next(reader, None)
        except csv.Error as err:
            raise MalformedRequest(f"line {end + 1}: the file is not valid CSV ({err})") from None
        if cells is None:
            return
        source = FileRow(end + 1, tuple(cells))
        end = reader.line_num
        if not cells or cells == [""]:
            continue  # a blank line
        if sum(len(c) for c in cells) > MAX_ROW_BYTES:
            yield _refusal(source, Reason.MALFORMED, f"the row is over {MAX_ROW_BYTES} bytes")
            continue
        if len(cells) != len(columns):
            yield _refusal(
                source,
                Reason.MALFORMED,
                f"the row has {len(cells)} cells; the header names {len(columns)} columns",
                values=dict(zip(columns, cells, strict=False)),
            )
            continue
        values: dict[str, Any] = {}
        formulas = []
        for name, cell in zip(columns, cells, strict=True):
            value, formula = unescape(cell)
            if formula:
                formulas.append(name)
            if value != "":
                values[name] = _count(value) if name in COUNTS else value
        if formulas:
            yield _refusal(
                source,
                Reason.FORMULA,
                f"{', '.join(formulas)} starts as a spreadsheet formula does (= + - @); to mean "
                "the text, write it after an apostrophe ('=...)",
                formulas[0],
                values,
            )
            continue
        yield _row(source, values)


def _jsonl_rows(text: IO[str]) -> Iterator[MembershipRow | RowRefusal]:
    for number, line in enumerate(text, start=1):
        source = FileRow(number, line.rstrip("\r\n"))
        if not line.strip():
            continue
        if len(line) > MAX_ROW_BYTES:
            yield _refusal(source, Reason.MALFORMED, f"the line is over {MAX_ROW_BYTES} bytes")
            continue
        try:
            values = strict_json.loads(line)
        except strict_json.DuplicateKey as err:
            yield _refusal(source, Reason.MALFORMED, f"the line names {quote(err.key)} twice")
            continue
        except (ValueError, RecursionError):
            yield _refusal(source, Reason.MALFORMED, "the line is not JSON")
            continue
        if not isinstance(values, dict):
            yield _refusal(source, Reason.MALFORMED, "the line is not a JSON object")
            continue
        unknown = [name for name in values if name not in COLUMNS]
        if unknown:
            yield _refusal(
                source,
                Reason.INVALID,
                f"unknown names {quote_all(unknown)}",
                clip(unknown[0]),
                values,
            )
            continue
        yield _row(source, values)


class Rows:
    """The rows of a company file (`kind` csv or jsonl), in file order, each read or refused,
    as one iteration reads them; MalformedRequest if the file cannot be read as a whole.
    `columns`: a CSV file's header, once read."""

    def __init__(self, data: IO[bytes], kind: str) -> None:
        if kind not in FORMATS:
            raise MalformedRequest(f"The format must be one of {', '.join(FORMATS)}")
        self.data = data
        self.kind = kind
        self.columns: tuple[str, ...] = ()

    def __iter__(self) -> Iterator[MembershipRow | RowRefusal]:
        text = io.TextIOWrapper(self.data, encoding="utf-8-sig", errors="strict", newline="")
        rows = _csv_rows(text, self) if self.kind == "csv" else _jsonl_rows(text)
        try:
            yield from rows
        except UnicodeDecodeError:
            raise MalformedRequest(
                "The file is not UTF-8 text; save it as UTF-8 (CSV UTF-8)"
            ) from None
        finally:
            text.detach()


# -- writing ----------------------------------------------------------------------------------


def write_rows(
    out: IO[str], kind: str, rows: Iterable[Mapping[str, Any]], header: bool = True
) -> int:
    """Rows (column -> value) as a company file: a CSV header (unless `header` is False: a
    part of a file) then one record each (every cell text, formula-like cells escaped), or
    one JSON object a line; how many rows."""
    count = 0
    if kind == "csv":
        writer = csv.writer(out, lineterminator="\r\n")
        if header:
            writer.writerow(COLUMNS)
        for row in rows:
            writer.writerow([_cell(row.get(name)) for name in COLUMNS])
            count += 1
        return count
    for row in rows:
        values = {name: row.get(name) for name in COLUMNS if name in row}
        out.write(json.dumps(values, ensure_ascii=False, separators=(",", ":")) + "\n")
        count += 1
    return count


def _cell(value: Any) -> str:
    return "" if value is None else escape(str(value))


REPORT_COLUMNS = ("line", "reason", "field", "detail")


def refusal_json(refusal: RowRefusal, columns: Iterable[str] = ()) -> dict[str, Any]:
    """A refused row as the reports give it: line, reason, field, detail, and its cells as
    written, by column (a JSON line's text as `text`; cells astray of the header as
    `cells`)."""
    original = refusal.source.original
    names = list(columns)
    if isinstance(original, str):
        cells: dict[str, Any] = {"text": original}
    elif names and len(original) == len(names):
        cells = dict(zip(names, original, strict=True))
    else:
        cells = {"cells": list(original)}
    return {
        "line": refusal.line,
        "reason": refusal.reason.value,
        "field": refusal.field,
        "detail": refusal.detail,
        **cells,
    }


def write_report_csv(
    out: IO[str], refused: Iterable[Mapping[str, Any]], columns: Iterable[str]
) -> None:
    """Refused rows (`refusal_json`'s) as CSV: line, reason, field, detail, then the row's
    cells as written under the file's columns (a JSON line in a `text` column; a CSV row
    whose cells went astray of the header in `cells`, joined by commas), every text cell
    escaped."""
    shown = list(columns) or ["text"]
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow([*REPORT_COLUMNS, *shown, "cells"])
    for row in refused:
        astray = row.get("cells")
        writer.writerow(
            [
                row["line"],
                row["reason"],
                row.get("field") or "",
                escape(str(row["detail"])),
                *(escape(str(row.get(name) or "")) for name in shown),
                escape(",".join(astray)) if astray else "",
            ]
        )
