"""Where a webhook may be sent (SSRF guard): an https URL (plain http only for a receiver
on this machine under `make run`), no credentials in it, and a host whose every address,
once resolved, is a public one: no private, loopback, link-local, shared, multicast or
reserved address (loopback allowed under `make run`). Checked when a subscription is set,
and again at each delivery on the addresses the request then goes to (a name that
resolved to a public address may later resolve to a private one: DNS rebinding)."""

from __future__ import annotations

import ipaddress
import socket
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from loyalty_core.errors import InvalidInput, Problem
from loyalty_core.models.webhooks import MAX_URL_LENGTH
from loyalty_core.validators import is_text

if TYPE_CHECKING:
    from loyalty_core.services.webhooks.context import Resolver


class UnsafeTarget(Exception):
    """The endpoint cannot be sent to (its detail says why, without echoing it at length)."""


@dataclass(frozen=True)
class Target:
    scheme: str
    host: str
    port: int
    path: str  # with its query

    @property
    def host_header(self) -> str:
        default = 443 if self.scheme == "https" else 80
        host = f"[{self.host}]" if ":" in self.host else self.host
        return host if self.port == default else f"{host}:{self.port}"


def parse(url: str, local: bool) -> Target:
    """The target of a URL, or UnsafeTarget saying what is wrong with it."""
    if len(url) > MAX_URL_LENGTH or not is_text(url) or any(c.isspace() for c in url):
        raise UnsafeTarget(f"must be a URL of at most {MAX_URL_LENGTH} characters, no spaces")
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        raise UnsafeTarget("must be a well-formed URL") from None
    schemes = ("https", "http") if local else ("https",)
    if parts.scheme not in schemes:
        raise UnsafeTarget("must be an https URL" + (" (or http, under make run)" if local else ""))
    if parts.username is not None or parts.password is not None:
        raise UnsafeTarget("must not hold credentials (user:password@)")
    if parts.fragment:
        raise UnsafeTarget("must not have a #fragment")
    host = (parts.hostname or "").rstrip(".")
    if not host or not host.isascii():
        raise UnsafeTarget("must name a host (internationalised names in their xn-- form)")
    path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    return Target(parts.scheme, host, port or (443 if parts.scheme == "https" else 80), path)


def allowed(address: str, local: bool) -> bool:
    """Whether an address may be sent to: a public one (or loopback, under make run)."""
    try:
        ip = ipaddress.ip_address(address.split("%")[0])
    except ValueError:
        return False
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    if local and ip.is_loopback:
        return True
    return ip.is_global and not (ip.is_multicast or ip.is_reserved or ip.is_unspecified)


def system_resolver(host: str, port: int) -> Sequence[str]:
    found = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    return list(dict.fromkeys(str(info[4][0]) for info in found))


def addresses(target: Target, resolve: Resolver, local: bool) -> list[str]:
    """The addresses to connect to: every one the host resolves to must be allowed (one
    private address among public ones is refused: the next lookup may answer it alone)."""
    try:
        ipaddress.ip_address(target.host)
        found: Sequence[str] = [target.host]
    except ValueError:
        try:
            found = resolve(target.host, target.port)
        except (OSError, UnicodeError):
            raise UnsafeTarget("must name a host that resolves") from None
    if not found:
        raise UnsafeTarget("must name a host that resolves")
    refused = [a for a in found if not allowed(a, local)]
    if refused:
        kind = "non-public" if local else "private, loopback, link-local or reserved"
        raise UnsafeTarget(f"must not resolve to a {kind} address")
    return list(found)


def check(url: str, resolve: Resolver, local: bool) -> str:
    """A subscription's URL as set by an admin: refused (422, on `url`) unless it is one a
    delivery may go to now."""
    try:
        addresses(parse(url, local), resolve, local)
    except UnsafeTarget as err:
        raise InvalidInput(
            "The webhook URL is not allowed", [Problem(str(err), ("url",))]
        ) from None
    return url
