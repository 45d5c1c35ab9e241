"""Change notifications as a partner meets them under `make run` (SPEC 13): subscribed with
an HTTP call, every interface's changes arrive signed and in order at a receiver on this
machine, nothing is lost while the receiver is down, a window is replayed; and the
example of docs/webhooks.md pastes as it is."""

from __future__ import annotations

import os
import re
import threading
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
import requests
import standardwebhooks

from local.events import CONCUR_SUPPLIER_UPDATE
from tests.e2e.conftest import LocalFront
from tests.e2e.test_readme import FENCE, WEBHOOKS_PAGE, check, run, section

pytestmark = pytest.mark.e2e
ADMIN = {"X-USER-USERNAME": "admin@acme.example", "X-USER-TOKEN": "acme-admin-token"}
HILTON = "9c5b90ff-2cce-11e8-87f9-0662bed6e7db"


class Receiver:
    """A partner's endpoint on 127.0.0.1: verifies each delivery with standardwebhooks and
    answers as `answer(n)` says (a status, and a Retry-After)."""

    def __init__(
        self, answer: Callable[[int], tuple[int, str | None]] = lambda n: (204, None)
    ) -> None:
        self.answer = answer
        self.secret = ""
        self.events: list[dict[str, Any]] = []  # verified and accepted
        self.requests = 0
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers["Content-Length"]))
                event = standardwebhooks.Webhook(receiver.secret).verify(body, dict(self.headers))
                status, retry_after = receiver.answer(receiver.requests)
                receiver.requests += 1
                self.send_response(status)
                if retry_after:
                    self.send_header("Retry-After", retry_after)
                self.end_headers()
                if status < 300:
                    receiver.events.append(event)

            def log_message(self, *_: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hooks"

    def wait_for(self, count: int, seconds: float = 30) -> list[dict[str, Any]]:
        deadline = time.monotonic() + seconds
        while len(self.events) < count and time.monotonic() < deadline:
            time.sleep(0.05)
        return self.events

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()  # refused from now on, not left unanswered


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    found = Receiver()
    yield found
    found.close()


def subscribe(front: LocalFront, receiver: Receiver) -> str:
    made = requests.post(
        f"{front.base}/api/webhook_subscriptions",
        headers={**ADMIN, "Content-Type": "application/vnd.api+json"},
        json={
            "data": {
                "type": "webhook_subscriptions",
                "attributes": {
                    "url": receiver.url,
                    "events": ["loyalty_memberships.changed", "user.erased"],
                },
            }
        },
        timeout=10,
    )
    assert made.status_code == 201, made.text
    receiver.secret = made.json()["data"]["attributes"]["secret"]
    sub: str = made.json()["data"]["id"]
    return sub


def membership(front: LocalFront, employee: str, account: str) -> str:
    made = requests.post(
        f"{front.base}/api/users/{employee}/loyalty_memberships",
        headers=ADMIN,
        json={
            "data": {
                "type": "loyalty_memberships",
                "attributes": {
                    "account_number": account,
                    "membership_name": "A Name",
                    "expires_on": "2031-01-01",
                },
                "relationships": {
                    "loyalty_provider": {"data": {"id": HILTON, "type": "loyalty_providers"}}
                },
            }
        },
        timeout=10,
    )
    assert made.status_code == 201, made.text
    found: str = made.json()["data"]["id"]
    return found


@pytest.fixture
def admin_cli(
    local_front: LocalFront, monkeypatch: pytest.MonkeyPatch
) -> Iterator[Callable[..., None]]:
    """The admin CLI (in this process) against the front's embedded store, as its banner
    says to point it."""
    from local.admin import main
    from loyalty_core import settings

    pointed = re.search(r"DYNAMODB_ENDPOINT_URL=(\S+) TABLE_NAME=(\S+)", local_front.printed)
    assert pointed
    monkeypatch.setenv("DYNAMODB_ENDPOINT_URL", pointed.group(1))
    monkeypatch.setenv("TABLE_NAME", pointed.group(2))
    for name in [n for n in os.environ if n.startswith(("WEBHOOK_", "AWS_ENDPOINT_URL"))]:
        monkeypatch.delenv(name)
    settings.reset()

    def run_cli(*args: str) -> None:
        assert main(["--by", "ops", *args]) == 0

    yield run_cli
    settings.reset()


def test_every_interfaces_change_arrives_signed_and_in_order(
    local_front: LocalFront, receiver: Receiver, admin_cli: Callable[..., None]
) -> None:
    subscribe(local_front, receiver)
    admin_cli("create-user", "acme", "e2e001", "--name", "E Two", "--email", "e2@acme.example")
    made = membership(local_front, "e2e001", "E2E1")
    patched = requests.patch(
        f"{local_front.base}/api/users/e2e001/loyalty_memberships/{made}",
        headers=ADMIN,
        json={"data": {"type": "loyalty_memberships", "id": made, "attributes": {"level": "Gold"}}},
        timeout=10,
    )
    assert patched.status_code == 200
    concur = requests.post(
        f"{local_front.base}/api/travelprofile/v1.0/loyalty",
        headers={"Authorization": "OAuth concur-supplier-token", "Content-Type": "application/xml"},
        data=CONCUR_SUPPLIER_UPDATE.replace("<PointTotal>", "<PointTotal>7", 1),
        timeout=10,
    )
    assert concur.status_code == 200, concur.text
    admin_cli("erase-user", "acme", "e2e001")
    got = receiver.wait_for(4)
    kinds = [(e["type"], e["subject"], e["data"].get("interface")) for e in got]
    assert sorted(kinds) == sorted(
        [
            ("loyalty_memberships.changed", "users/e2e001", "locomote"),
            ("loyalty_memberships.changed", "users/e2e001", "locomote"),
            ("loyalty_memberships.changed", "users/098765", "concur"),
            ("user.erased", "users/e2e001", "admin"),
        ]
    )
    his = [e for e in got if e["subject"] == "users/e2e001"]
    assert [e["type"] for e in his][-1] == "user.erased"
    assert [e["sequence"] for e in his] == sorted(e["sequence"] for e in his)


def test_nothing_is_lost_while_the_receiver_is_down(local_front: LocalFront) -> None:
    """Down for its first two requests (503, Retry-After: 1): every event arrives after,
    each once, in order."""
    down = Receiver(lambda n: (503, "1") if n < 2 else (204, None))
    try:
        subscribe(local_front, down)
        for n in range(2):
            membership(local_front, "098765", f"DOWN{n}")
        got = down.wait_for(2)
        assert [e["data"]["changes"][0]["action"] for e in got] == ["create"] * 2
        assert [e["sequence"] for e in got] == sorted(e["sequence"] for e in got)
        assert len({e["id"] for e in got}) == 2 and down.requests >= 4
    finally:
        down.close()


def test_a_partner_replays_a_window(local_front: LocalFront, receiver: Receiver) -> None:
    sub = subscribe(local_front, receiver)
    since = datetime.now(UTC).isoformat()
    membership(local_front, "098765", "REPLAY1")
    first = receiver.wait_for(1)
    until = datetime.now(UTC).isoformat()
    answer = requests.post(
        f"{local_front.base}/api/webhook_subscriptions/{sub}/replays",
        headers=ADMIN,
        json={"data": {"type": "webhook_replays", "attributes": {"since": since, "until": until}}},
        timeout=10,
    )
    assert answer.status_code == 202, answer.text
    assert answer.json()["data"]["attributes"]["events"] == 1
    again = receiver.wait_for(2)
    assert again[1]["id"] == first[0]["id"] and again[1]["sequence"] == first[0]["sequence"]


def test_the_webhook_example_pastes_as_it_is(local_front: LocalFront) -> None:
    text = section(WEBHOOKS_PAGE, "## Webhooks by example")
    scripts = [code for language, code in FENCE.findall(text) if language == "bash"]
    assert len(scripts) == 1
    script = scripts[0]
    from local.dynamo import free_port

    env = {k: v for k, v in os.environ.items() if k not in ("TABLE_NAME", "DYNAMODB_ENDPOINT_URL")}
    ready = script.replace("BASE=http://127.0.0.1:3000\n", f"BASE={local_front.base}\n")
    ready = ready.replace("HOOK_PORT=8765\n", f"HOOK_PORT={free_port()}\n")
    printed = run(ready, env)
    check(script, printed, local_front.base)
