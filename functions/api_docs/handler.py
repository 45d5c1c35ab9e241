"""The API reference: `GET /docs` (Swagger UI, its assets under /docs/) renders the OpenAPI
document of `GET /openapi.json`. No credentials, no table."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from loyalty_core import snapstart
from loyalty_core.interfaces import resolver
from loyalty_core.interfaces.docs import api as docs
from loyalty_core.observability import instrument

if TYPE_CHECKING:  # annotations only: nothing more to import at run time
    from aws_lambda_powertools.event_handler.api_gateway import Response
    from aws_lambda_powertools.utilities.typing import LambdaContext

app = docs.make_app()
snapstart.register(store=False)  # SnapStart: its own random state after restore; no table
OPENAPI = Path(__file__).with_name("openapi.json")  # the repository's openapi.json
resolver.allow(app, docs.PAGE, ["GET"])
resolver.allow(app, f"{docs.PAGE}/<asset>", ["GET"])
resolver.allow(app, docs.DOCUMENT, ["GET"])


@app.get(docs.PAGE)
def reference_page() -> Response[str]:
    return docs.page(app)


@app.get(f"{docs.PAGE}/<asset>")
def reference_asset(asset: str) -> Response[str]:
    return docs.asset(asset)


@app.get(docs.DOCUMENT)
def openapi_document() -> Response[str]:
    return docs.document(app, OPENAPI)


@instrument("docs")
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return app.resolve(event, context)
