"""The webhook path on moto, in-process: the delivery queue and its dead-letter queue (SQS
FIFO), the key (KMS), the table's stream read as Lambda's event source reads it, and the
fan-out and delivery functions' own handlers run over them. Endpoints are a fake that
verifies every delivery with standardwebhooks; host names resolve to a public address."""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from functools import cache
from typing import Any

import boto3
import pytest
from botocore.config import Config

from local import gateway, template
from loyalty_core import settings
from loyalty_core.services.webhooks.context import utc_now
from loyalty_core.services.webhooks.runtime import get_webhooks
from tests.conftest import TABLE
from tests.webhook_fakes import Endpoint, public_resolver

PUBLIC_API_URL = "https://api.test"  # the Host the tests' requests name, https (no proxy)


def handler(function: str) -> Any:
    props = template.functions()[function]
    route = template.Route(
        function, "", "", template.ROOT / props["CodeUri"], "handler.lambda_handler"
    )
    return gateway.handler_module(route).lambda_handler


class RealClock:
    def __call__(self) -> Any:
        return utc_now()


@dataclass
class AwsWebhooks:
    sqs: Any
    queue_url: str
    dead_letter_url: str
    streams: Any
    stream_arn: str
    iterators: dict[str, str]
    endpoint: Endpoint
    sent: list[dict[str, Any]] = field(default_factory=list)

    def stream(self) -> list[dict[str, Any]]:
        """The stream records written since the last read, as Lambda passes them."""
        records = []
        for shard, iterator in list(self.iterators.items()):
            page = self.streams.get_records(ShardIterator=iterator)
            for record in page.get("Records", []):
                change = dict(record["dynamodb"])
                change.pop("ApproximateCreationDateTime", None)
                records.append({**record, "dynamodb": change, "eventSourceARN": self.stream_arn})
            self.iterators[shard] = page["NextShardIterator"]
        return records

    def fan_out(self) -> dict[str, Any]:
        answer: dict[str, Any] = handler("WebhookFanoutFunction")(
            {"Records": self.stream()}, gateway.LambdaContext("WebhookFanoutFunction", 60)
        )
        return answer

    def queued(self) -> list[dict[str, Any]]:
        """Every message waiting in the delivery queue, read without consuming it."""
        found = self.sqs.receive_message(
            QueueUrl=self.queue_url,
            MaxNumberOfMessages=10,
            MessageSystemAttributeNames=["All"],
            VisibilityTimeout=0,
        ).get("Messages", [])
        return found

    def deliver(self) -> int:
        """Run the delivery function over the queue until it is empty (or only waiting
        messages are left); how many batches ran."""
        batches = 0
        while True:
            found = self.sqs.receive_message(
                QueueUrl=self.queue_url, MaxNumberOfMessages=10, MessageSystemAttributeNames=["All"]
            ).get("Messages", [])
            if not found:
                return batches
            batches += 1
            records = [
                {
                    "messageId": m["MessageId"],
                    "receiptHandle": m["ReceiptHandle"],
                    "body": m["Body"],
                    "attributes": m.get("Attributes", {}),
                    "messageAttributes": {},
                    "md5OfBody": m["MD5OfBody"],
                    "eventSource": "aws:sqs",
                    "eventSourceARN": "arn:aws:sqs:us-east-1:123456789012:webhooks.fifo",
                    "awsRegion": "us-east-1",
                }
                for m in found
            ]
            answer = handler("WebhookDeliveryFunction")(
                {"Records": records}, gateway.LambdaContext("WebhookDeliveryFunction", 60)
            )
            failed = {f["itemIdentifier"] for f in answer["batchItemFailures"]}
            for m in found:
                if m["MessageId"] not in failed:
                    self.sqs.delete_message(
                        QueueUrl=self.queue_url, ReceiptHandle=m["ReceiptHandle"]
                    )
            if failed:
                return batches

    def drained(self) -> list[dict[str, Any]]:
        """Every message of the queue, consumed: their bodies parsed."""
        bodies = []
        while True:
            found = self.sqs.receive_message(QueueUrl=self.queue_url, MaxNumberOfMessages=10).get(
                "Messages", []
            )
            if not found:
                return bodies
            for m in found:
                bodies.append(json.loads(m["Body"]))
                self.sqs.delete_message(QueueUrl=self.queue_url, ReceiptHandle=m["ReceiptHandle"])


@cache
def _private_key(key_spec: str) -> Any:
    """moto's KMS makes an RSA key pair for every key, a symmetric one too, which never uses
    it (about 50 ms each): one per key spec serves every test's key."""
    from moto.kms.utils import generate_private_key

    return generate_private_key(key_spec)


@pytest.fixture
def aws_webhooks(dynamodb: Any, monkeypatch: pytest.MonkeyPatch) -> Iterator[AwsWebhooks]:
    monkeypatch.setattr("moto.kms.models.generate_private_key", _private_key)
    name = uuid.uuid4().hex[:12]
    sqs = boto3.client("sqs", region_name="us-east-1")
    dead = sqs.create_queue(QueueName=f"dead-{name}.fifo", Attributes={"FifoQueue": "true"})
    queue = sqs.create_queue(QueueName=f"hooks-{name}.fifo", Attributes={"FifoQueue": "true"})
    key = boto3.client("kms", region_name="us-east-1").create_key()["KeyMetadata"]["KeyId"]
    for variable, value in {
        "WEBHOOK_QUEUE_URL": queue["QueueUrl"],
        "WEBHOOK_DEAD_LETTER_QUEUE_URL": dead["QueueUrl"],
        "WEBHOOK_KMS_KEY_ID": key,
        "PUBLIC_API_URL": PUBLIC_API_URL,
    }.items():
        monkeypatch.setenv(variable, value)
    settings.reset()
    services = get_webhooks()
    endpoint = Endpoint(RealClock())  # type: ignore[arg-type]
    services.resolve = public_resolver
    services.send = endpoint
    streams = boto3.client(
        "dynamodbstreams",
        region_name="us-east-1",
        config=Config(account_id_endpoint_mode="disabled"),
    )
    arn = dynamodb.describe_table(TableName=TABLE)["Table"]["LatestStreamArn"]
    shards = streams.describe_stream(StreamArn=arn)["StreamDescription"]["Shards"]
    iterators = {
        s["ShardId"]: streams.get_shard_iterator(
            StreamArn=arn, ShardId=s["ShardId"], ShardIteratorType="LATEST"
        )["ShardIterator"]
        for s in shards
    }
    yield AwsWebhooks(sqs, queue["QueueUrl"], dead["QueueUrl"], streams, arn, iterators, endpoint)
    sqs.delete_queue(QueueUrl=queue["QueueUrl"])
    sqs.delete_queue(QueueUrl=dead["QueueUrl"])
    settings.reset()
