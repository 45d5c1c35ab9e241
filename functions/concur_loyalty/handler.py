"""SAP Concur Travel Profile loyalty update: XML POST from suppliers and TMCs."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.utilities.typing import LambdaContext

from loyalty_core import concur_api, rest
from loyalty_core.observability import identify, instrument, record
from loyalty_core.services import concur
from loyalty_core.settings import get_repository
from loyalty_core.xml.concur import read_update

app = concur_api.make_app()
ROUTE = "/api/travelprofile/v1.0/loyalty"
rest.allow(app, ROUTE, ["POST"])


@app.post(ROUTE)
def update_loyalty() -> Response[Any]:
    repo = get_repository()
    token = concur.authenticate_application(repo, concur_api.authorization(app))
    identify(token.company, f"app:{token.application.id}")

    def update() -> Response[Any]:
        written = concur.apply_update(repo, token, read_update(concur_api.body(app)))
        record("ConcurUpdatesApplied", memberships=len(written))
        return concur_api.ok()

    caller = f"{token.application.id}/{token.company}/{token.employee_id}"
    return rest.replayable(app, caller, update)


@instrument("concur")
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return app.resolve(event, context)
