"""The Concur interface's HTTP edge: its resolver (every answer a
LoyaltyMembershipResponse), its Authorization header, its media types and body."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from aws_lambda_powertools.event_handler.api_gateway import APIGatewayRestResolver, Response

from loyalty_core import repository
from loyalty_core.auth import authenticate_application
from loyalty_core.interfaces import resolver
from loyalty_core.interfaces.concur import xml
from loyalty_core.interfaces.http import error_headers, header, read_body, require_media_type
from loyalty_core.interfaces.xml import ENCODINGS, MAX_BYTES, MEDIA_TYPES
from loyalty_core.models import Interface, Origin
from loyalty_core.observability import identify

if TYPE_CHECKING:
    from loyalty_core.errors import DomainError
    from loyalty_core.models import AccessToken, ProgramUpdate
    from loyalty_core.repository import Repository
    from loyalty_core.services.idempotency import Claim

MEDIA_TYPE = "application/xml"


def respond(status: int, body: bytes, headers: dict[str, str] | None = None) -> Response[Any]:
    return Response(
        status_code=status, content_type=MEDIA_TYPE, body=body.decode("utf-8"), headers=headers
    )


def error_response(error: DomainError) -> Response[Any]:
    status, body = xml.error_response(error)
    return respond(status, body, error_headers(error))


def crash_response() -> Response[Any]:
    return respond(500, xml.response("ERROR", "The update failed unexpectedly; it was logged"))


def make_app() -> APIGatewayRestResolver:
    return resolver.make_app(
        error_response, crash_response, refusal_metrics=("ConcurUpdatesRejected",)
    )


def caller(app: APIGatewayRestResolver, repo: Repository) -> AccessToken:
    """The application and user behind `Authorization: OAuth {token}` (401, 403)."""
    token = authenticate_application(repo, header(app.current_event.headers, "Authorization"))
    identify(token.company, token.actor)
    return token


def origin(app: APIGatewayRestResolver, token: AccessToken) -> Origin:
    """Who writes, as the audit trail records it: the application, through Concur."""
    return Origin(token.actor, Interface.CONCUR, resolver.request_id(app))


def replayable(
    app: APIGatewayRestResolver,
    repo: Repository,
    token: AccessToken,
    run: Callable[[Claim | None], object],
) -> Response[Any]:
    """`run` once per Idempotency-Key of this application acting for its user, answered
    OK (`resolver.replayable`). The key belongs to the user's record, in the application's
    own scope."""
    owner = repository.KeyOwner(token.company, token.employee_id)
    return resolver.replayable(app, repo, owner, token.actor, run, lambda _: ok())


def updates(app: APIGatewayRestResolver) -> list[ProgramUpdate]:
    """The request's Memberships, once its media type (415), size (413) and XML are good."""
    event = app.current_event
    require_media_type(header(event.headers, "Content-Type"), MEDIA_TYPES, ENCODINGS)
    return xml.read_update(read_body(event.raw_event, MAX_BYTES))


def ok() -> Response[Any]:
    return respond(200, xml.response("OK"))
