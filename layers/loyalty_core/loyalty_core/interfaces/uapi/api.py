"""The LoyaltyCard enrichment call's HTTP edge: a Universal API request in (hotel on the
hotel route; hotel, air or vehicle on the general one), the same document out with its
cards (or, when the caller prefers JSON, a report around it). Callers authenticate as
company users, and errors answer as JSON:API documents, as on the JSON:API routes.

The pipeline is one for every product: the codec reads the document into what the
enrichment needs (its places and travellers, `CardRequest`), the enrichment chooses each
place's cards by its product's rule set, the codec writes them into the places they name
(in schema order), and the answer reports them. A product is a codec (`hotel.py`,
`air.py`, `vehicle.py` over `codec.py`) and a rule set (`services.card_rules.RULES`).

Every answer is bounded by the request (SPEC 15): at most `ANSWER_FLOOR` + 1.25 x its
body, the XML document or the JSON report around it. The report lists the cards added,
then those left out, as many as fit; `omitted` counts the rest (the headers count all).
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass
from datetime import UTC, date, datetime
from typing import TYPE_CHECKING, Any, Protocol

from aws_lambda_powertools.event_handler.api_gateway import APIGatewayRestResolver, Response

from loyalty_core.errors import MAX_DETAIL, InvalidInput, MalformedRequest, Problem, clip
from loyalty_core.interfaces import resolver
from loyalty_core.interfaces.company_user import caller
from loyalty_core.interfaces.http import header, media_type, read_body, require_media_type
from loyalty_core.interfaces.jsonapi import crash_response, error_response
from loyalty_core.interfaces.negotiation import negotiate
from loyalty_core.interfaces.uapi import codec
from loyalty_core.interfaces.xml import ENCODINGS, MAX_BYTES, MEDIA_TYPES
from loyalty_core.models.cards import Enrichment
from loyalty_core.observability import count, record
from loyalty_core.validators import is_reference

if TYPE_CHECKING:
    from loyalty_core.models.cards import Card, CardRequest

__all__ = ["Call", "CardDocument", "caller", "make_app", "read_call", "render"]

JSON = "application/json"
REFERENCE = "booking_traveler_ref"
HOTEL_ONLY = codec.HOTEL_ONLY
EVERY_PRODUCT = codec.EVERY_PRODUCT
ANSWER_FLOOR = 16 * 1024  # an answer is at most this + ANSWER_PER_BYTE x the request
ANSWER_PER_BYTE = 1.25
SLACK = 16  # bytes of a report kept aside for the separators between its parts


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
    query's provider and employee_id, the day it is answered, and the size of its body
    (which bounds the answer's)."""

    document: CardDocument
    request: CardRequest
    provider: str | None
    employee_id: str | None
    today: date
    size: int = 0


class AnswerTooLarge(InvalidInput):
    title = "Answer too large"


def make_app() -> APIGatewayRestResolver:
    return resolver.make_app(error_response, crash_response)


def read_call(app: APIGatewayRestResolver, products: Sequence[str] = EVERY_PRODUCT) -> Call:
    """The call, once the body's media type (415), size (413) and XML (400, 422: a request
    of none of `products`) and `booking_traveler_ref` (400) are good."""
    event = app.current_event
    query = event.query_string_parameters or {}
    require_media_type(header(event.headers, "Content-Type"), MEDIA_TYPES, ENCODINGS)
    data = read_body(event.raw_event, MAX_BYTES)
    reference = query.get(REFERENCE)
    if reference is not None and not is_reference(reference):
        raise MalformedRequest(
            "booking_traveler_ref must be a BookingTraveler Key",
            [Problem("must be 1-64 printable characters, no spaces", (REFERENCE,), "parameter")],
        )
    document = codec.read_request(data, reference, products)
    return Call(
        document,
        document.card_request(),
        query.get("provider"),
        query.get("employee_id"),
        datetime.now(UTC).date(),
        len(data),
    )


def _added(result: Enrichment) -> list[dict[str, Any]]:
    return [
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


def _left_out(result: Enrichment) -> list[dict[str, Any]]:
    return [
        {name: value for name, value in asdict(n).items() if value or name != "traveller"}
        | {"detail": clip(n.detail, MAX_DETAIL)}  # a detail may quote the request's values
        for n in result.left_out
    ]


def _size(value: Any) -> int:
    return len(json.dumps(value, ensure_ascii=False).encode())


def report(result: Enrichment, room: int | None = None) -> dict[str, Any]:
    """The machine-readable account of every card added and left out: the cards added,
    then those left out, as many as `room` bytes of JSON hold (None: all); `omitted`
    counts those that did not fit."""
    body: dict[str, Any] = {
        "provider": result.provider,
        "request": result.kind,
        "product": result.product,
        "added": [],
        "left_out": [],
    }
    omitted = {"added": 0, "left_out": 0}
    # What `omitted` will take, and a comma before each entry, kept aside from the start.
    used = _size(body) + _size({"omitted": {"added": 10**6, "left_out": 10**6}}) + SLACK
    for name, entries in (("added", _added(result)), ("left_out", _left_out(result))):
        for entry in entries:
            size = _size(entry) + 2  # and its separator, ", "
            if room is not None and used + size > room:
                omitted[name] += 1
                continue
            body[name].append(entry)
            used += size
    if any(omitted.values()):
        body["omitted"] = omitted
    return body


def answer_limit(request_size: int) -> int:
    """The most bytes an answer to a request of `request_size` bytes may have (SPEC 15)."""
    return ANSWER_FLOOR + int(ANSWER_PER_BYTE * request_size)


def _too_large(size: int, limit: int) -> AnswerTooLarge:
    return AnswerTooLarge(
        f"The answer would be {size} bytes, more than 16 KiB + 1.25 x the request ({limit} "
        "bytes): the document holds many characters its answer must escape (such as > in "
        "text, or quotes in a JSON report); send them escaped, or ask for XML"
    )


def render(app: APIGatewayRestResolver, call: Call, result: Enrichment) -> Response[Any]:
    """Write the cards into the places they name; answer the document as XML, or as JSON
    with the report, within the answer's bound (else 422, and nothing counted)."""
    call.document.write(result.placed())
    document = call.document.serialize().decode("utf-8")
    headers = app.current_event.headers
    # XML unless JSON is preferred; as the request's own XML type unless the other is.
    sent, _ = media_type(header(headers, "Content-Type"))
    answers = (sent, *(t for t in MEDIA_TYPES if t != sent), JSON)
    answer = negotiate(header(headers, "Accept"), answers)
    limit = answer_limit(call.size)
    if answer == JSON:
        frame = {"data": {"document": document}}
        room = limit - _size(frame)
        if room < _size(report(Enrichment(result.provider, result.kind, result.product))):
            raise _too_large(_size(frame), limit)
        # UTF-8 rather than \uXXXX escapes: the answer's bound is in bytes
        body = json.dumps(
            {"data": {"document": document, **report(result, room)}}, ensure_ascii=False
        )
    elif len(document.encode()) > limit:
        raise _too_large(len(document.encode()), limit)
    else:
        body = document
    record(
        "RequestsEnriched",
        request=result.kind,
        product=result.product,
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
    return Response(200, answer, body, counts)
