"""Idempotency-Keys (services.idempotency) with a clock the test sets: a key's lease, its
take-over once the lease is over (by one repeat only), the answers a repeat gets meanwhile
and when to retry, what a refused request leaves, and which keys are the same key."""

from __future__ import annotations

import time
from typing import Any

import pytest

from loyalty_core.errors import (
    IdempotencyKeyReused,
    InvalidInput,
    MalformedRequest,
    Problem,
    RequestInProgress,
    StorageUnavailable,
)
from loyalty_core.models import Change
from loyalty_core.repository import KeyOwner
from loyalty_core.services import idempotency, writes
from tests.memory_repository import InMemoryRepository
from tests.unit.test_services import ADMIN, ORIGIN, create, draft, repo

__all__ = ["repo"]  # the fixture, shared
OWNER = KeyOwner("acme", "boss")
SCOPE = "user POST /users/098765/memberships"
LEASE = 10.0
# The clock the requests read, from T on (the store forgets keys by the real time).
T = float(int(time.time()))


def held(repo: InMemoryRepository) -> list[str]:
    return sorted(m.account_number for m in repo.memberships[("acme", "098765")].values())


def once(
    repo: InMemoryRepository,
    at: float,
    run: Any = None,
    key: str | None = "k1",
    body: str | None = "b1",
    scope: str = SCOPE,
    account: str = "A1",
) -> Any:
    """A create under `key` at time T + `at`, answered with the account number it wrote."""

    def create_one(claim: Any) -> Any:
        return create(repo, ADMIN, "098765", draft(account_number=account), claim=claim)

    def render(created: Any) -> dict[str, Any]:
        return {"status": 201, "body": created.account_number}

    return idempotency.once(
        repo, key, OWNER, scope, body, run or create_one, render, LEASE, now=lambda: T + at
    )


def died(claim: Any) -> Any:
    raise StorageUnavailable("the store stopped answering: the outcome is unknown")


# -- which keys are one key ----------------------------------------------------------------


@pytest.mark.parametrize("key", ["", "has space", "k" * 256, "\u00e9", "tab\t"])
def test_a_key_is_1_to_255_printable_ascii_characters(repo: InMemoryRepository, key: str) -> None:
    with pytest.raises(MalformedRequest) as caught:
        once(repo, 100, key=key)
    assert caught.value.detail == "The Idempotency-Key header is refused"
    assert caught.value.problems == [
        Problem("must be 1-255 printable ASCII characters", ("Idempotency-Key",), "parameter")
    ]
    assert held(repo) == []


def test_keys_at_the_edges_of_the_rule_are_taken(repo: InMemoryRepository) -> None:
    assert once(repo, 100, key="!")["status"] == 201
    assert once(repo, 100, key="~" * 255, account="A2")["status"] == 201


def test_the_same_key_for_another_request_scope_is_another_key(repo: InMemoryRepository) -> None:
    once(repo, 100)
    other = once(repo, 100, scope="user POST /users/112233/memberships", body="b2", account="B2")
    assert other == {"status": 201, "body": "B2"} and held(repo) == ["A1", "B2"]


def test_the_same_key_with_another_body_is_refused(repo: InMemoryRepository) -> None:
    once(repo, 100)
    with pytest.raises(IdempotencyKeyReused) as caught:
        once(repo, 101, body="b2")
    assert caught.value.detail == (
        "This Idempotency-Key was used with a different request body; use a new key"
    )
    # no body is the same as an empty one
    once(repo, 100, key="k2", body=None, account="A2")
    assert once(repo, 101, key="k2", body="", account="A3") == {"status": 201, "body": "A2"}


def test_a_key_is_known_by_a_hash_stable_across_releases() -> None:
    """Keys are kept 24 hours, across deployments: the hash they are stored under must
    not change with a release. A body may hold lone surrogates (JSON escapes)."""
    assert idempotency._hash(SCOPE, "k1") == (
        "1106eea96e41d71ea1d99bd018a5ffa7937e51ea16612ded204c3d628cd896bf"
    )
    assert len(idempotency._hash('{"name": "\ud800"}')) == 64


# -- a repeat while the first runs, and after it died ------------------------------------------


def test_a_repeat_within_the_lease_is_told_when_to_retry(repo: InMemoryRepository) -> None:
    with pytest.raises(StorageUnavailable):
        once(repo, 100, run=died)  # the key stays held: the write may have landed
    with pytest.raises(RequestInProgress) as caught:
        once(repo, 103)
    assert caught.value.detail == (
        "A request with this Idempotency-Key is still in progress; retry shortly"
    )
    assert caught.value.retry_after_seconds == 7
    with pytest.raises(RequestInProgress) as caught:
        once(repo, 109.5)
    assert caught.value.retry_after_seconds == 1
    assert held(repo) == []


def test_once_its_lease_is_over_a_repeat_takes_the_key_over_and_runs(
    repo: InMemoryRepository,
) -> None:
    with pytest.raises(StorageUnavailable):
        once(repo, 100, run=died)
    assert once(repo, 110) == {"status": 201, "body": "A1"}  # the lease ended at 110
    assert once(repo, 111) == {"status": 201, "body": "A1"}  # answered, not run again
    assert held(repo) == ["A1"]


def test_a_take_over_holds_the_key_as_a_first_claim_does(repo: InMemoryRepository) -> None:
    """While the repeat that took the key over runs, another repeat is told to wait; once
    it is answered, a repeat of the same body gets its answer."""
    with pytest.raises(StorageUnavailable):
        once(repo, 100, run=died)
    waits: list[int] = []

    def runs_while_repeated(claim: Any) -> Any:
        with pytest.raises(RequestInProgress) as caught:
            once(repo, 115)
        waits.append(caught.value.retry_after_seconds)
        return create(repo, ADMIN, "098765", draft(account_number="A1"), claim=claim)

    once(repo, 112, run=runs_while_repeated)
    assert waits == [7]  # the take-over's lease: 112 + 10
    assert once(repo, 200) == {"status": 201, "body": "A1"} and held(repo) == ["A1"]


def test_of_two_repeats_after_the_lease_only_one_takes_the_key_over(
    repo: InMemoryRepository, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Another repeat takes the key over between this one's read and its take-over: this
    one waits for the other's lease (at least a second)."""
    real = repo.claim_key
    other_lease: list[float] = []

    def another_repeat_first(*args: Any) -> Any:
        if len(args) == 7:  # a take-over: another repeat got there first
            owner, key_hash, request_hash, _, _, expires, claim = args
            real(owner, key_hash, request_hash, "other", T + other_lease[0], expires, claim)
        return real(*args)

    monkeypatch.setattr(repo, "claim_key", another_repeat_first)
    for key, died_at, other, repeat_at, wait in (
        ("k1", 100, 130.5, 121, 10),
        ("k2", 130, 141.3, 141, 1),
    ):
        with pytest.raises(StorageUnavailable):
            once(repo, died_at, run=died, key=key)
        other_lease[:] = [other]
        with pytest.raises(RequestInProgress) as caught:
            once(repo, repeat_at, key=key)
        assert caught.value.detail == (
            "A request with this Idempotency-Key is in progress; retry shortly"
        )
        assert caught.value.retry_after_seconds == wait
    assert held(repo) == []


def test_a_request_whose_key_was_taken_over_cannot_commit_after_all(
    repo: InMemoryRepository,
) -> None:
    """Its lease ran out while it ran, a repeat took the key over and wrote: the late
    first request's commit is refused, so the membership is written once."""

    def slow(claim: Any) -> Any:
        assert once(repo, 111) == {"status": 201, "body": "A1"}  # the repeat, after the lease
        return create(repo, ADMIN, "098765", draft(account_number="A9"), claim=claim)

    with pytest.raises(RequestInProgress):
        once(repo, 100, run=slow)
    assert held(repo) == ["A1"]


# -- what a refused request or a write of nothing leaves ----------------------------------------


def test_a_refused_request_frees_its_key_even_when_freeing_it_fails(
    repo: InMemoryRepository, monkeypatch: pytest.MonkeyPatch
) -> None:
    def refused(claim: Any) -> Any:
        raise InvalidInput("bad")

    def store_down(*args: Any) -> None:
        raise StorageUnavailable("the store stopped answering")

    monkeypatch.setattr(repo, "release_key", store_down)
    with pytest.raises(InvalidInput):  # the refusal, not the store's trouble: the lease ends it
        once(repo, 100, run=refused)
    with pytest.raises(RequestInProgress):
        once(repo, 101)
    assert once(repo, 110) == {"status": 201, "body": "A1"}


def test_a_write_that_changes_nothing_answers_its_result_and_remembers_it(
    repo: InMemoryRepository,
) -> None:
    def nothing(claim: Any) -> Any:
        return writes.write(
            repo, "acme", "098765", lambda _: (Change(), draft(account_number="N1")), ORIGIN, claim
        )

    assert once(repo, 100, run=nothing) == {"status": 201, "body": "N1"}
    assert once(repo, 101) == {"status": 201, "body": "N1"}
    assert held(repo) == []
