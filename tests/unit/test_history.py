"""The audit trail's paging rules on the in-memory repository: cursors that are read, never
trusted; pages by number only near the top; the filter by membership."""

from __future__ import annotations

import base64
from datetime import UTC, datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st

from loyalty_core.errors import MalformedRequest, NotFound
from loyalty_core.models import (
    AuditRecord,
    Interface,
    Membership,
    MembershipSet,
    Origin,
    Principal,
    Role,
    User,
)
from loyalty_core.models.audit import membership_entry
from loyalty_core.repository import UserWrite
from loyalty_core.services.history import NUMBERED_PAGES, Trail, backfill_index, list_changes
from tests.memory_repository import InMemoryRepository

JOHN = User(company="acme", employee_id="098765", name="John Smith", email="john@acme.example")
JANE = User(company="acme", employee_id="112233", name="Jane Doe", email="jane@acme.example")
ADMIN = Principal(company="acme", employee_id="admin", role=Role.ADMIN)
ORIGIN = Origin("user:admin", Interface.LOCOMOTE, "request")
NOW = datetime(2026, 12, 7, tzinfo=UTC)


def membership(n: int, user: User = JOHN) -> Membership:
    return Membership(
        id=f"m{n}",
        company=user.company,
        employee_id=user.employee_id,
        provider_id="hh",
        account_number=f"A{n}",
        membership_name="John Smith",
        created_at=NOW,
        updated_at=NOW,
    )


def write(repo: InMemoryRepository, user: User, *touched: Membership) -> AuditRecord:
    """One write request for `user` touching these memberships (each created)."""
    snapshot = repo.get_user_memberships(user.company, user.employee_id)
    assert isinstance(snapshot, MembershipSet)
    audit = AuditRecord.of(ORIGIN, [membership_entry(None, m) for m in touched], NOW)
    repo.commit(UserWrite(snapshot, audit, snapshot.count + len(touched), touched))
    return audit


@pytest.fixture
def repo() -> InMemoryRepository:
    memory = InMemoryRepository()
    memory.seed_user(JOHN)
    memory.seed_user(JANE)
    return memory


def ids(records: tuple[AuditRecord, ...]) -> list[str]:
    return [r.id for r in records]


def test_pages_go_by_cursor_from_the_newest_to_the_oldest_and_back(
    repo: InMemoryRepository,
) -> None:
    written = [write(repo, JOHN, membership(n)).id for n in range(7)][::-1]  # newest first
    first = list_changes(repo, ADMIN, "098765", 3, now=NOW)
    assert (ids(first.records), first.total, first.previous) == (written[:3], 7, None)
    assert first.next == first.cursors[-1]
    second = list_changes(repo, ADMIN, "098765", 3, after=first.next, now=NOW)
    assert ids(second.records) == written[3:6]
    assert second.total is None  # a page past a cursor never reads the profile
    last = list_changes(repo, ADMIN, "098765", 3, after=second.next, now=NOW)
    assert (ids(last.records), last.next) == (written[6:], None)
    back = list_changes(repo, ADMIN, "098765", 3, before=last.previous, now=NOW)
    assert ids(back.records) == written[3:6]
    top = list_changes(repo, ADMIN, "098765", 3, before=back.previous, now=NOW)
    assert (ids(top.records), top.previous, top.total) == (written[:3], None, 7)


def test_page_numbers_reach_the_first_ten_pages_only(repo: InMemoryRepository) -> None:
    written = [write(repo, JOHN, membership(n)).id for n in range(5)][::-1]
    second = list_changes(repo, ADMIN, "098765", 2, number=2, now=NOW)
    assert ids(second.records) == written[2:4]
    assert second.previous and second.next
    tenth = list_changes(repo, ADMIN, "098765", 2, number=NUMBERED_PAGES, now=NOW)
    assert (tenth.records, tenth.next) == ((), None)
    assert tenth.previous is not None
    from_the_end = list_changes(repo, ADMIN, "098765", 2, before=tenth.previous, now=NOW)
    assert ids(from_the_end.records) == written[3:]
    with pytest.raises(MalformedRequest) as refused:
        list_changes(repo, ADMIN, "098765", 2, number=NUMBERED_PAGES + 1, now=NOW)
    [problem] = refused.value.problems
    assert problem.location == ("page[number]",)
    assert "page[after]" in problem.detail and "page[before]" in problem.detail


def test_a_cursor_belongs_to_its_trail_and_filter() -> None:
    john, jane = Trail("acme", "098765"), Trail("acme", "112233")
    filtered = Trail("acme", "098765", "m1")
    globex = Trail("globex", "098765")
    cursor = john.cursor(42)
    assert john.position(cursor, "page[after]") == 42
    for other in (jane, filtered, globex):
        with pytest.raises(MalformedRequest) as refused:
            other.position(cursor, "page[before]")
        assert refused.value.problems[0].location == ("page[before]",)


def test_an_altered_cursor_is_refused() -> None:
    trail = Trail("acme", "098765")
    raw = bytearray(base64.urlsafe_b64decode(trail.cursor(42)))
    for at in range(len(raw)):
        altered = raw.copy()
        altered[at] ^= 1
        with pytest.raises(MalformedRequest):
            trail.position(base64.urlsafe_b64encode(bytes(altered)).decode(), "page[after]")


@given(st.text(max_size=64) | st.binary(max_size=40).map(lambda b: base64.b64encode(b).decode()))
def test_no_string_but_a_cursor_of_the_trail_names_a_place(text: str) -> None:
    """Refused in the same words whatever was sent: nothing of it is echoed."""

    def refusal(sent: str) -> str:
        with pytest.raises(MalformedRequest) as refused:
            Trail("acme", "098765").position(sent, "page[after]")
        return refused.value.problems[0].detail

    assert refusal(text) == refusal("not a cursor")


def test_a_cursor_of_another_users_trail_is_refused_before_any_read(
    repo: InMemoryRepository,
) -> None:
    write(repo, JANE, membership(1, JANE))
    janes = list_changes(repo, ADMIN, "112233", 1, now=NOW).cursors[0]
    read: list[str] = []
    repo.get_trail = lambda *args, **kwargs: read.append(args[1])  # type: ignore[method-assign]
    with pytest.raises(MalformedRequest):
        list_changes(repo, ADMIN, "098765", 1, after=janes, now=NOW)
    assert read == []


def test_the_filter_keeps_the_records_touching_one_membership(repo: InMemoryRepository) -> None:
    one = write(repo, JOHN, membership(1))
    write(repo, JOHN, membership(2))
    both = write(repo, JOHN, membership(3), membership(1))
    found = list_changes(repo, ADMIN, "098765", 1, membership="m1", now=NOW)
    assert (ids(found.records), found.total) == ([both.id], None)
    rest = list_changes(repo, ADMIN, "098765", 1, membership="m1", after=found.next, now=NOW)
    assert (ids(rest.records), rest.next) == ([one.id], None)
    with pytest.raises(MalformedRequest):  # an unfiltered cursor under a filter
        list_changes(repo, ADMIN, "098765", 1, membership="m2", after=found.next, now=NOW)
    with pytest.raises(MalformedRequest):
        list_changes(repo, ADMIN, "098765", 1, membership="not an id!", now=NOW)


def test_out_of_reach_and_absent_users_are_404(repo: InMemoryRepository) -> None:
    traveller = Principal(company="acme", employee_id="112233", role=Role.TRAVELLER)
    with pytest.raises(NotFound):
        list_changes(repo, traveller, "098765", 5, now=NOW)
    with pytest.raises(NotFound):
        list_changes(repo, ADMIN, "nobody", 5, now=NOW)


class _Store:
    def __init__(self) -> None:
        self.indexed: list[tuple[str, str]] = []

    def index_trail(self, company: str, employee_id: str) -> int:
        self.indexed.append((company, employee_id))
        return 2


def test_the_backfill_indexes_each_user_it_is_given() -> None:
    store = _Store()
    users = [("acme", "098765"), ("acme", "112233")]
    done = backfill_index(store, users)
    assert (done.users, done.entries, store.indexed) == (2, 4, users)
    assert backfill_index(_Store(), []) == type(done)(0, 0)


def test_a_query_the_trail_cannot_answer_is_refused_with_every_problem(
    repo: InMemoryRepository,
) -> None:
    with pytest.raises(MalformedRequest) as refused:
        list_changes(repo, ADMIN, "098765", 5, membership="not an id!", number=11, now=NOW)
    assert str(refused.value) == "The query string asks for what this trail cannot do"
    assert [(p.detail, p.location, p.kind) for p in refused.value.problems] == [
        ("must be a membership id", ("filter[membership]",), "parameter"),
        (
            "reaches the first 10 pages only: further pages are read by cursor "
            "(page[after], page[before]), as the links give them",
            ("page[number]",),
            "parameter",
        ),
    ]


@pytest.mark.parametrize("parameter", ["after", "before"])
def test_a_cursor_not_of_this_trail_is_refused_naming_its_parameter(
    repo: InMemoryRepository, parameter: str
) -> None:
    with pytest.raises(MalformedRequest) as refused:
        list_changes(repo, ADMIN, "098765", 5, now=NOW, **{parameter: "x" * 20})
    name = f"page[{parameter}]"
    assert str(refused.value) == f"{name} is not a cursor of this trail"
    [problem] = refused.value.problems
    assert (problem.detail, problem.location, problem.kind) == (
        "must be a cursor from this trail's own links (links.next, links.prev or a "
        "record's meta.page.cursor), with the same filter",
        (name,),
        "parameter",
    )


def test_a_cursor_handed_out_stays_valid_across_releases() -> None:
    """A client may page on through a deployment: the cursors a trail gives do not change."""
    assert Trail("acme", "098765").cursor(42) == "AQAAAAAAKqt7vh0ok_H7"
    assert Trail("acme", "098765", "m1").cursor(42) == "AQAAAAAAKtRYql3a72j_"
    assert Trail("acme", "098765").position("AQAAAAAAKqt7vh0ok_H7", "page[after]") == 42


def test_a_cursor_names_no_revision_past_the_last_a_trail_holds() -> None:
    last = 10**12 - 2  # the keys count revisions down from 10^12
    trail = Trail("acme", "098765")
    assert trail.position(trail.cursor(last), "page[after]") == last
    for beyond in (last + 1, 2**40, 2**47):
        with pytest.raises(MalformedRequest):
            trail.position(trail.cursor(beyond), "page[after]")


def test_records_past_their_retention_are_not_listed(repo: InMemoryRepository) -> None:
    kept = write(repo, JOHN, membership(1))
    assert ids(list_changes(repo, ADMIN, "098765", 5, now=NOW).records) == [kept.id]
    years_later = datetime(2030, 1, 1, tzinfo=UTC)
    assert list_changes(repo, ADMIN, "098765", 5, now=years_later).records == ()


def test_an_absent_user_is_named_in_the_404(repo: InMemoryRepository) -> None:
    with pytest.raises(NotFound) as absent:
        list_changes(repo, ADMIN, "nobody", 5, now=NOW)
    assert str(absent.value) == 'No user "nobody" within your reach'
