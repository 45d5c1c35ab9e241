"""A company import's report and totals (SPEC 14), on the in-memory store: each refused row
says its line, its reason, the column at fault and why, in words an admin can act on; the
totals count rows, users and memberships exactly, over runs that write, find nothing to do,
or find rows done before."""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Sequence
from typing import Any

import pytest

from loyalty_core.errors import (
    DomainError,
    Duplicate,
    InvalidInput,
    Problem,
    RequestInProgress,
    StorageUnavailable,
)
from loyalty_core.models import (
    Change,
    Interface,
    MembershipChanges,
    MembershipDraft,
    Origin,
    new_membership,
)
from loyalty_core.models.bulk import FileRow, ImportMode, MembershipRow, Reason, RowRefusal
from loyalty_core.repository import MEMBERSHIPS_PER_COMMIT
from loyalty_core.services import imports
from loyalty_core.services.writes import write
from tests.memory_repository import InMemoryRepository
from tests.unit.test_company_import import catalog_and_users, checked

ORIGIN = Origin("admin:ops", Interface.IMPORT, "import-report")
NOT_APPLIED = "line {} of this user was refused: a user's rows apply all or nothing"


@pytest.fixture
def repo() -> InMemoryRepository:
    return catalog_and_users()


def run(
    repo: InMemoryRepository, text: str, mode: ImportMode = ImportMode.MERGE, **kw: Any
) -> tuple[dict[str, Any], list[RowRefusal]]:
    origin = Origin("admin:ops", Interface.IMPORT, f"import-{uuid.uuid4()}")
    totals, refused = imports.run(repo, "acme", checked(repo, text), mode, origin, **kw)
    return totals.as_json(), refused


def report(refused: Sequence[RowRefusal]) -> list[tuple[Any, ...]]:
    return [(r.line, r.reason, r.field, r.employee_id, r.detail) for r in refused]


def give(
    repo: InMemoryRepository,
    employee_id: str,
    provider: str,
    account: str,
    program: str | None = None,
) -> None:
    draft = MembershipDraft(
        provider_id=provider, account_number=account, membership_name="Old", program=program
    )
    m = new_membership(draft, "acme", employee_id)
    write(repo, "acme", employee_id, lambda _: (Change(put=(m,)), m), ORIGIN)


def totals(**counts: Any) -> dict[str, Any]:
    zero = dict.fromkeys(
        [
            "rows",
            "rows_refused",
            "users",
            "users_refused",
            "users_applied",
            "users_unchanged",
            "users_done_before",
            "created",
            "updated",
            "deleted",
            "unchanged",
        ],
        0,
    )
    return {**zero, "reasons": {}, **counts}


def test_each_refused_row_says_its_line_column_and_why(repo: InMemoryRepository) -> None:
    text = (
        "employee_id,provider_id,provider_code,provider_category,account_number,program\n"
        "0001,zz,,,1,\n"
        "0001,hh,QF,,2,\n"
        "0002,,XX,air,3,\n"
        "0002,,AL,,4,\n"
        "0003,hh,,,5,P\n"
        "0003,hh,,,5,Q\n"
        "0003,hh,,,6,P\n"
        "9999,hh,,,7,\n"
        ",hh,,,8,\n"
    )
    found, refused = run(repo, text)
    unknown = Reason.UNKNOWN_PROVIDER
    assert report(refused) == [
        (2, unknown, "provider_id", "0001", "'zz' is not a provider of the catalog"),
        (
            3,
            unknown,
            "provider_code",
            "0001",
            "provider_code and provider_category do not name Hilton Honors, as provider_id does",
        ),
        (
            4,
            Reason.INVALID,
            "provider_category",
            "0002",
            "provider_category must be one of airline, hotel, car",
        ),
        (
            5,
            Reason.AMBIGUOUS_PROVIDER,
            "provider_code",
            "0002",
            "AL names Alamo Insiders (car), Marriott Bonvoy (hotel): "
            "give provider_category or provider_id",
        ),
        (6, Reason.NOT_APPLIED, "employee_id", "0003", NOT_APPLIED.format(7)),
        (
            7,
            Reason.DUPLICATE_IN_FILE,
            "account_number",
            "0003",
            "line 6 names the same membership (account_number)",
        ),
        (
            8,
            Reason.DUPLICATE_IN_FILE,
            "program",
            "0003",
            "line 6 names the same membership (program)",
        ),
        (
            9,
            Reason.UNKNOWN_USER,
            "employee_id",
            "9999",
            "no user 9999 in this company: an import never creates users",
        ),
        (10, Reason.INVALID, "employee_id", None, "employee_id is required"),
    ]
    assert found == totals(
        rows=9,
        rows_refused=9,
        users=4,
        users_refused=4,
        reasons={
            "ambiguous_provider": 1,
            "duplicate_in_file": 2,
            "invalid_field": 2,
            "not_applied": 1,
            "unknown_provider": 2,
            "unknown_user": 1,
        },
    )


def test_the_file_check_counts_before_any_user_is_decided(repo: InMemoryRepository) -> None:
    text = "employee_id,provider_code,account_number\n0001,ZZ,1\n0001,HH,2\n0002,HH,3\n,HH,4\n"
    result = checked(repo, text)
    assert list(result.users) == ["0002"]
    found = result.totals
    assert (found.rows, found.rows_refused, found.users, found.users_refused) == (4, 3, 2, 1)
    assert dict(found.reasons) == {"unknown_provider": 1, "not_applied": 1, "invalid_field": 1}


def test_a_code_no_program_has_is_refused_naming_the_category_asked(
    repo: InMemoryRepository,
) -> None:
    text = "employee_id,provider_code,provider_category,account_number\n0001,XX,car,1\n0002,XX,,2\n"
    _, refused = run(repo, text)
    assert [(r.field, r.detail) for r in refused] == [
        ("provider_code", "no car program of the catalog has code XX"),
        ("provider_code", "no program of the catalog has code XX"),
    ]


def test_a_provider_id_with_its_own_code_and_category_is_taken(repo: InMemoryRepository) -> None:
    text = (
        "employee_id,provider_id,provider_code,provider_category,account_number\n"
        "0001,mc,AL,hotel,1\n"
        "0002,mc,AL,car,2\n"
    )
    _, refused = run(repo, text)
    assert report(refused) == [
        (
            3,
            Reason.UNKNOWN_PROVIDER,
            "provider_code",
            "0002",
            "provider_code and provider_category do not name Marriott Bonvoy, as provider_id does",
        )
    ]


def test_one_membership_named_twice_by_one_provider_only(repo: InMemoryRepository) -> None:
    """The same account number or program under two providers, or for two users, is no
    repeat."""
    text = (
        "employee_id,provider_code,account_number,program\n0001,HH,1,P\n0001,QF,1,P\n0002,HH,1,P\n"
    )
    found, refused = run(repo, text)
    assert refused == [] and found["created"] == 3


def test_a_row_past_the_hundredth_of_a_user_in_the_file_is_refused_in_words(
    repo: InMemoryRepository,
) -> None:
    rows = "".join(f"0001,HH,{n:04d}\n" for n in range(101))
    found, refused = run(repo, f"employee_id,provider_code,account_number\n{rows}")
    assert report(refused[-1:]) == [
        (
            102,
            Reason.TOO_MANY_IN_FILE,
            "employee_id",
            "0001",
            "a user holds at most 100 memberships: this row is one more",
        )
    ]
    assert {(r.detail, r.field) for r in refused[:-1]} == {(NOT_APPLIED.format(102), "employee_id")}
    assert (found["rows_refused"], found["users_refused"]) == (101, 1)


def test_a_refusal_from_the_users_memberships_names_its_row(repo: InMemoryRepository) -> None:
    give(repo, "0001", "qf", "5", program="FF")
    give(repo, "0001", "qf", "7")
    # the row names QF 7 by its number and would put it in FF, which QF 5 is in
    text = "employee_id,provider_code,account_number,program\n0001,HH,1,\n0001,QF,7,FF\n"
    found, refused = run(repo, text)
    assert report(refused) == [
        (2, Reason.NOT_APPLIED, "employee_id", "0001", NOT_APPLIED.format(3)),
        (3, Reason.DUPLICATE, "program", "0001", "already used with this provider"),
    ]
    assert found["reasons"] == {"duplicate": 1, "not_applied": 1}


def test_a_row_past_the_users_limit_names_the_user_as_the_column(
    repo: InMemoryRepository,
) -> None:
    for n in range(98):
        give(repo, "0002", "hh", f"X{n}")
    text = "employee_id,provider_code,account_number\n0001,HH,1\n0002,QF,1\n0002,QF,2\n0002,QF,3\n"
    found, refused = run(repo, text)
    assert report(refused) == [
        (3, Reason.NOT_APPLIED, "employee_id", "0002", NOT_APPLIED.format(5)),
        (4, Reason.NOT_APPLIED, "employee_id", "0002", NOT_APPLIED.format(5)),
        (
            5,
            Reason.TOO_MANY_MEMBERSHIPS,
            "employee_id",
            "0002",
            "A user holds at most 100 memberships: this one holds 100 and the request adds 1",
        ),
    ]
    assert found == totals(
        rows=4,
        rows_refused=3,
        users=2,
        users_refused=1,
        users_applied=1,
        created=1,
        reasons={"not_applied": 2, "too_many_memberships": 1},
    )


def test_too_many_changes_for_one_user_is_refused_at_the_users_first_row(
    repo: InMemoryRepository,
) -> None:
    for n in range(MEMBERSHIPS_PER_COMMIT - 47):
        give(repo, "0001", "hh", f"X{n:03d}")
    rows = "".join(f"0001,QF,{n:04d}\n" for n in range(48))
    _, refused = run(repo, f"employee_id,provider_code,account_number\n{rows}", ImportMode.REPLACE)
    first = refused[0]
    assert (first.line, first.reason, first.field) == (2, Reason.TOO_MANY_CHANGES, "employee_id")
    changes = MEMBERSHIPS_PER_COMMIT + 1
    assert first.detail == (
        f"the user's rows change {changes} memberships: at most {MEMBERSHIPS_PER_COMMIT} in "
        "one import (one transaction); split the user's rows over two files"
    )
    assert {r.reason for r in refused[1:]} == {Reason.NOT_APPLIED}


def test_changes_one_transaction_holds_are_applied(repo: InMemoryRepository) -> None:
    for n in range(MEMBERSHIPS_PER_COMMIT - 48):
        give(repo, "0001", "hh", f"X{n:03d}")
    rows = "".join(f"0001,QF,{n:04d}\n" for n in range(48))
    found, refused = run(
        repo, f"employee_id,provider_code,account_number\n{rows}", ImportMode.REPLACE
    )
    assert refused == []
    assert (found["created"], found["deleted"]) == (48, MEMBERSHIPS_PER_COMMIT - 48)


def test_the_totals_of_runs_that_write_find_nothing_to_do_or_find_rows_done_before(
    repo: InMemoryRepository,
) -> None:
    give(repo, "0001", "hh", "OLD")
    give(repo, "0002", "hh", "KEEP")
    text = (
        "employee_id,provider_code,account_number,level\n"
        "0001,QF,1,Gold\n"
        "0001,QF,2,\n"
        "0002,HH,KEEP,\n"
        "0003,HH,3,\n"
    )
    first, _ = run(repo, text, ImportMode.REPLACE)
    assert first == totals(
        rows=4, users=3, users_applied=2, users_unchanged=1, created=3, deleted=1, unchanged=1
    )
    again, _ = run(repo, text, ImportMode.REPLACE)
    assert again == totals(rows=4, users=3, users_unchanged=3, unchanged=4)
    give(repo, "0001", "hh", "SINCE")  # a change since: the rows were applied before
    later, _ = run(repo, text, ImportMode.REPLACE)
    assert later == totals(rows=4, users=3, users_done_before=1, users_unchanged=2, unchanged=2)
    updated, _ = run(repo, text.replace(",Gold", ",Silver"), ImportMode.MERGE)
    assert updated == totals(
        rows=4, users=3, users_applied=1, users_unchanged=2, updated=1, unchanged=3
    )


def test_the_same_rows_are_the_same_done_mark_wherever_they_are() -> None:
    def row(line: int, account: str, **values: Any) -> MembershipRow:
        changes = MembershipChanges.model_validate({"account_number": account, **values})
        return MembershipRow(FileRow(line, ""), "0001", changes, provider_id="hh")

    key, body = imports.done_key([row(2, "1", level="Gold")], ImportMode.MERGE)
    assert key == imports.done_key([row(90, "1", level="Gold")], ImportMode.MERGE)[0]
    assert key.startswith("import-") and len(key) == len("import-") + 64
    assert key != imports.done_key([row(2, "1", level="Gold")], ImportMode.REPLACE)[0]
    assert key != imports.done_key([row(2, "1", level="Silver")], ImportMode.MERGE)[0]
    assert key != imports.done_key([row(2, "2", level="Gold")], ImportMode.MERGE)[0]
    assert body == (
        '{"mode": "merge", "rows": [{"account_number": "1", "employee_id": "0001", '
        '"level": "Gold", "provider_id": "hh"}]}'
    )


def test_a_done_mark_is_the_users_own_and_says_which_run_applied_it(
    repo: InMemoryRepository,
) -> None:
    rows = checked(repo, "employee_id,provider_code,account_number\n0001,HH,1\n").users["0001"]
    outcome = imports.import_user(repo, "acme", "0001", rows, ImportMode.MERGE, ORIGIN)
    assert (outcome.employee_id, outcome.created, outcome.done_before) == ("0001", 1, False)
    ((owner, _, _),) = [k for k in repo.keys if k[0] == "acme"]
    assert owner == "acme"
    (key,) = repo.keys
    assert key[1] == "0001"  # in the user's own record
    record, _ = repo.keys[key]
    assert record.answer == {
        "created": 1,
        "updated": 0,
        "deleted": 0,
        "unchanged": 0,
        "by": "import-report",
    }
    # this run's own answer found again (a step done again): applied, not done before
    again = imports.import_user(repo, "acme", "0001", rows, ImportMode.MERGE, ORIGIN)
    assert (again.created, again.done_before) == (0, False)


@pytest.mark.parametrize(
    ("error", "reason", "field", "detail"),
    [
        (
            Duplicate("taken", [Problem("already used", (3, "account_number"))]),
            Reason.DUPLICATE,
            "account_number",
            "already used",
        ),
        (RequestInProgress("busy now"), Reason.BUSY, "employee_id", "busy now"),
        (
            InvalidInput("bad", [Problem("too many", (3, "data"))]),
            Reason.TOO_MANY_CHANGES,
            "employee_id",
            "too many",
        ),
        (DomainError("odd"), Reason.INVALID, "employee_id", "odd"),
    ],
)
def test_a_users_refusal_names_the_row_at_fault_and_holds_back_the_rest(
    error: DomainError, reason: Reason, field: str, detail: str
) -> None:
    rows = [
        MembershipRow(FileRow(line, ""), "0001", MembershipChanges(account_number="1"))
        for line in (2, 3, 4)
    ]
    refused = imports.refusal_of(error, "0001", rows)
    at_fault = 3 if error.problems else 2
    assert [(r.line, r.reason, r.field, r.detail) for r in refused] == [
        (line, reason, field, detail)
        if line == at_fault
        else (line, Reason.NOT_APPLIED, "employee_id", NOT_APPLIED.format(at_fault))
        for line in (2, 3, 4)
    ]
    assert {r.employee_id for r in refused} == {"0001"}


def test_a_user_another_run_holds_is_waited_for_once_then_reported_busy(
    repo: InMemoryRepository, monkeypatch: pytest.MonkeyPatch
) -> None:
    rows = checked(repo, "employee_id,provider_code,account_number\n0001,HH,1\n").users["0001"]
    commit = repo.commit

    def stopped(_write: Any) -> None:
        raise StorageUnavailable("the run stopped here")

    monkeypatch.setattr(repo, "commit", stopped)
    other = Origin("admin:ops", Interface.IMPORT, "other-run")
    with pytest.raises(StorageUnavailable):  # another run holds the user's mark, then stops
        imports.import_user(repo, "acme", "0001", rows, ImportMode.MERGE, other)
    monkeypatch.setattr(repo, "commit", commit)
    waits: list[float] = []
    moments = [time.time()]
    clock = imports.Clock(now=lambda: moments[0], sleep=waits.append)
    outcome = imports.import_user(
        repo, "acme", "0001", rows, ImportMode.MERGE, ORIGIN, lease_seconds=5, clock=clock
    )
    assert waits == [5]  # waited once, at most its own lease
    assert report(outcome.refused)[0][:4] == (2, Reason.BUSY, "employee_id", "0001")
    assert outcome.employee_id == "0001"
    assert repo.get_user_memberships("acme", "0001").memberships == ()  # type: ignore[union-attr]


def test_the_totals_a_job_keeps_read_back_as_they_were(repo: InMemoryRepository) -> None:
    text = "employee_id,provider_code,account_number\n0001,HH,1\n0001,ZZ,2\n0002,HH,3\n"
    origin = Origin("admin:ops", Interface.IMPORT, "kept")
    found, _ = imports.run(repo, "acme", checked(repo, text), ImportMode.MERGE, origin)
    kept = json.loads(json.dumps(found.as_json()))
    assert imports.ImportTotals.from_json(kept) == found
    assert imports.ImportTotals.from_json({"rows": "3"}) == imports.ImportTotals(rows=3)
