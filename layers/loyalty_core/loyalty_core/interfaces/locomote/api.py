"""The Locomote JSON:API interface's HTTP edge, what its handlers' routes call: its
resolver (errors as JSON:API documents, JSON:API content negotiation), its callers
(company users), what a request asks (its view, its document, its precondition) and each
answer. The codec is beside it: `documents` (request bodies), `parameters` (the query
parameters, and what each route reads), `views` (resources, pages, links); `resources`
names the types and their paths.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import TYPE_CHECKING, Any, TypeVar

from aws_lambda_powertools.event_handler.api_gateway import APIGatewayRestResolver, Response

from loyalty_core import models, repository
from loyalty_core.imports import deferred
from loyalty_core.interfaces import jsonapi, resolver
from loyalty_core.interfaces.company_user import caller
from loyalty_core.interfaces.http import header, read_body, require_media_type
from loyalty_core.interfaces.links import public_url
from loyalty_core.interfaces.locomote import resources, views
from loyalty_core.interfaces.locomote.parameters import read_query

if TYPE_CHECKING:  # annotations only: the providers function never imports the history
    from loyalty_core.errors import DomainError
    from loyalty_core.interfaces.links import PublicUrl
    from loyalty_core.interfaces.locomote import documents, operations
    from loyalty_core.interfaces.locomote.parameters import Parameters, View
    from loyalty_core.models import (
        Membership,
        MembershipChanges,
        MembershipDraft,
        Origin,
        Principal,
        Provider,
    )
    from loyalty_core.repository import Repository
    from loyalty_core.services.history import Changes
    from loyalty_core.services.idempotency import Claim
else:  # request bodies and the atomic operations: imported by the first route that reads one
    documents, operations = deferred(
        "loyalty_core.interfaces.locomote.documents", "loyalty_core.interfaces.locomote.operations"
    )

__all__ = [
    "MAX_BODY_BYTES",
    "caller",
    "changes_page",
    "created",
    "document_body",
    "error_response",
    "if_match",
    "make_app",
    "membership",
    "membership_changes",
    "membership_draft",
    "membership_page",
    "no_content",
    "operation_results",
    "operations_request",
    "origin",
    "provider",
    "provider_page",
    "read_resource",
    "replayable",
    "view",
]

MAX_BODY_BYTES = 64 * 1024
OPERATIONS_PATH = resources.operations_path()
# The atomic operations route's bodies: its extension's media type (`require_extension`)
# or plain JSON.
ATOMIC_BODY_TYPES = {jsonapi.MEDIA_TYPE: {"ext", "profile"}, "application/json": {"charset"}}
T = TypeVar("T")


def error_response(error: DomainError) -> Response[str]:
    """A refusal as a JSON:API error document, pointing into the membership document."""
    return jsonapi.error_response(error, documents.pointer)


def _negotiation(
    app: APIGatewayRestResolver, next_middleware: Callable[..., Response[Any]]
) -> Response[Any]:
    """JSON:API content negotiation (406), before any route of the resolver runs: the
    atomic operations route answers in its extension, every other in none."""
    extension = jsonapi.ATOMIC if app.current_event.resource == OPERATIONS_PATH else None
    jsonapi.check_accept(header(app.current_event.headers, "Accept"), extension)
    return next_middleware(app)


def make_app() -> APIGatewayRestResolver:
    app = resolver.make_app(error_response, jsonapi.crash_response)
    app.use(middlewares=[_negotiation])
    return app


def origin(app: APIGatewayRestResolver, principal: Principal) -> Origin:
    """Who writes, as the audit trail records it: the caller, through this interface."""
    return models.Origin(principal.actor, models.Interface.LOCOMOTE, resolver.request_id(app))


def replayable(
    app: APIGatewayRestResolver,
    repo: Repository,
    principal: Principal,
    run: Callable[[Claim | None], T],
    render: Callable[[T], Response[Any]],
) -> Response[Any]:
    """`render(run(claim))` once per Idempotency-Key of this caller, in their own record
    (`resolver.replayable`)."""
    owner = repository.KeyOwner(principal.company, principal.employee_id)
    return resolver.replayable(app, repo, owner, principal.actor, run, render)


# -- what a request asks ----------------------------------------------------------------


def view(app: APIGatewayRestResolver, accepts: Parameters) -> View:
    """What the query string asks of the answer, of the parameters the route `accepts`."""
    return read_query(app.current_event.query_string_parameters or {}, accepts)


def read_resource(event: Mapping[str, Any]) -> Any:
    """A proxy event's primary resource: 415, 413 or 400 when it cannot be read."""
    return documents.read_resource(document_body(event))


def document_body(event: Mapping[str, Any]) -> bytes:
    """A proxy event's JSON:API request body: 415 or 413 when it cannot be read."""
    require_media_type(header(event.get("headers"), "Content-Type"), documents.ACCEPTED_BODY_TYPES)
    return read_body(event, MAX_BODY_BYTES)


def membership_draft(app: APIGatewayRestResolver, employee_id: str) -> MembershipDraft:
    """A POST's document as a new membership of `employee_id`."""
    return documents.membership_draft(read_resource(app.current_event.raw_event), employee_id)


def membership_changes(
    app: APIGatewayRestResolver, employee_id: str, membership_id: str
) -> tuple[MembershipChanges, str | None]:
    """A PATCH's document: the attributes sent and the provider named, if any."""
    resource = read_resource(app.current_event.raw_event)
    return documents.membership_changes(resource, employee_id, membership_id)


def operations_request(app: APIGatewayRestResolver) -> operations.Request:
    """An atomic operations request (`POST /api/operations`): its body as the extension's
    media type or as plain JSON (415 otherwise), up to 1 MiB (413)."""
    event = app.current_event.raw_event
    content_type = header(event.get("headers"), "Content-Type")
    require_media_type(content_type, ATOMIC_BODY_TYPES)
    jsonapi.require_extension(content_type, jsonapi.ATOMIC)
    return operations.read_request(read_body(event, operations.MAX_BODY_BYTES))


def if_match(app: APIGatewayRestResolver) -> str | None:
    return header(app.current_event.headers, "If-Match")


# -- answers ----------------------------------------------------------------------------


def _url(app: APIGatewayRestResolver) -> PublicUrl:
    return public_url(app.current_event.raw_event)


def membership(
    app: APIGatewayRestResolver, m: Membership, view: View, providers: views.ProviderLookup
) -> Response[str]:
    """One membership, with its ETag."""
    doc = views.membership_document(m, view, _url(app), providers)
    return jsonapi.respond(200, doc, ETag=m.etag)


def created(
    app: APIGatewayRestResolver, m: Membership, view: View, providers: views.ProviderLookup
) -> Response[str]:
    """A membership just created (201), with its Location and ETag."""
    url = _url(app)
    doc = views.membership_document(m, view, url, providers)
    return jsonapi.respond(201, doc, Location=views.membership_url(m, url), ETag=m.etag)


def membership_page(
    app: APIGatewayRestResolver,
    held: Sequence[Membership],
    view: View,
    employee_id: str,
    providers: views.ProviderLookup,
) -> Response[str]:
    doc = views.membership_page(held, view, _url(app), employee_id, providers)
    return jsonapi.respond(200, doc)


def changes_page(
    app: APIGatewayRestResolver, found: Changes, view: View, employee_id: str
) -> Response[str]:
    return jsonapi.respond(200, views.changes_page(found, view, _url(app), employee_id))


def provider(app: APIGatewayRestResolver, p: Provider, view: View) -> Response[str]:
    return jsonapi.respond(200, views.provider_document(p, view, _url(app)))


def provider_page(
    app: APIGatewayRestResolver, found: Sequence[Provider], view: View
) -> Response[str]:
    return jsonapi.respond(200, views.provider_page(found, view, _url(app)))


def no_content() -> Response[str]:
    return jsonapi.respond(204)


def operation_results(
    app: APIGatewayRestResolver, results: Sequence[Membership | None]
) -> Response[str]:
    """What an atomic request's operations left, in the extension's media type: 200 with
    `atomic:results`, or 204 when no operation leaves a resource (removes only)."""
    if all(m is None for m in results):
        return jsonapi.respond(204, Vary="Accept")
    doc = operations.results_document(results, _url(app))
    return jsonapi.respond(200, doc, jsonapi.ATOMIC_MEDIA_TYPE, Vary="Accept")
