"""Bench of change notifications: local commit-to-delivery latency under `make run`'s
machinery (SPEC 13).

The embedded store, its webhook queues and key, and the pump (stream reader and queue
drainers running the fan-out and delivery functions' own handlers), as `make run` starts
them; a receiver on 127.0.0.1 that verifies each event with standardwebhooks. Writes go
through the in-process gateway one after another; a write's latency runs from its answer
(the commit) to its event's arrival, matched by the request id the event carries.

    python -m bench.webhooks [--events 200]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from bench.warm import percentile

ADMIN = {"X-USER-USERNAME": ["admin@acme.example"], "X-USER-TOKEN": ["acme-admin-token"]}
JSON = {"Content-Type": ["application/json"], "Host": ["127.0.0.1:3000"]}
HILTON = "9c5b90ff-2cce-11e8-87f9-0662bed6e7db"
PAUSE = 0.2  # seconds between two writes


class Receiver:
    def __init__(self) -> None:
        self.secret = ""
        self.arrived: dict[str, float] = {}  # request id -> arrival (monotonic)
        self.refused = 0
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                import standardwebhooks

                body = self.rfile.read(int(self.headers["Content-Length"]))
                at = time.monotonic()
                try:
                    hook = standardwebhooks.Webhook(receiver.secret)
                    event = hook.verify(body, dict(self.headers))
                except standardwebhooks.WebhookVerificationError:
                    receiver.refused += 1
                    self.send_response(400)
                    self.end_headers()
                    return
                receiver.arrived.setdefault(event["data"]["request_id"], at)
                self.send_response(204)
                self.end_headers()

            def log_message(self, *_: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hooks"


def call(method: str, path: str, body: dict[str, Any]) -> tuple[int, dict[str, Any], str]:
    from local import gateway

    answer = gateway.handle(method, path, {**ADMIN, **JSON}, {}, json.dumps(body).encode())
    headers = dict(answer.headers)
    return answer.status, json.loads(answer.body or b"{}"), headers["x-amzn-RequestId"]


def measure(events: int) -> dict[str, Any]:
    import contextlib
    import io
    import logging

    from local import server, webhooks

    logging.getLogger("werkzeug").setLevel(logging.ERROR)  # the embedded server's request log
    os.environ.pop("TABLE_NAME", None)
    os.environ.pop("DYNAMODB_ENDPOINT_URL", None)
    os.environ["POWERTOOLS_LOG_LEVEL"] = "WARNING"
    os.environ["POWERTOOLS_METRICS_DISABLED"] = "true"
    with contextlib.redirect_stdout(io.StringIO()):
        setup = server.prepare()
    pump = webhooks.Pump(setup["endpoint"], setup["table"]).start()
    receiver = Receiver()
    try:
        status, made, _ = call(
            "POST",
            "/api/webhook_subscriptions",
            {
                "data": {
                    "type": "webhook_subscriptions",
                    "attributes": {"url": receiver.url, "events": ["loyalty_memberships.changed"]},
                }
            },
        )
        assert status == 201, made
        receiver.secret = made["data"]["attributes"]["secret"]
        committed: dict[str, float] = {}
        for n in range(events):
            employee = ("098765", "112233")[n % 2]
            body = {
                "data": {
                    "type": "loyalty_memberships",
                    "attributes": {
                        "account_number": f"BENCH{n}",
                        "membership_name": "Bench Mark",
                        "expires_on": "2031-01-01",
                    },
                    "relationships": {
                        "loyalty_provider": {"data": {"id": HILTON, "type": "loyalty_providers"}}
                    },
                }
            }
            with contextlib.redirect_stdout(io.StringIO()):
                status, _, request_id = call(
                    "POST", f"/api/users/{employee}/loyalty_memberships", body
                )
            if status == 201:  # else (a 503 on a loaded machine) no event is due
                committed[request_id] = time.monotonic()
            time.sleep(PAUSE)
        deadline = time.monotonic() + 60
        while len(receiver.arrived) < len(committed) and time.monotonic() < deadline:
            time.sleep(0.05)
        arrived = receiver.arrived
        latencies = [(arrived[r] - at) * 1000 for r, at in committed.items() if r in arrived]
        return {
            "events": len(committed),
            "delivered": len(latencies),
            "refused": receiver.refused,
            "p50": percentile(latencies, 0.5),
            "p99": percentile(latencies, 0.99),
            "max": max(latencies),
            "mean": statistics.mean(latencies),
        }
    finally:
        pump.stop()
        receiver.server.shutdown()
        if setup["server"] is not None:
            setup["server"].stop()


def print_latency(events: int) -> None:
    found = measure(events)
    print(f"\n7. Webhooks: local commit-to-delivery ({found['events']} writes, one every")
    print(f"   {PAUSE * 1000:.0f} ms; make run's pump polls the stream and the queue every 50 ms)")
    print(
        f"   delivered {found['delivered']}/{found['events']} verified ({found['refused']} refused)"
        f"  p50 {found['p50']:.0f} ms  p99 {found['p99']:.0f} ms  max {found['max']:.0f} ms"
    )
    print("   from a write's answer to its event's arrival at a receiver on 127.0.0.1, through")
    print("   the stream, the fan-out function, SQS FIFO (moto) and the delivery function")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--events", type=int, default=200)
    print_latency(parser.parse_args().events)


if __name__ == "__main__":
    main()
