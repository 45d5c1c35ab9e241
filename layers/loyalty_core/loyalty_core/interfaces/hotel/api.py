"""The hotel enrichment call's HTTP edge: a Universal API hotel request in, the same
document out with its cards (or, when the caller prefers JSON, a report around it).
Callers authenticate as company users, and errors answer as JSON:API documents, as on the
JSON:API routes.

The pipeline is one for every product: the codec reads the document into what the
enrichment needs (its places and travellers, `CardRequest`), the enrichment chooses each
place's cards by the product's rule set, the codec writes them into the places they name
(in schema order), and the answer reports them. A product is a codec (a `CardDocument`:
`uapi.HotelRequest` for hotels) and a rule set (`services.enrichment.RULES`).
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass
from datetime import UTC, date, datetime
from typing import Any, Protocol

from aws_lambda_powertools.event_handler.api_gateway import APIGatewayRestResolver, Response

from loyalty_core.errors import MAX_DETAIL, MalformedRequest, Problem, clip
from loyalty_core.interfaces import resolver
from loyalty_core.interfaces.company_user import caller
from loyalty_core.interfaces.hotel import uapi
from loyalty_core.interfaces.http import (
    header,
    media_type,
    negotiate,
    read_body,
    require_media_type,
)
from loyalty_core.interfaces.jsonapi import crash_response, error_response
from loyalty_core.interfaces.xml import ENCODINGS, MAX_BYTES, MEDIA_TYPES
from loyalty_core.models.cards import Card, CardRequest, Enrichment
from loyalty_core.observability import count, record
from loyalty_core.validators import is_reference

__all__ = ["Call", "CardDocument", "caller", "make_app", "read_call", "render"]

JSON = "application/json"
REFERENCE = "booking_traveler_ref"


class CardDocument(Protocol):
    """A request document as a product's codec reads and writes it."""

    def card_request(self) -> CardRequest:
        """What the enrichment needs to know: the places, their travellers and cards."""
        ...

    def write(self, placed: Mapping[str, Sequence[Card]]) -> None:
        """Write the cards chosen for each place, under its label, into that place."""
        ...

    def serialize(self) -> bytes:
        """The document as answered."""
        ...


@dataclass(frozen=True)
class Call:
    """One enrichment call as read: the document, what it asks of the enrichment, the
    query's provider and employee_id, and the day it is answered."""

    document: CardDocument
    request: CardRequest
    provider: str | None
    employee_id: str | None
    today: date


def make_app() -> APIGatewayRestResolver:
    return resolver.make_app(error_response, crash_response)


def read_call(app: APIGatewayRestResolver) -> Call:
    """The call, once the body's media type (415), size (413) and XML (400, 422) and
    `booking_traveler_ref` (400) are good."""
    event = app.current_event
    query = event.query_string_parameters or {}
    require_media_type(header(event.headers, "Content-Type"), MEDIA_TYPES, ENCODINGS)
    data = read_body(event.raw_event, MAX_BYTES)
    reference = query.get(REFERENCE)
    if reference is not None and not is_reference(reference):
        raise MalformedRequest(
            "booking_traveler_ref must be a BookingTraveler Key",
            [Problem("must be 1-64 characters of text, no spaces", (REFERENCE,), "parameter")],
        )
    document = uapi.read_request(data, reference)
    return Call(
        document,
        document.card_request(),
        query.get("provider"),
        query.get("employee_id"),
        datetime.now(UTC).date(),
    )


def report(result: Enrichment) -> dict[str, Any]:
    """The machine-readable account of every card added and left out."""
    added = [
        {
            "place": a.place,
            "employee_id": a.employee_id,
            "membership_id": a.card.membership_id,
            "key": a.card.key,
            "supplier_code": a.card.supplier_code,
            "supplier_type": a.card.supplier_type,
            "supplier_code_from": a.card.rule,
        }
        for a in result.added
    ]
    left_out = [
        {name: value for name, value in asdict(n).items() if value or name != "traveller"}
        | {"detail": clip(n.detail, MAX_DETAIL)}  # a detail may quote the request's values
        for n in result.left_out
    ]
    return {
        "provider": result.provider,
        "request": result.kind,
        "added": added,
        "left_out": left_out,
    }


def render(app: APIGatewayRestResolver, request: CardDocument, result: Enrichment) -> Response[Any]:
    """Write the cards into the places they name; answer the document as XML, or as JSON
    with the report."""
    request.write(result.placed())
    document = request.serialize().decode("utf-8")
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
    headers = app.current_event.headers
    # XML unless JSON is preferred; as the request's own XML type unless the other is.
    sent, _ = media_type(header(headers, "Content-Type"))
    answers = (sent, *(t for t in MEDIA_TYPES if t != sent), JSON)
    answer = negotiate(header(headers, "Accept"), answers)
    if answer == JSON:
        body = {"data": {"document": document, **report(result)}}
        # UTF-8 rather than \uXXXX escapes: the report is never more than twice the document
        return Response(200, JSON, json.dumps(body, ensure_ascii=False), counts)
    return Response(200, answer, document, counts)
