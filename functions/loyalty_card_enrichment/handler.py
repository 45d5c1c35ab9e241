"""Travelport Universal API LoyaltyCard enrichment: a hotel, air or vehicle request in, the
same request out with the travellers' LoyaltyCard elements added by the Universal API's
rules. Two routes, one pipeline: the general route takes every product; the hotel route
takes hotel requests only (SPEC 6) and refuses the others, naming the general route."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from loyalty_core import snapstart
from loyalty_core.interfaces import resolver
from loyalty_core.interfaces.uapi import api as uapi
from loyalty_core.observability import instrument
from loyalty_core.services import enrichment
from loyalty_core.settings import get_repository

if TYPE_CHECKING:  # annotations only: nothing more to import at run time
    from aws_lambda_powertools.event_handler.api_gateway import Response
    from aws_lambda_powertools.utilities.typing import LambdaContext

app = uapi.make_app()
snapstart.register()  # SnapStart: warm before the snapshot, renew after restore
ROUTE = "/api/loyalty_cards/enrich"
HOTEL_ROUTE = "/api/hotel/loyalty_cards/enrich"
resolver.allow(app, ROUTE, ["POST"])
resolver.allow(app, HOTEL_ROUTE, ["POST"])


def _enrich(products: Sequence[str]) -> Response[Any]:
    repo = get_repository()
    caller = uapi.caller(app, repo)
    call = uapi.read_call(app, products)
    result = enrichment.enrich(
        repo,
        caller,
        call.request,
        call.today,
        provider=call.provider,
        employee_id=call.employee_id,
    )
    return uapi.render(app, call, result)


@app.post(ROUTE)
def enrich() -> Response[Any]:
    return _enrich(uapi.EVERY_PRODUCT)


@app.post(HOTEL_ROUTE)
def enrich_hotel() -> Response[Any]:
    return _enrich(uapi.HOTEL_ONLY)


@instrument("uapi")
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return app.resolve(event, context)
