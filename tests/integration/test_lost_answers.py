"""A write whose answer is lost is retried and recognised as the request's own: never a 409,
a 412 or a concurrent_modification for what the request itself wrote.

The embedded DynamoDB ignores `ClientRequestToken`, as DynamoDB would honour it, so a retry of
an applied transaction is refused there by the revision it moved: the worst case."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from botocore.exceptions import EndpointConnectionError, ReadTimeoutError

from local.events import CONCUR_SUPPLIER_UPDATE
from tests.conftest import ORIGIN, Api, membership_document, patch_document
from tests.integration.test_concur import concur, outcome
from tests.integration.test_concurrency_and_faults import client_error

PATH = "/api/users/098765/loyalty_memberships"
ENDPOINT = "https://dynamodb.us-east-1.amazonaws.com"


def lost() -> ReadTimeoutError:
    return ReadTimeoutError(endpoint_url=ENDPOINT, error="Read timed out")


class Dropper:
    """Lets `times` TransactWriteItems calls apply, then loses each one's answer."""

    def __init__(self, times: int = 1) -> None:
        self.left = times
        self.sent = 0

    def drop(self) -> None:
        self.sent += 1
        if self.left:
            self.left -= 1
            raise lost()


@pytest.fixture
def sdk_drops(dynamodb: Any) -> Iterator[Dropper]:
    """The answer lost on the wire, after the store applied the write: the SDK (standard
    retry mode) sends the same transaction again, as it would after a read timeout."""
    dropper = Dropper()

    def after_the_store(event_name: str, **_: Any) -> None:
        if event_name == "before-send.dynamodb.TransactWriteItems":
            dropper.drop()

    # On the generic event, last: after moto's own handler has applied the write (a handler
    # on the operation's event would run first, and the write would never reach the store).
    dynamodb.meta.events.register_last("before-send", after_the_store)
    yield dropper
    dynamodb.meta.events.unregister("before-send", after_the_store)


@pytest.fixture
def service_drops(dynamodb: Any, monkeypatch: pytest.MonkeyPatch) -> Dropper:
    """The answer lost after the SDK gave up: the call applied, then raised to the service."""
    dropper = Dropper()
    applied = dynamodb.transact_write_items

    def apply_then_drop(**kwargs: Any) -> Any:
        answer = applied(**kwargs)
        dropper.drop()
        return answer

    monkeypatch.setattr(dynamodb, "transact_write_items", apply_then_drop)
    return dropper


def created_once(api: Api, account: str) -> dict[str, Any]:
    held = api("GET", PATH).json["data"]
    (one,) = [m for m in held if m["attributes"]["account_number"] == account]
    return one


@pytest.mark.parametrize("drops", ["sdk_drops", "service_drops"])
def test_a_create_whose_answer_was_lost_is_201_not_409(
    api: Api, request: pytest.FixtureRequest, drops: str
) -> None:
    dropper: Dropper = request.getfixturevalue(drops)
    response = api("POST", PATH, body=membership_document(account_number="LOST1"))
    assert response.status == 201, response.body
    assert dropper.left == 0  # the answer was indeed lost
    assert created_once(api, "LOST1")["id"] == response.json["data"]["id"]


def test_the_sdk_sends_the_same_transaction_again(api: Api, sdk_drops: Dropper) -> None:
    assert api("POST", PATH, body=membership_document(account_number="LOST2")).status == 201
    assert sdk_drops.sent == 2  # the SDK's own retry, refused by the embedded store


@pytest.mark.parametrize("drops", ["sdk_drops", "service_drops"])
def test_a_patch_with_if_match_whose_answer_was_lost_is_200_not_412(
    api: Api, request: pytest.FixtureRequest, drops: str
) -> None:
    created = api.create()
    item = f"{PATH}/{created['id']}"
    dropper: Dropper = request.getfixturevalue(drops)
    response = api(
        "PATCH",
        item,
        headers={"If-Match": '"1"'},
        body=patch_document(created["id"], level="Platinum"),
    )
    assert response.status == 200, response.body
    assert dropper.left == 0
    assert response.headers["ETag"] == '"2"'
    stored = api("GET", item).json["data"]
    assert (stored["attributes"]["level"], stored["meta"]["version"]) == ("Platinum", 2)


@pytest.mark.parametrize("drops", ["sdk_drops", "service_drops"])
def test_a_delete_whose_answer_was_lost_is_204_not_404(
    api: Api, request: pytest.FixtureRequest, drops: str
) -> None:
    created = api.create()
    dropper: Dropper = request.getfixturevalue(drops)
    assert api("DELETE", f"{PATH}/{created['id']}").status == 204
    assert dropper.left == 0
    assert api("GET", PATH).json["data"] == []


@pytest.mark.parametrize("drops", ["sdk_drops", "service_drops"])
def test_a_concur_batch_whose_answer_was_lost_is_ok(
    api: Api, request: pytest.FixtureRequest, drops: str
) -> None:
    dropper: Dropper = request.getfixturevalue(drops)
    assert outcome(concur(api, CONCUR_SUPPLIER_UPDATE)) == ("OK", "")
    assert dropper.left == 0
    held = api("GET", PATH).json["data"]
    assert sorted(m["attributes"]["program"] for m in held) == [
        "Business Traveler",
        "Frequent Flier",
    ]
    assert [m["meta"]["version"] for m in held] == [1, 1]  # applied once, not upserted again


def test_a_retry_that_meets_its_first_try_in_progress_is_recognised(
    api: Api, dynamodb: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """DynamoDB answers a retried token whose first try is still being applied with
    TransactionInProgressException: the outcome is unknown, and the re-read tells."""
    from tests.integration.test_concurrency_and_faults import client_error

    applied = dynamodb.transact_write_items

    def in_progress(**kwargs: Any) -> Any:
        applied(**kwargs)
        monkeypatch.undo()
        raise client_error("TransactionInProgressException", "TransactWriteItems")

    monkeypatch.setattr(dynamodb, "transact_write_items", in_progress)
    response = api("POST", PATH, body=membership_document(account_number="LOST5"))
    assert response.status == 201
    assert created_once(api, "LOST5")["id"] == response.json["data"]["id"]


def test_a_lost_answer_of_a_write_that_did_not_apply_is_retried(
    api: Api, dynamodb: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    applied = dynamodb.transact_write_items
    sends: list[str] = []

    def first_never_arrives(**kwargs: Any) -> Any:
        sends.append(kwargs["ClientRequestToken"])
        if len(sends) == 1:
            raise lost()
        return applied(**kwargs)

    monkeypatch.setattr(dynamodb, "transact_write_items", first_never_arrives)
    response = api("POST", PATH, body=membership_document(account_number="LOST3"))
    assert response.status == 201
    assert len(sends) == 2 and sends[0] != sends[1]  # a new attempt, with its own token
    assert created_once(api, "LOST3")["id"] == response.json["data"]["id"]


@pytest.mark.parametrize(
    "error", [lost(), EndpointConnectionError(endpoint_url=ENDPOINT)], ids=["unanswered", "unsent"]
)
def test_a_write_that_never_gets_through_is_503_and_writes_nothing(
    api: Api, dynamodb: Any, monkeypatch: pytest.MonkeyPatch, error: Exception
) -> None:
    sends: list[str] = []

    def never(**kwargs: Any) -> Any:
        sends.append(kwargs["ClientRequestToken"])
        raise error

    monkeypatch.setattr(dynamodb, "transact_write_items", never)
    response = api("POST", PATH, body=membership_document(account_number="LOST4"))
    assert response.status == 503
    assert response.headers["Retry-After"] == "1"
    assert len(sends) == (3 if isinstance(error, ReadTimeoutError) else 1)
    monkeypatch.undo()
    assert api("GET", PATH).json["data"] == []


def test_another_writer_met_after_a_lost_answer_is_still_reported(
    api: Api, dynamodb: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The first write never arrives, and meanwhile another request updates the membership:
    the retry sees a write that is not its own and answers 412, as without the loss."""
    from loyalty_core.models import MembershipChanges
    from loyalty_core.services import memberships
    from loyalty_core.settings import get_repository
    from tests.integration.test_concurrency_and_faults import ADMIN

    created = api.create()
    applied = dynamodb.transact_write_items
    sends: list[int] = []

    def lost_while_another_writes(**kwargs: Any) -> Any:
        sends.append(1)
        if len(sends) == 1:
            memberships.update_membership(
                get_repository(),
                ADMIN,
                "098765",
                created["id"],
                MembershipChanges(level="Other"),
                origin=ORIGIN,
            )
            raise lost()
        return applied(**kwargs)

    monkeypatch.setattr(dynamodb, "transact_write_items", lost_while_another_writes)
    item = f"{PATH}/{created['id']}"
    response = api(
        "PATCH", item, headers={"If-Match": '"1"'}, body=patch_document(created["id"], level="Mine")
    )
    assert response.status == 412
    assert api("GET", item).json["data"]["attributes"]["level"] == "Other"


def test_a_read_whose_answer_is_lost_is_503(
    api: Api, dynamodb: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    def unanswered(**_: Any) -> Any:
        raise lost()

    monkeypatch.setattr(dynamodb, "query", unanswered)
    response = api("GET", PATH)
    assert (response.status, response.errors[0]["code"]) == (503, "service_unavailable")
    assert response.headers["Retry-After"] == "1"


def land_late(dynamodb: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    """The first try of a write is still being applied when the SDK's retry asks
    (TransactionInProgressException, which botocore does not retry), and lands only after
    the service has read the user again and decided anew."""
    applied = dynamodb.transact_write_items
    pending: list[dict[str, Any] | None] = []

    def in_progress(**kwargs: Any) -> Any:
        if not pending:
            pending.append(kwargs)
            raise client_error("TransactionInProgressException", "TransactWriteItems")
        first = pending[0]
        if first is not None:  # it lands now, before the service's second try
            pending[0] = None
            applied(**first)
        return applied(**kwargs)

    monkeypatch.setattr(dynamodb, "transact_write_items", in_progress)


def test_a_create_whose_first_try_lands_late_is_201_not_its_own_duplicate(
    api: Api, dynamodb: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    land_late(dynamodb, monkeypatch)
    response = api("POST", PATH, body=membership_document(account_number="LATE1"))
    monkeypatch.undo()
    held = [
        m for m in api("GET", PATH).json["data"] if m["attributes"]["account_number"] == "LATE1"
    ]
    assert response.status == 201, response.body
    assert [m["id"] for m in held] == [response.json["data"]["id"]]


def test_a_patch_whose_first_try_lands_late_applies_once_with_one_record(
    api: Api, dynamodb: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    created = api.create()
    history = "/api/users/098765/loyalty_membership_changes"
    before = api("GET", history).json["meta"]["total"]
    land_late(dynamodb, monkeypatch)
    body = patch_document(created["id"], level="Platinum")
    response = api("PATCH", f"{PATH}/{created['id']}", body=body, headers={"If-Match": '"1"'})
    monkeypatch.undo()
    assert response.status == 200, response.body
    assert response.json["data"]["meta"]["version"] == 2
    assert api("GET", history).json["meta"]["total"] - before == 1
