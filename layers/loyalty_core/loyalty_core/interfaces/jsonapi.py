"""JSON:API documents as every interface that answers in JSON gives them: the media type and
its negotiation, the top-level document, a response, and error documents with the one table
that maps domain errors to statuses and Locomote's error codes.

The Locomote routes answer everything this way; the hotel enrichment call and the API
reference answer their errors this way. Nothing here knows a resource type: where a domain
field lives in a request document is the interface's own `pointer`.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from aws_lambda_powertools.event_handler.api_gateway import Response

from loyalty_core import errors as e
from loyalty_core.interfaces.http import error_headers, media_type

MEDIA_TYPE = "application/vnd.api+json"
# The one JSON:API extension served, on one route (`POST /api/operations`): Atomic Operations.
ATOMIC = "https://jsonapi.org/ext/atomic"
ATOMIC_MEDIA_TYPE = f'{MEDIA_TYPE}; ext="{ATOMIC}"'

# One place maps domain errors to HTTP: (status, Locomote-style code).
_STATUS: list[tuple[type[e.DomainError], int, str]] = [
    (e.MalformedRequest, 400, "bad_request"),
    (e.Unauthenticated, 401, "authentication_failed"),
    (e.AccessDenied, 403, "access_denied"),
    (e.ClientIdRefused, 403, "client_id_not_supported"),
    (e.NotFound, 404, "record_not_found"),
    (e.MethodNotAllowed, 405, "method_not_allowed"),
    (e.Duplicate, 409, "duplicate_record"),
    (e.ConcurrentChange, 409, "concurrent_modification"),
    (e.Conflict, 409, "conflict"),
    (e.NotAcceptable, 406, "not_acceptable"),
    (e.PreconditionFailed, 412, "precondition_failed"),
    (e.PayloadTooLarge, 413, "payload_too_large"),
    (e.UnsupportedMediaType, 415, "unsupported_media_type"),
    (e.TooManyOperations, 422, "too_many_operations"),
    (e.OperationsNotValid, 422, "operations_not_valid"),
    (e.InvalidInput, 422, "validation_failed"),
    (e.TooManyMemberships, 422, "too_many_memberships"),
    (e.StorageUnavailable, 503, "service_unavailable"),
]

Pointer = Callable[[Sequence[str | int]], str]


def status_of(error: e.DomainError) -> tuple[int, str]:
    for cls, status, code in _STATUS:
        if isinstance(error, cls):
            return status, code
    return 400, "bad_request"


def extensions(params: Mapping[str, str]) -> set[str]:
    """The extension URIs a JSON:API media type's `ext` parameter names (a space-separated
    list)."""
    return set(params.get("ext", "").split())


def _answerable(params: Mapping[str, str], extension: str | None) -> bool:
    """Whether an answer can be given in this instance of the JSON:API media type: with no
    parameter but profile, or, on the route that serves `extension`, with an `ext` naming
    it and no other extension."""
    named = set(params) - {"profile", "q"}
    if extension is None:
        return not named
    return named == {"ext"} and extensions(params) == {extension}


def check_accept(accept: str | None, extension: str | None = None) -> None:
    """JSON:API 1.1: 406 if Accept names the JSON:API media type only in forms that cannot
    be answered: each instance carrying a parameter other than profile, or an `ext` (no
    route serves an extension, but the one that serves `extension`, whose answers are in
    that extension: there, an instance must name it and no other)."""
    if not accept:
        return
    offered = [media_type(part) for part in accept.split(",")]
    ours = [params for kind, params in offered if kind == MEDIA_TYPE]
    if ours and not any(_answerable(params, extension) for params in ours):
        if extension is None:
            raise e.NotAcceptable(
                f"{MEDIA_TYPE} is served with no extension and no media type parameter but profile"
            )
        raise e.NotAcceptable(
            f'This route answers in {MEDIA_TYPE}; ext="{extension}": accept that media type '
            "(with no other extension), application/json or */*"
        )


def require_extension(content_type: str | None, extension: str) -> None:
    """A request body of the route that serves `extension`, sent as the JSON:API media type,
    must name it in `ext` and no other extension (415)."""
    kind, params = media_type(content_type)
    if kind == MEDIA_TYPE and extensions(params) != {extension}:
        raise e.UnsupportedMediaType(
            f'Send this body as {MEDIA_TYPE}; ext="{extension}" (or application/json): '
            "no other extension is supported"
        )


def document(**members: Any) -> dict[str, Any]:
    return {"jsonapi": {"version": "1.1"}, **members}


def serialize(doc: dict[str, Any]) -> str:
    """A document as the body of an answer."""
    return json.dumps(doc, separators=(",", ":"))


def respond(
    status: int,
    body: dict[str, Any] | None = None,
    media: str = MEDIA_TYPE,
    **headers: str,
) -> Response[str]:
    return Response(
        status_code=status,
        content_type=media if body is not None else None,
        body=serialize(body) if body is not None else None,
        headers={name.replace("_", "-"): value for name, value in headers.items()},
    )


def json_pointer(location: Sequence[str | int]) -> str:
    """A JSON pointer (RFC 6901) to `location`."""
    return "/" + "/".join(str(part).replace("~", "~0").replace("/", "~1") for part in location)


def error_document(
    error: e.DomainError, pointer: Pointer = json_pointer
) -> tuple[int, dict[str, Any], dict[str, str]]:
    """(status, body, headers) for a domain error: one JSON:API error per problem (at most
    20, then one that says how many more), the whole within the answers' bounds. A body
    problem's `source.pointer` is `pointer` of its location."""
    status, code = status_of(error)
    base = {"status": str(status), "code": code, "title": error.title}

    def render(detail: str, problems: Sequence[e.Problem], more: int) -> dict[str, Any]:
        items: list[dict[str, Any]] = []
        for problem in problems:
            item: dict[str, Any] = {**base, "detail": problem.detail}
            if problem.kind == "parameter":
                item["source"] = {"parameter": str(problem.location[0])}
            elif problem.location:
                item["source"] = {"pointer": pointer(problem.location)}
            if problem.location and problem.detail[:1].islower():  # a predicate: its subject
                item["detail"] = f"{problem.location[-1]} {problem.detail}"
            if problem.link:
                item["links"] = {"type": problem.link}
            if problem.meta:
                item["meta"] = dict(problem.meta)
            items.append(item)
        if more:
            items.append({**base, "detail": e.more(more)})
        if not items:
            items.append({**base, "detail": detail})
        return document(errors=items)

    body = e.fit(error, render, lambda doc: len(serialize(doc).encode("utf-8")))
    return status, body, error_headers(error)


def error_response(error: e.DomainError, pointer: Pointer = json_pointer) -> Response[str]:
    status, body, headers = error_document(error, pointer)
    return respond(status, body, **headers)


def crash_response() -> Response[str]:
    return respond(
        500,
        document(
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
