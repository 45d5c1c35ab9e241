"""HTTP shared by the interfaces: headers, media types and content negotiation, the one
reader of request bodies (base64 and size limit), public URLs, error headers."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from loyalty_core.errors import (
    MalformedRequest,
    MethodNotAllowed,
    PayloadTooLarge,
    UnsupportedMediaType,
    quote,
    quote_all,
)

if TYPE_CHECKING:
    from loyalty_core.errors import (
        DomainError,
    )


def header(headers: Mapping[str, str] | None, *names: str) -> str | None:
    """The first of `names` present, case-insensitively (API Gateway keeps the caller's case)."""
    if not headers:
        return None
    lowered = {k.lower(): v for k, v in headers.items()}
    for name in names:
        value = lowered.get(name.lower())
        if value is not None:
            return value
    return None


def media_type(content_type: str | None) -> tuple[str, dict[str, str]]:
    """`application/json; charset=utf-8` -> ("application/json", {"charset": "utf-8"})."""
    if not content_type:
        return "", {}
    kind, *params = content_type.split(";")
    parsed = {}
    for param in params:
        name, _, value = param.partition("=")
        parsed[name.strip().lower()] = value.strip().strip('"')
    return kind.strip().lower(), parsed


def require_media_type(
    content_type: str | None,
    accepted: Mapping[str, set[str]],
    charsets: frozenset[str] = frozenset({"utf-8"}),
) -> str:
    """Refuse a body whose media type (or one of its parameters) is not accepted: 415.

    `accepted` maps each media type to the parameters it may carry; a `charset`, where
    one is accepted, must be one of `charsets`.
    """
    kind, params = media_type(content_type)
    if kind not in accepted:
        raise UnsupportedMediaType(
            f"Content-Type must be one of {', '.join(sorted(accepted))}, not "
            + (quote(kind) if kind else "none")
        )
    unknown = set(params) - accepted[kind]
    if unknown:
        raise UnsupportedMediaType(
            f"Media type parameters {quote_all(sorted(unknown))} are not supported on {kind}"
        )
    charset = params.get("charset")
    if charset is not None and charset.lower() not in charsets:
        raise UnsupportedMediaType(
            f"charset {quote(charset)} is not supported; send {', '.join(sorted(charsets))}"
        )
    return kind


_TCHARS = r"[!#$%&'*+.^_`|~0-9A-Za-z-]+"
_MEDIA_RANGE = re.compile(rf"^(?:\*/\*|{_TCHARS}/\*|{_TCHARS}/{_TCHARS})$")
_QVALUE = re.compile(r"^(?:0(?:\.[0-9]{0,3})?|1(?:\.0{0,3})?)$")
_QUOTED = r'"(?:[^"\\]|\\.)*"'
_ELEMENT = re.compile(rf"(?:[^,\"]|{_QUOTED})+")  # one element of a list, quoted commas kept
_PARAMETER = re.compile(rf"\s*;\s*(?:({_TCHARS})\s*=\s*({_TCHARS}|{_QUOTED}))?")


@dataclass(frozen=True)
class _Range:
    kind: str  # "type/subtype", "type/*" or "*/*", lower case
    params: dict[str, str]  # parameters other than the weight, names lower case
    q: float

    def precedence(self, offered: str) -> tuple[int, int] | None:
        """How specifically this range names `offered` (RFC 9110 12.5.1), or None if it
        does not match it. Every answer here is UTF-8 and carries no other parameter, so a
        range's parameters match only as `charset=utf-8`."""
        if any(n != "charset" or v.lower() != "utf-8" for n, v in self.params.items()):
            return None
        if self.kind == offered:
            return 2, len(self.params)
        if self.kind == f"{offered.split('/')[0]}/*":
            return 1, 0
        return (0, 0) if self.kind == "*/*" else None


def _ranges(accept: str) -> list[_Range]:
    """The media ranges of an Accept field value, with their weights; a malformed range (or
    weight) is ignored."""
    ranges = []
    for element in _ELEMENT.findall(accept):
        kind, _, parameters = element.strip().partition(";")
        kind = kind.strip().lower()
        if not _MEDIA_RANGE.match(kind) or _PARAMETER.sub("", ";" + parameters).strip():
            continue
        params = [
            (name.lower(), value.strip('"'))
            for name, value in _PARAMETER.findall(";" + parameters)
            if name
        ]
        weights = [value for name, value in params if name == "q"]
        if len(weights) > 1 or (weights and not _QVALUE.match(weights[0])):
            continue
        q = float(weights[0]) if weights else 1.0
        ranges.append(_Range(kind, {n: v for n, v in params if n != "q"}, q))
    return ranges


def negotiate(accept: str | None, offered: Sequence[str]) -> str:
    """The offered media type that `Accept` prefers (RFC 9110 12.5.1): each type takes the
    q-value of the most specific range that matches it (`type/subtype` over `type/*` over
    `*/*`), q=0 meaning "not acceptable"; the highest q wins. Ties, no Accept, or nothing
    acceptable: the first offered, the server's default. Every route that can answer in
    more than one format chooses with this function."""
    ranges = _ranges(accept or "")

    def quality(candidate: str) -> float:
        best: tuple[tuple[int, int], float] | None = None
        for r in ranges:
            precedence = r.precedence(candidate)
            if precedence is not None and (best is None or precedence > best[0]):
                best = (precedence, r.q)
        return best[1] if best else 0.0

    scores = [quality(candidate) for candidate in offered] if ranges else [0.0]
    top = max(scores)
    return offered[scores.index(top)] if top > 0 else offered[0]


def read_body(event: Mapping[str, Any], max_bytes: int) -> bytes:
    """A proxy event's body as bytes: base64 decoded (and checked) when API Gateway encoded
    it, refused over `max_bytes` (413)."""
    raw = event.get("body") or ""
    if event.get("isBase64Encoded"):
        import base64
        import binascii

        if len(raw) > (max_bytes + 2) // 3 * 4 + 4:
            raise PayloadTooLarge(f"The body is over the limit of {max_bytes} bytes")
        try:
            data = base64.b64decode(raw, validate=True)
        except binascii.Error:
            raise MalformedRequest("The body is not valid base64") from None
    else:
        data = raw.encode("utf-8", "surrogatepass")
    if len(data) > max_bytes:
        raise PayloadTooLarge(f"The body is {len(data)} bytes; the limit is {max_bytes}")
    return data


def utf8(data: bytes) -> str:
    """A body as text, refusing bytes that are not UTF-8 (400)."""
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        raise MalformedRequest("The body is not valid UTF-8") from None


@dataclass(frozen=True)
class PublicUrl:
    """Where the caller reached us: scheme, host and stage, for links and Location."""

    origin: str  # e.g. https://api.example.com/Prod

    def of(self, path: str, query: str = "") -> str:
        return f"{self.origin}{path}" + (f"?{query}" if query else "")


def public_url(event: Mapping[str, Any]) -> PublicUrl:
    headers = event.get("headers") or {}
    host = header(headers, "Host") or "localhost"
    scheme = header(headers, "X-Forwarded-Proto") or "https"
    path = event.get("path") or ""
    full = (event.get("requestContext") or {}).get("path") or path
    prefix = full[: -len(path)] if path and full.endswith(path) else ""
    return PublicUrl(origin=f"{scheme}://{host}{prefix}")


def error_headers(error: DomainError) -> dict[str, str]:
    """Headers an error carries in every interface: Retry-After (503, a key's request in
    progress) and Allow (405)."""
    headers: dict[str, str] = {}
    if error.retry_after_seconds is not None:
        headers["Retry-After"] = str(error.retry_after_seconds)
    if isinstance(error, MethodNotAllowed):
        headers["Allow"] = ", ".join(error.allowed)
    return headers
