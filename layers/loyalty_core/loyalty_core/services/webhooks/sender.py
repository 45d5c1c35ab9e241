"""The HTTP POST of one delivery: to the addresses `targets` allowed (the connection goes to
the very address checked, the TLS certificate checked for the host), 15 s in all from
connecting to the answer's headers, no redirect followed (a 3xx is a failure), nothing read
of the answer but its status line and headers."""

from __future__ import annotations

import contextlib
import http.client
import socket
import ssl
import threading
import time
from collections.abc import Callable, Mapping
from email.utils import parsedate_to_datetime
from functools import cached_property
from typing import TYPE_CHECKING

from loyalty_core.services.webhooks import targets
from loyalty_core.services.webhooks.context import Reply, utc_now

if TYPE_CHECKING:
    from loyalty_core.services.webhooks.context import Resolver

TIMEOUT_SECONDS = 15.0


def retry_after(value: str | None) -> float | None:
    """Retry-After in seconds: delay-seconds or an HTTP date (RFC 9110 10.2.3); None when
    absent or unreadable."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(int(value[:9]))
    try:
        moment = parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    if moment.tzinfo is None:
        return None
    return max(0.0, (moment - utc_now()).total_seconds())


class HttpSender:
    """POSTs a delivery (the `Sender` port) with the SSRF guard at connection time."""

    def __init__(
        self,
        resolve: Resolver = targets.system_resolver,
        local: bool = False,
        timeout: float = TIMEOUT_SECONDS,
    ) -> None:
        self.resolve = resolve
        self.local = local
        self.timeout = timeout

    @cached_property
    def _tls(self) -> ssl.SSLContext:
        return ssl.create_default_context()

    def __call__(self, url: str, headers: Mapping[str, str], body: bytes) -> Reply:
        started = time.monotonic()

        def reply(status: int | None, error: str | None = None, wait: float | None = None) -> Reply:
            elapsed = int((time.monotonic() - started) * 1000)
            return Reply(status, elapsed, error, wait)

        try:
            target = targets.parse(url, self.local)
            found = targets.addresses(target, self.resolve, self.local)
        except targets.UnsafeTarget as err:
            return reply(None, f"not sent: the URL {err}")
        deadline = started + self.timeout
        sock = self._connect(target, found, deadline)
        if sock is None:
            return reply(None, "could not connect")
        timer = threading.Timer(max(0.0, deadline - time.monotonic()), _close, (sock,))
        timer.start()
        try:
            return self._exchange(target, sock, headers, body, reply)
        except (OSError, http.client.HTTPException) as err:
            if time.monotonic() >= deadline:
                return reply(None, f"no answer within {self.timeout:g} s")
            return reply(None, f"connection failed: {type(err).__name__}")
        finally:
            timer.cancel()
            _close(sock)

    def _connect(
        self, target: targets.Target, found: list[str], deadline: float
    ) -> socket.socket | None:
        for address in found:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                return None
            try:
                sock = socket.create_connection((address, target.port), timeout=remaining)
            except OSError:
                continue
            if target.scheme == "http":
                return sock
            try:
                sock.settimeout(max(0.01, deadline - time.monotonic()))
                return self._tls.wrap_socket(sock, server_hostname=target.host)
            except (OSError, ssl.SSLError):
                _close(sock)
        return None

    def _exchange(
        self,
        target: targets.Target,
        sock: socket.socket,
        headers: Mapping[str, str],
        body: bytes,
        reply: Callable[..., Reply],
    ) -> Reply:
        connection = http.client.HTTPConnection(target.host, target.port)
        connection.sock = sock
        connection.putrequest("POST", target.path, skip_host=True, skip_accept_encoding=True)
        connection.putheader("Host", target.host_header)
        for name, value in headers.items():
            connection.putheader(name, value)
        connection.putheader("Content-Length", str(len(body)))
        connection.endheaders(body)
        answer = connection.getresponse()
        status = answer.status
        wait = retry_after(answer.getheader("Retry-After")) if status in (429, 503) else None
        if 200 <= status < 300:
            return reply(status)
        if 300 <= status < 400:
            return reply(status, "a redirect (not followed)")
        return reply(status, f"answered {status}", wait)


def _close(sock: socket.socket) -> None:
    with contextlib.suppress(OSError):
        sock.shutdown(socket.SHUT_RDWR)
    sock.close()
