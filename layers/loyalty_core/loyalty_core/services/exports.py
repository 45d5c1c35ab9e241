"""A company export (SPEC 14): every membership of a company, as rows of the import's own
columns (account numbers whole: the company's own data, for its admins only), read user by
user through the company's index of users, a bounded page at a time, and one Query per
user: no Scan. Exporting then importing the rows changes nothing.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import TYPE_CHECKING, Any, Protocol

from loyalty_core.models import MEMBERSHIP_ATTRIBUTES

if TYPE_CHECKING:
    from loyalty_core.models import Membership, MembershipSet, Provider, User

USERS_PER_PAGE = 100


class CompanyReader(Protocol):
    """What an export reads: the company's users a page at a time, each user's memberships,
    the catalog."""

    def company_users(
        self, company: str, after: str | None = None, limit: int = 100
    ) -> tuple[list[User], str | None]: ...

    def get_user_memberships(self, company: str, employee_id: str) -> MembershipSet | None: ...

    def get_provider(self, provider_id: str) -> Provider | None: ...


def row(membership: Membership, provider: Provider | None) -> dict[str, Any]:
    """A membership as a row of the import's columns: its provider by id, and by primary code
    and category (what the import checks them against)."""
    attributes = membership.model_dump(mode="json", include=set(MEMBERSHIP_ATTRIBUTES))
    return {
        "employee_id": membership.employee_id,
        "provider_id": membership.provider_id,
        "provider_code": provider.vendor_code if provider else None,
        "provider_category": provider.category if provider else None,
        **{name: attributes.get(name) for name in MEMBERSHIP_ATTRIBUTES},
    }


def users(repo: CompanyReader, company: str, after: str | None = None) -> Iterator[User]:
    """The company's users in employee id order, after `after`, a page at a time."""
    while True:
        page, after = repo.company_users(company, after, USERS_PER_PAGE)
        yield from page
        if after is None:
            return


def user_rows(repo: CompanyReader, company: str, employee_id: str) -> Sequence[dict[str, Any]]:
    """One user's memberships as rows, oldest first (none for a user erased meanwhile)."""
    held = repo.get_user_memberships(company, employee_id)
    if held is None:
        return ()
    return [row(m, repo.get_provider(m.provider_id)) for m in held.memberships]


def rows(repo: CompanyReader, company: str) -> Iterator[dict[str, Any]]:
    """Every membership of the company as rows, user by user in employee id order."""
    for user in users(repo, company):
        yield from user_rows(repo, company, user.employee_id)
