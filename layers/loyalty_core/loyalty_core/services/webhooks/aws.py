"""The AWS adapters of the webhook ports: the delivery queue on SQS FIFO, secrets sealed by
KMS (bound to their subscription by the encryption context). Errors become domain errors
here, once."""

from __future__ import annotations

import base64
import json
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

from botocore.exceptions import BotoCoreError, ClientError

from loyalty_core.errors import StorageUnavailable
from loyalty_core.services.webhooks.delivery import dedup_id, group_id

if TYPE_CHECKING:
    from loyalty_core.models.deliveries import Delivery

MAX_BATCH = 10  # SQS's most messages in one SendMessageBatch
MAX_BATCH_BYTES = 256 * 1024  # and its most bytes in one


@contextmanager
def unavailable(what: str) -> Iterator[None]:
    try:
        yield
    except (BotoCoreError, ClientError) as err:
        raise StorageUnavailable(f"{what} could not be reached; retry shortly") from err


def message_body(delivery: Delivery) -> str:
    return json.dumps(delivery.model_dump(mode="json", exclude_none=True), ensure_ascii=False)


class SqsQueue:
    """The `Queue` port: one FIFO queue of deliveries and its dead-letter queue."""

    def __init__(self, client: Any, queue_url: str, dead_letter_url: str) -> None:
        self.client = client
        self.url = queue_url
        self.dead_letter_url = dead_letter_url

    def send(self, deliveries: Sequence[Delivery]) -> None:
        batch: list[dict[str, Any]] = []
        size = 0
        for n, found in enumerate(deliveries):
            body = message_body(found)
            entry = {
                "Id": str(n),
                "MessageBody": body,
                "MessageGroupId": group_id(found),
                "MessageDeduplicationId": dedup_id(found),
            }
            weight = len(body.encode("utf-8"))
            if batch and (len(batch) == MAX_BATCH or size + weight > MAX_BATCH_BYTES):
                self._send(batch)
                batch, size = [], 0
            batch.append(entry)
            size += weight
        if batch:
            self._send(batch)

    def _send(self, entries: list[dict[str, Any]]) -> None:
        with unavailable("The delivery queue"):
            answer = self.client.send_message_batch(QueueUrl=self.url, Entries=entries)
        if answer.get("Failed"):
            codes = sorted({f.get("Code", "?") for f in answer["Failed"]})
            raise StorageUnavailable(f"The delivery queue refused messages ({', '.join(codes)})")

    def hide(self, receipt: str, seconds: int) -> None:
        with unavailable("The delivery queue"):
            self.client.change_message_visibility(
                QueueUrl=self.url, ReceiptHandle=receipt, VisibilityTimeout=seconds
            )

    def release(self, receipts: Sequence[str]) -> None:
        """Make received messages visible again at once (a failed group's later messages:
        their group still waits for its hidden first one)."""
        for start in range(0, len(receipts), MAX_BATCH):
            entries = [
                {"Id": str(n), "ReceiptHandle": r, "VisibilityTimeout": 0}
                for n, r in enumerate(receipts[start : start + MAX_BATCH])
            ]
            with unavailable("The delivery queue"):
                self.client.change_message_visibility_batch(QueueUrl=self.url, Entries=entries)

    def dead_letter(self, delivery: Delivery, reason: str) -> None:
        with unavailable("The dead-letter queue"):
            self.client.send_message(
                QueueUrl=self.dead_letter_url,
                MessageBody=message_body(delivery),
                MessageGroupId=group_id(delivery),
                MessageDeduplicationId=dedup_id(delivery),
                MessageAttributes={"reason": {"DataType": "String", "StringValue": reason[:1000]}},
            )


class KmsSecretBox:
    """The `SecretBox` port on KMS: a secret is sealed under the key with its subscription
    as encryption context (it opens for that subscription only); opened secrets are kept
    for the container's life, by their sealed form."""

    def __init__(self, client: Any, key_id: str) -> None:
        self.client = client
        self.key_id = key_id
        self._opened: dict[str, bytes] = {}

    def seal(self, secret: bytes, context: Mapping[str, str]) -> str:
        with unavailable("KMS"):
            answer = self.client.encrypt(
                KeyId=self.key_id, Plaintext=secret, EncryptionContext=dict(context)
            )
        return base64.b64encode(answer["CiphertextBlob"]).decode("ascii")

    def open(self, sealed: str, context: Mapping[str, str]) -> bytes:
        cached = f"{sealed} {sorted(context.items())}"
        found = self._opened.get(cached)
        if found is None:
            with unavailable("KMS"):
                answer = self.client.decrypt(
                    CiphertextBlob=base64.b64decode(sealed), EncryptionContext=dict(context)
                )
            found = self._opened[cached] = bytes(answer["Plaintext"])
        return found
