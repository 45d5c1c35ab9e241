"""SAP Concur Travel Profile loyalty update: XML POST from suppliers and TMCs."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from loyalty_core import snapstart
from loyalty_core.interfaces import resolver
from loyalty_core.interfaces.concur import api as concur
from loyalty_core.observability import instrument, record
from loyalty_core.services import loyalty_updates
from loyalty_core.settings import get_repository

if TYPE_CHECKING:  # annotations only: nothing more to import at run time
    from aws_lambda_powertools.event_handler.api_gateway import Response
    from aws_lambda_powertools.utilities.typing import LambdaContext

    from loyalty_core.services.idempotency import Claim

app = concur.make_app()
snapstart.register()  # SnapStart: warm before the snapshot, renew after restore
ROUTE = "/api/travelprofile/v1.0/loyalty"
resolver.allow(app, ROUTE, ["POST"])


@app.post(ROUTE)
def update_loyalty() -> Response[Any]:
    repo = get_repository()
    token = concur.caller(app, repo)
    sent = concur.updates(app)

    def update(claim: Claim | None) -> None:
        written = loyalty_updates.apply_updates(
            repo, token, sent, origin=concur.origin(app, token), claim=claim
        )
        record("ConcurUpdatesApplied", memberships=len(written))

    return concur.replayable(app, repo, token, update)


@instrument("concur")
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return app.resolve(event, context)
