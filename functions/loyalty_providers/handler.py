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
# What each route reads from its query string (any other JSON:API parameter: 400).
ANSWER = jsonapi.Parameters(jsonapi.PROVIDERS)
LIST = jsonapi.Parameters(jsonapi.PROVIDERS, collection=True, filters=providers.FILTERS)


@app.get(COLLECTION)
def list_providers() -> Response[str]:
    repo = get_repository()
    locomote.caller(app, repo)
    view = jsonapi.read_query(locomote.query(app), LIST)
    found = providers.list_providers(repo, **view.filters)
    return locomote.respond(200, jsonapi.provider_page(found, view, locomote.url(app)))


@app.get(ITEM)
def get_provider(provider_id: str) -> Response[str]:
    repo = get_repository()
    locomote.caller(app, repo)
    view = jsonapi.read_query(locomote.query(app), ANSWER)
    found = providers.get_provider(repo, provider_id)
    return locomote.respond(200, jsonapi.provider_document(found, view, locomote.url(app)))


@instrument("locomote")
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return app.resolve(event, context)
