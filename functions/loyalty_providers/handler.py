"""The loyalty provider catalog: read-only JSON:API resources."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from loyalty_core import snapstart
from loyalty_core.interfaces import resolver
from loyalty_core.interfaces.locomote import api as locomote
from loyalty_core.interfaces.locomote import resources
from loyalty_core.interfaces.locomote.parameters import Parameters
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
ANSWER = Parameters(resources.PROVIDERS)
LIST = Parameters(resources.PROVIDERS, collection=True, filters=providers.FILTERS)


@app.get(COLLECTION)
def list_providers() -> Response[str]:
    repo = get_repository()
    locomote.caller(app, repo)
    view = locomote.view(app, LIST)
    found = providers.list_providers(repo, **view.filters)
    return locomote.provider_page(app, found, view)


@app.get(ITEM)
def get_provider(provider_id: str) -> Response[str]:
    repo = get_repository()
    locomote.caller(app, repo)
    view = locomote.view(app, ANSWER)
    found = providers.get_provider(repo, provider_id)
    return locomote.provider(app, found, view)


@instrument("locomote")
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return app.resolve(event, context)
