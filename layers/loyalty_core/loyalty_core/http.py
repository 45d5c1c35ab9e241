"""Small HTTP helpers shared by the interfaces: headers, media types, public URLs."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from loyalty_core.errors import (
    DomainError,
    MalformedRequest,
    MethodNotAllowed,
    PayloadTooLarge,
    StorageUnavailable,
    UnsupportedMediaType,
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


def require_media_type(content_type: str | None, accepted: Mapping[str, set[str]]) -> str:
    """Refuse a body whose media type (or one of its parameters) is not accepted: 415.

    `accepted` maps each media type to the parameters it may carry.
    """
    kind, params = media_type(content_type)
    if kind not in accepted:
        raise UnsupportedMediaType(
            f"Content-Type must be one of {', '.join(sorted(accepted))}, not {kind or 'none'}"
        )
    unknown = set(params) - accepted[kind]
    if unknown:
        raise UnsupportedMediaType(
            f"Media type parameters {', '.join(sorted(unknown))} are not supported on {kind}"
        )
    return kind


def body_text(body: str | None, is_base64: bool, max_bytes: int) -> str:
    """The request body as text, refusing anything over `max_bytes` (413)."""
    raw: bytes
    if body is None:
        return ""
    if is_base64:
        import base64

        raw = base64.b64decode(body)
    else:
        raw = body.encode("utf-8")
    if len(raw) > max_bytes:
        raise PayloadTooLarge(f"The body is {len(raw)} bytes; the limit is {max_bytes}")
    try:
        return raw.decode("utf-8")
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
    """Headers an error carries in every interface: Retry-After (503) and Allow (405)."""
    headers: dict[str, str] = {}
    if isinstance(error, StorageUnavailable):
        headers["Retry-After"] = str(error.retry_after_seconds)
    if isinstance(error, MethodNotAllowed):
        headers["Allow"] = ", ".join(error.allowed)
    return headers


def xml_body(
    event: Mapping[str, Any], accepted: Mapping[str, set[str]], max_bytes: int = 1024 * 1024
) -> bytes:
    """A request's raw XML body, once its media type (415) and size (413) are acceptable."""
    require_media_type(header(event.get("headers"), "Content-Type"), accepted)
    raw = event.get("body") or ""
    if event.get("isBase64Encoded"):
        import base64
        import binascii

        try:
            data = base64.b64decode(raw, validate=True)
        except binascii.Error:
            raise MalformedRequest("The body is not valid base64") from None
    else:
        data = raw.encode("utf-8")
    if len(data) > max_bytes:
        raise PayloadTooLarge(f"The body is {len(data)} bytes; the limit is {max_bytes}")
    return data
