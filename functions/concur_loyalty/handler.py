"""SAP Concur Travel Profile loyalty update: XML POST from suppliers and TMCs."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from loyalty_core import idempotency, snapstart
from loyalty_core.interfaces import resolver
from loyalty_core.interfaces.concur import api as concur
from loyalty_core.observability import instrument, record
from loyalty_core.services import loyalty_updates
from loyalty_core.settings import get_repository

if TYPE_CHECKING:  # annotations only: nothing more to import at run time
    from aws_lambda_powertools.event_handler.api_gateway import Response
    from aws_lambda_powertools.utilities.typing import LambdaContext

app = concur.make_app()
snapstart.register(idempotency.prepare)  # SnapStart: warm before the snapshot, renew after restore
ROUTE = "/api/travelprofile/v1.0/loyalty"
resolver.allow(app, ROUTE, ["POST"])


@app.post(ROUTE)
def update_loyalty() -> Response[Any]:
    repo = get_repository()
    token = concur.caller(app, repo)

    def update() -> Response[Any]:
        written = loyalty_updates.apply_updates(
            repo, token, concur.updates(app), origin=concur.origin(app, token)
        )
        record("ConcurUpdatesApplied", memberships=len(written))
        return concur.ok()

    return concur.replayable(app, token, update)


@instrument("concur")
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return app.resolve(event, context)
