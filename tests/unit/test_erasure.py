"""Erasure (services.erasure) on the in-memory store: what it removes, what it leaves and
whom it takes the user from; idempotent; a write while it runs is erased too."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

import pytest

from loyalty_core.auth import authenticate_application, authenticate_user
from loyalty_core.errors import ConcurrentChange, NotFound, Unauthenticated
from loyalty_core.models import Interface, MembershipDraft, Principal, Role
from loyalty_core.models.erasure import ErasureRecord
from loyalty_core.repository import KeyOwner
from loyalty_core.services import directory, memberships
from loyalty_core.services.erasure import erase_user
from tests.memory_repository import InMemoryRepository
from tests.unit.test_directory import AIRLINE, ORIGIN, TMC, acme, user

BOSS = Principal(company="acme", employee_id="boss", role=Role.ADMIN)


def draft(account: str) -> MembershipDraft:
    return MembershipDraft(
        provider_id=AIRLINE.id,
        account_number=account,
        membership_name="John Smith",
        expires_on="2031-01-01",
    )


@pytest.fixture
def repo() -> InMemoryRepository:
    """acme's John holds two memberships, an API token, a TMC token acting for him, a key
    he sent; Ann arranges him and Jane; globex has a John of its own."""
    repo = acme()
    directory.create_user(repo, user("john", company="globex"), origin=ORIGIN)
    directory.assign(repo, "acme", "ann", "john", origin=ORIGIN)
    directory.assign(repo, "acme", "ann", "jane", origin=ORIGIN)
    for account in ("A1", "A2"):
        memberships.create_membership(repo, BOSS, "john", draft(account), origin=ORIGIN)
    directory.create_application(repo, TMC, origin=ORIGIN)
    directory.issue_concur_token(repo, "tmc", "acme", "john", origin=ORIGIN, token="concur")
    directory.issue_token(repo, "john@acme.example", origin=ORIGIN, token="api")
    repo.claim_key(KeyOwner("acme", "john"), "k", "body", "claim", 0.0, 0)
    return repo


def test_everything_of_the_user_goes_and_one_record_naming_no_one_stays(
    repo: InMemoryRepository,
) -> None:
    record = erase_user(repo, "acme", "john", origin=ORIGIN)
    assert record is not None
    assert record.removed == {
        "changes": 5,  # his creation, 2 memberships, 2 tokens (Ann's assignments: hers)
        "concur_index": 1,
        "concur_tokens": 1,
        "concur_user_index": 1,
        "logins": 1,
        "memberships": 2,
        "other": 1,
        "profiles": 1,
        "trail_index": 2,  # the 2 memberships' records, by membership
    }
    assert record.items_removed == 15
    assert (record.arrangers_updated, record.api_tokens_revoked) == (1, 1)
    assert (record.actor, record.interface.value) == ("admin:alice", "admin")
    assert repo.erasures["acme"] == [record]
    for personal in ("john", "John", "A1"):
        assert personal not in json.dumps(record.as_json())

    assert repo.get_user("acme", "john") is None and ("acme", "john") not in repo.audits
    assert repo.get_login("john@acme.example") is None
    assert not [key for key in repo.keys if key[:2] == ("acme", "john")]
    with pytest.raises(Unauthenticated):
        authenticate_user(repo, "john@acme.example", "api")
    with pytest.raises(Unauthenticated):
        authenticate_application(repo, "OAuth concur")
    with pytest.raises(NotFound):
        memberships.list_memberships(repo, BOSS, "john")
    assert repo.get_user("globex", "john") is not None  # another person, another company


def test_arrangers_lose_the_user_and_keep_everything_else(repo: InMemoryRepository) -> None:
    ann_revision = repo.users[("acme", "ann")][1]
    ann_trail = list(repo.audits[("acme", "ann")])
    erase_user(repo, "acme", "john", origin=ORIGIN)
    ann = repo.get_user("acme", "ann")
    assert (ann.role, ann.arranges) == (Role.ARRANGER, {"jane"})
    assert repo.get_login("ann@acme.example").user.arranges == {"jane"}
    assert repo.users[("acme", "ann")][1] == ann_revision  # no write of Ann's
    assert repo.audits[("acme", "ann")] == ann_trail


def test_erasing_again_changes_nothing(repo: InMemoryRepository) -> None:
    assert erase_user(repo, "acme", "john", origin=ORIGIN) is not None
    assert erase_user(repo, "acme", "john", origin=ORIGIN) is None
    assert erase_user(repo, "acme", "nobody", origin=ORIGIN) is None
    assert len(repo.erasures["acme"]) == 1


def test_a_write_while_it_runs_is_erased_too(repo: InMemoryRepository) -> None:
    real = repo.erase

    def written_first(*args: Any) -> None:
        repo.erase = real  # type: ignore[method-assign]
        memberships.create_membership(repo, BOSS, "john", draft("LATE"), origin=ORIGIN)
        real(*args)

    repo.erase = written_first  # type: ignore[method-assign]
    record = erase_user(repo, "acme", "john", origin=ORIGIN)
    assert record is not None and record.removed["memberships"] == 3
    assert repo.get_user("acme", "john") is None
    assert len(repo.erasures["acme"]) == 1


def test_an_interrupted_erasure_finishes_the_record_it_began(repo: InMemoryRepository) -> None:
    """Its first try marks the profile with its record, then a write refuses its last step:
    the next try finishes that record (one erasure, one id, the one `user.erased` names)."""
    real = repo.erase
    began: list[Any] = []

    def written_first(plan: Any, arrangers: Any, record: Any) -> None:
        repo.erase = real  # type: ignore[method-assign]
        began.append(record)
        memberships.create_membership(repo, BOSS, "john", draft("LATE"), origin=ORIGIN)
        real(plan, arrangers, record)

    repo.erase = written_first  # type: ignore[method-assign]
    record = erase_user(repo, "acme", "john", origin=ORIGIN)
    assert record is not None and record.removed["memberships"] == 3
    assert (record.id, record.occurred_at) == (began[0].id, began[0].occurred_at)
    assert [r.id for r in repo.erasures["acme"]] == [began[0].id]


def test_a_user_that_keeps_changing_is_left_for_another_run(repo: InMemoryRepository) -> None:
    def always_written(*_: Any) -> None:
        raise ConcurrentChange("written meanwhile")

    repo.erase = always_written  # type: ignore[method-assign]
    with pytest.raises(ConcurrentChange, match="run the erasure again"):
        erase_user(repo, "acme", "john", origin=ORIGIN)
    assert repo.get_user("acme", "john") is not None and "acme" not in repo.erasures


def test_the_erasure_record_as_stored_and_printed() -> None:
    at = datetime(2026, 12, 7, 9, 30, tzinfo=UTC)
    record = ErasureRecord(
        id="r1",
        occurred_at=at,
        actor="admin:alice",
        interface=Interface.ADMIN,
        request_id="req-9",
        removed={"memberships": 2, "changes": 3},
        arrangers_updated=1,
        api_tokens_revoked=4,
    )
    assert record.as_json() == {
        "id": "r1",
        "occurred_at": "2026-12-07T09:30:00+00:00",
        "actor": "admin:alice",
        "interface": "admin",
        "request_id": "req-9",
        "removed": {"memberships": 2, "changes": 3},
        "items_removed": 5,
        "arrangers_updated": 1,
        "api_tokens_revoked": 4,
    }
    made = ErasureRecord.of(ORIGIN, {"memberships": 2, "changes": 3}, 1, 4)
    assert list(made.removed) == ["changes", "memberships"]  # by kind, in order
    assert (made.actor, made.arrangers_updated, made.api_tokens_revoked) == ("admin:alice", 1, 4)
