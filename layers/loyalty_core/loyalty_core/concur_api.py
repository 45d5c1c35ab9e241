"""The Concur interface's HTTP edge: its media types, its Authorization header, and
every answer as a LoyaltyMembershipResponse."""

from __future__ import annotations

import base64
from typing import Any

from aws_lambda_powertools.event_handler import APIGatewayRestResolver, Response

from loyalty_core import rest
from loyalty_core.errors import DomainError, MalformedRequest, PayloadTooLarge
from loyalty_core.http import error_headers, header, require_media_type
from loyalty_core.xml import concur
from loyalty_core.xml.parser import MAX_BYTES

XML = "application/xml"


def xml_response(status: int, body: bytes, headers: dict[str, str] | None = None) -> Response[Any]:
    return Response(
        status_code=status, content_type=XML, body=body.decode("utf-8"), headers=headers
    )


def error_response(error: DomainError) -> Response[Any]:
    status, body = concur.error_response(error)
    return xml_response(status, body, error_headers(error))


def crash_response() -> Response[Any]:
    return xml_response(
        500, concur.response("ERROR", "The update failed unexpectedly; it was logged")
    )


def make_app() -> APIGatewayRestResolver:
    return rest.make_app(error_response, crash_response)


def ok() -> Response[Any]:
    return xml_response(200, concur.response("OK"))


def body(app: APIGatewayRestResolver) -> bytes:
    """The raw XML body, once its media type and size are acceptable."""
    event = app.current_event
    require_media_type(header(event.headers, "Content-Type"), concur.CONTENT_TYPES)
    raw = event.body or ""
    try:
        data = base64.b64decode(raw) if event.is_base64_encoded else raw.encode("utf-8")
    except ValueError:
        raise MalformedRequest("The body is not valid base64") from None
    if len(data) > MAX_BYTES:
        raise PayloadTooLarge(f"The body is {len(data)} bytes; the limit is {MAX_BYTES}")
    return data


def authorization(app: APIGatewayRestResolver) -> str | None:
    return header(app.current_event.headers, "Authorization")
