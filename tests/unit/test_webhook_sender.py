"""The HTTP POST of one delivery (`services/webhooks/sender.py`) against a scripted endpoint
on this machine (as under `make run`, where loopback receivers are allowed): the request as
sent, what each answer means, and every way of not getting one."""

from __future__ import annotations

import contextlib
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager

import pytest

from loyalty_core.services.webhooks.sender import TIMEOUT_SECONDS, HttpSender, retry_after


class Endpoint:
    """Accepts connections on 127.0.0.1, reads each request whole, then answers `answer`
    (None: says nothing until the client gives up; b"": closes at once)."""

    def __init__(self, answer: bytes | None, at_once: bool = False) -> None:
        self.answer = answer
        self.at_once = at_once  # answer on connecting, before any request
        self.requests: list[bytes] = []
        self.server = socket.create_server(("127.0.0.1", 0))
        self.port = self.server.getsockname()[1]
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    def _serve(self) -> None:
        while True:
            try:
                conn, _ = self.server.accept()
            except OSError:
                return
            with conn:
                if self.at_once and self.answer:
                    conn.sendall(self.answer)
                    continue
                self.requests.append(self._read(conn))
                if self.answer is None:
                    with contextlib.suppress(OSError):
                        conn.recv(1)  # until the client closes
                elif self.answer:
                    conn.sendall(self.answer)

    @staticmethod
    def _read(conn: socket.socket) -> bytes:
        """The request, whole; what came before the client closed, if it closed first (a
        TLS client giving up, say: never a loop on a closed connection)."""
        data = b""
        while b"\r\n\r\n" not in data:
            more = conn.recv(65536)
            if not more:
                return data
            data += more
        head, _, body = data.partition(b"\r\n\r\n")
        length = next(
            int(line.split(b":")[1])
            for line in head.split(b"\r\n")
            if line.lower().startswith(b"content-length:")
        )
        while len(body) < length:
            more = conn.recv(65536)
            if not more:
                break
            body += more
        return head + b"\r\n\r\n" + body

    def close(self) -> None:
        self.server.close()


@contextmanager
def endpoint(answer: bytes | None, at_once: bool = False) -> Iterator[Endpoint]:
    found = Endpoint(answer, at_once)
    try:
        yield found
    finally:
        found.close()


def answer(status: str, *headers: str) -> bytes:
    lines = [f"HTTP/1.1 {status}", *headers, "Content-Length: 2", "", "ok"]
    return "\r\n".join(lines).encode()


def local(timeout: float = 2.0, *addresses: str) -> HttpSender:
    found = list(addresses) or ["127.0.0.1"]
    return HttpSender(resolve=lambda host, port: found, local=True, timeout=timeout)


def free_port() -> int:
    with socket.create_server(("127.0.0.1", 0)) as probe:
        return int(probe.getsockname()[1])


def test_a_2xx_is_delivered_and_the_post_carries_the_headers_and_body_as_given() -> None:
    with endpoint(answer("204 No Content")) as hook:
        reply = local()(
            f"http://hooks.example.test:{hook.port}/in?x=1",
            {"webhook-id": "evt-1", "content-type": "application/json"},
            b'{"a":1}',
        )
    assert (reply.status, reply.error, reply.retry_after) == (204, None, None)
    assert reply.delivered and reply.duration_ms >= 0
    (request,) = hook.requests
    head, _, body = request.partition(b"\r\n\r\n")
    lines = head.decode().split("\r\n")
    assert lines[0] == "POST /in?x=1 HTTP/1.1"
    assert sorted(lines[1:]) == sorted(
        [
            f"Host: hooks.example.test:{hook.port}",
            "webhook-id: evt-1",
            "content-type: application/json",
            "Content-Length: 7",
        ]
    )
    assert body == b'{"a":1}'


def test_a_redirect_is_a_failure_and_is_not_followed() -> None:
    with endpoint(answer("302 Found", "Location: http://127.0.0.1:1/elsewhere")) as hook:
        reply = local()(f"http://hooks.example.test:{hook.port}/in", {}, b"{}")
    assert (reply.status, reply.error) == (302, "a redirect (not followed)")
    assert not reply.delivered and len(hook.requests) == 1


@pytest.mark.parametrize("status", ["429 Too Many Requests", "503 Service Unavailable"])
def test_a_429_or_503_says_when_to_try_again(status: str) -> None:
    with endpoint(answer(status, "Retry-After: 7")) as hook:
        reply = local()(f"http://hooks.example.test:{hook.port}/", {}, b"{}")
    code = int(status.split()[0])
    assert (reply.status, reply.error, reply.retry_after) == (code, f"answered {code}", 7.0)


@pytest.mark.parametrize("status", ["500 Internal Server Error", "404 Not Found", "199 Odd"])
def test_any_other_answer_is_a_failure_and_its_retry_after_is_not_taken(status: str) -> None:
    with endpoint(answer(status, "Retry-After: 7")) as hook:
        reply = local()(f"http://hooks.example.test:{hook.port}/", {}, b"{}")
    code = int(status.split()[0])
    assert (reply.status, reply.error, reply.retry_after) == (code, f"answered {code}", None)
    assert not reply.delivered


def test_300_and_399_are_redirects_200_and_299_deliveries() -> None:
    for status, error in [
        ("300", "a redirect (not followed)"),
        ("399", "a redirect (not followed)"),
        ("200", None),
        ("299", None),
        ("400", "answered 400"),
    ]:
        with endpoint(answer(f"{status} X")) as hook:
            reply = local()(f"http://hooks.example.test:{hook.port}/", {}, b"{}")
        assert (reply.status, reply.error) == (int(status), error)


def test_nothing_listening_is_could_not_connect() -> None:
    reply = local()(f"http://hooks.example.test:{free_port()}/", {}, b"{}")
    assert (reply.status, reply.error) == (None, "could not connect")


def test_each_address_is_tried_in_turn() -> None:
    with endpoint(answer("200 OK")) as hook:
        # 127.0.0.2 is loopback too, but nothing listens there
        reply = local(2.0, "127.0.0.2", "127.0.0.1")(
            f"http://hooks.example.test:{hook.port}/", {}, b"{}"
        )
    assert reply.status == 200 and len(hook.requests) == 1


def test_no_answer_within_the_time_limit_is_a_failure() -> None:
    with endpoint(None) as hook:
        reply = local(0.3)(f"http://hooks.example.test:{hook.port}/", {}, b"{}")
    assert (reply.status, reply.error) == (None, "no answer within 0.3 s")
    assert reply.duration_ms >= 300
    assert TIMEOUT_SECONDS == 15.0 and HttpSender().timeout == TIMEOUT_SECONDS


def test_a_connection_closed_without_an_answer_is_a_failure() -> None:
    with endpoint(b"") as hook:
        reply = local()(f"http://hooks.example.test:{hook.port}/", {}, b"{}")
    assert (reply.status, reply.error) == (None, "connection failed: RemoteDisconnected")


def test_https_needs_a_tls_handshake_with_the_host() -> None:
    with endpoint(answer("200 OK"), at_once=True) as hook:  # no TLS: plain HTTP at once
        reply = local(1.0)(f"https://hooks.example.test:{hook.port}/", {}, b"{}")
    assert (reply.status, reply.error) == (None, "could not connect")


def test_plain_http_is_not_sent_when_deployed() -> None:
    with endpoint(answer("200 OK")) as hook:
        sender = HttpSender(resolve=lambda host, port: ["127.0.0.1"])
        reply = sender(f"http://hooks.example.test:{hook.port}/", {}, b"{}")
    assert reply.status is None and reply.error == "not sent: the URL must be an https URL"
    assert hook.requests == []


class Dripping(Endpoint):
    """Answers a byte at a time, slowly: each read gets something, the whole takes long."""

    def _serve(self) -> None:
        while True:
            try:
                conn, _ = self.server.accept()
            except OSError:
                return
            with conn, contextlib.suppress(OSError):
                self.requests.append(self._read(conn))
                for byte in self.answer or b"":
                    conn.sendall(bytes([byte]))
                    time.sleep(0.03)


def test_the_time_limit_holds_for_the_whole_answer_however_it_trickles() -> None:
    hook = Dripping(answer("200 OK") * 2)  # ~80 bytes: over 2 s at this pace
    try:
        reply = local(0.3)(f"http://hooks.example.test:{hook.port}/", {}, b"{}")
    finally:
        hook.close()
    assert (reply.status, reply.error) == (None, "no answer within 0.3 s")


def test_an_endpoint_that_does_not_take_the_connection_in_time_is_not_reached() -> None:
    server = socket.create_server(("127.0.0.1", 0), backlog=0)
    port = server.getsockname()[1]
    waiting = []  # fill its queue of connections: the next one is never taken
    for _ in range(4):
        pending = socket.socket()
        pending.setblocking(False)
        with contextlib.suppress(BlockingIOError):
            pending.connect(("127.0.0.1", port))
        waiting.append(pending)
    try:
        reply = local(0.3)(f"http://hooks.example.test:{port}/", {}, b"{}")
    finally:
        for pending in waiting:
            pending.close()
        server.close()
    assert (reply.status, reply.error) == (None, "could not connect")
    assert reply.duration_ms >= 300


def test_an_endpoint_silent_in_the_tls_handshake_is_not_reached() -> None:
    with endpoint(None) as hook:  # takes the connection, never answers the handshake
        reply = local(0.3)(f"https://hooks.example.test:{hook.port}/", {}, b"{}")
    assert (reply.status, reply.error) == (None, "could not connect")


def test_the_duration_recorded_is_the_time_the_post_took() -> None:
    with endpoint(answer("200 OK")) as hook:
        started = time.monotonic()
        reply = local()(f"http://hooks.example.test:{hook.port}/", {}, b"{}")
        took = time.monotonic() - started
    assert 0 <= reply.duration_ms <= took * 1000 + 1


def test_retry_after_reads_at_most_nine_digits_and_never_a_past_date() -> None:
    assert retry_after("12345678901") == 123456789.0
    assert retry_after("Wed, 21 Oct 2015 07:28:00 GMT") == 0.0
    assert retry_after("Wed, 21 Oct 2015 07:28:00") is None  # no zone: unreadable
