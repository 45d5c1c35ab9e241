"""The loyalty provider catalog: read-only JSON:API resources."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.utilities.typing import LambdaContext

from loyalty_core import jsonapi, rest
from loyalty_core.observability import instrument
from loyalty_core.services import providers

app = rest.make_app()
COLLECTION = "/api/loyalty_providers"
ITEM = f"{COLLECTION}/<provider_id>"
rest.allow(app, COLLECTION, ["GET"])
rest.allow(app, ITEM, ["GET"])


@app.get(COLLECTION)
def list_providers() -> Response[str]:
    repo, _ = rest.authenticated(app)
    query = app.current_event.query_string_parameters or {}
    page = jsonapi.read_page(query, filters=providers.FILTERS)
    filters = {f: query[f"filter[{f}]"] for f in providers.FILTERS if f"filter[{f}]" in query}
    found = providers.list_providers(repo, **filters)
    url = rest.url(app)
    doc = jsonapi.paged(
        found,
        page,
        url,
        COLLECTION,
        lambda p: jsonapi.provider_resource(p, url),
        {f"filter[{f}]": v for f, v in filters.items()},
    )
    return rest.respond(200, doc)


@app.get(ITEM)
def get_provider(provider_id: str) -> Response[str]:
    repo, _ = rest.authenticated(app)
    found = providers.get_provider(repo, provider_id)
    return rest.respond(200, jsonapi.document(data=jsonapi.provider_resource(found, rest.url(app))))


@instrument("locomote")
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return app.resolve(event, context)
