"""The admin CLI's import-memberships on the embedded store: a dry run that writes nothing,
the report of every refused row, a rerun that writes nothing, replace confirmed by the dry
run's count; and export-memberships, whose file imports back changing nothing."""

from __future__ import annotations

import csv
import json
from pathlib import Path
from typing import Any

import pytest

from local import admin
from local.demo import seed_memberships
from tests.conftest import Api, store_contents

HEADER = "employee_id,provider_code,account_number,membership_name,level,expires_on"
FILE = f"""\ufeff{HEADER}
098765,QF,0012345,John Smith,Gold,2031-01-01
098765,HH,H7777,John Smith,,
112233,AA,00AA1,Jane Doe,=cmd|' /C calc'!A0,
112233,QF,77,Jane Doe,Silver,
999999,QF,1,Nobody,,
"""


def cli(*args: str) -> tuple[int, str, str]:
    import contextlib
    import io

    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = admin.main([*args, "--by", "tester"])
    return code, out.getvalue(), err.getvalue()


def imported(path: Path, *extra: str) -> dict[str, Any]:
    code, out, err = cli("import-memberships", str(path), "--company", "acme", "--json", *extra)
    assert code == 0, err
    found: dict[str, Any] = json.loads(out)
    return found


def accounts(api: Api, employee_id: str) -> dict[str, Any]:
    data = api("GET", f"/api/users/{employee_id}/loyalty_memberships").json["data"]
    return {m["attributes"]["account_number"]: m for m in data}


@pytest.fixture
def company_file(tmp_path: Path) -> Path:
    path = tmp_path / "acme.csv"
    path.write_text(FILE, "utf-8")
    return path


def test_a_dry_run_reports_and_writes_nothing(api: Api, company_file: Path) -> None:
    before = store_contents()
    result = imported(company_file, "--dry-run")
    assert store_contents() == before
    totals = result["totals"]
    assert (totals["rows"], totals["rows_refused"], totals["created"]) == (5, 3, 2)
    assert (totals["users"], totals["users_refused"]) == (3, 2)
    report = json.loads(Path(result["report"]["json"]).read_text("utf-8"))
    refused = {(r["line"], r["reason"]) for r in report["refused"]}
    assert refused == {(4, "formula"), (5, "not_applied"), (6, "unknown_user")}
    formula = next(r for r in report["refused"] if r["line"] == 4)
    assert formula["account_number"] == "00AA1"  # the cells as written, by column
    with Path(result["report"]["csv"]).open(encoding="utf-8", newline="") as f:
        rows = list(csv.reader(f))
    assert rows[0] == ["line", "reason", "field", "detail", *HEADER.split(","), "cells"]
    assert rows[1][:3] == ["4", "formula", "level"]
    assert rows[1][8] == "'=cmd|' /C calc'!A0"  # escaped again in the report


def test_an_import_applies_reports_and_a_rerun_writes_nothing(api: Api, company_file: Path) -> None:
    trail = len(api("GET", "/api/users/098765/loyalty_membership_changes").json["data"])
    result = imported(company_file)
    assert result["totals"]["users_applied"] == 1
    john = accounts(api, "098765")
    assert set(john) == {"0012345", "H7777"}  # the leading zeros kept
    assert accounts(api, "112233") == {}  # a user's rows apply all or nothing
    changes = api("GET", "/api/users/098765/loyalty_membership_changes").json["data"]
    assert len(changes) == trail + 1
    assert changes[0]["attributes"]["interface"] == "import"
    assert changes[0]["attributes"]["actor"] == "admin:tester"
    before = store_contents()
    again = imported(company_file)
    assert store_contents() == before
    assert again["totals"]["users_unchanged"] == 1
    # Fixed, the file applies the rest; what was applied is not written twice.
    company_file.write_text(FILE.replace("=cmd|' /C calc'!A0", "Gold"), "utf-8")
    fixed = imported(company_file)
    assert (fixed["totals"]["users_applied"], fixed["totals"]["users_unchanged"]) == (1, 1)
    assert set(accounts(api, "112233")) == {"00AA1", "77"}
    assert len(api("GET", "/api/users/098765/loyalty_membership_changes").json["data"]) == (
        trail + 1
    )


def test_replace_runs_only_with_the_dry_runs_deletion_count(api: Api, company_file: Path) -> None:
    seed_memberships()  # John's demo membership: the file does not name it
    dry = imported(company_file, "--mode", "replace", "--dry-run")
    assert dry["totals"]["deleted"] == 1
    before = store_contents()
    code, _, err = cli(
        "import-memberships", str(company_file), "--company", "acme", "--mode", "replace"
    )
    assert code == 1 and "--confirm-deletions 1" in err
    code, _, err = cli(
        "import-memberships",
        str(company_file),
        "--company",
        "acme",
        "--mode",
        "replace",
        "--confirm-deletions",
        "2",
    )
    assert code == 1 and "would delete 1" in err
    assert store_contents() == before
    done = imported(company_file, "--mode", "replace", "--confirm-deletions", "1")
    assert done["totals"]["deleted"] == 1
    assert set(accounts(api, "098765")) == {"0012345", "H7777"}


@pytest.mark.parametrize(
    ("content", "says"),
    [
        ("employee_id,provider_code,account_number,colour\n1,QF,1,red\n", "unknown columns"),
        (b"employee_id,provider_code,account_number\n1,QF,\xff\n", "not UTF-8"),
        ('employee_id,provider_code,account_number\n1,QF,"1\n', "line 2"),
    ],
)
def test_a_file_refused_whole_writes_nothing(
    api: Api, tmp_path: Path, content: str | bytes, says: str
) -> None:
    path = tmp_path / "bad.csv"
    path.write_bytes(content if isinstance(content, bytes) else content.encode())
    before = store_contents()
    code, _, err = cli("import-memberships", str(path), "--company", "acme")
    assert code == 1 and says in err and "nothing was written" in err
    assert store_contents() == before


def test_an_unknown_company_is_refused(api: Api, company_file: Path) -> None:
    code, _, err = cli("import-memberships", str(company_file), "--company", "nowhere")
    assert code == 1 and "nowhere" in err


# -- export ------------------------------------------------------------------------------------


def exported(tmp_path: Path, kind: str, company: str = "acme") -> Path:
    path = tmp_path / f"{company}.{kind}"
    code, _, err = cli(
        "export-memberships", "--company", company, "--format", kind, "--output", str(path)
    )
    assert code == 0, err
    return path


def awkward(api: Api) -> None:
    """Memberships whose cells a spreadsheet would run, or that start with an apostrophe,
    or hold commas and quotes, or have no expiry (as Concur's)."""
    api.create(
        "112233",
        account_number="0000777",
        membership_name="-Jane 'Doe'",
        level="+Plus",
        program='=SUM(A1), "quoted"',
        status_benefits="'lounge', wifi",
    )
    api.create("112233", provider="9c5b9246-2cce-11e8-87f9-0662bed6e7db", account_number="QF1")
    john = api(
        "POST",
        "/api/travelprofile/v1.0/loyalty",
        as_user=None,
        headers={"Authorization": "OAuth concur-supplier-token", "Content-Type": "application/xml"},
        body=(Path(__file__).parents[2] / "examples" / "concur_supplier_update.xml").read_text(),
    )
    assert john.status == 200


@pytest.mark.parametrize("kind", ["csv", "jsonl"])
def test_an_export_imports_back_changing_nothing(api: Api, tmp_path: Path, kind: str) -> None:
    seed_memberships()
    awkward(api)
    path = exported(tmp_path, kind)
    text = path.read_text("utf-8")
    if kind == "csv":
        assert "'-Jane 'Doe'" in text and "'+Plus" in text and "'=SUM(A1)" in text
        assert ",0000777," in text  # whole, leading zeros kept
    before = store_contents()
    result = imported(path, "--mode", "replace")
    assert store_contents() == before  # nothing written: not even a done mark
    assert result["totals"]["rows_refused"] == 0
    assert result["totals"]["unchanged"] == result["totals"]["rows"] >= 4


def test_an_export_holds_its_company_only_user_by_user(api: Api, tmp_path: Path) -> None:
    seed_memberships()
    api.create("098765", as_user="globex", account_number="GLOBEX1")
    rows = list(csv.DictReader(exported(tmp_path, "csv").open(encoding="utf-8")))
    assert "GLOBEX1" not in {r["account_number"] for r in rows}
    assert [r["employee_id"] for r in rows] == sorted(r["employee_id"] for r in rows)
    assert rows[0]["provider_category"] in ("airline", "hotel", "car")
    globex = list(csv.DictReader(exported(tmp_path, "csv", "globex").open(encoding="utf-8")))
    assert [r["account_number"] for r in globex] == ["GLOBEX1"]


def test_an_export_to_stdout_prints_the_file_alone(api: Api) -> None:
    seed_memberships()
    code, out, err = cli("export-memberships", "--company", "acme", "--format", "jsonl")
    assert code == 0, err
    lines = [json.loads(line) for line in out.splitlines()]
    assert {line["employee_id"] for line in lines} == {"098765", "112233"}
