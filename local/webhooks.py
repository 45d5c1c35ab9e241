"""Change notifications under `make run`: the deployed path, in-process.

`prepare()` makes the delivery queue (SQS FIFO), its dead-letter queue and the KMS key in
the embedded moto server and points the layer at them (`make run`, `make invoke`); `Pump`
runs under `make run`: one thread reads the
table's stream (as Lambda's event source would) into the fan-out function's handler, others
drain the queue into the delivery function's handler, deleting what it reports done. The
handlers are the functions' own (template.yaml's CodeUri), as deployed. Endpoints may be
plain http and loopback here (a receiver on this machine); never another private address.

The pump runs in the process of the embedded store, which wakes it when the table's stream
takes a record or the queue a message (`Wakeup`): it reads at once then, and otherwise only
every IDLE_SECONDS (a retried message's delay ending wakes nothing). Polling without rest
kept a core a third busy on an idle `make run`.
"""

from __future__ import annotations

import os
import threading
import time
from datetime import datetime
from typing import Any

from local import gateway, template

IDLE_SECONDS = 0.5  # between reads when nothing woke the pump
DRAINERS = 4
QUEUE = "loyalty-webhooks.fifo"
DEAD_LETTERS = "loyalty-webhooks-dead-letters.fifo"
KEY_ALIAS = "alias/loyalty-webhooks-local"


def _client(service: str, endpoint: str) -> Any:
    import boto3
    from botocore.config import Config

    config = Config(account_id_endpoint_mode="disabled", retries={"max_attempts": 2})
    return boto3.client(service, endpoint_url=endpoint, region_name="us-east-1", config=config)


def _handler(function: str) -> Any:
    props = template.functions()[function]
    route = template.Route(
        function=function,
        method="",
        path="",
        code_uri=template.ROOT / props["CodeUri"],
        handler=props.get("Handler") or template.load()["Globals"]["Function"]["Handler"],
    )
    return getattr(gateway.handler_module(route), route.handler.rsplit(".", 1)[1])


def prepare(endpoint: str, base_url: str) -> dict[str, str]:
    """The queues and the key in the embedded moto server, and the layer's settings for
    them (set in this process's environment); returns what was set."""
    from loyalty_core import settings

    sqs = _client("sqs", endpoint)
    dead = sqs.create_queue(QueueName=DEAD_LETTERS, Attributes={"FifoQueue": "true"})["QueueUrl"]
    dead_arn = sqs.get_queue_attributes(QueueUrl=dead, AttributeNames=["QueueArn"])
    queue = sqs.create_queue(
        QueueName=QUEUE,
        Attributes={
            "FifoQueue": "true",
            "VisibilityTimeout": "360",
            "RedrivePolicy": (
                f'{{"deadLetterTargetArn": "{dead_arn["Attributes"]["QueueArn"]}", '
                '"maxReceiveCount": "100"}'
            ),
        },
    )["QueueUrl"]
    kms = _client("kms", endpoint)
    key = kms.create_key(Description="Local webhook secrets")["KeyMetadata"]["KeyId"]
    kms.create_alias(AliasName=KEY_ALIAS, TargetKeyId=key)
    values = {
        **_pointing(endpoint, queue, dead),
        "PUBLIC_API_URL": base_url,
    }
    os.environ.update(values)
    settings.reset()
    return values


def _pointing(endpoint: str, queue: str, dead: str) -> dict[str, str]:
    return {
        "WEBHOOK_QUEUE_URL": queue,
        "WEBHOOK_DEAD_LETTER_QUEUE_URL": dead,
        "WEBHOOK_KMS_KEY_ID": KEY_ALIAS,
        "WEBHOOK_LOCAL_TARGETS": "true",
        "AWS_ENDPOINT_URL_SQS": endpoint,
        "AWS_ENDPOINT_URL_KMS": endpoint,
    }


def find(endpoint: str) -> dict[str, str]:
    """The settings that point another process (the admin CLI) at the queues and the key
    `prepare` made in the embedded server at `endpoint`."""
    sqs = _client("sqs", endpoint)
    queue = sqs.get_queue_url(QueueName=QUEUE)["QueueUrl"]
    dead = sqs.get_queue_url(QueueName=DEAD_LETTERS)["QueueUrl"]
    return _pointing(endpoint, queue, dead)


class Wakeup:
    """Rung whenever the embedded store's stream or queues take something; each reader waits
    for a ring after the count it saw before its last read, so no ring is missed."""

    def __init__(self) -> None:
        self._rung = threading.Condition()
        self.count = 0

    def ring(self) -> None:
        with self._rung:
            self.count += 1
            self._rung.notify_all()

    def wait(self, seen: int, timeout: float) -> bool:
        """Until rung after `seen` (True) or `timeout` seconds pass (False)."""
        with self._rung:
            return self._rung.wait_for(lambda: self.count != seen, timeout)

    def on_store_changes(self) -> Wakeup:
        """Ring on a stream record, a message sent, or a message's visibility changed in the
        embedded moto server (in this process)."""
        from moto.dynamodb.models.table import StreamShard
        from moto.sqs.models import Queue, SQSBackend

        for owner, name in (
            (StreamShard, "add"),
            (Queue, "add_message"),
            (SQSBackend, "change_message_visibility"),
        ):
            original = getattr(owner, name)

            def rung(*args: Any, _original: Any = original, **kwargs: Any) -> Any:
                try:
                    return _original(*args, **kwargs)
                finally:
                    for wakeup in _WAKEUPS:
                        wakeup.ring()

            if not getattr(original, "rings", False):
                rung.rings = True  # type: ignore[attr-defined]
                setattr(owner, name, rung)
        _WAKEUPS.append(self)
        return self

    def close(self) -> None:
        """Rung no more by the store (and once now, to wake whoever waits)."""
        _WAKEUPS.remove(self)
        self.ring()


_WAKEUPS: list[Wakeup] = []  # every pump's in this process


class Pump:
    """The stream reader and the queue drainers, until `stop()`."""

    def __init__(self, endpoint: str, table: str) -> None:
        self.endpoint = endpoint
        self.table = table
        self.queue_url = find(endpoint)["WEBHOOK_QUEUE_URL"]
        self.stopped = threading.Event()
        self.wakeup = Wakeup().on_store_changes()
        self.fanout = _handler("WebhookFanoutFunction")
        self.deliver = _handler("WebhookDeliveryFunction")
        self.threads = [threading.Thread(target=self._read_stream, daemon=True)]
        self.threads += [
            threading.Thread(target=self._drain_queue, daemon=True) for _ in range(DRAINERS)
        ]

    def start(self) -> Pump:
        streams = _client("dynamodbstreams", self.endpoint)
        arn = _client("dynamodb", self.endpoint).describe_table(TableName=self.table)["Table"][
            "LatestStreamArn"
        ]
        shards = streams.describe_stream(StreamArn=arn)["StreamDescription"]["Shards"]
        self._iterators = {
            s["ShardId"]: streams.get_shard_iterator(
                StreamArn=arn, ShardId=s["ShardId"], ShardIteratorType="LATEST"
            )["ShardIterator"]
            for s in shards
        }
        self._arn = arn
        for thread in self.threads:
            thread.start()
        return self

    def stop(self) -> None:
        self.stopped.set()
        self.wakeup.close()
        for thread in self.threads:
            thread.join(timeout=20)

    def _rest(self, seen: int) -> None:
        """Until the store takes something after `seen`, IDLE_SECONDS pass, or the pump stops."""
        if not self.stopped.is_set():
            self.wakeup.wait(seen, IDLE_SECONDS)

    # -- the stream, as Lambda's DynamoDB event source reads it -----------------------------

    def _read_stream(self) -> None:
        streams = _client("dynamodbstreams", self.endpoint)
        while not self.stopped.is_set():
            seen = self.wakeup.count
            busy = False
            for shard, iterator in list(self._iterators.items()):
                try:
                    page = streams.get_records(ShardIterator=iterator, Limit=100)
                except Exception as err:  # the embedded server stopping, or a hiccup
                    print(f"webhooks: stream read failed: {err}", flush=True)
                    time.sleep(1)
                    continue
                records = [_lambda_record(r, self._arn) for r in page.get("Records", [])]
                next_iterator = page.get("NextShardIterator") or iterator
                if records:
                    busy = True
                    failed = self._fan_out(records)
                    if failed is not None:  # read again from the first record that failed
                        next_iterator = streams.get_shard_iterator(
                            StreamArn=self._arn,
                            ShardId=shard,
                            ShardIteratorType="AT_SEQUENCE_NUMBER",
                            SequenceNumber=failed,
                        )["ShardIterator"]
                        time.sleep(1)
                self._iterators[shard] = next_iterator
            if not busy:
                self._rest(seen)

    def _fan_out(self, records: list[dict[str, Any]]) -> str | None:
        """The first failed record's sequence number, or None."""
        context = gateway.LambdaContext("WebhookFanoutFunction", 60.0)
        try:
            answer = self.fanout({"Records": records}, context)
        except Exception as err:
            print(f"webhooks: fan-out failed: {err}", flush=True)
            return str(records[0]["dynamodb"]["SequenceNumber"])
        failed = [f["itemIdentifier"] for f in answer.get("batchItemFailures", [])]
        return min(failed, key=int) if failed else None

    # -- the queue, as Lambda's SQS event source drains it -------------------------------------

    def _drain_queue(self) -> None:
        sqs = _client("sqs", self.endpoint)
        arn = "arn:aws:sqs:us-east-1:123456789012:" + QUEUE
        while not self.stopped.is_set():
            seen = self.wakeup.count
            try:
                found = sqs.receive_message(
                    QueueUrl=self.queue_url,
                    MaxNumberOfMessages=10,
                    MessageSystemAttributeNames=["All"],
                    MessageAttributeNames=["All"],
                ).get("Messages", [])
            except Exception as err:
                print(f"webhooks: queue read failed: {err}", flush=True)
                time.sleep(1)
                continue
            if not found:
                self._rest(seen)
                continue
            event = {"Records": [_sqs_record(m, arn) for m in found]}
            context = gateway.LambdaContext("WebhookDeliveryFunction", 60.0)
            try:
                answer = self.deliver(event, context)
                failed = {f["itemIdentifier"] for f in answer.get("batchItemFailures", [])}
            except Exception as err:  # as Lambda: the whole batch comes back later
                print(f"webhooks: delivery failed: {err}", flush=True)
                continue
            done = [
                {"Id": str(n), "ReceiptHandle": m["ReceiptHandle"]}
                for n, m in enumerate(found)
                if m["MessageId"] not in failed
            ]
            if done:
                sqs.delete_message_batch(QueueUrl=self.queue_url, Entries=done)


def _lambda_record(record: dict[str, Any], arn: str) -> dict[str, Any]:
    """A stream record as Lambda passes it (times as epoch seconds)."""
    change = dict(record["dynamodb"])
    created = change.get("ApproximateCreationDateTime")
    if isinstance(created, datetime):
        change["ApproximateCreationDateTime"] = created.timestamp()
    return {**record, "dynamodb": change, "eventSourceARN": arn}


def _sqs_record(message: dict[str, Any], arn: str) -> dict[str, Any]:
    return {
        "messageId": message["MessageId"],
        "receiptHandle": message["ReceiptHandle"],
        "body": message["Body"],
        "attributes": message.get("Attributes", {}),
        "messageAttributes": message.get("MessageAttributes", {}),
        "md5OfBody": message.get("MD5OfBody", ""),
        "eventSource": "aws:sqs",
        "eventSourceARN": arn,
        "awsRegion": "us-east-1",
    }
