"""Faults of the embedded DynamoDB, on demand (test tooling: never in the product's path).

A fault is a rule: which calls (an operation such as "TransactWriteItems", or any; a
table, or any) and what the store does with them:

    answer      what the caller gets
    "500"       a bare HTTP 500: no error code, no body
    "throttle"  HTTP 400 ThrottlingException (DynamoDB applies nothing it throttles)
    "reset"     the connection closed, no answer
    "stall"     the answer `delay` seconds late
    applied     for "500", "reset" and "stall": the store applies the call first, then
                answers so (a write the caller cannot know landed); otherwise not applied
                ("stall" unapplied: applied after the delay, as a slow store would)

`fail_next` matches the next `times` calls of its kind (each attempt of the SDK's retries is
a call), `fail_for` every call for `seconds`, `stall_next` is `fail_next` with "stall".
`after=OPERATION` holds a rule back until a call of that operation has been served: with
`fail_for(3, after="TransactWriteItems")`, the store fails everything for 3 s from the
first write on (a store lost between a commit and its answer).
`gate(operation, count)` holds calls of a kind until `count` of them wait together, then
lets them all through (or each after `timeout`): the worst interleaving of a race, on
demand. `calls()` is what the store saw (operation, tables, when it started and ended, the
fault applied), `max_in_flight()` the most calls it was serving at once.

Two ways in, the same controls:
- in-process, on moto's `mock_aws` (the integration tests): `Faults().install()` puts them
  at moto's door, for every DynamoDB call it serves in this process (the handlers' client,
  `settings.dynamodb_client()`, and any other); the `store_faults` fixture of
  tests/conftest.py does that for one test;
- over HTTP (the e2e tests): `running_store()` starts `python -m tests.faults`, the faithful
  embedded store (local/dynamo.py) with the faults at its door, and yields a `FaultyStore`:
  its endpoint (for DYNAMODB_ENDPOINT_URL) and `faults`, a `RemoteFaults` that sets them.
"""

from __future__ import annotations

import argparse
import io
import json
import os
import socket
import subprocess
import sys
import threading
import time
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from typing import Any

ANSWERS = ("500", "throttle", "reset", "stall", "gate")
THROTTLED = json.dumps(
    {
        "__type": "com.amazonaws.dynamodb.v20120810#ThrottlingException",
        "message": "Rate of requests exceeds the allowed throughput.",
    }
).encode()
JSON_1_0 = "application/x-amz-json-1.0"
CONTROL = "/_faults"  # the fault store's own routes, beside DynamoDB's


@dataclass
class Rule:
    answer: str
    operation: str | None = None  # e.g. "TransactWriteItems"; None: every operation
    table: str | None = None  # a table the call names; None: any
    applied: bool = False
    delay: float = 0.0  # "stall": seconds; "gate": the longest a call waits
    times: int | None = 1  # calls left to match; None: every call until `lasting` ends
    lasting: float | None = None  # seconds from when the rule is set
    count: int = 0  # "gate": calls to hold together
    after: str | None = None  # an operation: the rule applies once a call of it was served
    until: float | None = field(default=None, repr=False)
    armed: bool = field(default=False, repr=False)
    waiting: int = field(default=0, repr=False)
    opened: bool = field(default=False, repr=False)

    def __post_init__(self) -> None:
        if self.answer not in ANSWERS:
            raise ValueError(f"answer must be one of {ANSWERS}, not {self.answer!r}")
        if self.applied and self.answer not in ("500", "reset", "stall"):
            raise ValueError(f"a {self.answer!r} answer is never given to an applied call")
        if (self.times is None) == (self.lasting is None):
            raise ValueError("a rule matches a number of calls or for a time, one of them")
        if self.answer == "gate" and self.count < 1:
            raise ValueError("a gate holds at least one call")

    def describe(self) -> str:
        return f"{self.answer}{' after applying' if self.applied else ''}"

    def spec(self) -> dict[str, Any]:
        fields = (
            "answer",
            "operation",
            "table",
            "applied",
            "delay",
            "times",
            "lasting",
            "count",
            "after",
        )
        return {name: value for name, value in asdict(self).items() if name in fields}


@dataclass
class Call:
    operation: str
    tables: list[str]
    started: float
    ended: float | None = None
    fault: str | None = None


class FaultControls:
    """The controls, wherever the faults apply: each builds a rule and `add`s it."""

    def add(self, rule: Rule) -> None:
        raise NotImplementedError

    def clear(self) -> None:
        """No more faults; forget the calls seen (and let every held call through)."""
        raise NotImplementedError

    def calls(self) -> list[Call]:
        raise NotImplementedError

    def max_in_flight(self) -> int:
        raise NotImplementedError

    def fail_next(
        self,
        operation: str | None = None,
        *,
        answer: str = "500",
        applied: bool = False,
        times: int = 1,
        table: str | None = None,
        delay: float = 0.0,
        after: str | None = None,
    ) -> None:
        self.add(Rule(answer, operation, table, applied, delay, times=times, after=after))

    def fail_for(
        self,
        seconds: float,
        operation: str | None = None,
        *,
        answer: str = "500",
        applied: bool = False,
        table: str | None = None,
        delay: float = 0.0,
        after: str | None = None,
    ) -> None:
        rule = Rule(answer, operation, table, applied, delay, None, seconds, after=after)
        self.add(rule)

    def stall_next(
        self,
        operation: str | None = None,
        *,
        delay: float,
        applied: bool = False,
        times: int = 1,
        table: str | None = None,
    ) -> None:
        self.fail_next(
            operation, answer="stall", applied=applied, times=times, table=table, delay=delay
        )

    def gate(
        self, operation: str | None, *, count: int, timeout: float = 5.0, table: str | None = None
    ) -> None:
        self.add(Rule("gate", operation, table, delay=timeout, times=count, count=count))


class Faults(FaultControls):
    """The rules and what the store saw, in the process where calls are served."""

    def __init__(self) -> None:
        self._rules: list[Rule] = []
        self._calls: deque[Call] = deque(maxlen=10_000)
        self._in_flight = 0
        self._max_in_flight = 0
        self._changed = threading.Condition()

    def add(self, rule: Rule) -> None:
        with self._changed:
            rule.armed = rule.after is None
            if rule.lasting is not None and rule.armed:
                rule.until = time.monotonic() + rule.lasting
            self._rules.append(rule)

    def clear(self) -> None:
        with self._changed:
            for rule in self._rules:
                rule.opened = True
            self._rules.clear()
            self._calls.clear()
            self._max_in_flight = self._in_flight
            self._changed.notify_all()

    def calls(self) -> list[Call]:
        with self._changed:
            return list(self._calls)

    def max_in_flight(self) -> int:
        with self._changed:
            return self._max_in_flight

    def _match(self, call: Call) -> Rule | None:
        with self._changed:
            now = time.monotonic()
            self._rules = [r for r in self._rules if r.until is None or r.until > now]
            found = self._first_armed(call)
            for rule in self._rules:  # armed from the next call on
                if not rule.armed and rule.after == call.operation:
                    rule.armed = True
                    if rule.lasting is not None:
                        rule.until = now + rule.lasting
            return found

    def _first_armed(self, call: Call) -> Rule | None:
        """The first armed rule that matches `call` (counted), or None (the caller holds
        the rules' lock)."""
        for rule in self._rules:
            if not rule.armed or rule.operation not in (None, call.operation):
                continue
            if rule.table is not None and rule.table not in call.tables:
                continue
            if rule.times is not None:
                rule.times -= 1
                if rule.times == 0:
                    self._rules.remove(rule)
            call.fault = rule.describe()
            return rule
        return None

    def _through_gate(self, rule: Rule, call: Call) -> None:
        with self._changed:
            rule.waiting += 1
            if rule.waiting >= rule.count:
                rule.opened = True
                self._changed.notify_all()
            opened = self._changed.wait_for(lambda: rule.opened, timeout=rule.delay)
        call.fault = "gate: opened" if opened else "gate: timed out"

    def serve(
        self,
        operation: str,
        tables: list[str],
        apply: Callable[[], Any],
        bare_500: Callable[[], Any],
        throttled: Callable[[], Any],
        reset: Callable[[], Any],
    ) -> Any:
        """One call at the store's door: the fault its rules give it, if any."""
        call = Call(operation, tables, time.monotonic())
        with self._changed:
            self._calls.append(call)
            self._in_flight += 1
            self._max_in_flight = max(self._max_in_flight, self._in_flight)
        try:
            rule = self._match(call)
            if rule is None:
                return apply()
            if rule.answer == "gate":
                self._through_gate(rule, call)
                return apply()
            if rule.answer == "throttle":
                return throttled()
            if rule.answer == "stall" and not rule.applied:
                time.sleep(rule.delay)
                return apply()
            answered = apply() if rule.applied else None
            if rule.answer == "stall":
                time.sleep(rule.delay)
                return answered
            return bare_500() if rule.answer == "500" else reset()
        finally:
            call.ended = time.monotonic()
            with self._changed:
                self._in_flight -= 1

    # -- in-process: at the door of moto's mock_aws --------------------------------------

    def install(self) -> Callable[[], None]:
        """Apply the faults to every DynamoDB call that moto's mock_aws serves in this
        process (the handlers' client and any other); returns the function that removes
        them."""
        from botocore.exceptions import ConnectionClosedError
        from moto.core.botocore_stubber import BotocoreStubber

        moto_process_request = BotocoreStubber.process_request

        def process_request(stubber: BotocoreStubber, request: Any) -> Any:
            target = request.headers.get("X-Amz-Target") or ""
            target = target.decode() if isinstance(target, bytes) else target
            if not target.startswith("DynamoDB_"):
                return moto_process_request(stubber, request)

            def reset() -> Any:
                raise ConnectionClosedError(endpoint_url=request.url)

            return self.serve(
                target.split(".")[-1],
                tables_of(request.body),
                lambda: moto_process_request(stubber, request),
                lambda: (500, {}, b""),
                lambda: (400, {"Content-Type": JSON_1_0}, THROTTLED),
                reset,
            )

        BotocoreStubber.process_request = process_request  # type: ignore[method-assign]

        def uninstall() -> None:
            BotocoreStubber.process_request = moto_process_request  # type: ignore[method-assign]

        return uninstall

    # -- over HTTP: at the door of the embedded store's server ------------------------------

    def middleware(self, app: Any) -> Any:
        """A WSGI application: `app` (moto's) behind the faults, with the control routes."""

        def faulty(environ: dict[str, Any], start_response: Any) -> Iterable[bytes]:
            if environ.get("PATH_INFO", "").startswith(CONTROL):
                return self._control(environ, start_response)
            length = int(environ.get("CONTENT_LENGTH") or 0)
            body = environ["wsgi.input"].read(length) if length else b""
            environ["wsgi.input"] = io.BytesIO(body)
            operation = environ.get("HTTP_X_AMZ_TARGET", "").split(".")[-1]

            def apply() -> tuple[str, list[tuple[str, str]], bytes]:
                answered: list[Any] = []
                chunks = app(
                    environ, lambda status, headers, *_: answered.extend((status, headers))
                )
                try:
                    content = b"".join(chunks)
                finally:
                    getattr(chunks, "close", lambda: None)()
                return answered[0], answered[1], content

            def reset() -> Any:
                connection = environ["werkzeug.socket"]
                connection.shutdown(socket.SHUT_RDWR)
                raise ConnectionResetError("the store dropped the connection (a fault)")

            status, headers, content = self.serve(
                operation,
                tables_of(body),
                apply,
                lambda: ("500 Internal Server Error", [("Content-Length", "0")], b""),
                lambda: ("400 Bad Request", [("Content-Type", JSON_1_0)], THROTTLED),
                reset,
            )
            start_response(status, headers)
            return [content]

        return faulty

    def _control(self, environ: dict[str, Any], start_response: Any) -> Iterable[bytes]:
        method, path = environ["REQUEST_METHOD"], environ["PATH_INFO"]
        answer: Any = {}
        try:
            if (method, path) == ("POST", f"{CONTROL}/rules"):
                length = int(environ.get("CONTENT_LENGTH") or 0)
                self.add(Rule(**json.loads(environ["wsgi.input"].read(length))))
            elif (method, path) == ("DELETE", f"{CONTROL}/rules"):
                self.clear()
            elif (method, path) == ("GET", f"{CONTROL}/calls"):
                calls = [asdict(call) for call in self.calls()]
                answer = {"calls": calls, "max_in_flight": self.max_in_flight()}
            else:
                start_response("404 Not Found", [("Content-Type", "application/json")])
                return [b'{"error": "no such control"}']
        except (TypeError, ValueError) as err:
            start_response("400 Bad Request", [("Content-Type", "application/json")])
            return [json.dumps({"error": str(err)}).encode()]
        start_response("200 OK", [("Content-Type", "application/json")])
        return [json.dumps(answer).encode()]


def tables_of(body: bytes | str | None) -> list[str]:
    """The tables a DynamoDB request names (TableName, each action's, RequestItems')."""
    try:
        request = json.loads(body or b"{}")
    except ValueError:
        return []
    if not isinstance(request, dict):
        return []
    names = [request.get("TableName")]
    for action in request.get("TransactItems") or []:
        names.extend(op.get("TableName") for op in action.values() if isinstance(op, dict))
    names.extend(request.get("RequestItems") or {})
    return sorted({name for name in names if isinstance(name, str)})


class RemoteFaults(FaultControls):
    """The controls of a fault store served by `python -m tests.faults`."""

    def __init__(self, endpoint: str) -> None:
        self.endpoint = endpoint

    def _send(self, method: str, path: str, body: Any = None) -> Any:
        import requests

        answer = requests.request(method, f"{self.endpoint}{CONTROL}{path}", json=body, timeout=10)
        if answer.status_code != 200:
            raise ValueError(answer.json().get("error", answer.text))
        return answer.json()

    def add(self, rule: Rule) -> None:
        self._send("POST", "/rules", rule.spec())

    def clear(self) -> None:
        self._send("DELETE", "/rules")

    def calls(self) -> list[Call]:
        return [Call(**c) for c in self._send("GET", "/calls")["calls"]]

    def max_in_flight(self) -> int:
        found: int = self._send("GET", "/calls")["max_in_flight"]
        return found


@dataclass
class FaultyStore:
    endpoint: str  # DYNAMODB_ENDPOINT_URL
    faults: RemoteFaults
    process: subprocess.Popen[str]


@contextmanager
def running_store(ready_within: float = 60.0) -> Iterator[FaultyStore]:
    """The faithful embedded store, with faults at its door, in a process of its own."""
    process = subprocess.Popen(
        [sys.executable, "-m", "tests.faults", "--port", "0"],
        cwd=os.path.dirname(os.path.dirname(os.path.abspath(__file__))),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    assert process.stdout is not None
    try:
        started = time.monotonic()
        line = ""
        while not line.startswith("Ready ") and time.monotonic() - started < ready_within:
            line = process.stdout.readline()
            if not line and process.poll() is not None:
                raise RuntimeError("the fault store exited before it was ready")
        endpoint = line.split()[1]
        # Nothing more is printed, but keep the pipe drained all the same.
        threading.Thread(target=process.stdout.read, daemon=True).start()
        yield FaultyStore(endpoint, RemoteFaults(endpoint), process)
    finally:
        process.kill()  # a throwaway store: nothing of it to keep, no teardown to wait for
        process.wait(timeout=10)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="The embedded store, with faults on demand.")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=0)
    args = parser.parse_args(argv)

    import logging

    from moto.moto_server.werkzeug_app import (
        DomainDispatcherApplication,
        MotoRequestHandler,
        create_backend_app,
    )
    from werkzeug.serving import make_server

    from local.dynamo import make_faithful, use_local_credentials

    make_faithful()
    use_local_credentials()
    logging.getLogger("werkzeug").setLevel(logging.ERROR)
    app = Faults().middleware(DomainDispatcherApplication(create_backend_app))
    server = make_server(
        args.host, args.port, app, threaded=True, request_handler=MotoRequestHandler
    )
    print(f"Ready http://{args.host}:{server.port}", flush=True)
    server.serve_forever()  # until Ctrl-C or SIGTERM
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
