"""The handlers' shared wiring on Powertools' REST resolver.

`make_app()` gives a resolver whose errors, unknown routes and crashes all
answer in the interface's format (JSON:API unless told otherwise); `allow()`
makes a path answer 405 to the methods it does not serve; `authenticated()`
gives the repository and the caller; `replayable()` honours Idempotency-Key.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from aws_lambda_powertools.event_handler import APIGatewayRestResolver, Response

from loyalty_core import jsonapi
from loyalty_core.auth import authenticate_user
from loyalty_core.errors import DomainError, MethodNotAllowed, NotFound, StorageUnavailable
from loyalty_core.http import PublicUrl, header, public_url
from loyalty_core.idempotency import once
from loyalty_core.models import Principal
from loyalty_core.observability import count, identify, logger
from loyalty_core.repository import Repository
from loyalty_core.settings import get_repository

HTTP_METHODS = ("GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS")


def respond(status: int, body: dict[str, Any] | None = None, **headers: str) -> Response[str]:
    return Response(
        status_code=status,
        content_type=jsonapi.MEDIA_TYPE if body is not None else None,
        body=json.dumps(body, separators=(",", ":")) if body is not None else None,
        headers={name.replace("_", "-"): value for name, value in headers.items()},
    )


def error_response(error: DomainError) -> Response[str]:
    status, body, headers = jsonapi.error_document(error)
    return Response(
        status_code=status,
        content_type=jsonapi.MEDIA_TYPE,
        body=json.dumps(body, separators=(",", ":")),
        headers=headers,
    )


def _jsonapi_crash() -> Response[str]:
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


def make_app(
    render_error: Callable[[DomainError], Response[Any]] = error_response,
    render_crash: Callable[[], Response[Any]] = _jsonapi_crash,
) -> APIGatewayRestResolver:
    """A resolver whose refusals, unknown routes and crashes answer in the interface's format
    (JSON:API unless other renderers are given)."""
    app = APIGatewayRestResolver()

    @app.exception_handler(DomainError)  # type: ignore[untyped-decorator]
    def domain_error(error: DomainError) -> Response[Any]:
        failed = isinstance(error, StorageUnavailable)
        count("RequestsFailed" if failed else "RequestsRefused")
        log = logger.warning if failed else logger.info
        log(
            "Request refused",
            error=type(error).__name__,
            detail=error.detail,
            cause=repr(error.__cause__) if error.__cause__ else None,
        )
        return render_error(error)

    @app.not_found
    def unknown_route(_: Exception) -> Response[Any]:
        return render_error(NotFound("No such route"))

    @app.exception_handler(Exception)  # type: ignore[untyped-decorator]
    def crash(error: Exception) -> Response[Any]:
        count("RequestsFailed")
        logger.exception("Unhandled error")
        return render_crash()

    return app


def allow(app: APIGatewayRestResolver, path: str, methods: list[str]) -> None:
    """Answer 405 with an Allow header to every other method on `path`."""
    refused = [m for m in HTTP_METHODS if m not in methods]

    @app.route(path, method=refused)
    def not_allowed(**_: str) -> Response[str]:
        raise MethodNotAllowed(methods)


def authenticated(app: APIGatewayRestResolver) -> tuple[Repository, Principal]:
    """The process's repository and the authenticated caller (401 otherwise).

    The seed's `X-USER_TOKEN` spelling of the token header is accepted too.
    """
    repo: Repository = get_repository()
    headers = app.current_event.headers
    jsonapi.check_accept(header(headers, "Accept"))
    principal = authenticate_user(
        repo,
        header(headers, "X-USER-USERNAME"),
        header(headers, "X-USER-TOKEN", "X-USER_TOKEN"),
    )
    identify(principal.company, f"user:{principal.employee_id}")
    return repo, principal


def replayable(
    app: APIGatewayRestResolver, caller: str, run: Callable[[], Response[Any]]
) -> Response[Any]:
    """Run a POST once per `Idempotency-Key` (if the caller sent one): a replay answers
    the first response again and writes nothing."""
    event = app.current_event

    def outcome() -> dict[str, Any]:
        response = run()
        return {"status": response.status_code, "headers": response.headers, "body": response.body}

    result = once(
        header(event.headers, "Idempotency-Key"),
        scope=f"{event.http_method} {event.path}",
        caller=caller,
        body=event.body,
        lambda_context=app.lambda_context,
        run=outcome,
    )
    return Response(status_code=result["status"], headers=result["headers"], body=result["body"])


def url(app: APIGatewayRestResolver) -> PublicUrl:
    return public_url(app.current_event.raw_event)


def if_match(app: APIGatewayRestResolver) -> str | None:
    return header(app.current_event.headers, "If-Match")


def body(app: APIGatewayRestResolver) -> Any:
    event = app.current_event
    return jsonapi.read_resource(
        event.body, header(event.headers, "Content-Type"), bool(event.is_base64_encoded)
    )
