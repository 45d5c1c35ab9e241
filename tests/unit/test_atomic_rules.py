"""Atomic operations on one user's memberships (SPEC 14) on the in-memory repository: in
order, each with its single route's rules against the set the operations before it left,
the net change written once, a refusal naming the operation at fault."""

from __future__ import annotations

from functools import partial
from typing import Any

import pytest

from loyalty_core.errors import (
    Duplicate,
    NotFound,
    PreconditionFailed,
    Problem,
    TooManyMemberships,
)
from loyalty_core.models import (
    MAX_MEMBERSHIPS_PER_USER,
    Interface,
    Membership,
    MembershipChanges,
    MembershipDraft,
    Origin,
    Principal,
    Provider,
    Role,
    User,
    VendorType,
)
from loyalty_core.models.operation import MembershipOperation, OperationKind
from loyalty_core.services import memberships as svc
from loyalty_core.services.operations import apply_operations, at
from tests.memory_repository import InMemoryRepository

HILTON = Provider(id="hh", name="Hilton Honors", vendor_type=VendorType.HOTEL, vendor_code="HH")
QANTAS = Provider(id="qf", name="Qantas", vendor_type=VendorType.AIR, vendor_code="QF")
ADMIN = Principal(company="acme", employee_id="boss", role=Role.ADMIN)
JOHN = Principal(company="acme", employee_id="098765", role=Role.TRAVELLER)
ORIGIN = Origin("user:boss", Interface.LOCOMOTE, "atomic-request")
apply = partial(apply_operations, origin=ORIGIN)
ADD, UPDATE, REMOVE = OperationKind.ADD, OperationKind.UPDATE, OperationKind.REMOVE


@pytest.fixture
def repo() -> InMemoryRepository:
    repo = InMemoryRepository()
    for provider in (HILTON, QANTAS):
        repo.add_provider(provider)
    repo.seed_user(User(company="acme", employee_id="098765", name="John Smith", email="j@a.ex"))
    repo.seed_user(User(company="acme", employee_id="112233", name="Jane Doe", email="d@a.ex"))
    return repo


def draft(**values: object) -> MembershipDraft:
    return MembershipDraft.model_validate(
        {"provider_id": "hh", "account_number": "A1", "membership_name": "John Smith", **values}
    )


def add(position: int, lid: str | None = None, **values: object) -> MembershipOperation:
    return MembershipOperation(position, ADD, lid=lid, draft=draft(**values))


def update(position: int, **values: object) -> MembershipOperation:
    names = ("membership_id", "lid", "provider_id", "if_match")
    fields: dict[str, Any] = {k: values.pop(k, None) for k in names}
    return MembershipOperation(
        position, UPDATE, changes=MembershipChanges.model_validate(values), **fields
    )


def remove(
    position: int,
    membership_id: str | None = None,
    lid: str | None = None,
    if_match: str | None = None,
) -> MembershipOperation:
    return MembershipOperation(
        position, REMOVE, membership_id=membership_id, lid=lid, if_match=if_match
    )


def held(repo: InMemoryRepository, employee_id: str = "098765") -> tuple[Membership, ...]:
    return svc.list_memberships(repo, ADMIN, employee_id)


def trail(repo: InMemoryRepository, employee_id: str = "098765") -> list[object]:
    return [record for _, record, _ in repo.audits.get(("acme", employee_id), [])]


def existing(repo: InMemoryRepository, **values: object) -> Membership:
    return svc.create_membership(repo, ADMIN, "098765", draft(**values), origin=ORIGIN)


def refusal(error: pytest.ExceptionInfo[Exception]) -> list[Problem]:
    assert isinstance(error.value, Exception)
    return error.value.problems  # type: ignore[attr-defined,no-any-return]


def test_operations_apply_in_order_as_one_write_with_one_audit_record(
    repo: InMemoryRepository,
) -> None:
    first = existing(repo, account_number="OLD")
    results = apply(
        repo,
        ADMIN,
        "098765",
        [
            add(0, account_number="NEW1", provider_id="qf"),
            update(1, membership_id=first.id, level="Gold"),
            remove(2, membership_id=first.id),
        ],
    )
    added, updated, removed = results
    assert added is not None and added.account_number == "NEW1" and added.provider_id == "qf"
    assert updated is not None and updated.level == "Gold" and updated.version == 2
    assert removed is None
    assert held(repo) == (added,)
    assert len(trail(repo)) == 2  # the create before, then this request's one record


def test_a_later_operation_names_an_earlier_add_by_its_lid(repo: InMemoryRepository) -> None:
    results = apply(
        repo,
        ADMIN,
        "098765",
        [
            add(0, lid="new"),
            update(1, lid="new", level="Gold"),
        ],
    )
    added, updated = results
    assert added is not None and updated is not None
    assert updated.id == added.id and updated.level == "Gold"
    # each operation that changes a membership moves its version by one
    assert updated.version == 2
    assert held(repo) == (updated,)


def test_a_membership_added_then_removed_is_never_written(repo: InMemoryRepository) -> None:
    results = apply(repo, ADMIN, "098765", [add(0, lid="x"), remove(1, lid="x")])
    assert results[1] is None
    assert held(repo) == ()
    assert trail(repo) == []  # nothing changed: no write, no audit record


def test_an_update_that_changes_nothing_leaves_the_version(repo: InMemoryRepository) -> None:
    first = existing(repo, level="Gold")
    (same,) = apply(
        repo,
        ADMIN,
        "098765",
        [update(0, membership_id=first.id, level="Gold")],
    )
    assert same == first and same is not None and same.version == 1
    assert len(trail(repo)) == 1


def test_an_update_may_move_a_membership_to_another_provider(repo: InMemoryRepository) -> None:
    first = existing(repo)
    (moved,) = apply(
        repo,
        ADMIN,
        "098765",
        [update(0, membership_id=first.id, provider_id="qf")],
    )
    assert moved is not None and moved.provider_id == "qf" and moved.version == 2
    assert held(repo) == (moved,)


def test_an_unknown_provider_is_refused_at_its_operation_before_anything(
    repo: InMemoryRepository,
) -> None:
    first = existing(repo)
    with pytest.raises(NotFound) as error:
        apply(
            repo,
            ADMIN,
            "098765",
            [
                add(0, account_number="B2"),
                update(1, membership_id=first.id, provider_id="nope"),
            ],
        )
    assert [p.location for p in refusal(error)] == [(1, "provider_id")]
    assert held(repo) == (first,)


def test_a_refusal_names_the_operation_at_fault_and_nothing_is_written(
    repo: InMemoryRepository,
) -> None:
    first = existing(repo)
    with pytest.raises(Duplicate) as error:
        apply(
            repo,
            ADMIN,
            "098765",
            [add(0, account_number="B2", provider_id="qf"), add(1, account_number="A1")],
        )
    assert [p.location for p in refusal(error)] == [(1, "account_number")]
    assert held(repo) == (first,)
    assert len(trail(repo)) == 1


def test_an_add_is_checked_against_the_adds_before_it(repo: InMemoryRepository) -> None:
    with pytest.raises(Duplicate) as error:
        apply(
            repo, ADMIN, "098765", [add(0, program="P1"), add(1, account_number="Z", program="P1")]
        )
    assert [p.location for p in refusal(error)] == [(1, "program")]
    assert held(repo) == ()


def test_an_update_into_a_duplicate_is_refused(repo: InMemoryRepository) -> None:
    existing(repo, account_number="A1")
    second = existing(repo, account_number="A2")
    with pytest.raises(Duplicate) as error:
        apply(
            repo,
            ADMIN,
            "098765",
            [update(0, membership_id=second.id, account_number="A1")],
        )
    assert [p.location for p in refusal(error)] == [(0, "account_number")]


def test_a_removed_membership_cannot_be_updated_by_a_later_operation(
    repo: InMemoryRepository,
) -> None:
    first = existing(repo)
    with pytest.raises(NotFound) as error:
        apply(
            repo,
            ADMIN,
            "098765",
            [
                remove(0, membership_id=first.id),
                update(1, membership_id=first.id, level="Gold"),
            ],
        )
    assert str(error.value) == f'No loyalty membership "{first.id}" for this user'
    # a refusal with no problem of its own gets one naming the operation
    assert refusal(error) == [Problem(error.value.detail, (1,))]  # type: ignore[attr-defined]
    assert held(repo) == (first,)


def test_each_operation_honours_its_own_if_match(repo: InMemoryRepository) -> None:
    first = existing(repo)
    with pytest.raises(PreconditionFailed) as error:
        apply(
            repo,
            ADMIN,
            "098765",
            [
                update(0, membership_id=first.id, level="Gold", if_match='"1"'),
                remove(1, membership_id=first.id, if_match='"1"'),
            ],
        )
    # the first moved it to version 2: the second's tag is stale
    assert [p.location for p in refusal(error)] == [(1,)]
    assert held(repo) == (first,)
    (gone,) = apply(repo, ADMIN, "098765", [remove(0, membership_id=first.id, if_match='"1"')])
    assert gone is None and held(repo) == ()


def test_adds_past_the_membership_limit_are_refused_at_the_first_one_over(
    repo: InMemoryRepository,
) -> None:
    for n in range(MAX_MEMBERSHIPS_PER_USER - 1):
        existing(repo, account_number=f"N{n}")
    with pytest.raises(TooManyMemberships) as error:
        apply(
            repo,
            ADMIN,
            "098765",
            [add(0, account_number="X1"), add(1, account_number="X2")],
        )
    assert [p.location for p in refusal(error)] == [(1, "data")]
    assert len(held(repo)) == MAX_MEMBERSHIPS_PER_USER - 1


def test_a_traveller_reaches_only_their_own_memberships(repo: InMemoryRepository) -> None:
    with pytest.raises(NotFound, match='No user "112233" within your reach'):
        apply(repo, JOHN, "112233", [add(0)])
    assert held(repo, "112233") == ()
    (mine,) = apply(repo, JOHN, "098765", [add(0)])
    assert mine is not None and mine.employee_id == "098765" and mine.company == "acme"


def test_a_refusal_inside_an_operation_is_located_under_its_position() -> None:
    with pytest.raises(Duplicate) as error, at(7):
        raise Duplicate("taken", [Problem("already used", ("account_number",))])
    assert refusal(error) == [Problem("already used", (7, "account_number"))]
