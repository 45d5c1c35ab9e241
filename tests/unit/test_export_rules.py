"""A company export (SPEC 14) on the in-memory repository: every membership of the company,
user by user in employee id order, as rows of the import's own columns, read a bounded
page of users at a time."""

from __future__ import annotations

from datetime import date

from loyalty_core.models import (
    MEMBERSHIP_ATTRIBUTES,
    Interface,
    MembershipDraft,
    MembershipSet,
    Origin,
    Principal,
    Provider,
    Role,
    User,
    VendorType,
)
from loyalty_core.services import exports
from loyalty_core.services import memberships as svc
from tests.memory_repository import InMemoryRepository

HILTON = Provider(id="hh", name="Hilton Honors", vendor_type=VendorType.HOTEL, vendor_code="HH")
ADMIN = Principal(company="acme", employee_id="boss", role=Role.ADMIN)
ORIGIN = Origin("user:boss", Interface.LOCOMOTE, "export-test")


def user(employee_id: str, company: str = "acme") -> User:
    return User(
        company=company, employee_id=employee_id, name="Pat Lee", email=f"{employee_id}@x.ex"
    )


def give(repo: InMemoryRepository, employee_id: str, account_number: str, **values: object):
    values = {"provider_id": "hh", "account_number": account_number, **values}
    return svc.create_membership(
        repo, ADMIN, employee_id, MembershipDraft.model_validate(values), origin=ORIGIN
    )


class CountingReader:
    """The repository, counting the users each page asks for."""

    def __init__(self, repo: InMemoryRepository) -> None:
        self.repo = repo
        self.limits: list[int] = []

    def company_users(self, company: str, after: str | None = None, limit: int = 25):
        # a store's own page size may be any: the export asks for its own
        self.limits.append(limit)
        return self.repo.company_users(company, after, limit)

    def get_user_memberships(self, company: str, employee_id: str) -> MembershipSet | None:
        return self.repo.get_user_memberships(company, employee_id)

    def get_provider(self, provider_id: str) -> Provider | None:
        return self.repo.get_provider(provider_id)


def test_a_row_holds_the_import_columns_its_provider_by_id_code_and_category() -> None:
    repo = InMemoryRepository()
    repo.add_provider(HILTON)
    repo.seed_user(user("0042"))
    membership = give(repo, "0042", "007", level="Gold", expires_on=date(2031, 1, 1))
    row = exports.row(membership, HILTON)
    assert list(row) == [
        "employee_id",
        "provider_id",
        "provider_code",
        "provider_category",
        *MEMBERSHIP_ATTRIBUTES,
    ]
    assert row["employee_id"] == "0042"  # leading zeros kept
    assert (row["provider_id"], row["provider_code"], row["provider_category"]) == (
        "hh",
        "HH",
        "hotel",
    )
    assert row["account_number"] == "007" and row["level"] == "Gold"
    assert row["expires_on"] == "2031-01-01"  # as JSON writes it, as the import reads it
    assert row["program"] is None


def test_a_provider_gone_from_the_catalog_leaves_code_and_category_empty() -> None:
    repo = InMemoryRepository()
    repo.add_provider(HILTON)
    repo.seed_user(user("u1"))
    membership = give(repo, "u1", "A1")
    row = exports.row(membership, None)
    assert row["provider_id"] == "hh"
    assert row["provider_code"] is None and row["provider_category"] is None


def test_every_membership_user_by_user_in_employee_id_order_across_pages() -> None:
    repo = InMemoryRepository()
    repo.add_provider(HILTON)
    count = exports.USERS_PER_PAGE * 2 + 5
    for n in reversed(range(count)):
        repo.seed_user(user(f"u{n:04d}"))
    repo.seed_user(user("stranger", company="other"))
    give(repo, "u0000", "B")
    give(repo, "u0000", "A")  # later: after B
    last = f"u{count - 1:04d}"
    give(repo, last, "Z")
    reader = CountingReader(repo)
    rows = list(exports.rows(reader, "acme"))
    assert [(r["employee_id"], r["account_number"]) for r in rows] == [
        ("u0000", "B"),
        ("u0000", "A"),
        (last, "Z"),
    ]
    assert {(r["provider_code"], r["provider_category"]) for r in rows} == {("HH", "hotel")}
    # read a bounded page of users at a time, every page, then no more
    assert reader.limits == [exports.USERS_PER_PAGE] * 3
    assert exports.USERS_PER_PAGE == 100
    users = list(exports.users(reader, "acme"))
    assert [u.employee_id for u in users] == [f"u{n:04d}" for n in range(count)]


def test_the_users_after_one_are_those_that_follow_it() -> None:
    repo = InMemoryRepository()
    for employee_id in ("a", "b", "c"):
        repo.seed_user(user(employee_id))
    assert [u.employee_id for u in exports.users(repo, "acme", after="a")] == ["b", "c"]


def test_a_user_erased_meanwhile_has_no_rows() -> None:
    repo = InMemoryRepository()
    assert exports.user_rows(repo, "acme", "gone") == ()
