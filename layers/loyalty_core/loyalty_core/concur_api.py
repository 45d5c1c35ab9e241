"""The Concur interface's HTTP edge: its media types, its Authorization header, and
every answer as a LoyaltyMembershipResponse."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.event_handler import APIGatewayRestResolver, Response

from loyalty_core import rest
from loyalty_core.errors import DomainError
from loyalty_core.http import error_headers, header, xml_body
from loyalty_core.observability import count
from loyalty_core.xml import concur

XML = "application/xml"


def xml_response(status: int, body: bytes, headers: dict[str, str] | None = None) -> Response[Any]:
    return Response(
        status_code=status, content_type=XML, body=body.decode("utf-8"), headers=headers
    )


def error_response(error: DomainError) -> Response[Any]:
    count("ConcurUpdatesRejected")
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
    return xml_body(app.current_event.raw_event, concur.CONTENT_TYPES)


def authorization(app: APIGatewayRestResolver) -> str | None:
    return header(app.current_event.headers, "Authorization")
