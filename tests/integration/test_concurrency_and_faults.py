"""Concurrent writers and DynamoDB faults: no duplicates, no lost updates, no partial writes."""

from __future__ import annotations

import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
from botocore.exceptions import ClientError

from loyalty_core.errors import ConcurrentChange, Duplicate, PreconditionFailed
from loyalty_core.models import Membership, MembershipChanges, MembershipDraft, Principal, Role
from loyalty_core.services import memberships
from loyalty_core.settings import get_repository
from tests.conftest import ORIGIN, Api, membership_document, patch_document

HILTON = "9c5b90ff-2cce-11e8-87f9-0662bed6e7db"

PATH = "/api/users/098765/loyalty_memberships"
WORKERS = 8


class Lockstep:
    """The DynamoDB repository, but each thread's first read waits until every thread has
    read: all writers decide on the same snapshot, the worst case a race can produce."""

    def __init__(self, repo: Any, parties: int) -> None:
        self.repo = repo
        self.barrier = threading.Barrier(parties)
        self.local = threading.local()

    def __getattr__(self, name: str) -> Any:
        return getattr(self.repo, name)

    def get_user_memberships(self, company: str, employee_id: str) -> Any:
        snapshot = self.repo.get_user_memberships(company, employee_id)
        if not getattr(self.local, "waited", False):
            self.local.waited = True
            self.barrier.wait(timeout=30)
        return snapshot


def race(calls: list[Callable[[Any], Any]]) -> list[Any]:
    """Run each call in its own thread on a Lockstep repository; results or exceptions."""
    repo = Lockstep(get_repository(), len(calls))

    def attempt(call: Callable[[Any], Any]) -> Any:
        try:
            return call(repo)
        except Exception as err:
            return err

    with ThreadPoolExecutor(max_workers=len(calls)) as pool:
        return list(pool.map(attempt, calls))


ADMIN = Principal(company="acme", employee_id="acme_admin", role=Role.ADMIN)
DRAFT = MembershipDraft(
    provider_id=HILTON,
    account_number="RACE1",
    membership_name="John Smith",
    expires_on="2031-01-01",
)


def test_parallel_creates_of_the_same_membership_create_exactly_one(api: Api) -> None:
    outcomes = race(
        [lambda repo: memberships.create_membership(repo, ADMIN, "098765", DRAFT, origin=ORIGIN)]
        * WORKERS
    )
    assert sum(isinstance(o, Membership) for o in outcomes) == 1
    assert sum(isinstance(o, Duplicate) for o in outcomes) == WORKERS - 1
    data = api("GET", PATH).json["data"]
    assert [m["attributes"]["account_number"] for m in data] == ["RACE1"]


def test_parallel_creates_of_different_memberships_lose_nothing(api: Api) -> None:
    drafts = [DRAFT.model_copy(update={"account_number": f"P{i}"}) for i in range(WORKERS)]
    outcomes = race(
        [
            (
                lambda repo, d=d: memberships.create_membership(
                    repo, ADMIN, "098765", d, origin=ORIGIN
                )
            )
            for d in drafts
        ]
    )
    created = {o.account_number for o in outcomes if isinstance(o, Membership)}
    assert all(isinstance(o, Membership | ConcurrentChange) for o in outcomes)
    stored = {m["attributes"]["account_number"] for m in api("GET", PATH).json["data"]}
    assert stored == created
    assert len(created) >= 3  # one per round of the retry loop at least


def test_parallel_patches_with_the_same_if_match_let_exactly_one_win(api: Api) -> None:
    created = api.create()
    etag = api("GET", f"{PATH}/{created['id']}").headers["ETag"]
    outcomes = race(
        [
            (
                lambda repo, i=i: memberships.update_membership(
                    repo,
                    ADMIN,
                    "098765",
                    created["id"],
                    MembershipChanges(level=f"Level{i}"),
                    if_match=etag,
                    origin=ORIGIN,
                )
            )
            for i in range(WORKERS)
        ]
    )
    winners = [o for o in outcomes if isinstance(o, Membership)]
    assert len(winners) == 1
    assert all(isinstance(o, PreconditionFailed) for o in outcomes if o is not winners[0])
    final = api("GET", f"{PATH}/{created['id']}").json["data"]
    assert final["attributes"]["level"] == winners[0].level
    assert final["meta"]["version"] == 2


def test_parallel_patches_without_if_match_lose_no_update(api: Api) -> None:
    created = api.create()
    fields = [
        "point_total",
        "segment_total",
        "points_until_next_status",
        "segments_until_next_status",
    ]
    outcomes = race(
        [
            (
                lambda repo, f=f: memberships.update_membership(
                    repo,
                    ADMIN,
                    "098765",
                    created["id"],
                    MembershipChanges(**{f: 7}),
                    origin=ORIGIN,
                )
            )
            for f in fields
        ]
    )
    final = api("GET", f"{PATH}/{created['id']}").json["data"]["attributes"]
    assert any(isinstance(o, Membership) for o in outcomes)  # the writers made progress
    for field, outcome in zip(fields, outcomes, strict=True):
        assert isinstance(outcome, Membership | ConcurrentChange)
        if isinstance(outcome, Membership):
            assert final[field] == 7  # every acknowledged update survived the others


def test_parallel_concur_updates_of_one_program_never_create_two(api: Api) -> None:
    from local.events import CONCUR_SUPPLIER_UPDATE
    from loyalty_core.auth import authenticate_application
    from loyalty_core.interfaces.concur.xml import read_update
    from loyalty_core.services import loyalty_updates

    token = authenticate_application(get_repository(), "OAuth concur-supplier-token")
    sent = read_update(CONCUR_SUPPLIER_UPDATE.encode())
    outcomes = race(
        [lambda repo: loyalty_updates.apply_updates(repo, token, sent, origin=ORIGIN)] * WORKERS
    )
    assert all(isinstance(o, list | ConcurrentChange) for o in outcomes)
    assert any(isinstance(o, list) for o in outcomes)
    data = api("GET", PATH).json["data"]
    assert sorted(m["attributes"]["program"] for m in data) == [
        "Business Traveler",
        "Frequent Flier",
    ]


def client_error(code: str, operation: str, **extra: Any) -> ClientError:
    return ClientError({"Error": {"Code": code, "Message": code}, **extra}, operation)


@pytest.mark.parametrize(
    "code", ["ProvisionedThroughputExceededException", "ThrottlingException", "InternalServerError"]
)
def test_throttled_reads_are_503_with_retry_after(
    api: Api, dynamodb: Any, monkeypatch: pytest.MonkeyPatch, code: str
) -> None:
    def throttled(**_: Any) -> Any:
        raise client_error(code, "Query")

    monkeypatch.setattr(dynamodb, "query", throttled)
    response = api("GET", PATH)
    assert response.status == 503
    assert response.headers["Retry-After"] == "1"
    assert response.errors[0]["code"] == "service_unavailable"


@pytest.mark.parametrize("reason", ["ThrottlingError", "ProvisionedThroughputExceeded"])
def test_a_cancelled_transaction_is_503_and_writes_nothing(
    api: Api, dynamodb: Any, monkeypatch: pytest.MonkeyPatch, reason: str
) -> None:
    existing = api.create(account_number="KEEP")

    def cancelled(**_: Any) -> Any:
        raise client_error(
            "TransactionCanceledException",
            "TransactWriteItems",
            CancellationReasons=[{"Code": "None"}, {"Code": reason}],
        )

    monkeypatch.setattr(dynamodb, "transact_write_items", cancelled)
    created = api("POST", PATH, body=membership_document(account_number="NEW"))
    patched = api(
        "PATCH",
        f"{PATH}/{existing['id']}",
        body=patch_document(existing["id"], level="X"),
    )
    deleted = api("DELETE", f"{PATH}/{existing['id']}")
    for response in (created, patched, deleted):
        assert response.status == 503
        assert response.headers["Retry-After"] == "1"
    monkeypatch.undo()
    data = api("GET", PATH).json["data"]
    assert [(m["attributes"]["account_number"], m["attributes"]["level"]) for m in data] == [
        ("KEEP", "Gold")
    ]


def test_a_missing_table_is_503_not_500(api: Api, dynamodb: Any) -> None:
    dynamodb.update_table(TableName="loyalty-memberships-test", DeletionProtectionEnabled=False)
    dynamodb.delete_table(TableName="loyalty-memberships-test")
    response = api("GET", PATH)
    assert response.status == 503


def test_an_unexpected_error_is_a_jsonapi_500_without_a_stack_trace(
    api: Api, dynamodb: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(**_: Any) -> Any:
        raise RuntimeError("boom /secret/path")

    monkeypatch.setattr(dynamodb, "query", broken)
    response = api("GET", PATH)
    assert response.status == 500
    assert response.errors[0]["code"] == "internal_error"
    assert b"boom" not in response.body and b"Traceback" not in response.body
