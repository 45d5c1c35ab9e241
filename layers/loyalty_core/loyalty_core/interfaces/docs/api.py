"""The API reference: the OpenAPI document, and an HTML page that renders it with Swagger UI,
whose script and stylesheet Powertools ships (so the page needs no other site and works
offline). No credentials; no table. Errors are JSON:API documents, as on the other routes.

URLs in the page start with the stage's base path (`/v1` deployed, nothing locally), and
the served document lists the server it was served from first, so "Try it out" calls the
same deployment the page came from (and, locally, the same origin).
"""

from __future__ import annotations

import html
import json
from collections.abc import Mapping
from functools import lru_cache
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import aws_lambda_powertools
from aws_lambda_powertools.event_handler.api_gateway import APIGatewayRestResolver, Response
from aws_lambda_powertools.shared.version import VERSION as POWERTOOLS_VERSION

from loyalty_core.errors import NotFound
from loyalty_core.interfaces import jsonapi, resolver
from loyalty_core.interfaces.links import public_url

SWAGGER_UI = Path(aws_lambda_powertools.__file__).parent / "event_handler/openapi/swagger_ui"
# name in our URL -> (file Powertools ships, media type)
ASSETS = {
    "swagger-ui.css": ("swagger-ui.min.css", "text/css; charset=utf-8"),
    "swagger-ui.js": ("swagger-ui-bundle.min.js", "text/javascript; charset=utf-8"),
}
PAGE = "/docs"
DOCUMENT = "/openapi.json"
TITLE = "Loyalty membership service API"
ASSET_CACHE = "public, max-age=86400"  # asset URLs carry Powertools' version (?v=)


def make_app() -> APIGatewayRestResolver:
    return resolver.make_app(jsonapi.error_response, jsonapi.crash_response)


def _served_from(app: APIGatewayRestResolver) -> str:
    """Where the caller reached us, with the stage: `https://host/v1`."""
    return public_url(app.current_event.raw_event).origin


@lru_cache(maxsize=2)
def _asset(name: str) -> str:
    return (SWAGGER_UI / ASSETS[name][0]).read_text("utf-8")


def asset(name: str) -> Response[str]:
    """Swagger UI's script or stylesheet, as Powertools ships it."""
    if name not in ASSETS:
        raise NotFound(f"No asset {name[:64]!r}; there are {', '.join(sorted(ASSETS))}")
    return Response(
        status_code=200,
        content_type=ASSETS[name][1],
        body=_asset(name),
        headers={"Cache-Control": ASSET_CACHE, "X-Content-Type-Options": "nosniff"},
    )


@lru_cache(maxsize=4)
def _load(path: Path) -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads(path.read_text("utf-8"))
    return loaded


@lru_cache(maxsize=16)
def _document_text(path: Path, served_from: str) -> str:
    spec = dict(_load(path))
    servers: list[Mapping[str, Any]] = list(spec.get("servers") or [])
    here = [s for s in servers if s.get("url") == served_from]
    others = [s for s in servers if s.get("url") != served_from]
    first = here or [{"url": served_from, "description": "Where this document was served from."}]
    spec["servers"] = first + others
    return json.dumps(spec, ensure_ascii=False, indent=2) + "\n"


def document(app: APIGatewayRestResolver, path: Path) -> Response[str]:
    """The OpenAPI document at `path`, with the server it is served from listed first."""
    return Response(
        status_code=200,
        content_type="application/json",
        body=_document_text(path, _served_from(app)),
        headers={"Cache-Control": "no-cache"},
    )


_PAGE = """<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{title}</title>
<link rel="stylesheet" href="{css}">
</head>
<body>
<div id="swagger-ui"></div>
<script src="{js}"></script>
<script>
window.ui = SwaggerUIBundle({{
  url: {document},
  dom_id: "#swagger-ui",
  deepLinking: true,
  docExpansion: "list",
  displayRequestDuration: true,
  presets: [SwaggerUIBundle.presets.apis],
  layout: "BaseLayout"
}});
</script>
</body>
</html>
"""


def page(
    app: APIGatewayRestResolver, title: str = "Loyalty membership service API"
) -> Response[str]:
    """The reference page: Swagger UI on the document served beside it."""
    base = urlsplit(_served_from(app)).path.rstrip("/")
    version = f"?v={POWERTOOLS_VERSION}"
    body = _PAGE.format(
        title=html.escape(TITLE),
        css=html.escape(f"{base}{PAGE}/swagger-ui.css{version}"),
        js=html.escape(f"{base}{PAGE}/swagger-ui.js{version}"),
        document=json.dumps(f"{base}{DOCUMENT}").replace("<", "\\u003c"),
    )
    return Response(
        status_code=200,
        content_type="text/html; charset=utf-8",
        body=body,
        headers={"Cache-Control": "no-cache", "X-Content-Type-Options": "nosniff"},
    )
