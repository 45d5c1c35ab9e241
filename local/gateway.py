"""API Gateway (REST, v1 proxy) in-process: match a route from the template, build the
event, call the handler, turn its result into an HTTP response."""

from __future__ import annotations

import base64
import importlib.util
import sys
import threading
import time
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from types import ModuleType
from typing import Any

from local import template
from local.template import Route

STAGE = "local"
UNKNOWN_ROUTE = (
    '{"errors":[{"status":"404","code":"record_not_found",'
    '"title":"Record not found","detail":"No such route"}]}'
)


@dataclass(frozen=True)
class LambdaContext:
    function_name: str
    timeout: float = 10.0  # the function's Timeout, in seconds
    aws_request_id: str = field(default_factory=lambda: str(uuid.uuid4()))
    memory_limit_in_mb: int = 512
    invoked_function_arn: str = "arn:aws:lambda:local:000000000000:function:local"
    log_group_name: str = "/aws/lambda/local"
    log_stream_name: str = "local"
    started: float = field(default_factory=time.monotonic)

    def get_remaining_time_in_millis(self) -> int:
        return max(0, int((self.timeout - (time.monotonic() - self.started)) * 1000))


@dataclass(frozen=True)
class Match:
    route: Route
    path_parameters: dict[str, str]


def match(method: str, path: str, routes: Sequence[Route] | None = None) -> Match | None:
    """The route API Gateway would pick: the most literal path, then its method or ANY."""
    candidates = [(r, r.pattern.match(path)) for r in (routes or template.routes())]
    matching = [(r, m) for r, m in candidates if m]
    if not matching:
        return None
    best_path = max(matching, key=lambda rm: rm[0].specificity[0])[0].path
    same_path = [(r, m) for r, m in matching if r.path == best_path]
    for wanted in (method.upper(), "ANY"):
        for r, m in same_path:
            if r.method == wanted:
                return Match(r, m.groupdict())
    return None


def proxy_event(
    method: str,
    path: str,
    resource: str,
    path_parameters: Mapping[str, str] | None = None,
    headers: Mapping[str, list[str]] | None = None,
    query: Mapping[str, list[str]] | None = None,
    body: bytes | str | None = None,
    source_ip: str = "127.0.0.1",
) -> dict[str, Any]:
    """An API Gateway REST API proxy event, as Lambda receives it."""
    multi_headers = {k: list(v) for k, v in (headers or {}).items()}
    multi_query = {k: list(v) for k, v in (query or {}).items()}
    text: str | None
    encoded = False
    if body is None or body in (b"", ""):
        text = None
    elif isinstance(body, str):
        text = body
    else:
        try:
            text = body.decode("utf-8")
        except UnicodeDecodeError:
            text, encoded = base64.b64encode(body).decode("ascii"), True
    now = time.time()
    return {
        "resource": resource,
        "path": path,
        "httpMethod": method.upper(),
        "headers": {k: v[-1] for k, v in multi_headers.items()} or None,
        "multiValueHeaders": multi_headers or None,
        "queryStringParameters": {k: v[-1] for k, v in multi_query.items()} or None,
        "multiValueQueryStringParameters": multi_query or None,
        "pathParameters": dict(path_parameters) if path_parameters else None,
        "stageVariables": None,
        "requestContext": {
            "accountId": "000000000000",
            "apiId": "local",
            "resourceId": "local",
            "resourcePath": resource,
            "httpMethod": method.upper(),
            "path": path,
            "stage": STAGE,
            "protocol": "HTTP/1.1",
            "requestId": str(uuid.uuid4()),
            "requestTimeEpoch": int(now * 1000),
            "identity": {"sourceIp": source_ip, "userAgent": None},
        },
        "body": text,
        "isBase64Encoded": encoded,
    }


_modules: dict[tuple[str, str], ModuleType] = {}
# One event at a time in this process, as in one Lambda container: Powertools'
# resolver keeps the current event in class-level state, shared by every app.
_invocation = threading.Lock()


def handler_module(route: Route) -> ModuleType:
    """Import a function's handler module from its CodeUri, once, as Lambda would."""
    key = (str(route.code_uri), route.handler)
    if key not in _modules:
        module_name = route.handler.rsplit(".", 1)[0]
        relative = route.code_uri.relative_to(template.ROOT)
        name = ".".join((*relative.parts, module_name))
        spec = importlib.util.spec_from_file_location(name, route.code_uri / f"{module_name}.py")
        assert spec and spec.loader
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        sys.modules[name] = _modules[key] = module
    return _modules[key]


def invoke(route: Route, event: dict[str, Any]) -> dict[str, Any]:
    with _invocation:
        function = getattr(handler_module(route), route.handler.rsplit(".", 1)[1])
        context = LambdaContext(route.function, template.timeout(route.function))
        result: dict[str, Any] = function(event, context)
        return result


@dataclass(frozen=True)
class HttpResponse:
    status: int
    headers: list[tuple[str, str]]
    body: bytes


def to_http(result: Mapping[str, Any]) -> HttpResponse:
    headers: list[tuple[str, str]] = []
    multi = result.get("multiValueHeaders") or {}
    for name, values in multi.items():
        headers.extend((name, str(v)) for v in values)
    for name, value in (result.get("headers") or {}).items():
        if name not in multi:
            headers.append((name, str(value)))
    raw = result.get("body") or ""
    body = base64.b64decode(raw) if result.get("isBase64Encoded") else raw.encode("utf-8")
    return HttpResponse(int(result["statusCode"]), headers, body)


def handle(
    method: str,
    path: str,
    headers: Mapping[str, list[str]],
    query: Mapping[str, list[str]],
    body: bytes,
) -> HttpResponse:
    """One HTTP request through the API: the gateway's 404, or the handler's answer."""
    found = match(method, path)
    if found is None:
        return HttpResponse(
            404, [("Content-Type", "application/vnd.api+json")], UNKNOWN_ROUTE.encode()
        )
    event = proxy_event(method, path, found.route.path, found.path_parameters, headers, query, body)
    answer = to_http(invoke(found.route, event))
    # As API Gateway does: the request's id, which the logs and the audit trail carry.
    answer.headers.append(("x-amzn-RequestId", event["requestContext"]["requestId"]))
    return answer
