"""The wiring every interface shares, on Powertools' REST resolver.

`make_app()` gives a resolver whose refusals, unknown routes and crashes all answer
in the interface's own format (its renderers); `allow()` names the methods a path serves,
so that any other method on it (PUT, TRACE, PROPFIND, one made up: whatever API Gateway
or a direct invocation sends) answers 405 with `Allow`; `replayable()` honours an
Idempotency-Key; `request_id()` is the request's id, as the logs and the audit trail
name it.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, TypeVar
from urllib.parse import urlencode
from weakref import WeakKeyDictionary

from aws_lambda_powertools.event_handler.api_gateway import APIGatewayRestResolver, Response

from loyalty_core.errors import (
    MAX_DETAIL,
    DomainError,
    MethodNotAllowed,
    NotFound,
    StorageUnavailable,
    clip,
)
from loyalty_core.imports import deferred
from loyalty_core.interfaces.http import header
from loyalty_core.observability import count, logger
from loyalty_core.settings import FUNCTION_TIMEOUT

if TYPE_CHECKING:  # the storage port and the keys' service: only the routes that write
    from loyalty_core.repository import KeyOwner, Repository
    from loyalty_core.services import idempotency
    from loyalty_core.services.idempotency import Claim
else:  # an Idempotency-Key's service: imported by the first write that honours one
    (idempotency,) = deferred("loyalty_core.services.idempotency")

T = TypeVar("T")
ErrorRenderer = Callable[[DomainError], Response[Any]]
CrashRenderer = Callable[[], Response[Any]]
# The methods each path of a resolver serves, as `allow()` names them.
_ALLOWED: WeakKeyDictionary[APIGatewayRestResolver, list[tuple[re.Pattern[str], list[str]]]] = (
    WeakKeyDictionary()
)


def make_app(
    render_error: ErrorRenderer,
    render_crash: CrashRenderer,
    refusal_metrics: tuple[str, ...] = (),
) -> APIGatewayRestResolver:
    """A resolver that answers every refusal with `render_error`, unknown routes with a 404
    in the same format, and crashes with `render_crash` (logged). Each refusal counts
    `RequestsRefused` (4xx) or `RequestsFailed` (5xx), and `refusal_metrics`."""
    app = APIGatewayRestResolver()

    @app.exception_handler(DomainError)  # type: ignore[untyped-decorator]
    def domain_error(error: DomainError) -> Response[Any]:
        failed = isinstance(error, StorageUnavailable)
        for metric in ("RequestsFailed" if failed else "RequestsRefused", *refusal_metrics):
            count(metric)
        log = logger.warning if failed else logger.info
        log(
            "Request refused",
            error=type(error).__name__,
            detail=clip(error.detail, MAX_DETAIL),
            cause=clip(repr(error.__cause__), MAX_DETAIL) if error.__cause__ else None,
        )
        return render_error(error)

    @app.not_found
    def unknown_route(_: Exception) -> Response[Any]:
        """No route for this method and path: 405 if the path has routes, else 404."""
        path = app.current_event.path
        for rule, methods in _ALLOWED.get(app, []):
            if rule.match(path):
                refused: Response[Any] = domain_error(MethodNotAllowed(methods))
                return refused
        return render_error(NotFound("No such route"))

    @app.exception_handler(Exception)  # type: ignore[untyped-decorator]
    def crash(error: Exception) -> Response[Any]:
        count("RequestsFailed")
        logger.exception("Unhandled error")
        return render_crash()

    return app


def allow(app: APIGatewayRestResolver, path: str, methods: list[str]) -> None:
    """Name the methods `path` serves: any other method on it answers 405, with an Allow
    header naming these. The path is matched as the resolver matches its routes."""
    rule = APIGatewayRestResolver._compile_regex(path)  # Powertools' own route matching
    _ALLOWED.setdefault(app, []).append((rule, methods))


def request_id(app: APIGatewayRestResolver) -> str:
    """API Gateway's id of this request: the logs' correlation_id, the audit trail's
    request_id, the caller's `x-amzn-RequestId` header."""
    context = app.current_event.raw_event.get("requestContext") or {}
    return str(context.get("requestId") or "unknown")


def _lease(app: APIGatewayRestResolver) -> float:
    """How long this request may hold its Idempotency-Key: the Lambda's remaining time."""
    context = app.lambda_context
    if context is not None and hasattr(context, "get_remaining_time_in_millis"):
        return max(1.0, context.get_remaining_time_in_millis() / 1000)
    return FUNCTION_TIMEOUT


def replayable(
    app: APIGatewayRestResolver,
    repo: Repository,
    owner: KeyOwner,
    caller: str,
    run: Callable[[Claim | None], T],
    render: Callable[[T], Response[Any]],
) -> Response[Any]:
    """`render(run(claim))`, once per `Idempotency-Key` (if the caller sent one): a repeat
    to the same URL (path and query) by the same `caller` answers the first answer again
    and writes nothing; the answer is written with the request's own commit."""
    event = app.current_event
    query = urlencode(sorted((event.query_string_parameters or {}).items()))

    def answer(result: T) -> dict[str, Any]:
        response = render(result)
        return {"status": response.status_code, "headers": response.headers, "body": response.body}

    result = idempotency.once(
        repo,
        header(event.headers, "Idempotency-Key"),
        owner,
        scope=f"{caller} {event.http_method} {event.path}?{query}",
        body=event.body,
        run=run,
        render=answer,
        lease_seconds=_lease(app),
    )
    return Response(status_code=result["status"], headers=result["headers"], body=result["body"])
