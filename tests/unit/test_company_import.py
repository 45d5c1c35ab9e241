"""A company import on the in-memory store: the file checked whole, each user's rows all
or nothing through the unit of work, done marks that make a rerun write nothing."""

from __future__ import annotations

import io
import time
import uuid
from typing import Any

import pytest

from loyalty_core.errors import StorageUnavailable
from loyalty_core.interfaces.bulk import files
from loyalty_core.models import (
    Change,
    Interface,
    MembershipDraft,
    Origin,
    Provider,
    User,
    VendorType,
    new_membership,
)
from loyalty_core.models.bulk import ImportMode, Reason
from loyalty_core.services import imports
from loyalty_core.services.writes import write
from tests.memory_repository import InMemoryRepository

HILTON = Provider(id="hh", name="Hilton Honors", vendor_type=VendorType.HOTEL, vendor_code="HH")
MARRIOTT = Provider(
    id="mc",
    name="Marriott Bonvoy",
    vendor_type=VendorType.HOTEL,
    vendor_code="MC",
    chain_codes=("MC", "AL"),
)
ALAMO = Provider(id="al", name="Alamo Insiders", vendor_type=VendorType.CAR, vendor_code="AL")
QANTAS = Provider(id="qf", name="Qantas", vendor_type=VendorType.AIR, vendor_code="QF")
ORIGIN = Origin("admin:ops", Interface.IMPORT, "import-test")
HEADER = "employee_id,provider_code,provider_category,account_number,membership_name,level"


def catalog_and_users() -> InMemoryRepository:
    """The store every import test starts from: four programs, three users of acme."""
    repo = InMemoryRepository()
    for provider in (HILTON, MARRIOTT, ALAMO, QANTAS):
        repo.add_provider(provider)
    for n in range(1, 4):
        repo.seed_user(
            User(
                company="acme", employee_id=f"000{n}", name=f"User {n}", email=f"u{n}@acme.example"
            )
        )
    return repo


@pytest.fixture
def repo() -> InMemoryRepository:
    return catalog_and_users()


def checked(repo: InMemoryRepository, text: str, kind: str = "csv") -> imports.CheckedFile:
    return imports.check(files.Rows(io.BytesIO(text.encode()), kind), repo.providers())


def run(
    repo: InMemoryRepository,
    text: str,
    mode: ImportMode = ImportMode.MERGE,
    origin: Origin | None = None,
    **kw: Any,
) -> Any:
    """One run of an import (each run its own request id, as each CLI run has)."""
    origin = origin or Origin("admin:ops", Interface.IMPORT, f"import-{uuid.uuid4()}")
    return imports.run(repo, "acme", checked(repo, text), mode, origin, **kw)


def held(repo: InMemoryRepository, employee_id: str) -> dict[str, Any]:
    found = repo.get_user_memberships("acme", employee_id)
    assert found is not None
    return {m.account_number: m for m in found.memberships}


def audits(repo: InMemoryRepository, employee_id: str) -> int:
    return len(repo.audits.get(("acme", employee_id), []))


def give(repo: InMemoryRepository, employee_id: str, provider: str, account: str) -> None:
    draft = MembershipDraft(provider_id=provider, account_number=account, membership_name="Old")
    m = new_membership(draft, "acme", employee_id)
    write(repo, "acme", employee_id, lambda _: (Change(put=(m,)), m), ORIGIN)


FILE = f"""{HEADER}
0001,HH,,0011,User One,Gold
0001,QF,,0012,User One,
0002,AL,car,0021,User Two,
0003,MC,,0031,User Three,Silver
"""


def test_a_file_applies_user_by_user_with_one_audit_record_each(repo: InMemoryRepository) -> None:
    totals, refused = run(repo, FILE, origin=ORIGIN)
    assert refused == []
    assert (totals.rows, totals.users, totals.users_applied, totals.created) == (4, 3, 3, 4)
    assert set(held(repo, "0001")) == {"0011", "0012"}
    assert held(repo, "0002")["0021"].provider_id == "al"
    assert [audits(repo, e) for e in ("0001", "0002", "0003")] == [1, 1, 1]
    record = repo.audits[("acme", "0001")][-1][1]
    assert (record.interface, record.request_id, len(record.changes)) == (
        Interface.IMPORT,
        "import-test",
        2,
    )


def test_a_dry_run_counts_and_writes_nothing(repo: InMemoryRepository) -> None:
    give(repo, "0001", "hh", "0011")
    before = (dict(repo.memberships), dict(repo.audits), dict(repo.keys))
    totals, _refused = run(repo, FILE, dry_run=True)
    assert (totals.created, totals.unchanged, totals.updated) == (3, 0, 1)  # 0011 named Old
    assert (dict(repo.memberships), dict(repo.audits), dict(repo.keys)) == before


def test_a_second_run_of_the_same_rows_writes_nothing(repo: InMemoryRepository) -> None:
    run(repo, FILE)
    writes = {e: audits(repo, e) for e in ("0001", "0002", "0003")}
    keys = dict(repo.keys)
    totals, refused = run(repo, FILE, origin=ORIGIN)
    assert refused == []
    assert (totals.users_unchanged, totals.users_applied, totals.created) == (3, 0, 0)
    assert {e: audits(repo, e) for e in writes} == writes
    assert dict(repo.keys) == keys


def test_a_run_that_stops_resumes_where_it_stopped(
    repo: InMemoryRepository, monkeypatch: pytest.MonkeyPatch
) -> None:
    commit = repo.commit
    calls = {"n": 0}

    def failing(write: Any) -> None:
        calls["n"] += 1
        if calls["n"] == 2:
            raise StorageUnavailable("the store went away")
        commit(write)

    monkeypatch.setattr(repo, "commit", failing)
    with pytest.raises(StorageUnavailable):
        run(repo, FILE)
    assert audits(repo, "0001") == 1 and audits(repo, "0002") == 0
    monkeypatch.setattr(repo, "commit", commit)
    # At once: the stopped run's hold on 0002 is waited out (its lease), then it is applied.
    moments = [time.time()]
    clock = imports.Clock(now=lambda: moments[-1], sleep=lambda s: moments.append(moments[-1] + s))
    totals, _ = run(repo, FILE, clock=clock)
    assert moments[-1] - moments[0] <= imports.LEASE_SECONDS
    assert (totals.users_unchanged, totals.users_applied) == (1, 2)
    assert [audits(repo, e) for e in ("0001", "0002", "0003")] == [1, 1, 1]


def test_a_fixed_file_applies_only_the_users_that_changed(repo: InMemoryRepository) -> None:
    broken = FILE.replace("0021,User Two", "0021,User Two!")
    totals, refused = run(repo, broken)
    assert [(r.line, r.reason) for r in refused] == [(4, Reason.INVALID)]
    assert held(repo, "0002") == {}
    totals, refused = run(repo, FILE)
    assert (totals.users_unchanged, totals.users_applied, totals.created) == (2, 1, 1)


def test_rows_an_earlier_run_applied_are_not_applied_again_after_a_change(
    repo: InMemoryRepository,
) -> None:
    run(repo, FILE)
    found = repo.get_user_memberships("acme", "0002")
    assert found is not None
    (alamo,) = found.memberships
    write(repo, "acme", "0002", lambda _: (Change(delete=(alamo,)), None), ORIGIN)  # since
    totals, _ = run(repo, FILE)
    assert (totals.users_done_before, totals.users_unchanged, totals.users_applied) == (1, 2, 0)
    assert held(repo, "0002") == {}  # the traveller's own change stands


def test_an_unknown_user_is_refused_and_not_created(repo: InMemoryRepository) -> None:
    totals, refused = run(repo, f"{HEADER}\n9999,HH,,1,Nobody,\n9999,QF,,2,Nobody,\n")
    assert [(r.line, r.reason) for r in refused] == [
        (2, Reason.UNKNOWN_USER),
        (3, Reason.NOT_APPLIED),
    ]
    assert repo.get_user_memberships("acme", "9999") is None
    assert ("acme", "9999") not in repo.users
    assert not [k for k in repo.keys if k[1] == "9999"]  # its done mark released
    assert totals.users_refused == 1


def test_a_users_rows_apply_all_or_nothing(repo: InMemoryRepository) -> None:
    text = f"{HEADER}\n0001,HH,,0055,User One,\n0001,ZZ,,0056,User One,\n0003,MC,,0032,Three,\n"
    totals, refused = run(repo, text)
    assert [(r.line, r.reason) for r in refused] == [
        (2, Reason.NOT_APPLIED),
        (3, Reason.UNKNOWN_PROVIDER),
    ]
    assert held(repo, "0001") == {}
    assert set(held(repo, "0003")) == {"0032"}
    assert (totals.users_refused, totals.users_applied) == (1, 1)


def test_a_row_that_duplicates_another_of_the_users_memberships_refuses_the_user(
    repo: InMemoryRepository,
) -> None:
    give(repo, "0001", "qf", "0012")
    text = "employee_id,provider_code,account_number,program\n0001,HH,9,\n0001,QF,0012,FF\n"
    run(repo, text)  # 0012 gets its program
    text = "employee_id,provider_code,account_number,program\n0001,HH,8,\n0001,QF,0013,FF\n"
    run(repo, text)  # FF's account number is now 0013
    give(repo, "0001", "qf", "0014")
    text = "employee_id,provider_code,account_number,program\n0001,HH,7,\n0001,QF,0014,FF\n"
    _, refused = run(repo, text)  # 0014 is held under no program: FF's number would repeat it
    assert [(r.line, r.reason) for r in refused] == [
        (2, Reason.NOT_APPLIED),
        (3, Reason.DUPLICATE),
    ]
    assert "7" not in held(repo, "0001")


def test_a_code_naming_two_programs_needs_its_category(repo: InMemoryRepository) -> None:
    text = f"{HEADER}\n0001,AL,,1,One,\n0002,AL,hotel,2,Two,\n0003,AL,car,3,Three,\n"
    _totals, refused = run(repo, text)
    assert [(r.line, r.reason, r.field) for r in refused] == [
        (2, Reason.AMBIGUOUS_PROVIDER, "provider_code")
    ]
    assert held(repo, "0002")["2"].provider_id == "mc"
    assert held(repo, "0003")["3"].provider_id == "al"


def test_a_provider_id_must_agree_with_the_code_given_beside_it(repo: InMemoryRepository) -> None:
    text = "employee_id,provider_id,provider_code,account_number\n0001,hh,QF,1\n0002,hh,HH,2\n"
    _, refused = run(repo, text)
    assert [(r.line, r.reason) for r in refused] == [(2, Reason.UNKNOWN_PROVIDER)]


def test_a_membership_named_twice_in_the_file_is_refused(repo: InMemoryRepository) -> None:
    text = f"{HEADER}\n0001,HH,,1,One,\n0001,HH,,1,One,Gold\n0002,HH,,1,Two,\n"
    _totals, refused = run(repo, text)
    assert [(r.line, r.reason) for r in refused] == [
        (2, Reason.NOT_APPLIED),
        (3, Reason.DUPLICATE_IN_FILE),
    ]
    assert held(repo, "0001") == {}
    assert set(held(repo, "0002")) == {"1"}


def test_a_row_past_the_hundred_cap_is_refused(repo: InMemoryRepository) -> None:
    rows = "".join(f"0001,HH,,{n:04d},One,\n" for n in range(101))
    _totals, refused = run(repo, f"{HEADER}\n{rows}")
    assert refused[-1].reason is Reason.TOO_MANY_IN_FILE and refused[-1].line == 102
    assert {r.reason for r in refused[:-1]} == {Reason.NOT_APPLIED}
    assert held(repo, "0001") == {}


def test_a_row_past_the_users_limit_in_the_store_is_refused(repo: InMemoryRepository) -> None:
    for n in range(99):
        give(repo, "0001", "hh", f"X{n:03d}")
    _totals, refused = run(repo, f"{HEADER}\n0001,QF,,1,One,\n0001,QF,,2,One,\n")
    assert [(r.line, r.reason) for r in refused] == [
        (2, Reason.NOT_APPLIED),
        (3, Reason.TOO_MANY_MEMBERSHIPS),
    ]
    assert len(held(repo, "0001")) == 99


def test_merge_updates_by_account_number_then_by_program(repo: InMemoryRepository) -> None:
    give(repo, "0001", "hh", "0011")
    text = (
        "employee_id,provider_code,account_number,program,level\n"
        "0001,HH,0011,,Gold\n"
        "0001,QF,5,FF,\n"
        "0001,QF,6,FF2,\n"
    )
    run(repo, text)
    assert held(repo, "0001")["0011"].level == "Gold"
    run(repo, "employee_id,provider_code,account_number,program\n0001,QF,7,FF\n")
    mine = held(repo, "0001")
    assert set(mine) == {"0011", "7", "6"}  # FF's account number changed to 7


def test_replace_deletes_the_named_users_memberships_the_file_does_not_name(
    repo: InMemoryRepository,
) -> None:
    give(repo, "0001", "hh", "OLD1")
    give(repo, "0002", "hh", "OLD2")
    text = f"{HEADER}\n0001,QF,,0012,User One,\n"
    totals, _ = run(repo, text, ImportMode.REPLACE, dry_run=True)
    assert (totals.deleted, totals.created) == (1, 1)
    assert "OLD1" in held(repo, "0001")
    totals, _ = run(repo, text, ImportMode.REPLACE)
    assert set(held(repo, "0001")) == {"0012"}
    assert set(held(repo, "0002")) == {"OLD2"}  # not in the file: untouched
    assert audits(repo, "0001") == 2  # OLD1's, then the import's one record


def test_too_many_changes_for_one_transaction_refuses_the_user(repo: InMemoryRepository) -> None:
    for n in range(50):
        give(repo, "0001", "hh", f"X{n:03d}")
    rows = "".join(f"0001,QF,,{n:04d},One,\n" for n in range(48))
    _totals, refused = run(repo, f"{HEADER}\n{rows}", ImportMode.REPLACE)
    assert {r.reason for r in refused} == {Reason.TOO_MANY_CHANGES, Reason.NOT_APPLIED}
    assert "at most 97" in refused[0].detail
    assert len(held(repo, "0001")) == 50


def test_a_new_membership_without_a_name_takes_the_users(repo: InMemoryRepository) -> None:
    run(repo, "employee_id,provider_id,account_number\n0001,hh,123\n")
    assert held(repo, "0001")["123"].membership_name == "User 1"


def test_a_file_over_its_rows_is_refused_whole(repo: InMemoryRepository) -> None:
    rows = "".join(f"0001,HH,,{n:04d},One,\n" for n in range(11))
    with pytest.raises(imports.MalformedRequest, match="more than 10 rows"):
        imports.check(
            files.Rows(io.BytesIO(f"{HEADER}\n{rows}".encode()), "csv"),
            repo.providers(),
            max_rows=10,
        )
