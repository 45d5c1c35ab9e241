"""Fakes of the webhook ports for tests that run hours of retries in no time: a clock, a
secret box, a FIFO queue with SQS's semantics (groups, visibility, deduplication), an
endpoint that answers as scripted and checks every signature with `standardwebhooks`, and
a driver that plays Lambda's SQS event source over the queue."""

from __future__ import annotations

import base64
import itertools
import json
import threading
import uuid
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import standardwebhooks.webhooks as swh

from loyalty_core.models import Membership
from loyalty_core.models.deliveries import Delivery
from loyalty_core.services.webhooks import delivery
from loyalty_core.services.webhooks.aws import message_body
from loyalty_core.services.webhooks.context import Reply, Webhooks

START = datetime(2026, 12, 7, 9, 0, tzinfo=UTC)


class Clock:
    def __init__(self, start: datetime = START) -> None:
        self.now = start

    def __call__(self) -> datetime:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += timedelta(seconds=seconds)


class Box:
    """Seals by encoding with the context: opens only with the same context."""

    def seal(self, secret: bytes, context: Mapping[str, str]) -> str:
        bound = json.dumps(dict(sorted(context.items())))
        return base64.b64encode(bound.encode() + b"\n" + secret).decode()

    def open(self, sealed: str, context: Mapping[str, str]) -> bytes:
        bound, _, secret = base64.b64decode(sealed).partition(b"\n")
        assert json.loads(bound) == dict(context), "opened for another subscription"
        return secret


@dataclass
class Message:
    id: str
    body: str
    group: str
    dedup: str
    sent_at: datetime
    visible_at: datetime
    receipt: str | None = None
    receives: int = 0


class FifoQueue:
    """SQS FIFO as the delivery relies on it: a group's messages come in order, none while
    one of them is in flight; a received message is hidden for the visibility timeout,
    `hide` and `release` change that; a deduplication id seen within 5 minutes is dropped."""

    VISIBILITY = 360
    MAX_RECEIVES = 100

    def __init__(self, clock: Clock) -> None:
        self.clock = clock
        self.messages: list[Message] = []
        self.dead: list[tuple[Delivery, str]] = []
        self.sent: list[Delivery] = []
        self._dedup: dict[str, datetime] = {}
        self._lock = threading.RLock()

    def send(self, deliveries: Sequence[Delivery]) -> None:
        with self._lock:
            now = self.clock()
            for found in deliveries:
                dedup = delivery.dedup_id(found)
                seen = self._dedup.get(dedup)
                if seen is not None and now - seen < timedelta(minutes=5):
                    continue
                self._dedup[dedup] = now
                self.sent.append(found)
                self.messages.append(
                    Message(
                        str(uuid.uuid4()),
                        message_body(found),
                        delivery.group_id(found),
                        dedup,
                        now,
                        now,
                    )
                )

    def _by_receipt(self, receipt: str) -> Message:
        return next(m for m in self.messages if m.receipt == receipt)

    def hide(self, receipt: str, seconds: int) -> None:
        assert 0 <= seconds <= 43_200, "SQS refuses a visibility over 12 hours"
        with self._lock:
            self._by_receipt(receipt).visible_at = self.clock() + timedelta(seconds=seconds)

    def release(self, receipts: Sequence[str]) -> None:
        with self._lock:
            for receipt in receipts:
                self._by_receipt(receipt).visible_at = self.clock()

    def dead_letter(self, found: Delivery, reason: str) -> None:
        with self._lock:
            self.dead.append((found, reason))

    def receive(self, most: int = 10) -> list[Message]:
        with self._lock:
            now = self.clock()
            blocked: set[str] = set()
            taken: list[Message] = []
            for m in self.messages:
                if m.group in blocked:
                    continue
                if m.visible_at > now:
                    blocked.add(m.group)  # in flight or hidden: the rest of its group waits
                    continue
                m.receipt, m.receives = str(uuid.uuid4()), m.receives + 1
                # Ten attempts and the hides of waits over 12 h come back far fewer times:
                # a message back this often is one the delivery never settles.
                assert m.receives <= self.MAX_RECEIVES, f"{m.id} never settles"
                m.visible_at = now + timedelta(seconds=self.VISIBILITY)
                taken.append(m)
                if len(taken) == most:
                    break
            return taken

    def delete(self, message_id: str) -> None:
        with self._lock:
            self.messages = [m for m in self.messages if m.id != message_id]

    def next_visible(self) -> datetime | None:
        """When the next message can be received: the earliest of each group's first."""
        with self._lock:
            heads: dict[str, datetime] = {}
            for m in self.messages:
                heads.setdefault(m.group, m.visible_at)
            return min(heads.values(), default=None)


class Context:
    """A Lambda context with the delivery function's whole time left."""

    def get_remaining_time_in_millis(self) -> int:
        return 60_000


def sqs_event(messages: Sequence[Message]) -> dict[str, Any]:
    return {
        "Records": [
            {
                "messageId": m.id,
                "receiptHandle": m.receipt,
                "body": m.body,
                "attributes": {
                    "MessageGroupId": m.group,
                    "ApproximateReceiveCount": str(m.receives),
                },
                "messageAttributes": {},
                "md5OfBody": "",
                "eventSource": "aws:sqs",
                "eventSourceARN": "arn:aws:sqs:us-east-1:000000000000:webhooks.fifo",
                "awsRegion": "us-east-1",
            }
            for m in messages
        ]
    }


def drain(webhooks: Webhooks, queue: FifoQueue, clock: Clock, until: datetime | None = None) -> int:
    """Play Lambda's event source over the queue: receive, run the delivery function's
    batch, delete what succeeded; when nothing is visible, move the clock to the next
    message's time (not past `until`). Returns how many batches ran."""
    batches = 0
    while True:
        taken = queue.receive()
        if not taken:
            upcoming = queue.next_visible()
            if upcoming is None or (until is not None and upcoming > until):
                return batches
            clock.now = max(clock.now, upcoming)
            continue
        batches += 1
        answer = delivery.process_batch(webhooks, sqs_event(taken), Context())
        failed = {f["itemIdentifier"] for f in answer["batchItemFailures"]}
        for m in taken:
            if m.id not in failed:
                queue.delete(m.id)


@dataclass
class Received:
    at: datetime
    headers: dict[str, str]
    body: bytes
    event: dict[str, Any]
    status: int
    url: str = ""


Script = Callable[[int, dict[str, Any], datetime], int | tuple[int, float]]


@dataclass
class Endpoint:
    """An endpoint answering as `script(n, event, now)` says (a status, or a status and a
    Retry-After), each request first verified with standardwebhooks against `secrets`."""

    clock: Clock
    script: Script = lambda n, event, now: 200
    secrets: list[str] = field(default_factory=list)
    received: list[Received] = field(default_factory=list)
    _count: itertools.count[int] = field(default_factory=itertools.count)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def verify(self, headers: Mapping[str, str], body: bytes) -> dict[str, Any]:
        """Verified with one of the secrets (all must be refused for a failure)."""
        errors = []
        for secret in self.secrets:
            try:
                with at_time(self.clock):
                    verified: dict[str, Any] = swh.Webhook(secret).verify(body, dict(headers))
                return verified
            except swh.WebhookVerificationError as err:
                errors.append(err)
        raise AssertionError(f"no secret verifies the delivery: {errors}")

    def __call__(self, url: str, headers: Mapping[str, str], body: bytes) -> Reply:
        event = self.verify(headers, body)
        with self._lock:
            n = next(self._count)
        answer = self.script(n, event, self.clock())
        status, wait = answer if isinstance(answer, tuple) else (answer, None)
        with self._lock:
            self.received.append(Received(self.clock(), dict(headers), body, event, status, url))
        return Reply(status, 3, None if 200 <= status < 300 else f"answered {status}", wait)

    def delivered(self) -> list[dict[str, Any]]:
        return [r.event for r in self.received if 200 <= r.status < 300]


_patched = threading.Lock()


class at_time:
    """standardwebhooks' clock set to the fake one (it checks timestamps against `now`),
    one verification at a time (the delivery runs message groups in threads)."""

    def __init__(self, clock: Callable[[], datetime]) -> None:
        self.clock = clock

    def __enter__(self) -> None:
        clock = self.clock

        class Frozen(datetime):
            @classmethod
            def now(cls, tz: Any = None) -> Any:
                return clock()

        _patched.acquire()
        self.saved = swh.datetime
        swh.datetime = Frozen  # type: ignore[misc]

    def __exit__(self, *_: Any) -> None:
        swh.datetime = self.saved  # type: ignore[misc]
        _patched.release()


def render(membership: Membership) -> dict[str, Any]:
    from loyalty_core.interfaces.links import PublicUrl
    from loyalty_core.interfaces.locomote.views import membership_resource

    return membership_resource(membership, PublicUrl("https://api.test"))


def public_resolver(host: str, port: int) -> list[str]:
    """Every test host name resolves to a public documentation-free address."""
    return ["93.184.215.14"]


# -- a world of the webhook services on the in-memory stores ---------------------------------


def stream_insert(audit: Any, company: str, employee_id: str, revision: int) -> dict[str, Any]:
    """The stream record DynamoDB emits for an audit record's INSERT."""
    from loyalty_core.repository.items import change_item

    item = change_item(audit, company, employee_id, revision, 400)
    keys = {"pk": item["pk"], "sk": item["sk"]}
    return {
        "eventID": str(uuid.uuid4()),
        "eventName": "INSERT",
        "eventSource": "aws:dynamodb",
        "dynamodb": {"Keys": keys, "NewImage": item, "SequenceNumber": str(revision)},
    }


@dataclass
class World:
    clock: Clock
    repo: Any  # tests.memory_repository.InMemoryRepository
    store: Any  # tests.memory_repository.InMemoryWebhooks
    queue: FifoQueue
    endpoint: Endpoint
    webhooks: Webhooks
    streamed: dict[tuple[str, str], int] = field(default_factory=dict)

    def stream(self) -> list[dict[str, Any]]:
        """The stream records of the audit records written since the last call, in order."""
        records = []
        for (company, employee_id), audits in self.repo.audits.items():
            done = self.streamed.get((company, employee_id), 0)
            for revision, audit, _ in audits[done:]:
                records.append(stream_insert(audit, company, employee_id, revision))
            self.streamed[(company, employee_id)] = len(audits)
        records.sort(key=lambda r: r["dynamodb"]["NewImage"]["occurred_at"]["S"])
        return records

    def fan_out(self) -> dict[str, Any]:
        from loyalty_core.services.webhooks import fanout

        return fanout.process_batch(self.webhooks, {"Records": self.stream()}, None)

    def deliver(self, until: datetime | None = None) -> int:
        return drain(self.webhooks, self.queue, self.clock, until)


def world(script: Script | None = None, local: bool = False) -> World:
    """The demo-like world: companies acme and globex, John (098765) and Jane (112233) of
    acme, a Globex traveller with John's employee id, the real provider catalog."""
    from pathlib import Path

    from loyalty_core.models import Company, Provider, User
    from tests.memory_repository import InMemoryRepository, InMemoryWebhooks

    clock = Clock()
    repo = InMemoryRepository()
    catalog = Path(__file__).resolve().parent.parent / "data" / "providers.json"
    for provider in json.loads(catalog.read_text("utf-8")):
        repo.add_provider(Provider.model_validate(provider))
    for company, employee_id, name in (
        ("acme", "098765", "John Smith"),
        ("acme", "112233", "Jane Doe"),
        ("globex", "098765", "Johan Schmidt"),
    ):
        email = f"{name.split()[0].lower()}@{company}.example"
        repo.seed_user(User(company=company, employee_id=employee_id, name=name, email=email))
    repo.add_company(Company(id="acme", name="Acme"))
    repo.add_company(Company(id="globex", name="Globex"))
    store = InMemoryWebhooks(repo)
    queue = FifoQueue(clock)
    endpoint = Endpoint(clock, script or (lambda n, event, now: 200))
    webhooks = Webhooks(
        store=store,
        memberships=repo,
        box=Box(),
        queue=queue,
        send=endpoint,
        resolve=public_resolver,
        render=render,
        local_targets=local,
        clock=clock,
        jitter=lambda: 0.5,
    )
    return World(clock, repo, store, queue, endpoint, webhooks)
