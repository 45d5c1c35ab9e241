"""The unit of work (services.writes) and Idempotency-Keys (services.idempotency) on the
in-memory repository: one 2xx per write, recognised by its own token; a key's answer
durable with the write."""

from __future__ import annotations

from typing import Any

import pytest

from loyalty_core.errors import (
    ConcurrentChange,
    IdempotencyKeyReused,
    InvalidInput,
    NotFound,
    PreconditionFailed,
    RequestInProgress,
    StorageUnavailable,
    WriteOutcomeUnknown,
)
from loyalty_core.models import Change, MembershipChanges
from loyalty_core.repository import KeyOwner
from loyalty_core.services import idempotency, writes
from tests.memory_repository import InMemoryRepository
from tests.unit.test_services import ADMIN, ORIGIN, create, delete, draft, repo, update

__all__ = ["repo"]  # the fixture, shared


def another_request_first(repo: InMemoryRepository, act: Any) -> None:
    """The next commit meets the user changed by another request (`act`), which commits
    between this request's read and its commit."""
    real = repo.commit

    def raced(write: Any) -> None:
        repo.commit = real  # type: ignore[method-assign]
        act()
        real(write)

    repo.commit = raced  # type: ignore[method-assign]


def test_a_delete_that_lost_to_another_delete_is_404_not_a_second_204(
    repo: InMemoryRepository,
) -> None:
    created = create(repo, ADMIN, "098765", draft())
    another_request_first(repo, lambda: delete(repo, ADMIN, "098765", created.id))
    with pytest.raises(NotFound):
        delete(repo, ADMIN, "098765", created.id)
    assert len(repo.audits[("acme", "098765")]) == 2  # the create and the one delete


def test_a_patch_that_lost_an_if_match_race_is_412(repo: InMemoryRepository) -> None:
    created = create(repo, ADMIN, "098765", draft())
    changes = MembershipChanges(level="Gold")
    another_request_first(
        repo, lambda: update(repo, ADMIN, "098765", created.id, changes, if_match='"1"')
    )
    with pytest.raises(PreconditionFailed):
        update(repo, ADMIN, "098765", created.id, MembershipChanges(level="Plat"), if_match='"1"')


def test_a_write_is_its_own_only_by_its_token_not_by_the_state_it_wanted(
    repo: InMemoryRepository,
) -> None:
    """Its answer lost, and the state it wanted made by another request: the retry finds
    the other request's record at that revision, decides again, and loses (404)."""
    created = create(repo, ADMIN, "098765", draft())
    real = repo.commit

    def lost_before_arriving(write: Any) -> None:
        repo.commit = real  # type: ignore[method-assign]
        delete(repo, ADMIN, "098765", created.id)  # another request deletes it
        raise WriteOutcomeUnknown("read timed out; this one never arrived")

    repo.commit = lost_before_arriving  # type: ignore[method-assign]
    with pytest.raises(NotFound):
        delete(repo, ADMIN, "098765", created.id)


def test_a_write_whose_every_commit_is_refused_gives_up_after_three(
    repo: InMemoryRepository,
) -> None:
    tries: list[int] = []

    def refused(write: Any) -> None:
        tries.append(write.snapshot.revision)
        raise ConcurrentChange("someone else wrote")

    repo.commit = refused  # type: ignore[method-assign]
    with pytest.raises(ConcurrentChange):
        create(repo, ADMIN, "098765", draft())
    assert len(tries) == writes.WRITE_ATTEMPTS == 3


def test_a_write_for_no_such_user_is_404_naming_them(repo: InMemoryRepository) -> None:
    with pytest.raises(NotFound) as caught:
        create(repo, ADMIN, "nobody", draft())
    assert caught.value.detail == 'No user "nobody" within your reach'


def test_a_landed_write_whose_answer_was_lost_answers_its_key_from_its_own_commit(
    repo: InMemoryRepository, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The commit landed, its answer was lost; the retry finds its own record: the key's
    answer is the one that commit wrote, never written again after it."""
    real = repo.commit

    def landed_answer_lost(write: Any) -> None:
        repo.commit = real  # type: ignore[method-assign]
        real(write)
        raise WriteOutcomeUnknown("read timed out after the write")

    def no_later_answer(*args: object) -> None:
        raise AssertionError("the key's answer is the commit's")

    repo.commit = landed_answer_lost  # type: ignore[method-assign]
    monkeypatch.setattr(repo, "answer_key", no_later_answer)
    first = keyed(repo, "k1")
    assert keyed(repo, "k1") == first
    assert len(repo.memberships[("acme", "098765")]) == 1


# -- Idempotency-Keys ------------------------------------------------------------------

OWNER = KeyOwner("acme", "boss")


def keyed(
    repo: InMemoryRepository, key: str | None, body: str = "b1", **attributes: Any
) -> dict[str, Any]:
    """A create under `key`, answered as `{"status": 201, "body": account number}`."""

    def run(claim: Any) -> Any:
        return create(repo, ADMIN, "098765", draft(**attributes), claim=claim)

    def render(created: Any) -> dict[str, Any]:
        return {"status": 201, "headers": {}, "body": created.id}

    return idempotency.once(repo, key, OWNER, "user POST /x", body, run, render, 10)


def test_a_repeat_gets_the_first_answer_and_writes_nothing(repo: InMemoryRepository) -> None:
    first = keyed(repo, "k1")
    assert keyed(repo, "k1") == first
    assert len(repo.memberships[("acme", "098765")]) == 1
    assert keyed(repo, None, account_number="OTHER")["status"] == 201  # no key: runs


def test_a_key_with_another_body_is_refused(repo: InMemoryRepository) -> None:
    keyed(repo, "k1")
    with pytest.raises(IdempotencyKeyReused):
        keyed(repo, "k1", body="b2")


def test_a_repeat_while_the_first_runs_is_409_with_when_to_retry(
    repo: InMemoryRepository,
) -> None:
    repeats: list[Exception] = []

    def run(claim: Any) -> Any:
        try:
            keyed(repo, "k1")
        except RequestInProgress as err:
            repeats.append(err)
        return create(repo, ADMIN, "098765", draft(), claim=claim)

    idempotency.once(repo, "k1", OWNER, "user POST /x", "b1", run, lambda m: {"status": 201}, 10)
    (repeat,) = repeats
    assert 1 <= repeat.retry_after_seconds <= 10
    assert len(repo.memberships[("acme", "098765")]) == 1


def test_the_answer_is_written_by_the_commit_itself(repo: InMemoryRepository) -> None:
    """The write lands, then everything fails (the answer never reaches the caller): the
    repeat gets the first answer, and the write happened once."""
    real = repo.commit

    def landed_then_store_gone(write: Any) -> None:
        real(write)
        raise StorageUnavailable("the store stopped answering")

    repo.commit = landed_then_store_gone  # type: ignore[method-assign]
    with pytest.raises(StorageUnavailable):
        keyed(repo, "k1")
    repo.commit = real  # type: ignore[method-assign]
    (held,) = repo.memberships[("acme", "098765")].values()
    assert keyed(repo, "k1") == {"status": 201, "headers": {}, "body": held.id}
    assert len(repo.audits[("acme", "098765")]) == 1


def test_a_refused_request_frees_its_key(repo: InMemoryRepository) -> None:
    keyed(repo, "k1")
    with pytest.raises(InvalidInput):
        idempotency.once(
            repo,
            "k2",
            OWNER,
            "user POST /x",
            "b1",
            lambda claim: (_ for _ in ()).throw(InvalidInput("bad")),
            lambda _: {"status": 201},
            10,
        )
    assert keyed(repo, "k2", account_number="A2")["status"] == 201


def test_a_key_whose_request_died_is_taken_over_once_its_lease_is_over(
    repo: InMemoryRepository,
) -> None:
    key_hash, body_hash = idempotency._hash("user POST /x", "k1"), idempotency._hash("b1")
    assert repo.claim_key(OWNER, key_hash, body_hash, "dead", 0.0, 2**40) is None
    assert keyed(repo, "k1")["status"] == 201
    assert len(repo.memberships[("acme", "098765")]) == 1


def test_a_write_that_changes_nothing_still_remembers_its_answer(
    repo: InMemoryRepository,
) -> None:
    calls: list[int] = []

    def run(claim: Any) -> Any:
        calls.append(1)
        return writes.write(repo, "acme", "098765", lambda _: (Change(), None), ORIGIN, claim)

    answers = [
        idempotency.once(repo, "k", OWNER, "s", "b", run, lambda m: {"status": 200}, 10)
        for _ in range(2)
    ]
    assert answers == [{"status": 200}] * 2 and calls == [1]


@pytest.mark.parametrize("key", ["", "has space", "k" * 256, "\u00e9"])
def test_a_malformed_key_is_refused(repo: InMemoryRepository, key: str) -> None:
    from loyalty_core.errors import MalformedRequest

    with pytest.raises(MalformedRequest):
        keyed(repo, key)
