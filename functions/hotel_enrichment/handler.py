"""Travelport Universal API hotel LoyaltyCard enrichment: a hotel request in, the same
request out with the travellers' LoyaltyCard elements added by the Universal API's rules."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.utilities.typing import LambdaContext

from loyalty_core import hotel_api, rest
from loyalty_core.observability import instrument

app = rest.make_app()
ROUTE = "/api/hotel/loyalty_cards/enrich"
rest.allow(app, ROUTE, ["POST"])


@app.post(ROUTE)
def enrich() -> Response[Any]:
    repo, caller = rest.authenticated(app)
    return hotel_api.enrich(app, repo, caller)


@instrument("hotel")
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return app.resolve(event, context)
