"""The hotel enrichment call's HTTP edge: XML in, the same XML out (or a JSON report),
errors as JSON:API documents like the other routes the booking tools call."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

from aws_lambda_powertools.event_handler import APIGatewayRestResolver, Response

from loyalty_core.http import header, media_type, xml_body
from loyalty_core.models import Principal
from loyalty_core.observability import count, record
from loyalty_core.repository import Repository
from loyalty_core.services import hotel

CONTENT_TYPES = {"application/xml": {"charset"}, "text/xml": {"charset"}}
JSON = "application/json"


def enrich(app: APIGatewayRestResolver, repo: Repository, caller: Principal) -> Response[Any]:
    event = app.current_event
    query = event.query_string_parameters or {}
    data = xml_body(event.raw_event, CONTENT_TYPES)
    result = hotel.enrich(
        repo,
        caller,
        data,
        datetime.now(UTC).date(),
        provider=query.get("provider"),
        employee_id=query.get("employee_id"),
        booking_traveler_ref=query.get("booking_traveler_ref"),
    )
    record(
        "HotelRequestsEnriched",
        request=result.kind,
        provider=result.provider,
        added=len(result.added),
        left_out=len(result.left_out),
    )
    count("LoyaltyCardsAdded", len(result.added))
    count("LoyaltyCardsLeftOut", len(result.left_out))
    counts = {
        "Loyalty-Cards-Added": str(len(result.added)),
        "Loyalty-Cards-Left-Out": str(len(result.left_out)),
    }
    if JSON in (header(event.headers, "Accept") or ""):
        body = {"data": {"document": result.document.decode("utf-8"), **result.report()}}
        return Response(200, JSON, json.dumps(body), counts)
    kind, _ = media_type(header(event.headers, "Content-Type"))
    return Response(200, kind, result.document.decode("utf-8"), counts)
