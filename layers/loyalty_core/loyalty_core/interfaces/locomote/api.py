"""The Locomote JSON:API interface's HTTP edge: its resolver (errors as JSON:API
documents, JSON:API content negotiation), its credentials, request bodies and responses.
The hotel enrichment call authenticates its callers and reports its errors the same way.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from aws_lambda_powertools.event_handler.api_gateway import APIGatewayRestResolver, Response

from loyalty_core.auth import authenticate_user
from loyalty_core.errors import DomainError
from loyalty_core.interfaces import resolver
from loyalty_core.interfaces.http import (
    PublicUrl,
    header,
    public_url,
    read_body,
    require_media_type,
)
from loyalty_core.interfaces.locomote import jsonapi
from loyalty_core.models import Interface, Origin, Principal
from loyalty_core.observability import identify
from loyalty_core.repository import Repository

MAX_BODY_BYTES = 64 * 1024


def respond(status: int, body: dict[str, Any] | None = None, **headers: str) -> Response[str]:
    return Response(
        status_code=status,
        content_type=jsonapi.MEDIA_TYPE if body is not None else None,
        body=jsonapi.serialize(body) if body is not None else None,
        headers={name.replace("_", "-"): value for name, value in headers.items()},
    )


def error_response(error: DomainError) -> Response[str]:
    status, body, headers = jsonapi.error_document(error)
    return respond(status, body, **headers)


def crash_response() -> Response[str]:
    return respond(
        500,
        jsonapi.document(
            errors=[
                {
                    "status": "500",
                    "code": "internal_error",
                    "title": "Internal error",
                    "detail": "The request failed unexpectedly; it was logged.",
                }
            ]
        ),
    )


def _negotiation(
    app: APIGatewayRestResolver, next_middleware: Callable[..., Response[Any]]
) -> Response[Any]:
    """JSON:API content negotiation (406), before any route of the resolver runs."""
    jsonapi.check_accept(header(app.current_event.headers, "Accept"))
    return next_middleware(app)


def make_app() -> APIGatewayRestResolver:
    app = resolver.make_app(error_response, crash_response)
    app.use(middlewares=[_negotiation])
    return app


def caller(app: APIGatewayRestResolver, repo: Repository) -> Principal:
    """The user behind `X-USER-USERNAME` + `X-USER-TOKEN` (401 otherwise); the seed's
    `X-USER_TOKEN` spelling of the token header is accepted too."""
    headers = app.current_event.headers
    principal = authenticate_user(
        repo,
        header(headers, "X-USER-USERNAME"),
        header(headers, "X-USER-TOKEN", "X-USER_TOKEN"),
    )
    identify(principal.company, principal.actor)
    return principal


def origin(app: APIGatewayRestResolver, principal: Principal) -> Origin:
    """Who writes, as the audit trail records it: the caller, through this interface."""
    return Origin(principal.actor, Interface.LOCOMOTE, resolver.request_id(app))


def read_resource(event: Mapping[str, Any]) -> Any:
    """A proxy event's primary resource: 415, 413 or 400 when it cannot be read."""
    require_media_type(header(event.get("headers"), "Content-Type"), jsonapi.ACCEPTED_BODY_TYPES)
    return jsonapi.read_resource(read_body(event, MAX_BODY_BYTES))


def resource(app: APIGatewayRestResolver) -> Any:
    """The request document's primary resource."""
    return read_resource(app.current_event.raw_event)


def query(app: APIGatewayRestResolver) -> Mapping[str, str]:
    return app.current_event.query_string_parameters or {}


def url(app: APIGatewayRestResolver) -> PublicUrl:
    return public_url(app.current_event.raw_event)


def if_match(app: APIGatewayRestResolver) -> str | None:
    return header(app.current_event.headers, "If-Match")
