"""The directory's rules (services.directory) on the in-memory store: who may be assigned to
whom, what a token is and when it expires, what certification rewrites, the supplier and
TMC invariant; each change of a user one write with its audit record."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from functools import partial
from typing import Any

import pytest
from pydantic import ValidationError

from loyalty_core.auth import authenticate_application, authenticate_user, hash_token
from loyalty_core.errors import AccessDenied, Conflict, InvalidInput, NotFound, Unauthenticated
from loyalty_core.models import (
    Application,
    ApplicationKind,
    Company,
    Interface,
    Origin,
    Provider,
    Role,
    User,
    VendorType,
)
from loyalty_core.services import directory
from tests.memory_repository import InMemoryRepository
from tests.unit.test_writes import another_request_first

ORIGIN = Origin("admin:alice", Interface.ADMIN, "admin-request")
AIRLINE = Provider(id="aa", name="AAdvantage", vendor_type=VendorType.AIR, vendor_code="AA")
SUPPLIER = Application(
    id="air", name="Air", kind=ApplicationKind.SUPPLIER, vendor_type="air", vendor_code="AA"
)
TMC = Application(id="tmc", name="A TMC", kind=ApplicationKind.TMC)
assign = partial(directory.assign, origin=ORIGIN)
unassign = partial(directory.unassign, origin=ORIGIN)


def user(employee_id: str, role: str = "traveller", company: str = "acme") -> User:
    return User(
        company=company,
        employee_id=employee_id,
        name=f"User {employee_id}",
        email=f"{employee_id}@{company}.example",
        role=role,
    )


def acme() -> InMemoryRepository:
    """acme (an admin, an arranger, two travellers) and globex, with no user yet."""
    repo = InMemoryRepository()
    repo.add_provider(AIRLINE)
    for company in ("acme", "globex"):
        directory.create_company(repo, Company(id=company, name=company.title()))
    for new in (user("boss", "admin"), user("ann", "arranger"), user("john"), user("jane")):
        directory.create_user(repo, new, origin=ORIGIN)
    return repo


@pytest.fixture
def repo() -> InMemoryRepository:
    return acme()


def records(repo: InMemoryRepository, employee_id: str) -> list[Any]:
    return [record for _, record, _ in repo.audits[("acme", employee_id)]]


# -- companies and users --------------------------------------------------------------------


def test_a_user_is_created_in_an_existing_company_with_one_record(
    repo: InMemoryRepository,
) -> None:
    with pytest.raises(NotFound, match="create it first"):
        directory.create_user(repo, user("x", company="nowhere"), origin=ORIGIN)
    [created] = records(repo, "john")
    assert created.changes[0].user_id == "john" and created.changes[0].before is None
    assert created.actor == "admin:alice"
    for taken in (user("john"), user("other").model_copy(update={"email": "john@acme.example"})):
        with pytest.raises(Conflict, match="exists already"):
            directory.create_user(repo, taken, origin=ORIGIN)
    with pytest.raises(Conflict, match="exists already"):
        directory.create_company(repo, Company(id="acme", name="Again"))


def test_users_are_listed_in_employee_id_order_with_their_counts(
    repo: InMemoryRepository,
) -> None:
    directory.create_user(repo, user("john", company="globex"), origin=ORIGIN)
    listed = directory.list_users(repo, "acme")
    assert [(u.employee_id, held) for u, held in listed] == [
        ("ann", 0),
        ("boss", 0),
        ("jane", 0),
        ("john", 0),
    ]
    with pytest.raises(NotFound, match="create it first"):
        directory.list_users(repo, "nowhere")


def test_a_company_is_read_a_bounded_page_at_a_time(repo: InMemoryRepository) -> None:
    first, after = repo.company_users("acme", None, 3)
    assert [u.employee_id for u in first] == ["ann", "boss", "jane"] and after == "jane"
    rest, end = repo.company_users("acme", after, 3)
    assert [u.employee_id for u in rest] == ["john"] and end is None
    exact, none_left = repo.company_users("acme", None, 4)
    assert len(exact) == 4 and none_left is None
    with pytest.raises(ValueError):
        repo.company_users("acme", None, 0)


# -- who may be assigned ------------------------------------------------------------------------


def test_a_traveller_becomes_an_arranger_only_when_asked(repo: InMemoryRepository) -> None:
    before = records(repo, "jane")
    with pytest.raises(directory.NotAnArranger) as refused:
        assign(repo, "acme", "jane", "john")
    assert refused.value.traveller == "john"
    assert records(repo, "jane") == before and repo.get_user("acme", "jane").role is Role.TRAVELLER
    was, now = assign(repo, "acme", "jane", "john", make_arranger=True)
    assert (was.role, now.role, now.arranges) == (Role.TRAVELLER, Role.ARRANGER, {"john"})
    [*_, record] = records(repo, "jane")
    assert record.changes[0].before == {"role": "traveller", "arranges": []}
    assert record.changes[0].after == {"role": "arranger", "arranges": ["john"]}
    token, _ = directory.issue_token(repo, "jane@acme.example", origin=ORIGIN)  # the login's copy
    caller = authenticate_user(repo, "jane@acme.example", token)
    assert (caller.role, caller.arranges) == (Role.ARRANGER, {"john"})


def test_an_admin_keeps_their_role_and_an_arranger_theirs(repo: InMemoryRepository) -> None:
    assert assign(repo, "acme", "boss", "john")[1].role is Role.ADMIN
    _, ann = assign(repo, "acme", "ann", "jane")
    _, ann = unassign(repo, "acme", "ann", "jane")
    assert (ann.role, ann.arranges) == (Role.ARRANGER, frozenset())


def test_only_users_of_the_company_can_be_assigned(repo: InMemoryRepository) -> None:
    with pytest.raises(NotFound, match="No user 'nobody' in company 'acme'"):
        assign(repo, "acme", "ann", "nobody")
    with pytest.raises(NotFound, match="No user 'nobody'"):
        assign(repo, "acme", "nobody", "john")
    directory.create_user(repo, user("otto", company="globex"), origin=ORIGIN)
    with pytest.raises(NotFound):
        assign(repo, "acme", "ann", "otto")  # globex's, not acme's


def test_an_assignment_that_changes_nothing_writes_nothing(repo: InMemoryRepository) -> None:
    assign(repo, "acme", "ann", "john")
    before = records(repo, "ann")
    was, now = assign(repo, "acme", "ann", "john")
    assert was == now and records(repo, "ann") == before
    unassign(repo, "acme", "ann", "jane")
    assert records(repo, "ann") == before


def test_two_assignments_at_once_both_hold(repo: InMemoryRepository) -> None:
    """Each decides on a fresh read: the one that lost the race reads again and keeps the
    other's traveller."""
    another_request_first(repo, lambda: assign(repo, "acme", "ann", "jane"))
    _, ann = assign(repo, "acme", "ann", "john")
    assert ann.arranges == {"jane", "john"}
    assert repo.get_user("acme", "ann").arranges == {"jane", "john"}


# -- API tokens -----------------------------------------------------------------------------------


def test_a_token_is_shown_once_kept_as_a_hash_and_recorded_by_id(
    repo: InMemoryRepository,
) -> None:
    token, tid = directory.issue_token(repo, "JOHN@acme.example", origin=ORIGIN)
    assert authenticate_user(repo, "john@acme.example", token).employee_id == "john"
    assert token not in str(repo.logins) and hash_token(token) in str(repo.logins)
    [*_, record] = records(repo, "john")
    assert record.changes[0].api_token_id == tid and token not in str(record)
    assert directory.list_tokens(repo, "john@acme.example") == {tid: None}
    directory.revoke_token(repo, "john@acme.example", tid, origin=ORIGIN)
    with pytest.raises(Unauthenticated):
        authenticate_user(repo, "john@acme.example", token)
    with pytest.raises(NotFound, match="No token"):
        directory.revoke_token(repo, "john@acme.example", tid, origin=ORIGIN)
    with pytest.raises(NotFound, match="No user with email"):
        directory.issue_token(repo, "nobody@acme.example", origin=ORIGIN)


def test_a_token_expires_after_its_days(repo: InMemoryRepository) -> None:
    now = datetime(2026, 12, 7, tzinfo=UTC)
    assert directory.token_expiry(90, now) == now + timedelta(days=90)
    assert directory.token_expiry(None, now) is None
    for days in (0, -1):
        with pytest.raises(InvalidInput):
            directory.token_expiry(days, now)
    expired = datetime.now(UTC) - timedelta(seconds=1)
    token, tid = directory.issue_token(repo, "john@acme.example", origin=ORIGIN, expires_at=expired)
    with pytest.raises(Unauthenticated):
        authenticate_user(repo, "john@acme.example", token)
    assert directory.list_tokens(repo, "john@acme.example") == {tid: expired}


def test_a_token_revoked_meanwhile_is_refused_not_recorded_twice(
    repo: InMemoryRepository,
) -> None:
    _, tid = directory.issue_token(repo, "john@acme.example", origin=ORIGIN)
    another_request_first(
        repo, lambda: directory.revoke_token(repo, "john@acme.example", tid, origin=ORIGIN)
    )
    with pytest.raises(Conflict, match="No token"):
        directory.revoke_token(repo, "john@acme.example", tid, origin=ORIGIN)
    revoked = [r for r in records(repo, "john") if r.changes[0].action.value == "delete"]
    assert len(revoked) == 1


# -- Concur applications, certification and their tokens -----------------------------------


def test_a_supplier_has_its_program_and_a_tmc_none() -> None:
    for wrong in (
        {"kind": "supplier"},
        {"kind": "supplier", "vendor_type": "air"},
        {"kind": "supplier", "vendor_code": "AA"},
        {"kind": "tmc", "vendor_type": "air"},
        {"kind": "tmc", "vendor_code": "AA"},
        {"kind": "tmc", "vendor_type": "air", "vendor_code": "AA"},
    ):
        with pytest.raises(ValidationError) as refused:
            Application(id="x", name="X", **wrong)
        assert [e["type"] for e in refused.value.errors()] == ["supplier_or_tmc"]
    assert SUPPLIER.vendor_code == "AA" and TMC.vendor_type is None


def test_a_supplier_must_name_a_program_of_the_catalog(repo: InMemoryRepository) -> None:
    unknown = SUPPLIER.model_copy(update={"id": "zz", "vendor_code": "ZZ"})
    with pytest.raises(NotFound, match="provider catalog"):
        directory.create_application(repo, unknown, origin=ORIGIN)
    assert repo.get_application("zz") is None
    directory.create_application(repo, SUPPLIER, origin=ORIGIN)
    directory.create_application(repo, TMC, origin=ORIGIN)  # a TMC names no program
    with pytest.raises(Conflict, match="exists already"):
        directory.create_application(repo, TMC, origin=ORIGIN)
    assert [len(repo.application_audits[a]) for a in ("air", "tmc")] == [1, 1]


def test_certification_rewrites_the_copy_every_token_holds(repo: InMemoryRepository) -> None:
    directory.create_application(repo, SUPPLIER, origin=ORIGIN)
    tokens = [
        directory.issue_concur_token(repo, "air", "acme", employee_id, origin=ORIGIN)[0]
        for employee_id in ("john", "jane")
    ]
    for token in tokens:
        with pytest.raises(AccessDenied):
            authenticate_application(repo, f"OAuth {token}")
    before, after, rewritten = directory.certify_application(repo, "air", True, origin=ORIGIN)
    assert (before.certified, after.certified, rewritten) == (False, True, 2)
    for token in tokens:
        assert authenticate_application(repo, f"OAuth {token}").application.certified
    directory.certify_application(repo, "air", False, origin=ORIGIN)
    with pytest.raises(AccessDenied):
        authenticate_application(repo, f"OAuth {tokens[0]}")
    trail = repo.application_audits["air"]
    assert [r.changes[0].after for r in trail[1:]] == [{"certified": True}, {"certified": False}]
    with pytest.raises(NotFound, match="No application"):
        directory.certify_application(repo, "nope", True, origin=ORIGIN)


def test_a_concur_token_acts_for_one_user_and_is_recorded_in_their_trail(
    repo: InMemoryRepository,
) -> None:
    directory.create_application(repo, TMC, origin=ORIGIN)
    token, tid = directory.issue_concur_token(repo, "tmc", "acme", "john", origin=ORIGIN)
    found = authenticate_application(repo, f"OAuth {token}")
    assert (found.company, found.employee_id, found.token_id) == ("acme", "john", tid)
    [*_, record] = records(repo, "john")
    assert record.changes[0].concur_token_id == tid
    assert record.changes[0].after == {"application_id": "tmc"}
    assert hash_token(token) not in str(record)
    assert [t.token_id for t in repo.application_tokens("tmc")] == [tid]
    with pytest.raises(Conflict, match="exists already"):
        directory.issue_concur_token(repo, "tmc", "acme", "john", origin=ORIGIN, token=token)
    assert records(repo, "john")[-1] == record  # refused: no second record
    with pytest.raises(NotFound, match="No user 'nobody'"):
        directory.issue_concur_token(repo, "tmc", "acme", "nobody", origin=ORIGIN)
    directory.revoke_concur_token(repo, "tmc", tid, origin=ORIGIN)
    with pytest.raises(Unauthenticated):
        authenticate_application(repo, f"OAuth {token}")
    assert records(repo, "john")[-1].changes[0].before == {"application_id": "tmc"}
    with pytest.raises(NotFound, match="No single token"):
        directory.revoke_concur_token(repo, "tmc", tid, origin=ORIGIN)


def test_loading_the_catalog_adds_and_replaces_programs(repo: InMemoryRepository) -> None:
    renamed = AIRLINE.model_copy(update={"name": "American AAdvantage"})
    qantas = Provider(id="qf", name="Qantas", vendor_type=VendorType.AIR, vendor_code="QF")
    assert directory.load_catalog(repo, [renamed, qantas]) == 2
    assert {p.name for p in repo.providers()} == {"American AAdvantage", "Qantas"}
