"""JSON:API documents as every interface that answers in JSON gives them: the media type and
its negotiation, the top-level document, a response, and error documents with the one table
that maps domain errors to statuses and Locomote's error codes.

The Locomote routes answer everything this way; the hotel enrichment call and the API
reference answer their errors this way. Nothing here knows a resource type: where a domain
field lives in a request document is the interface's own `pointer`.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from typing import Any

from aws_lambda_powertools.event_handler.api_gateway import Response

from loyalty_core import errors as e
from loyalty_core.interfaces.http import error_headers, media_type

MEDIA_TYPE = "application/vnd.api+json"

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


def check_accept(accept: str | None) -> None:
    """JSON:API 1.1: 406 if every JSON:API media type in Accept carries a parameter other
    than profile, or an `ext` (this server supports no extension)."""
    if not accept:
        return
    offered = [media_type(part) for part in accept.split(",")]
    ours = [params for kind, params in offered if kind == MEDIA_TYPE]
    if ours and all(set(params) - {"profile", "q"} for params in ours):
        raise e.NotAcceptable(
            f"{MEDIA_TYPE} is served with no extension and no media type parameter but profile"
        )


def document(**members: Any) -> dict[str, Any]:
    return {"jsonapi": {"version": "1.1"}, **members}


def serialize(doc: dict[str, Any]) -> str:
    """A document as the body of an answer."""
    return json.dumps(doc, separators=(",", ":"))


def respond(status: int, body: dict[str, Any] | None = None, **headers: str) -> Response[str]:
    return Response(
        status_code=status,
        content_type=MEDIA_TYPE if body is not None else None,
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
