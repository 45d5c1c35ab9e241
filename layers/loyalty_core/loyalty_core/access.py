"""Who may read and write whose memberships: the one home of that rule.

A traveller reaches their own memberships, an arranger their assigned travellers'
and their own, an admin every user of their company. Nothing crosses companies:
every user key holds the company, and the caller's company is the only one a
service ever reads. A user out of reach and a user that does not exist look the
same to the caller: 404, never 403, so an id's existence is not revealed.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from loyalty_core.errors import NotFound, quote
from loyalty_core.models import Role
from loyalty_core.validators import is_employee_id

if TYPE_CHECKING:
    from loyalty_core.models import Principal, User


def reaches(principal: Principal, employee_id: str) -> bool:
    """Whether `principal` may touch the memberships of `employee_id` of its own company."""
    if principal.role is Role.ADMIN or employee_id == principal.employee_id:
        return True
    return principal.role is Role.ARRANGER and employee_id in principal.arranges


def reaches_user(principal: Principal, user: User) -> bool:
    """The same for a user found by other means (an email): its company must be the caller's."""
    return user.company == principal.company and reaches(principal, user.employee_id)


def user_not_found(employee_id: str) -> NotFound:
    return NotFound(f"No user {quote(employee_id)} within your reach")


def require_reach(principal: Principal, employee_id: str) -> None:
    """404 unless `employee_id` is a well-formed id within the caller's reach."""
    if not is_employee_id(employee_id) or not reaches(principal, employee_id):
        raise user_not_found(employee_id)
