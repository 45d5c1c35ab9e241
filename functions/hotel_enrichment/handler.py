"""Travelport Universal API hotel LoyaltyCard enrichment (work in progress)."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.logging import correlation_paths
from aws_lambda_powertools.utilities.typing import LambdaContext

from loyalty_core import rest
from loyalty_core.observability import logger

app = rest.make_app()
ROUTE = "/api/hotel/loyalty_cards/enrich"
rest.allow(app, ROUTE, ["POST"])


@logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_REST)
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return app.resolve(event, context)
