"""HTTP shared by the interfaces: headers, media types, the one reader of request bodies
(base64 and size limit), error headers (content negotiation: `negotiation`; public URLs:
`links`)."""

from __future__ import annotations

from collections.abc import Mapping
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


def error_headers(error: DomainError) -> dict[str, str]:
    """Headers an error carries in every interface: Retry-After (503, a key's request in
    progress) and Allow (405)."""
    headers: dict[str, str] = {}
    if error.retry_after_seconds is not None:
        headers["Retry-After"] = str(error.retry_after_seconds)
    if isinstance(error, MethodNotAllowed):
        headers["Allow"] = ", ".join(error.allowed)
    return headers
