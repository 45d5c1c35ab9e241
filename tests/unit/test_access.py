"""Who reaches whose memberships (access.py): a traveller their own, an arranger their
assigned travellers' and their own, an admin their whole company; never across companies;
out of reach reads as absent (404 naming the id, never 403)."""

from __future__ import annotations

import pytest

from loyalty_core.access import reaches, reaches_user, require_reach
from loyalty_core.errors import NotFound
from loyalty_core.models import Principal, Role, User

TRAVELLER = Principal(company="acme", employee_id="t1", role=Role.TRAVELLER)
ARRANGER = Principal(
    company="acme", employee_id="a1", role=Role.ARRANGER, arranges=frozenset({"t1"})
)
ADMIN = Principal(company="acme", employee_id="boss", role=Role.ADMIN)


def someone(employee_id: str, company: str = "acme") -> User:
    return User(company=company, employee_id=employee_id, name="X", email=f"{employee_id}@x.ex")


@pytest.mark.parametrize(
    ("principal", "reached", "not_reached"),
    [
        (TRAVELLER, ["t1"], ["t2", "a1", "boss"]),
        (ARRANGER, ["a1", "t1"], ["t2", "boss"]),
        (ADMIN, ["boss", "t1", "t2", "a1"], []),
    ],
)
def test_each_role_reaches_whom_it_should(
    principal: Principal, reached: list[str], not_reached: list[str]
) -> None:
    assert all(reaches(principal, who) for who in reached)
    assert not any(reaches(principal, who) for who in not_reached)


def test_an_assignment_gives_an_arranger_reach_only_as_an_arranger() -> None:
    """A traveller or admin carrying assignments reaches by their role alone."""
    traveller = TRAVELLER.model_copy(update={"arranges": frozenset({"t2"})})
    assert not reaches(traveller, "t2")


def test_a_user_found_by_email_must_be_of_the_callers_company_and_reach() -> None:
    assert reaches_user(ADMIN, someone("t2"))
    assert reaches_user(ARRANGER, someone("t1"))
    assert not reaches_user(ARRANGER, someone("t2"))  # same company, out of reach
    assert not reaches_user(ADMIN, someone("t2", company="globex"))  # another company
    assert not reaches_user(TRAVELLER, someone("t1", company="globex"))  # same id elsewhere


@pytest.mark.parametrize("employee_id", ["t2", "nobody", "bad/id", "x" * 51, ""])
def test_out_of_reach_or_malformed_is_404_naming_the_id(employee_id: str) -> None:
    with pytest.raises(NotFound) as caught:
        require_reach(TRAVELLER, employee_id)
    assert caught.value.detail == f'No user "{employee_id}" within your reach'


def test_within_reach_passes() -> None:
    require_reach(TRAVELLER, "t1")
    require_reach(ADMIN, "t2")
