"""The webhook ports on SQS and KMS (`services/webhooks/aws.py`) against small fakes of the
two clients: SQS's batch limits kept, every failure reported as the store being
unavailable, a dead letter's reason bounded, a secret opened only for its subscription and
by KMS once per container."""

from __future__ import annotations

import base64
import json
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

import pytest
from botocore.exceptions import ClientError, EndpointConnectionError

from loyalty_core.errors import StorageUnavailable
from loyalty_core.models.deliveries import Delivery
from loyalty_core.models.webhooks import EventType
from loyalty_core.services.webhooks.aws import MAX_BATCH_BYTES, KmsSecretBox, SqsQueue
from loyalty_core.services.webhooks.delivery import dedup_id, group_id

QUEUE, DEAD = "https://sqs.example/deliveries.fifo", "https://sqs.example/dead.fifo"
AT = datetime(2026, 12, 7, 9, 0, tzinfo=UTC)


def delivery(n: int, body: str = "{}", employee_id: str = "098765") -> Delivery:
    return Delivery(
        subscription_id="sub-1",
        company="acme",
        event_id=f"event-{n}",
        event_type=EventType.CHANGED,
        employee_id=employee_id,
        enqueued_at=AT,
        body=body,
    )


class FakeSqs:
    def __init__(self, failed: list[dict[str, str]] | None = None, error: Exception | None = None):
        self.batches: list[list[dict[str, Any]]] = []
        self.calls: list[tuple[str, dict[str, Any]]] = []
        self.failed = failed or []
        self.error = error

    def _call(self, name: str, arguments: dict[str, Any]) -> None:
        if self.error is not None:
            raise self.error
        self.calls.append((name, arguments))

    def send_message_batch(self, QueueUrl: str, Entries: list[dict[str, Any]]) -> dict[str, Any]:
        self._call("send_message_batch", {"QueueUrl": QueueUrl})
        self.batches.append(Entries)
        return {"Failed": self.failed} if self.failed else {"Successful": []}

    def change_message_visibility(self, **arguments: Any) -> None:
        self._call("change_message_visibility", arguments)

    def change_message_visibility_batch(self, **arguments: Any) -> None:
        self._call("change_message_visibility_batch", arguments)

    def send_message(self, **arguments: Any) -> None:
        self._call("send_message", arguments)


class FakeKms:
    """Encrypts by binding the plaintext to its context; decrypts only with that context."""

    def __init__(self) -> None:
        self.decrypts = 0

    def encrypt(self, KeyId: str, Plaintext: bytes, EncryptionContext: Mapping[str, str]) -> Any:
        bound = json.dumps([KeyId, dict(sorted(EncryptionContext.items()))]).encode()
        return {"CiphertextBlob": bound + b"\n" + Plaintext}

    def decrypt(self, CiphertextBlob: bytes, EncryptionContext: Mapping[str, str]) -> Any:
        self.decrypts += 1
        bound, _, plaintext = CiphertextBlob.partition(b"\n")
        if json.loads(bound)[1] != dict(sorted(EncryptionContext.items())):
            raise ClientError({"Error": {"Code": "InvalidCiphertextException"}}, "Decrypt")
        return {"Plaintext": plaintext}


def test_deliveries_go_in_batches_of_at_most_ten_in_order() -> None:
    sqs = FakeSqs()
    sent = [delivery(n) for n in range(23)]
    SqsQueue(sqs, QUEUE, DEAD).send(sent)
    assert [len(b) for b in sqs.batches] == [10, 10, 3]
    entries = [entry for batch in sqs.batches for entry in batch]
    assert [json.loads(e["MessageBody"])["event_id"] for e in entries] == [
        f"event-{n}" for n in range(23)
    ]
    assert all(url == {"QueueUrl": QUEUE} for _, url in sqs.calls)
    first = entries[0]
    assert first["MessageGroupId"] == group_id(sent[0])
    assert first["MessageDeduplicationId"] == dedup_id(sent[0])
    # each entry of a batch has its own id
    assert all(len({e["Id"] for e in batch}) == len(batch) for batch in sqs.batches)


def test_a_batch_stays_within_sqs_bytes() -> None:
    sqs = FakeSqs()
    big = "x" * (MAX_BATCH_BYTES // 3)
    SqsQueue(sqs, QUEUE, DEAD).send([delivery(n, body=big) for n in range(4)])
    sizes = [sum(len(e["MessageBody"].encode()) for e in b) for b in sqs.batches]
    assert [len(b) for b in sqs.batches] == [2, 2]
    assert all(size <= MAX_BATCH_BYTES for size in sizes)
    assert MAX_BATCH_BYTES == 256 * 1024


def test_a_batch_is_measured_in_utf8_bytes() -> None:
    sqs = FakeSqs()
    wide = "é" * (MAX_BATCH_BYTES // 5)  # two bytes each: over a third of the limit
    SqsQueue(sqs, QUEUE, DEAD).send([delivery(n, body=wide) for n in range(3)])
    assert [len(b) for b in sqs.batches] == [2, 1]


def test_messages_the_queue_refuses_are_reported_with_their_codes() -> None:
    failed = [{"Id": "0", "Code": "Throttled"}, {"Id": "1", "Code": "AccessDenied"}, {"Id": "2"}]
    with pytest.raises(StorageUnavailable) as error:
        SqsQueue(FakeSqs(failed), QUEUE, DEAD).send([delivery(0)])
    assert str(error.value) == "The delivery queue refused messages (?, AccessDenied, Throttled)"


@pytest.mark.parametrize(
    "failure",
    [
        ClientError({"Error": {"Code": "ServiceUnavailable"}}, "SendMessageBatch"),
        EndpointConnectionError(endpoint_url=QUEUE),
    ],
)
def test_an_unreachable_queue_is_the_store_unavailable(failure: Exception) -> None:
    queue = SqsQueue(FakeSqs(error=failure), QUEUE, DEAD)
    for act, what in [
        (lambda: queue.send([delivery(0)]), "The delivery queue"),
        (lambda: queue.hide("r", 5), "The delivery queue"),
        (lambda: queue.release(["r"]), "The delivery queue"),
        (lambda: queue.dead_letter(delivery(0), "why"), "The dead-letter queue"),
    ]:
        with pytest.raises(StorageUnavailable) as error:
            act()
        assert str(error.value) == f"{what} could not be reached; retry shortly"


def test_nothing_to_send_sends_nothing() -> None:
    sqs = FakeSqs()
    SqsQueue(sqs, QUEUE, DEAD).send([])
    assert sqs.calls == []


def test_a_hidden_message_stays_hidden_for_the_seconds_asked() -> None:
    sqs = FakeSqs()
    SqsQueue(sqs, QUEUE, DEAD).hide("receipt-1", 300)
    assert sqs.calls == [
        (
            "change_message_visibility",
            {"QueueUrl": QUEUE, "ReceiptHandle": "receipt-1", "VisibilityTimeout": 300},
        )
    ]


def test_released_messages_are_visible_at_once_ten_a_call() -> None:
    sqs = FakeSqs()
    receipts = [f"r{n}" for n in range(12)]
    SqsQueue(sqs, QUEUE, DEAD).release(receipts)
    calls = [arguments for _, arguments in sqs.calls]
    assert [c["QueueUrl"] for c in calls] == [QUEUE, QUEUE]
    entries = [e for c in calls for e in c["Entries"]]
    assert [e["ReceiptHandle"] for e in entries] == receipts
    assert {e["VisibilityTimeout"] for e in entries} == {0}
    assert [len(c["Entries"]) for c in calls] == [10, 2]
    assert all(len({e["Id"] for e in c["Entries"]}) == len(c["Entries"]) for c in calls)


def test_a_dead_letter_keeps_the_delivery_and_a_bounded_reason() -> None:
    sqs = FakeSqs()
    dead = delivery(7)
    SqsQueue(sqs, QUEUE, DEAD).dead_letter(dead, "r" * 5000)
    ((name, sent),) = sqs.calls
    assert name == "send_message" and sent["QueueUrl"] == DEAD
    assert Delivery.model_validate_json(sent["MessageBody"]) == dead
    assert sent["MessageGroupId"] == group_id(dead)
    assert sent["MessageDeduplicationId"] == dedup_id(dead)
    assert sent["MessageAttributes"] == {
        "reason": {"DataType": "String", "StringValue": "r" * 1000}
    }


def test_a_sealed_secret_opens_only_for_its_subscription() -> None:
    box = KmsSecretBox(FakeKms(), "key-1")
    mine, theirs = {"subscription": "sub-1"}, {"subscription": "sub-2"}
    sealed = box.seal(b"secret-bytes", mine)
    assert b"secret-bytes" not in base64.b64decode(sealed).split(b"\n")[0]
    assert json.loads(base64.b64decode(sealed).split(b"\n")[0])[0] == "key-1"
    assert box.open(sealed, mine) == b"secret-bytes"
    with pytest.raises(StorageUnavailable, match="KMS could not be reached"):
        box.open(sealed, theirs)


def test_an_opened_secret_is_kept_for_the_containers_life() -> None:
    kms = FakeKms()
    box = KmsSecretBox(kms, "key-1")
    context = {"subscription": "sub-1"}
    sealed = box.seal(b"s1", context)
    assert [box.open(sealed, context) for _ in range(3)] == [b"s1"] * 3
    assert kms.decrypts == 1
    other = box.seal(b"s2", context)
    assert box.open(other, context) == b"s2"
    assert kms.decrypts == 2
