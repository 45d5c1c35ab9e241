"""Travelport Universal API hotel LoyaltyCard enrichment: a hotel request in, the same
request out with the travellers' LoyaltyCard elements added by the Universal API's rules."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from loyalty_core import snapstart
from loyalty_core.interfaces import resolver
from loyalty_core.interfaces.hotel import api as hotel
from loyalty_core.observability import instrument
from loyalty_core.services import enrichment
from loyalty_core.settings import get_repository

if TYPE_CHECKING:  # annotations only: nothing more to import at run time
    from aws_lambda_powertools.event_handler.api_gateway import Response
    from aws_lambda_powertools.utilities.typing import LambdaContext

app = hotel.make_app()
snapstart.register()  # SnapStart: warm before the snapshot, renew after restore
ROUTE = "/api/hotel/loyalty_cards/enrich"
resolver.allow(app, ROUTE, ["POST"])


@app.post(ROUTE)
def enrich() -> Response[Any]:
    repo = get_repository()
    caller = hotel.caller(app, repo)
    call = hotel.read_call(app)
    result = enrichment.enrich(
        repo,
        caller,
        call.request,
        call.today,
        provider=call.provider,
        employee_id=call.employee_id,
    )
    return hotel.render(app, call.document, result)


@instrument("hotel")
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return app.resolve(event, context)
