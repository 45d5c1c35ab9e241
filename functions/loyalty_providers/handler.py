"""The loyalty provider catalog: read-only JSON:API resources."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from loyalty_core import snapstart
from loyalty_core.interfaces import resolver
from loyalty_core.interfaces.locomote import api as locomote
from loyalty_core.interfaces.locomote import jsonapi
from loyalty_core.observability import instrument
from loyalty_core.services import providers
from loyalty_core.settings import get_repository

if TYPE_CHECKING:  # annotations only: nothing more to import at run time
    from aws_lambda_powertools.event_handler.api_gateway import Response
    from aws_lambda_powertools.utilities.typing import LambdaContext

app = locomote.make_app()
snapstart.register()  # SnapStart: warm before the snapshot, renew after restore
COLLECTION = "/api/loyalty_providers"
ITEM = f"{COLLECTION}/<provider_id>"
resolver.allow(app, COLLECTION, ["GET"])
resolver.allow(app, ITEM, ["GET"])


@app.get(COLLECTION)
def list_providers() -> Response[str]:
    repo = get_repository()
    locomote.caller(app, repo)
    query = locomote.query(app)
    page = jsonapi.read_page(query, filters=providers.FILTERS)
    filters = {f: query[f"filter[{f}]"] for f in providers.FILTERS if f"filter[{f}]" in query}
    found = providers.list_providers(repo, **filters)
    url = locomote.url(app)
    doc = jsonapi.paged(
        found,
        page,
        url,
        COLLECTION,
        lambda p: jsonapi.provider_resource(p, url),
        {f"filter[{f}]": v for f, v in filters.items()},
    )
    return locomote.respond(200, doc)


@app.get(ITEM)
def get_provider(provider_id: str) -> Response[str]:
    repo = get_repository()
    locomote.caller(app, repo)
    found = providers.get_provider(repo, provider_id)
    resource = jsonapi.provider_resource(found, locomote.url(app))
    return locomote.respond(200, jsonapi.document(data=resource))


@instrument("locomote")
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return app.resolve(event, context)
