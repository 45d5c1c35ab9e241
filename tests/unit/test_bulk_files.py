"""The company file codec: CSV and JSON Lines read row by row (a file that cannot be read as
a whole refused whole, a row that cannot be used refused alone) and written back the same."""

from __future__ import annotations

import io
import json
from datetime import UTC, date, datetime
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from loyalty_core.errors import MalformedRequest
from loyalty_core.interfaces.bulk import files
from loyalty_core.models import MEMBERSHIP_ATTRIBUTES, Membership
from loyalty_core.models.bulk import MembershipRow, Reason, RowRefusal
from loyalty_core.services.exports import row as export_row

HEADER = "employee_id,provider_code,account_number,membership_name,level,point_total"
FAST = settings(max_examples=60, derandomize=True, database=None, deadline=None)


def read(text: str | bytes, kind: str = "csv") -> list[MembershipRow | RowRefusal]:
    data = text.encode("utf-8") if isinstance(text, str) else text
    return list(files.Rows(io.BytesIO(data), kind))


def only(text: str | bytes, kind: str = "csv") -> Any:
    (found,) = read(text, kind)
    return found


# -- CSV ----------------------------------------------------------------------------------


def test_a_csv_row_keeps_leading_zeros_and_reads_numbers_as_digits() -> None:
    row = only(f"{HEADER}\n000123,HH,0012345,John Smith,Gold,0042\n")
    assert isinstance(row, MembershipRow)
    assert (row.employee_id, row.provider_code, row.account_number) == ("000123", "HH", "0012345")
    assert row.changes.point_total == 42
    assert row.line == 2
    assert row.source.original == ("000123", "HH", "0012345", "John Smith", "Gold", "0042")


def test_a_byte_order_mark_semicolons_and_crlf_read_as_plain_csv() -> None:
    plain = read(f"{HEADER}\n000123,HH,0012345,John Smith,Gold,7\n")
    excel = read(
        b"\xef\xbb\xbf"
        + f"{HEADER.replace(',', ';')}\r\n000123;HH;0012345;John Smith;Gold;7\r\n".encode()
    )
    assert [r.values() for r in excel] == [r.values() for r in plain]  # type: ignore[union-attr]


def test_an_empty_cell_leaves_the_field_unset() -> None:
    row = only(f"{HEADER}\n000123,HH,0012345,,,\n")
    assert row.changes.model_fields_set == {"account_number"}


def test_quoted_cells_may_hold_commas_and_newlines_and_lines_count_from_the_header() -> None:
    header = "employee_id,provider_code,account_number,program,status_benefits"
    rows = read(
        f'{header}\n0001,HH,1,"Honors, Gold",x\n0002,HH,2,P,"lounge\nand wifi"\n0003,HH,3,P,y\n'
    )
    assert [r.line for r in rows] == [2, 3, 5]
    first, second, _ = rows
    assert isinstance(first, MembershipRow) and first.changes.program == "Honors, Gold"
    assert isinstance(second, RowRefusal) and second.field == "status_benefits"  # a newline


@pytest.mark.parametrize(
    ("text", "says"),
    [
        ("", "empty"),
        ("employee_id,provider_code,account_number,colour\n", '"colour"'),
        ("employee_id,account_number\n", "provider_id or provider_code"),
        ("provider_code,account_number\n", "employee_id"),
        ("employee_id,provider_code,account_number,account_number\n", "named twice"),
        (f'{HEADER}\n000123,HH,"unterminated\n', "line 2"),
        (f'{HEADER}\n000123,HH,1,"a"b,Gold,1\n', "line 2"),
    ],
)
def test_a_file_that_cannot_be_read_whole_is_refused_whole(text: str, says: str) -> None:
    with pytest.raises(MalformedRequest) as refused:
        read(text)
    assert says in refused.value.detail


def test_a_file_that_is_not_utf8_is_refused_whole() -> None:
    with pytest.raises(MalformedRequest, match="UTF-8"):
        read(f"{HEADER}\n000123,HH,1,Jos\xe9,Gold,1\n".encode("latin-1"))


def test_a_row_with_cells_astray_is_refused_alone_naming_its_user() -> None:
    bad, good = read(f"{HEADER}\n000123,HH,1\n000124,HH,2,x,y,1\n")
    assert isinstance(bad, RowRefusal) and bad.reason is Reason.MALFORMED
    assert bad.employee_id == "000123" and bad.line == 2
    assert isinstance(good, MembershipRow)


@pytest.mark.parametrize(
    ("cells", "field"),
    [
        ("0001,HH,1,John,Gold,1e5", "point_total"),
        ("0001,HH,1,John,Gold,1.5", "point_total"),
        ("0001,HH,,John,Gold,1", "account_number"),
        ("00 1,HH,1,John,Gold,1", "employee_id"),
        ("0001,,1,John,Gold,1", "provider_id"),
        ("0001,HH,1,John\u202e,Gold,1", "membership_name"),
        ("0001,HH,1,John\x07,Gold,1", "membership_name"),
        ("0001,HH,1,John,Go\u200bld,1", "level"),
        ("0001,HH,has space!,John,Gold,1", "account_number"),
    ],
)
def test_a_row_breaking_a_field_rule_is_refused_naming_the_field(cells: str, field: str) -> None:
    refusal = only(f"{HEADER}\n{cells}\n")
    assert isinstance(refusal, RowRefusal), refusal
    assert (refusal.reason, refusal.field) == (Reason.INVALID, field)


@pytest.mark.parametrize("cell", ["=1+2", "+44", "-Gold", "@SUM(A1)", '=HYPERLINK("x")'])
def test_a_formula_cell_is_refused_and_its_escaped_form_is_the_text(cell: str) -> None:
    refusal = only(f'{HEADER}\n0001,HH,1,John,"{cell.replace(chr(34), 2 * chr(34))}",1\n')
    assert isinstance(refusal, RowRefusal) and refusal.reason is Reason.FORMULA
    assert refusal.field == "level"


def test_an_escaped_cell_reads_as_its_text() -> None:
    row = only(f"{HEADER}\n0001,HH,1,'-Smith,'+Plus,1\n")
    assert (row.changes.membership_name, row.changes.level) == ("-Smith", "+Plus")
    row = only(f"{HEADER}\n0001,HH,1,'Tis Smith,Gold,1\n")
    assert row.changes.membership_name == "'Tis Smith"  # no formula after it: kept


@FAST
@given(st.text(max_size=30))
def test_escaping_round_trips_and_never_leaves_a_formula(value: str) -> None:
    escaped = files.escape(value)
    assert files.unescape(escaped) == (value, False)
    assert not escaped.startswith(files.FORMULA_START)


# -- JSON Lines -----------------------------------------------------------------------------


def test_a_json_line_sets_what_it_names_and_null_clears() -> None:
    sent = {
        "employee_id": "0001",
        "provider_id": "hh",
        "account_number": "0042",
        "level": None,
        "point_total": 5,
    }
    row = only(json.dumps(sent), "jsonl")
    assert isinstance(row, MembershipRow), row
    assert row.changes.model_fields_set == {"account_number", "level", "point_total"}
    assert (row.account_number, row.changes.level, row.changes.point_total) == ("0042", None, 5)


@pytest.mark.parametrize(
    ("line", "reason"),
    [
        ("not json", Reason.MALFORMED),
        ("[1, 2]", Reason.MALFORMED),
        ('{"employee_id": "1", "employee_id": "2"}', Reason.MALFORMED),
        (
            '{"employee_id": "1", "provider_id": "hh", "account_number": "1", "colour": 1}',
            Reason.INVALID,
        ),
        ('{"employee_id": "1", "provider_id": "hh", "account_number": 12}', Reason.INVALID),
        ('{"employee_id": 1, "provider_id": "hh", "account_number": "1"}', Reason.INVALID),
        ('{"employee_id": "1", "provider_id": "hh", "account_number": null}', Reason.INVALID),
        (
            '{"employee_id": "1", "provider_id": "hh", "account_number": "1", '
            '"membership_name": null}',
            Reason.INVALID,
        ),
        (
            '{"employee_id": "1", "provider_id": "hh", "account_number": "1", "point_total": true}',
            Reason.INVALID,
        ),
    ],
)
def test_a_json_line_that_cannot_be_used_is_refused_alone(line: str, reason: Reason) -> None:
    refusal, good = read(
        f'{line}\n{{"employee_id": "2", "provider_id": "hh", "account_number": "2"}}\n', "jsonl"
    )
    assert isinstance(refusal, RowRefusal) and refusal.reason is reason
    assert refusal.source.original == line
    assert isinstance(good, MembershipRow) and good.line == 2


# -- writing, and reading it back ---------------------------------------------------------------

TEXT = st.text(st.characters(exclude_categories=("Cs", "Cc", "Cf", "Zl", "Zp")), max_size=20)


@st.composite
def memberships(draw: Any) -> Membership:
    name = draw(st.from_regex(r"[-' .A-Za-z]{0,10}[A-Za-z][-' .A-Za-z]{0,10}", fullmatch=True))
    return Membership(
        id="m1",
        company="acme",
        employee_id=draw(st.from_regex(r"[0-9A-Za-z_]{1,10}", fullmatch=True)),
        provider_id="hh",
        account_number=draw(st.from_regex(r"[0-9A-Za-z_]{1,12}", fullmatch=True)),
        membership_name=name.strip() or "x",
        level=draw(st.one_of(st.none(), st.from_regex(r"[-+' A-Za-z/&.]{0,20}", fullmatch=True))),
        program=draw(
            st.one_of(
                st.none(),
                st.sampled_from(["=SUM(A1)", "@x", "+1", "-1", "'quoted", "''x", "'=x", " pad "]),
                TEXT.filter(lambda t: t.strip() != "" and t.isprintable()),
            )
        ),
        expires_on=draw(st.one_of(st.none(), st.dates(date(2000, 1, 1), date(2100, 1, 1)))),
        status_benefits=draw(st.one_of(st.none(), TEXT.filter(str.isprintable))),
        point_total=draw(st.one_of(st.none(), st.integers(0, 2**53 - 1))),
        created_at=datetime(2026, 1, 1, tzinfo=UTC),
        updated_at=datetime(2026, 1, 1, tzinfo=UTC),
    )


@FAST
@given(memberships(), st.sampled_from(files.FORMATS))
def test_what_is_written_reads_back_as_the_same_membership(m: Membership, kind: str) -> None:
    out = io.StringIO()
    assert files.write_rows(out, kind, [export_row(m, None)]) == 1
    (row,) = read(out.getvalue(), kind)
    assert isinstance(row, MembershipRow), row
    for name in MEMBERSHIP_ATTRIBUTES:
        sent = getattr(m, name)
        if name in row.changes.model_fields_set:
            assert getattr(row.changes, name) == sent, name
        else:  # an empty CSV cell: only what the membership does not hold
            assert sent in (None, ""), name
    assert (row.employee_id, row.provider_id) == (m.employee_id, "hh")


# -- whatever is sent -----------------------------------------------------------------------------


@settings(max_examples=150, derandomize=True, database=None, deadline=None)
@given(st.binary(max_size=400), st.sampled_from(files.FORMATS))
def test_any_bytes_are_rows_refusals_or_a_whole_file_refusal(data: bytes, kind: str) -> None:
    try:
        rows = read(HEADER.encode() + b"\n" + data if kind == "csv" else data, kind)
    except MalformedRequest as refused:
        assert refused.detail
        return
    for row in rows:
        assert isinstance(row, MembershipRow | RowRefusal)


@settings(max_examples=150, derandomize=True, database=None, deadline=None)
@given(st.lists(st.text(max_size=12), min_size=1, max_size=8), st.sampled_from(files.FORMATS))
def test_any_text_cells_are_rows_refusals_or_a_whole_file_refusal(
    cells: list[str], kind: str
) -> None:
    if kind == "csv":
        out = io.StringIO()
        import csv

        csv.writer(out).writerows([HEADER.split(","), cells])
        text = out.getvalue()
    else:
        text = json.dumps(dict(zip(HEADER.split(","), cells, strict=False))) + "\n"
    try:
        rows = read(text.encode("utf-8", "surrogatepass"), kind)
    except MalformedRequest:
        return
    assert all(isinstance(r, MembershipRow | RowRefusal) for r in rows)
