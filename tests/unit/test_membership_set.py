"""The membership set's rules (models.membership_set), on sets built by hand: duplicates by
account number and by program, the membership limit (a write that adds may not pass it,
one that does not always may), which membership a partner's (provider, program) names,
the set after a change, and the audit entries of a change."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from loyalty_core.errors import Duplicate, Problem, TooManyMemberships
from loyalty_core.models import MAX_MEMBERSHIPS_PER_USER, Change, Membership, MembershipSet, User
from loyalty_core.models.audit import Action, entry
from loyalty_core.models.membership_set import oldest_first

JOHN = User(company="acme", employee_id="098765", name="John Smith", email="john@acme.example")
T0 = datetime(2026, 1, 1, tzinfo=UTC)


def membership(
    id: str, provider: str = "qf", number: str = "A1", program: str | None = None, **more: object
) -> Membership:
    return Membership.model_validate(
        {
            "id": id,
            "company": "acme",
            "employee_id": "098765",
            "provider_id": provider,
            "account_number": number,
            "program": program,
            "created_at": T0,
            "updated_at": T0,
            **more,
        }
    )


def holding(*memberships: Membership, revision: int = 7) -> MembershipSet:
    return MembershipSet(user=JOHN, revision=revision, memberships=memberships)


# -- duplicates ------------------------------------------------------------------------------


def test_one_account_number_per_provider() -> None:
    held = holding(membership("m1", "qf", "A1"))
    with pytest.raises(Duplicate) as caught:
        held.refuse_duplicate(membership("m2", "qf", "A1"))
    assert caught.value.detail == (
        "This user already holds membership m1 with this provider and account number"
    )
    assert caught.value.problems == [
        Problem("already used with this provider", ("account_number",))
    ]
    held.refuse_duplicate(membership("m2", "ze", "A1"))  # another provider
    held.refuse_duplicate(membership("m2", "qf", "A2"))  # another number
    held.refuse_duplicate(membership("m1", "qf", "A1", level="Gold"))  # itself, a new version


def test_one_membership_per_program_of_a_provider() -> None:
    held = holding(membership("m1", "qf", "A1", program="FF"))
    with pytest.raises(Duplicate) as caught:
        held.refuse_duplicate(membership("m2", "qf", "B2", program="FF"))
    assert caught.value.detail == "This user already holds membership m1 in this provider's program"
    assert caught.value.problems == [Problem("already used with this provider", ("program",))]
    held.refuse_duplicate(membership("m2", "ze", "B2", program="FF"))  # another provider
    held.refuse_duplicate(membership("m2", "qf", "B2", program="Lounge"))  # another program
    held.refuse_duplicate(membership("m2", "qf", "B2"))  # no program
    held.refuse_duplicate(membership("m1", "qf", "C3", program="FF"))  # itself


def test_memberships_without_a_program_are_no_duplicates_of_each_other() -> None:
    holding(membership("m1", "qf", "A1")).refuse_duplicate(membership("m2", "qf", "B2"))


# -- the membership limit --------------------------------------------------------------------


def full(extra: int = 0) -> MembershipSet:
    return holding(
        *(membership(f"m{n}", "qf", f"A{n}") for n in range(MAX_MEMBERSHIPS_PER_USER + extra))
    )


def test_a_write_that_adds_past_the_limit_is_refused_saying_by_how_much() -> None:
    held = full()
    with pytest.raises(TooManyMemberships) as caught:
        held.refuse_too_many(Change(put=(membership("new1"), membership("new2"))))
    assert caught.value.detail == "The request would pass the membership limit; nothing was written"
    assert caught.value.problems == [
        Problem(
            f"A user holds at most {MAX_MEMBERSHIPS_PER_USER} memberships: this one holds "
            f"{MAX_MEMBERSHIPS_PER_USER} and the request adds 2",
            ("data",),
        )
    ]


def test_up_to_the_limit_a_write_adds_and_the_count_after_is_returned() -> None:
    held = holding(*(membership(f"m{n}") for n in range(MAX_MEMBERSHIPS_PER_USER - 1)))
    assert held.refuse_too_many(Change(put=(membership("new"),))) == MAX_MEMBERSHIPS_PER_USER


def test_a_write_that_adds_nothing_may_always_be_made_even_past_the_limit() -> None:
    """A user past the limit (held from before it) may still update and delete."""
    held = full(extra=2)
    first, second = held.memberships[:2]
    updated = first.model_copy(update={"level": "Gold", "version": 2})
    assert held.refuse_too_many(Change(put=(updated,))) == MAX_MEMBERSHIPS_PER_USER + 2
    assert held.refuse_too_many(Change(delete=(second,))) == MAX_MEMBERSHIPS_PER_USER + 1
    swapped = Change(put=(membership("new"),), delete=(second,))
    assert held.refuse_too_many(swapped) == MAX_MEMBERSHIPS_PER_USER + 2
    with pytest.raises(TooManyMemberships):
        held.refuse_too_many(Change(put=(membership("new"),)))


def test_the_count_after_a_change_counts_each_membership_once() -> None:
    m1, m2 = membership("m1"), membership("m2", number="B2")
    held = holding(m1, m2)
    assert held.count_after(Change()) == 2
    assert held.count_after(Change(put=(m1.model_copy(update={"level": "Gold"}),))) == 2
    assert held.count_after(Change(put=(membership("m3"), membership("m4")))) == 4
    assert held.count_after(Change(delete=(m1,))) == 1
    assert held.count_after(Change(delete=(m1, m2), put=(membership("m3"),))) == 1
    assert held.count_after(Change(delete=(membership("gone"),))) == 2  # not held: no change


# -- the set after a change ------------------------------------------------------------------


def test_the_set_after_a_change_keeps_its_order_new_versions_in_place_new_ones_last() -> None:
    m1, m2, m3 = membership("m1"), membership("m2", number="B2"), membership("m3", number="C3")
    held = holding(m1, m2, m3)
    m2v2 = m2.model_copy(update={"level": "Gold", "version": 2})
    after = held.after(Change(put=(membership("m4", number="D4"), m2v2), delete=(m1,)))
    assert [m.id for m in after.memberships] == ["m2", "m3", "m4"]
    assert after.find("m2") == m2v2
    assert (after.user, after.revision) == (JOHN, 7)  # nothing was written
    assert held.memberships == (m1, m2, m3)  # the set itself is as read


def test_a_set_holds_its_memberships_oldest_first_then_by_id() -> None:
    later = membership("a", created_at=T0 + timedelta(seconds=1))
    b, c = membership("b"), membership("c")
    assert oldest_first([later, c, b]) == (b, c, later)


# -- which membership a partner's update names -------------------------------------------------


def test_a_program_names_the_membership_in_it() -> None:
    ff, lounge = membership("m1", program="FF"), membership("m2", "qf", "B2", program="Lounge")
    held = holding(membership("m0", "ze", "A1", program="FF"), ff, lounge)
    assert held.named_by("qf", "FF", "Z9") == ff
    assert held.named_by("qf", "Lounge", None) == lounge
    assert held.named_by("qf", "Other", "A1") is None  # every qf membership has a program


def test_else_the_one_without_a_program_holding_the_number_sent() -> None:
    a1, b2 = membership("m1", number="A1"), membership("m2", number="B2")
    held = holding(membership("z", "ze", "B2"), a1, b2)
    assert held.named_by("qf", "FF", "B2") == b2
    assert held.named_by("qf", "FF", "A1") == a1
    assert held.named_by("qf", "FF", "C3") is None  # two without a program: neither guessed
    assert held.named_by("qf", "FF", None) is None


def test_else_the_only_one_of_the_provider_without_a_program() -> None:
    only = membership("m2", number="B2")
    held = holding(membership("m1", program="GG"), only, membership("z", "ze", "C3"))
    assert held.named_by("qf", "FF", "Z9") == only
    assert held.named_by("qf", "FF", None) == only
    assert held.named_by("ze", "FF", None) == held.find("z")
    assert held.named_by("hh", "FF", "B2") is None


# -- the audit entries of a change -------------------------------------------------------------


def test_a_changes_entries_one_per_membership_against_the_set_then_the_user_then_its_own() -> None:
    m1, m2 = membership("m1", number="A1234"), membership("m2", number="B2345")
    held = holding(m1, m2)
    m1v2 = m1.model_copy(update={"level": "Gold", "version": 2})
    created = membership("m3", "ze", "C3456")
    token_entry = entry("api_token_id", "t1", None, {"label": "laptop"})
    renamed = JOHN.model_copy(update={"name": "John Smyth"})
    change = Change(put=(m1v2, created), delete=(m2,), user=renamed, entries=(token_entry,))
    found = [
        (e.subject, getattr(e, e.subject), e.action, e.before, e.after)
        for e in held.entries(change)
    ]
    assert found == [
        ("membership_id", "m1", Action.UPDATE, {"level": None}, {"level": "Gold"}),
        (
            "membership_id",
            "m3",
            Action.CREATE,
            None,
            {"account_number": "****3456", "loyalty_provider": "ze"},
        ),
        (
            "membership_id",
            "m2",
            Action.DELETE,
            {"account_number": "****2345", "loyalty_provider": "qf"},
            None,
        ),
        ("user_id", "098765", Action.UPDATE, {"name": "John Smith"}, {"name": "John Smyth"}),
        ("api_token_id", "t1", Action.CREATE, None, {"label": "laptop"}),
    ]
    assert [e.version for e in held.entries(change)][:3] == [2, 1, 1]


def test_a_user_as_they_were_is_no_entry_and_an_empty_change_is_no_write() -> None:
    held = holding(membership("m1"))
    assert held.entries(Change(user=JOHN)) == []
    assert Change().empty and not Change(user=JOHN).empty
    assert not Change(put=(membership("m1"),)).empty and not Change(delete=held.memberships).empty
