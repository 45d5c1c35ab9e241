"""`make run`'s webhook pump waits for the embedded store to take something instead of
polling it (local/webhooks.py `Wakeup`): the store rings on a stream record, a message sent
and a message's visibility changed, and on nothing it only reads."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from moto import mock_aws

from local.webhooks import Wakeup


@pytest.fixture
def store(monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[Any, Any, str, str, Wakeup]]:
    for name, value in {
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_DEFAULT_REGION": "us-east-1",
    }.items():
        monkeypatch.setenv(name, value)
    table = f"t-{uuid.uuid4().hex}"  # moto's store may be the session's: names of its own
    with mock_aws():
        dynamodb, sqs = boto3.client("dynamodb"), boto3.client("sqs")
        dynamodb.create_table(
            TableName=table,
            KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
            AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
            BillingMode="PAY_PER_REQUEST",
            StreamSpecification={"StreamEnabled": True, "StreamViewType": "NEW_AND_OLD_IMAGES"},
        )
        queue = sqs.create_queue(QueueName=table)["QueueUrl"]
        wakeup = Wakeup().on_store_changes()
        yield dynamodb, sqs, queue, table, wakeup
        wakeup.close()


def test_a_stream_record_a_message_and_a_visibility_change_ring(
    store: tuple[Any, Any, str, str, Wakeup],
) -> None:
    dynamodb, sqs, queue, table, wakeup = store
    seen = wakeup.count
    dynamodb.put_item(TableName=table, Item={"pk": {"S": "a"}})
    assert wakeup.wait(seen, 30) is True  # at once: it has rung already
    seen = wakeup.count
    sqs.send_message(QueueUrl=queue, MessageBody="m")
    assert wakeup.wait(seen, 30) is True
    (message,) = sqs.receive_message(QueueUrl=queue)["Messages"]
    seen = wakeup.count
    sqs.change_message_visibility(
        QueueUrl=queue, ReceiptHandle=message["ReceiptHandle"], VisibilityTimeout=0
    )
    assert wakeup.wait(seen, 30) is True


def test_reads_ring_nothing_and_a_closed_wakeup_is_rung_no_more(
    store: tuple[Any, Any, str, str, Wakeup],
) -> None:
    dynamodb, sqs, queue, table, wakeup = store
    seen = wakeup.count
    dynamodb.get_item(TableName=table, Key={"pk": {"S": "a"}})
    sqs.receive_message(QueueUrl=queue)
    assert wakeup.wait(seen, 0.05) is False
    other = Wakeup().on_store_changes()
    other.close()
    after_close = other.count
    sqs.send_message(QueueUrl=queue, MessageBody="m")
    assert other.count == after_close and wakeup.count > seen
