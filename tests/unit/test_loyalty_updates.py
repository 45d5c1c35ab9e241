"""The Concur rules (services.loyalty_updates) on the in-memory store: a supplier writes its
own program whatever the body names, a TMC names each program by vendor code and type;
each update upserts by (user, provider, program); a batch is written whole, with one audit
record, or not at all, every problem listed where it is."""

from __future__ import annotations

from typing import Any

import pytest

from loyalty_core.errors import AccessDenied, InvalidInput, Problem
from loyalty_core.models import (
    AccessToken,
    Application,
    ApplicationKind,
    Interface,
    Membership,
    MembershipChanges,
    Origin,
    ProgramUpdate,
    Provider,
    User,
    VendorType,
)
from loyalty_core.repository import KeyOwner
from loyalty_core.services import idempotency, loyalty_updates
from loyalty_core.services.loyalty_updates import REFUSED, apply_updates, programs
from tests.memory_repository import InMemoryRepository

QANTAS = Provider(id="qf", name="Qantas", vendor_type=VendorType.AIR, vendor_code="QF")
HERTZ = Provider(id="ze", name="Hertz", vendor_type=VendorType.CAR, vendor_code="ZE")
HILTON = Provider(
    id="hh",
    name="Hilton Honors",
    vendor_type=VendorType.HOTEL,
    vendor_code="HH",
    chain_codes=("HH", "HI", "DT"),
)
JOHN = User(company="acme", employee_id="098765", name="John O'Smith-Brown", email="j@acme.ex")

TMC = Application(id="tmc", name="A TMC", kind=ApplicationKind.TMC)
SUPPLIER = Application(
    id="qantas-app",
    name="Qantas",
    kind=ApplicationKind.SUPPLIER,
    vendor_type=VendorType.AIR,
    vendor_code="QF",
)
ORIGIN = Origin("app:tmc", Interface.CONCUR, "concur-request")


def token(app: Application = TMC, employee_id: str = "098765") -> AccessToken:
    return AccessToken("t1", "hash", app, "acme", employee_id)


def sent(
    program: str = "FF",
    vendor_code: str | None = "QF",
    vendor_type: str | None = "A",
    position: int = 1,
    **values: Any,
) -> ProgramUpdate:
    """One Concur Membership as the codec reads it: its program (UniqueID, also among the
    values), vendor as sent, and values."""
    changes = MembershipChanges.model_validate({"program": program, **values})
    return ProgramUpdate(position, program, vendor_code, vendor_type, changes)


@pytest.fixture
def repo() -> InMemoryRepository:
    repo = InMemoryRepository()
    for provider in (QANTAS, HERTZ, HILTON):
        repo.add_provider(provider)
    repo.seed_user(JOHN)
    return repo


def upsert(repo: InMemoryRepository, *updates: ProgramUpdate, app: Application = TMC) -> Any:
    return apply_updates(repo, token(app), list(updates), origin=ORIGIN)


def held(repo: InMemoryRepository) -> list[Membership]:
    return list(repo.memberships[("acme", "098765")].values())


def records(repo: InMemoryRepository) -> int:
    return len(repo.audits.get(("acme", "098765"), []))


def refused(repo: InMemoryRepository, *updates: ProgramUpdate, **kw: Any) -> list[Problem]:
    """The problems of a refused batch, having checked that it wrote nothing."""
    before = (held(repo), records(repo))
    with pytest.raises(InvalidInput) as caught:
        upsert(repo, *updates, **kw)
    assert caught.value.detail == REFUSED
    assert (held(repo), records(repo)) == before
    return caught.value.problems


# -- which program each update names ------------------------------------------------------


def test_a_tmc_names_the_program_by_vendor_code_and_concur_vendor_type(
    repo: InMemoryRepository,
) -> None:
    updates = [
        sent(vendor_code="QF", vendor_type="A"),
        sent(vendor_code="ZE", vendor_type="C", position=2),
        sent(vendor_code="HH", vendor_type="H", position=3),
    ]
    assert programs(repo, token(), updates) == [QANTAS, HERTZ, HILTON]


def test_a_tmc_names_a_hotel_program_by_any_chain_code_of_its_brands_in_any_case(
    repo: InMemoryRepository,
) -> None:
    assert programs(repo, token(), [sent(vendor_code="dt", vendor_type="H")]) == [HILTON]


def test_a_code_names_a_program_of_its_own_vendor_type_only(repo: InMemoryRepository) -> None:
    with pytest.raises(InvalidInput) as caught:
        programs(repo, token(), [sent(vendor_code="QF", vendor_type="C")])
    assert caught.value.problems == [
        Problem('"QF" ("C") is not a known program', (1, "FF", "vendor_code"))
    ]


def test_a_tmc_must_send_vendor_code_and_type_each_problem_located(
    repo: InMemoryRepository,
) -> None:
    updates = [
        sent("P1", vendor_code=None, position=1),
        sent("P2", vendor_type=None, position=2),
        sent("P3", vendor_code=None, vendor_type=None, position=3),
        sent("P4", vendor_type="X", position=4),
        sent("P5", vendor_code="ZZ", vendor_type="A", position=5),
        sent("P6", position=6),  # a good one among them
    ]
    with pytest.raises(InvalidInput) as caught:
        programs(repo, token(), updates)
    assert caught.value.detail == REFUSED
    assert caught.value.problems == [
        Problem("is required when a TMC sends it", (1, "P1", "vendor_code")),
        Problem("is required when a TMC sends it", (2, "P2", "vendor_type")),
        Problem("is required when a TMC sends it", (3, "P3", "vendor_code")),
        Problem("is required when a TMC sends it", (3, "P3", "vendor_type")),
        Problem("must be A (air), C (car) or H (hotel)", (4, "P4", "vendor_type")),
        Problem('"ZZ" ("A") is not a known program', (5, "P5", "vendor_code")),
    ]


def test_a_vendor_type_is_one_of_concurs_capital_letters(repo: InMemoryRepository) -> None:
    for letter in ("a", "air", "Air", "", "AH"):
        with pytest.raises(InvalidInput):
            programs(repo, token(), [sent(vendor_type=letter)])


def test_a_supplier_writes_its_own_program_whatever_the_body_names(
    repo: InMemoryRepository,
) -> None:
    updates = [
        sent("P1", vendor_code="HH", vendor_type="H"),
        sent("P2", vendor_code=None, vendor_type=None, position=2),
        sent("P3", vendor_code="nonsense", vendor_type="Z", position=3),
    ]
    assert programs(repo, token(SUPPLIER), updates) == [QANTAS, QANTAS, QANTAS]
    assert programs(repo, token(SUPPLIER), []) == []


def test_a_supplier_whose_program_left_the_catalog_is_denied(repo: InMemoryRepository) -> None:
    del repo.catalog["qf"]
    with pytest.raises(AccessDenied) as caught:
        programs(repo, token(SUPPLIER), [sent()])
    assert caught.value.detail == "Application qantas-app's program is not in the provider catalog"


def test_a_supplier_is_its_program_by_type_and_code_both(repo: InMemoryRepository) -> None:
    """A car supplier coded QF is not Qantas (an airline coded QF)."""
    car = SUPPLIER.model_copy(update={"vendor_type": VendorType.CAR})
    with pytest.raises(AccessDenied):
        programs(repo, token(car), [sent()])


# -- the upsert ---------------------------------------------------------------------------


def test_a_new_program_is_added_for_the_tokens_user_with_their_name(
    repo: InMemoryRepository,
) -> None:
    [added] = upsert(repo, sent("FF", account_number="A-1 2", level="Gold"))
    assert held(repo) == [added]
    assert (added.provider_id, added.program, added.account_number) == ("qf", "FF", "A12")
    assert (added.company, added.employee_id, added.level, added.version) == (
        "acme",
        "098765",
        "Gold",
        1,
    )
    assert added.membership_name == "John O'Smith-Brown"
    assert records(repo) == 1


def test_an_update_of_a_held_program_changes_only_the_fields_sent(
    repo: InMemoryRepository,
) -> None:
    [first] = upsert(repo, sent("FF", account_number="A1", level="Gold", point_total=5))
    [second] = upsert(repo, sent("FF", level="Platinum"))
    assert second.id == first.id and second.version == 2
    assert (second.level, second.point_total, second.account_number) == ("Platinum", 5, "A1")
    assert held(repo) == [second]
    # the account number may change too: the program names the membership
    [third] = upsert(repo, sent("FF", account_number="B2"))
    assert (third.id, third.account_number, third.version) == (first.id, "B2", 3)


def test_an_update_that_changes_nothing_writes_nothing(repo: InMemoryRepository) -> None:
    [first] = upsert(repo, sent("FF", account_number="A1", level="Gold"))
    assert upsert(repo, sent("FF", account_number="A1", level="Gold")) == []
    assert held(repo) == [first] and records(repo) == 1
    # in a batch, only the updates that change something are written
    [changed] = upsert(repo, sent("FF", level="Gold"), sent("G2", position=2, account_number="C3"))
    assert changed.program == "G2" and records(repo) == 2


def test_programs_are_told_apart_per_vendor(repo: InMemoryRepository) -> None:
    upsert(repo, sent("FF", account_number="A1"))
    upsert(repo, sent("FF", vendor_code="ZE", vendor_type="C", account_number="A1"))
    upsert(repo, sent("Lounge", account_number="B1"))
    assert sorted((m.provider_id, m.program) for m in held(repo)) == [
        ("qf", "FF"),
        ("qf", "Lounge"),
        ("ze", "FF"),
    ]


def test_a_membership_entered_without_a_program_takes_the_program_of_its_number(
    repo: InMemoryRepository,
) -> None:
    """Entered through the JSON:API (no program): the update with its account number
    names it, and it holds the program from then on."""
    [a1] = upsert(repo, sent("X", account_number="A1"))
    [b2] = upsert(repo, sent("Y", account_number="B2"))
    repo.memberships[("acme", "098765")][a1.id] = a1.model_copy(update={"program": None})
    repo.memberships[("acme", "098765")][b2.id] = b2.model_copy(update={"program": None})
    [adopted] = upsert(repo, sent("FF", account_number="B2", level="Gold"))
    assert (adopted.id, adopted.program, adopted.level) == (b2.id, "FF", "Gold")
    # the only one left without a program is named by any update of a new program
    [other] = upsert(repo, sent("GG", account_number="Z9"))
    assert (other.id, other.program, other.account_number) == (a1.id, "GG", "Z9")
    # none left without one: a new membership
    [new] = upsert(repo, sent("HH", account_number="Q1"))
    assert new.id not in (a1.id, b2.id) and len(held(repo)) == 3


def test_of_two_memberships_without_a_program_neither_is_guessed(
    repo: InMemoryRepository,
) -> None:
    [a1] = upsert(repo, sent("X", account_number="A1"))
    [b2] = upsert(repo, sent("Y", account_number="B2"))
    for m in (a1, b2):
        repo.memberships[("acme", "098765")][m.id] = m.model_copy(update={"program": None})
    [new] = upsert(repo, sent("FF", account_number="C3"))
    assert new.id not in (a1.id, b2.id) and new.program == "FF" and len(held(repo)) == 3


def test_a_supplier_upserts_into_its_own_program(repo: InMemoryRepository) -> None:
    [added] = upsert(
        repo, sent("FF", vendor_code="HH", vendor_type="H", account_number="A1"), app=SUPPLIER
    )
    assert added.provider_id == "qf"


def test_a_batch_is_one_write_with_one_audit_record_and_answers_what_it_wrote(
    repo: InMemoryRepository,
) -> None:
    written = upsert(
        repo,
        sent("FF", account_number="A1"),
        sent("FF", vendor_code="ZE", vendor_type="C", account_number="B1", position=2),
        sent("GG", vendor_code="HI", vendor_type="H", account_number="C1", position=3),
    )
    assert [(m.provider_id, m.program) for m in written] == [
        ("qf", "FF"),
        ("ze", "FF"),
        ("hh", "GG"),
    ]
    assert sorted(m.id for m in held(repo)) == sorted(m.id for m in written)
    [(_, record, _)] = repo.audits[("acme", "098765")]
    assert record.actor == "app:tmc" and record.interface is Interface.CONCUR
    assert sorted(e.membership_id for e in record.changes) == sorted(m.id for m in written)


# -- a batch is refused whole ---------------------------------------------------------------


def test_a_new_program_needs_an_account_number_and_the_batch_writes_nothing(
    repo: InMemoryRepository,
) -> None:
    problems = refused(repo, sent("FF", account_number="A1"), sent("GG", position=2, level="Gold"))
    assert problems == [Problem("is required to add a new membership", (2, "GG", "account_number"))]


def test_a_program_sent_twice_in_a_batch_is_refused(repo: InMemoryRepository) -> None:
    problems = refused(
        repo,
        sent("FF", account_number="A1"),
        sent("FF", account_number="A2", position=2),
        sent("FF", vendor_code="ZE", vendor_type="C", account_number="A3", position=3),
    )
    assert problems == [Problem("is sent twice for the same program", (2, "FF", "program"))]


def test_a_hotel_program_named_by_two_of_its_chain_codes_is_one_program(
    repo: InMemoryRepository,
) -> None:
    problems = refused(
        repo,
        sent("FF", vendor_code="HH", vendor_type="H", account_number="A1"),
        sent("FF", vendor_code="DT", vendor_type="H", account_number="A2", position=2),
    )
    assert problems == [Problem("is sent twice for the same program", (2, "FF", "program"))]


def test_an_account_number_is_held_under_one_program_of_a_vendor(
    repo: InMemoryRepository,
) -> None:
    upsert(repo, sent("FF", account_number="A1"))
    problems = refused(repo, sent("GG", account_number="A-1"))
    assert problems == [
        Problem("is already held under another program of this vendor", (1, "GG", "account_number"))
    ]
    # nor given to another program of the vendor within one batch
    problems = refused(
        repo, sent("HH", account_number="B1"), sent("II", account_number="B1", position=2)
    )
    assert problems == [
        Problem("is already held under another program of this vendor", (2, "II", "account_number"))
    ]
    # the same number with another vendor, or moved within its own program, is fine
    upsert(repo, sent("GG", vendor_code="ZE", vendor_type="C", account_number="A1"))
    [moved] = upsert(repo, sent("FF", account_number="A1", level="Gold"))
    assert moved.level == "Gold"


def test_every_problem_of_a_batch_is_listed(repo: InMemoryRepository) -> None:
    upsert(repo, sent("FF", account_number="A1"))
    problems = refused(
        repo,
        sent("HH", account_number="A1"),
        sent("GG", level="Gold", position=2),
        sent("GG", account_number="X1", position=3),
        sent("II", account_number="Q1", position=4),
        sent("JJ", position=5),
    )
    assert [p.location for p in problems] == [
        (1, "HH", "account_number"),
        (2, "GG", "account_number"),
        (3, "GG", "program"),
        (5, "JJ", "account_number"),
    ]


def test_a_batchs_idempotency_key_is_answered_by_the_batchs_own_commit(
    repo: InMemoryRepository, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The key's answer is written in the same transaction as the memberships: none is
    written after it, and a repeat answers it without writing again."""

    def no_later_answer(*args: object) -> None:
        raise AssertionError("the key's answer is the batch's commit's, not a later write")

    monkeypatch.setattr(repo, "answer_key", no_later_answer)

    def batch() -> Any:
        return idempotency.once(
            repo,
            "key-1",
            KeyOwner("acme", "098765"),
            "app:tmc POST /loyalty",
            "<body/>",
            lambda claim: apply_updates(
                repo, token(), [sent("FF", account_number="A1")], origin=ORIGIN, claim=claim
            ),
            lambda written: [m.account_number for m in written],
            lease_seconds=30,
        )

    assert batch() == ["A1"]
    assert batch() == ["A1"]
    assert len(held(repo)) == 1 and records(repo) == 1


def test_unknown_programs_are_refused_before_anything_is_read(
    repo: InMemoryRepository, monkeypatch: pytest.MonkeyPatch
) -> None:
    def no_write(*args: object, **kwargs: object) -> None:
        raise AssertionError("a batch naming an unknown program never reaches the store")

    monkeypatch.setattr(loyalty_updates, "write", no_write)
    with pytest.raises(InvalidInput) as caught:
        upsert(repo, sent(vendor_code="ZZ"))
    assert caught.value.problems[0].location == (1, "FF", "vendor_code")
