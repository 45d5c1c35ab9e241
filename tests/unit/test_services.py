"""The membership use cases on the in-memory repository: rules without any AWS."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from functools import partial

import pytest
from hypothesis import given
from hypothesis import strategies as st

from loyalty_core.access import reaches
from loyalty_core.auth import authenticate_user, hash_token, new_token
from loyalty_core.errors import (
    ConcurrentChange,
    Duplicate,
    NotFound,
    PreconditionFailed,
    TooManyMemberships,
    Unauthenticated,
    WriteOutcomeUnknown,
)
from loyalty_core.models import (
    MAX_MEMBERSHIPS_PER_USER,
    Interface,
    MembershipChanges,
    MembershipDraft,
    Origin,
    Principal,
    Provider,
    Role,
    User,
    VendorType,
    name_on_membership,
)
from loyalty_core.services import memberships as svc
from loyalty_core.validators import is_text
from tests.memory_repository import InMemoryRepository

HILTON = Provider(id="hh", name="Hilton Honors", vendor_type=VendorType.HOTEL, vendor_code="HH")
QANTAS = Provider(id="qf", name="Qantas", vendor_type=VendorType.AIR, vendor_code="QF")
ADMIN = Principal(company="acme", employee_id="boss", role=Role.ADMIN)
JOHN = Principal(company="acme", employee_id="098765", role=Role.TRAVELLER)
# The membership writes, each as one request of a Locomote caller.
ORIGIN = Origin("user:boss", Interface.LOCOMOTE, "test-request")
create = partial(svc.create_membership, origin=ORIGIN)
update = partial(svc.update_membership, origin=ORIGIN)
delete = partial(svc.delete_membership, origin=ORIGIN)


@pytest.fixture
def repo() -> InMemoryRepository:
    repo = InMemoryRepository()
    for provider in (HILTON, QANTAS):
        repo.add_provider(provider)
    repo.seed_user(
        User(company="acme", employee_id="098765", name="John Smith", email="john@acme.example"),
        {"t1": hash_token("john-token")},
    )
    repo.seed_user(
        User(company="acme", employee_id="112233", name="Jane Doe", email="jane@acme.example")
    )
    return repo


def draft(**changes: object) -> MembershipDraft:
    values = {
        "provider_id": "hh",
        "account_number": "A1",
        "membership_name": "John Smith",
        "expires_on": "2031-01-01",
        **changes,
    }
    return MembershipDraft.model_validate(values)


def test_create_then_list_get_update_delete(repo: InMemoryRepository) -> None:
    created = create(repo, ADMIN, "098765", draft())
    assert created.version == 1 and created.company == "acme"
    assert svc.list_memberships(repo, JOHN, "098765") == (created,)
    assert svc.get_membership(repo, JOHN, "098765", created.id) == created
    updated = update(
        repo, JOHN, "098765", created.id, MembershipChanges(level="Gold"), if_match=created.etag
    )
    assert (updated.level, updated.version, updated.account_number) == ("Gold", 2, "A1")
    assert updated.created_at == created.created_at and updated.updated_at > created.updated_at
    delete(repo, JOHN, "098765", created.id)
    assert svc.list_memberships(repo, JOHN, "098765") == ()


def test_duplicates_are_refused_per_provider_and_account(repo: InMemoryRepository) -> None:
    create(repo, ADMIN, "098765", draft())
    with pytest.raises(Duplicate):
        create(repo, ADMIN, "098765", draft())
    create(repo, ADMIN, "098765", draft(provider_id="qf"))  # other provider: fine
    create(repo, ADMIN, "112233", draft())  # other user: fine


def test_unknown_provider_is_not_found(repo: InMemoryRepository) -> None:
    with pytest.raises(NotFound) as caught:
        create(repo, ADMIN, "098765", draft(provider_id="nope"))
    assert caught.value.problems[0].location == ("provider_id",)


def test_out_of_reach_looks_like_absent(repo: InMemoryRepository) -> None:
    for employee_id in ("112233", "nobody", "bad/id", "x" * 51):
        with pytest.raises(NotFound):
            svc.list_memberships(repo, JOHN, employee_id)
    other = Principal(company="globex", employee_id="g", role=Role.ADMIN)
    with pytest.raises(NotFound):
        svc.list_memberships(repo, other, "098765")


def test_arranger_reaches_assigned_and_self_only() -> None:
    arranger = Principal(
        company="acme", employee_id="arr", role=Role.ARRANGER, arranges=frozenset({"098765"})
    )
    assert reaches(arranger, "098765") and reaches(arranger, "arr")
    assert not reaches(arranger, "112233")


def test_if_match_rules(repo: InMemoryRepository) -> None:
    created = create(repo, ADMIN, "098765", draft())
    for good in ('"1"', "*", '"7", "1"'):
        svc.check_if_match(created, good)
    for bad in ('"2"', 'W/"1"', "1"):  # another version; weak (strong comparison); unquoted
        with pytest.raises(PreconditionFailed):
            svc.check_if_match(created, bad)


def test_a_write_retries_on_a_concurrent_change_then_gives_up(repo: InMemoryRepository) -> None:
    real_commit = repo.commit
    failures = iter([True, False])

    def flaky(*args: object, **kwargs: object) -> None:
        if next(failures, True):
            raise ConcurrentChange("someone else wrote")
        real_commit(*args, **kwargs)  # type: ignore[arg-type]

    repo.commit = flaky  # type: ignore[method-assign]
    assert create(repo, ADMIN, "098765", draft()).account_number == "A1"
    with pytest.raises(ConcurrentChange):
        create(repo, ADMIN, "098765", draft(account_number="A2"))


def test_a_write_that_applied_is_recognised_though_a_later_writer_came_between(
    repo: InMemoryRepository,
) -> None:
    """The answer is lost, another request writes before the re-read: the write is still
    recognised as this request's own (its membership is there as written), not a duplicate."""
    real_commit = repo.commit

    def applied_then_lost(*args: object, **kwargs: object) -> None:
        real_commit(*args, **kwargs)  # type: ignore[arg-type]
        repo.commit = real_commit  # type: ignore[method-assign]
        create(repo, ADMIN, "098765", draft(account_number="LATER"))
        raise WriteOutcomeUnknown("read timed out")

    repo.commit = applied_then_lost  # type: ignore[method-assign]
    created = create(repo, ADMIN, "098765", draft(account_number="MINE"))
    held = svc.list_memberships(repo, ADMIN, "098765")
    assert sorted(m.account_number for m in held) == ["LATER", "MINE"]
    assert created in held


def test_an_update_that_applied_is_not_applied_twice(repo: InMemoryRepository) -> None:
    created = create(repo, ADMIN, "098765", draft())
    real_commit = repo.commit

    def applied_then_refused(*args: object, **kwargs: object) -> None:
        real_commit(*args, **kwargs)  # type: ignore[arg-type]
        repo.commit = real_commit  # type: ignore[method-assign]
        raise ConcurrentChange("the SDK's retry met the revision its first try moved")

    repo.commit = applied_then_refused  # type: ignore[method-assign]
    updated = update(
        repo, ADMIN, "098765", created.id, MembershipChanges(level="Gold"), if_match='"1"'
    )
    assert updated.version == 2
    assert svc.get_membership(repo, ADMIN, "098765", created.id) == updated


def test_a_write_that_did_not_apply_is_tried_again(repo: InMemoryRepository) -> None:
    real_commit = repo.commit
    tries: list[int] = []

    def unanswered_first(*args: object, **kwargs: object) -> None:
        tries.append(1)
        if len(tries) == 1:
            raise WriteOutcomeUnknown("read timed out before it arrived")
        real_commit(*args, **kwargs)  # type: ignore[arg-type]

    repo.commit = unanswered_first  # type: ignore[method-assign]
    assert create(repo, ADMIN, "098765", draft()).account_number == "A1"
    assert len(tries) == 2 and len(svc.list_memberships(repo, ADMIN, "098765")) == 1


def test_a_user_holds_at_most_the_limit(repo: InMemoryRepository) -> None:
    for n in range(MAX_MEMBERSHIPS_PER_USER):
        create(repo, ADMIN, "098765", draft(account_number=f"N{n}"))
    with pytest.raises(TooManyMemberships) as refused:
        create(repo, ADMIN, "098765", draft(account_number="OVER"))
    assert refused.value.problems[0].location == ("data",)
    assert len(svc.list_memberships(repo, ADMIN, "098765")) == MAX_MEMBERSHIPS_PER_USER
    create(repo, ADMIN, "112233", draft(account_number="OVER"))  # per user


def test_expiry(repo: InMemoryRepository) -> None:
    created = create(repo, ADMIN, "098765", draft(expires_on="2020-01-01"))
    assert created.is_expired(date(2020, 1, 2)) and not created.is_expired(date(2020, 1, 1))


def test_tokens_are_hashed_and_checked(repo: InMemoryRepository) -> None:
    principal = authenticate_user(repo, "JOHN@acme.example", "john-token")
    assert (principal.company, principal.employee_id) == ("acme", "098765")
    for username, token in (
        ("john@acme.example", "wrong"),
        ("nobody@x.example", "john-token"),
        (None, "john-token"),
        ("john@acme.example", None),
    ):
        with pytest.raises(Unauthenticated):
            authenticate_user(repo, username, token)
    assert hash_token("john-token") in repo.logins["john@acme.example"].token_hashes.values()
    assert "john-token" not in str(repo.logins)


def test_expired_tokens_fail(repo: InMemoryRepository) -> None:
    login = repo.logins["john@acme.example"]
    past = datetime.now(UTC) - timedelta(seconds=1)
    repo.logins["john@acme.example"] = type(login)(login.user, login.token_hashes, {"t1": past})
    with pytest.raises(Unauthenticated):
        authenticate_user(repo, "john@acme.example", "john-token")


def test_new_tokens_are_long_and_random() -> None:
    tokens = {new_token() for _ in range(100)}
    assert len(tokens) == 100 and all(len(t) >= 40 for t in tokens)


# -- one record: a name for Concur's memberships, account numbers by one rule ---------------


def _user(name: str, employee_id: str = "098765") -> User:
    return User(company="acme", employee_id=employee_id, name=name, email="j@acme.example")


@pytest.mark.parametrize(
    ("name", "employee_id", "expected"),
    [
        ("John Smith", "098765", "John Smith"),
        ("Dr. Ana María O'Neil-Ruiz (PhD)", "098765", "Dr. Ana María O'Neil-Ruiz PhD"),
        ("  Jane  Doe  ", "098765", "Jane Doe"),
        (
            "Wolfeschlegelsteinhausenbergerdorff Hubert Blaine Jr",
            "1",
            "Wolfeschlegelsteinhausenbergerdorff Hubert Blaine",
        ),  # cut to 50, the trailing space dropped
        ("A" * 100, "1", "A" * 50),
        ("!!!", "E42", "E42"),
        ("<>", "___", "Member"),
    ],
)
def test_a_membership_without_a_name_takes_the_profile_name(
    name: str, employee_id: str, expected: str
) -> None:
    assert name_on_membership(_user(name, employee_id)) == expected


@given(
    st.text(min_size=1, max_size=100).filter(lambda name: is_text(name) and name.strip()),
    st.from_regex(r"[A-Za-z0-9_]{1,50}", fullmatch=True),
)
def test_the_profile_name_always_passes_the_membership_name_rule(
    name: str, employee_id: str
) -> None:
    value = name_on_membership(_user(name, employee_id))
    assert MembershipChanges(membership_name=value).membership_name == value


def test_formatted_and_bare_account_numbers_are_the_same_account(
    repo: InMemoryRepository,
) -> None:
    created = create(repo, ADMIN, "098765", draft(account_number="AB-12 34"))
    assert created.account_number == "AB1234"
    with pytest.raises(Duplicate):
        create(repo, ADMIN, "098765", draft(account_number="AB1234"))
    other = create(repo, ADMIN, "098765", draft(account_number="AB12345"))
    with pytest.raises(Duplicate):
        update(repo, ADMIN, "098765", other.id, MembershipChanges(account_number="A-B-1234"))


# -- each refusal in its words --------------------------------------------------------------


def test_a_membership_not_found_names_its_id_on_every_route(repo: InMemoryRepository) -> None:
    message = 'No loyalty membership "m-404" for this user'
    for call in (
        lambda: svc.get_membership(repo, JOHN, "098765", "m-404"),
        lambda: update(repo, JOHN, "098765", "m-404", MembershipChanges(level="Gold")),
        lambda: delete(repo, JOHN, "098765", "m-404"),
    ):
        with pytest.raises(NotFound) as caught:
            call()
        assert caught.value.detail == message


def test_a_malformed_membership_id_never_reaches_the_store(
    repo: InMemoryRepository, monkeypatch: pytest.MonkeyPatch
) -> None:
    def no_read(*args: object) -> None:
        raise AssertionError("a malformed id is no key")

    monkeypatch.setattr(repo, "get_membership", no_read)
    with pytest.raises(NotFound) as caught:
        svc.get_membership(repo, JOHN, "098765", "a/b")
    assert caught.value.detail == 'No loyalty membership "a/b" for this user'


def test_an_update_may_move_a_membership_to_another_known_provider(
    repo: InMemoryRepository,
) -> None:
    created = create(repo, ADMIN, "098765", draft())
    moved = update(repo, JOHN, "098765", created.id, MembershipChanges(), provider_id="qf")
    assert (moved.provider_id, moved.version) == ("qf", 2)
    with pytest.raises(NotFound) as caught:
        update(repo, JOHN, "098765", created.id, MembershipChanges(), provider_id="nope")
    assert caught.value.detail == 'No loyalty provider "nope"'
    assert [(p.detail, p.location) for p in caught.value.problems] == [
        ('No loyalty provider "nope" in the catalog', ("provider_id",))
    ]


def test_if_match_lists_are_split_at_commas_and_a_mismatch_says_how_to_match(
    repo: InMemoryRepository,
) -> None:
    created = create(repo, ADMIN, "098765", draft())
    svc.check_if_match(created, '"7","1"')
    with pytest.raises(PreconditionFailed) as caught:
        svc.check_if_match(created, "2")
    assert caught.value.detail == (
        'If-Match 2 does not match the current ETag "1" (an ETag is quoted: If-Match: "1")'
    )
    with pytest.raises(PreconditionFailed):
        delete(repo, JOHN, "098765", created.id, if_match='"2"')
    delete(repo, JOHN, "098765", created.id, if_match='"1"')
    assert svc.list_memberships(repo, JOHN, "098765") == ()


def test_a_memberships_times_are_utc(repo: InMemoryRepository) -> None:
    created = create(repo, ADMIN, "098765", draft())
    assert created.created_at.tzinfo is UTC and created.updated_at == created.created_at
