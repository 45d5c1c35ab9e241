"""The fault-injecting wrapper of the store (tests/faults.py), in-process on moto: each
fault does what it says to the calls it names, and only to them; a refused call is not
applied unless the fault says it was. (Over HTTP, against several workers:
tests/e2e/test_workers.py.)"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from typing import Any

import pytest
from botocore.config import Config
from botocore.exceptions import ClientError, ConnectionClosedError
from botocore.session import get_session

from tests.conftest import TABLE
from tests.faults import Faults, Rule

KEY = {"pk": {"S": "fault-test"}, "sk": {"S": "item"}}
ITEM = {**KEY, "note": {"S": "written"}}


@pytest.fixture
def client(store_faults: Faults) -> Iterator[Any]:
    """A DynamoDB client that tries each call once (no SDK retry hides a fault)."""
    yield get_session().create_client(
        "dynamodb",
        region_name="us-east-1",
        config=Config(retries={"mode": "standard", "total_max_attempts": 1}),
    )


def stored(client: Any) -> bool:
    return "Item" in client.get_item(TableName=TABLE, Key=KEY, ConsistentRead=True)


def test_a_bare_500_has_no_error_code_and_applies_nothing(
    client: Any, store_faults: Faults
) -> None:
    store_faults.fail_next("PutItem")

    with pytest.raises(ClientError) as raised:
        client.put_item(TableName=TABLE, Item=ITEM)

    assert raised.value.response["ResponseMetadata"]["HTTPStatusCode"] == 500
    assert raised.value.response["Error"]["Code"] == "500"  # botocore's, for no code at all
    assert not stored(client)
    client.put_item(TableName=TABLE, Item=ITEM)  # the next call is not failed
    assert stored(client)


def test_a_500_after_applying_leaves_the_write_in_place(client: Any, store_faults: Faults) -> None:
    store_faults.fail_next("PutItem", applied=True)

    with pytest.raises(ClientError):
        client.put_item(TableName=TABLE, Item=ITEM)

    assert stored(client)


def test_throttling_is_dynamodbs_own_error_and_applies_nothing(
    client: Any, store_faults: Faults
) -> None:
    store_faults.fail_next("PutItem", answer="throttle")

    with pytest.raises(ClientError) as raised:
        client.put_item(TableName=TABLE, Item=ITEM)

    assert raised.value.response["Error"]["Code"] == "ThrottlingException"
    assert raised.value.response["ResponseMetadata"]["HTTPStatusCode"] == 400
    assert not stored(client)


@pytest.mark.parametrize("applied", [False, True])
def test_a_reset_connection_has_no_answer_and_applies_as_told(
    client: Any, store_faults: Faults, applied: bool
) -> None:
    store_faults.fail_next("PutItem", answer="reset", applied=applied)

    with pytest.raises(ConnectionClosedError):
        client.put_item(TableName=TABLE, Item=ITEM)

    assert stored(client) is applied


def test_a_stall_answers_late_and_applies(client: Any, store_faults: Faults) -> None:
    store_faults.stall_next("PutItem", delay=0.3)

    client.put_item(TableName=TABLE, Item=ITEM)

    (put,) = [call for call in store_faults.calls() if call.operation == "PutItem"]
    assert put.fault == "stall" and put.ended is not None
    assert put.ended - put.started >= 0.3
    assert stored(client)


def test_only_the_calls_named_fail_and_only_so_many(client: Any, store_faults: Faults) -> None:
    store_faults.fail_next("GetItem", times=2)

    client.put_item(TableName=TABLE, Item=ITEM)  # another operation: untouched
    for _ in range(2):
        with pytest.raises(ClientError):
            client.get_item(TableName=TABLE, Key=KEY)

    assert stored(client)  # the third GetItem
    assert [c.fault for c in store_faults.calls()] == [None, "500", "500", None]


def test_a_fault_can_name_a_table_of_a_transaction(client: Any, store_faults: Faults) -> None:
    store_faults.fail_next(table="elsewhere")
    client.put_item(TableName=TABLE, Item=ITEM)  # not that table
    store_faults.fail_next("TransactWriteItems", table=TABLE, answer="throttle")

    with pytest.raises(ClientError) as raised:
        client.transact_write_items(
            TransactItems=[{"Delete": {"TableName": TABLE, "Key": KEY}}],
        )

    assert raised.value.response["Error"]["Code"] == "ThrottlingException"
    assert stored(client)
    assert store_faults.calls()[-1].tables == [TABLE]


def test_every_call_fails_for_a_while(client: Any, store_faults: Faults) -> None:
    store_faults.fail_for(0.5, "GetItem")

    for _ in range(3):
        with pytest.raises(ClientError):
            client.get_item(TableName=TABLE, Key=KEY)
    time.sleep(0.6)  # the rule's time runs out

    assert not stored(client)
    assert [c.fault for c in store_faults.calls()] == ["500", "500", "500", None]


def test_a_gate_lets_calls_through_together(client: Any, store_faults: Faults) -> None:
    store_faults.gate("GetItem", count=2, timeout=30)
    readers = [threading.Thread(target=stored, args=(client,)) for _ in range(2)]

    for reader in readers:
        reader.start()
    for reader in readers:
        reader.join()

    assert [c.fault for c in store_faults.calls()] == ["gate: opened"] * 2
    assert store_faults.max_in_flight() == 2


def test_a_gate_short_of_calls_opens_when_its_time_is_up(client: Any, store_faults: Faults) -> None:
    store_faults.gate("GetItem", count=2, timeout=0.2)

    assert not stored(client)  # answered all the same

    assert [c.fault for c in store_faults.calls()] == ["gate: timed out"]


def test_clear_removes_the_faults_and_opens_the_gates(client: Any, store_faults: Faults) -> None:
    store_faults.gate("GetItem", count=2, timeout=30)
    store_faults.fail_next("PutItem")
    reader = threading.Thread(target=stored, args=(client,))
    reader.start()
    while not store_faults.calls():
        reader.join(0.01)

    store_faults.clear()
    reader.join()

    client.put_item(TableName=TABLE, Item=ITEM)
    assert [c.fault for c in store_faults.calls()] == [None]  # only the put, since cleared


@pytest.mark.parametrize(
    "rule",
    [
        {"answer": "drop"},
        {"answer": "throttle", "applied": True},
        {"answer": "500", "times": None},
        {"answer": "500", "times": 1, "lasting": 2.0},
        {"answer": "gate", "count": 0},
    ],
)
def test_a_rule_that_cannot_be_is_refused(rule: dict[str, Any]) -> None:
    with pytest.raises(ValueError):
        Rule(**rule)


def test_a_rule_after_an_operation_applies_from_the_next_call_on(
    client: Any, store_faults: Faults
) -> None:
    store_faults.fail_for(5, after="PutItem")

    assert not stored(client)  # not armed yet: served
    client.put_item(TableName=TABLE, Item=ITEM)  # arms it, and is served itself
    with pytest.raises(ClientError):
        stored(client)
    assert [call.fault for call in store_faults.calls()] == [None, None, "500"]
