"""The webhook subscription routes of the Locomote interface (SPEC 13): what a request
asks (its document, its page) and each answer, on the interface's JSON:API (credentials,
errors, media types and paging are the memberships').

Types: `webhook_subscriptions` (attributes `url`, `events`, `filter` {"vendor_types":
[...]} or null, `payload`, `enabled`; read-only `disabled_reason`,
`previous_secret_expires_at`, and `secret`, in the answer of a create only),
`webhook_deliveries` (read-only: each event sent to a subscription and its attempts),
`webhook_replays` (`since`, `until`) and `webhook_secret_rotations` (`overlap_hours`; the
answer holds the new `secret`).
"""

from __future__ import annotations

import base64
import binascii
import re
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, replace
from datetime import datetime
from typing import TYPE_CHECKING, Any
from urllib.parse import urlencode

from aws_lambda_powertools.event_handler.api_gateway import APIGatewayRestResolver, Response
from pydantic import ValidationError

from loyalty_core import errors as e
from loyalty_core.interfaces.jsonapi import document, respond
from loyalty_core.interfaces.links import public_url
from loyalty_core.interfaces.locomote.api import read_resource
from loyalty_core.interfaces.locomote.views import paged
from loyalty_core.models.webhooks import SubscriptionSettings
from loyalty_core.validators import problems_from

if TYPE_CHECKING:  # annotations only
    from loyalty_core.interfaces.links import PublicUrl
    from loyalty_core.interfaces.locomote.parameters import View
    from loyalty_core.models.deliveries import DeliveryRecord
    from loyalty_core.models.webhooks import Subscription
    from loyalty_core.services.webhooks.replay import Replay
    from loyalty_core.services.webhooks.subscriptions import WithSecret

SUBSCRIPTIONS = "webhook_subscriptions"
DELIVERIES = "webhook_deliveries"
REPLAYS = "webhook_replays"
ROTATIONS = "webhook_secret_rotations"
SETTINGS = ("url", "events", "filter", "payload", "enabled")
READ_ONLY = ("secret", "disabled_reason", "previous_secret_expires_at")
ATTRIBUTES = "data", "attributes"


@contextmanager
def attributes_located() -> Iterator[None]:
    """A service's problem named by a bare attribute (`url`) points into the document
    (`/data/attributes/url`)."""
    try:
        yield
    except e.DomainError as error:
        if not error.problems:
            raise
        error.problems = [
            replace(p, location=(*ATTRIBUTES, *p.location))
            if len(p.location) == 1 and p.kind == "body"
            else p
            for p in error.problems
        ]
        raise


def _check_resource(resource: Any, kind: str, path_id: str | None, creating: bool) -> None:
    if resource.type != kind:
        raise e.Conflict(f"type must be {kind!r}", [e.Problem("must be " + kind, ("data", "type"))])
    if creating and resource.id is not None:
        raise e.ClientIdRefused(
            "The server assigns ids",
            [e.Problem("must not be sent: the server assigns ids", ("data", "id"))],
        )
    if path_id is not None and resource.id != path_id:
        detail = f"must equal the id in the URL, {e.quote(path_id)}"
        if resource.id is None:
            raise e.MalformedRequest(
                "An update must carry the resource's id",
                [e.Problem("is required on an update", ("data", "id"))],
            )
        raise e.Conflict(
            "The body's id does not match the URL", [e.Problem(detail, ("data", "id"))]
        )
    if resource.relationships:
        raise e.InvalidInput(
            f"{kind} has no relationships to set",
            [e.Problem("must not be sent", ("data", "relationships"))],
        )


def subscription_settings(resource: Any, subscription_id: str | None) -> SubscriptionSettings:
    """A POST's document (`subscription_id` None) or a PATCH's: the settings sent. Every
    broken attribute is reported at once (422)."""
    _check_resource(resource, SUBSCRIPTIONS, subscription_id, subscription_id is None)
    problems: list[e.Problem] = []
    values: dict[str, Any] = {}
    for name, value in resource.attributes.items():
        if name in READ_ONLY:
            problems.append(e.Problem("is read-only", (*ATTRIBUTES, name)))
        elif name not in SETTINGS:
            problems.append(
                e.Problem(f"is not an attribute of {SUBSCRIPTIONS}", (*ATTRIBUTES, name))
            )
        elif name == "filter":
            if value is None:
                values["vendor_types"] = None
            elif isinstance(value, dict) and set(value) == {"vendor_types"}:
                values["vendor_types"] = value["vendor_types"]
            else:
                detail = 'must be null or {"vendor_types": [...]}'
                problems.append(e.Problem(detail, (*ATTRIBUTES, "filter")))
        else:
            values[name] = value
    try:
        settings = SubscriptionSettings.model_validate(values)
    except ValidationError as err:
        for problem in problems_from(err, ATTRIBUTES):
            where = ("filter", "vendor_types") if problem.location[2] == "vendor_types" else ()
            location = (*ATTRIBUTES, *where, *problem.location[3:]) if where else problem.location
            problems.append(replace(problem, location=location))
        settings = SubscriptionSettings()
    if problems:
        raise e.InvalidInput("The webhook subscription is not valid", problems)
    return settings


def _when(moment: datetime | None) -> str | None:
    return moment.isoformat() if moment else None


def subscription_path(subscription_id: str | None = None) -> str:
    path = f"/api/{SUBSCRIPTIONS}"
    return f"{path}/{subscription_id}" if subscription_id else path


def subscription_resource(
    s: Subscription, url: PublicUrl, secret: str | None = None
) -> dict[str, Any]:
    """A subscription as a resource object; `secret` only in the answer that made it."""
    settings = s.settings_fields()
    attributes: dict[str, Any] = {
        "url": s.url,
        "events": settings["events"],
        "filter": None if s.vendor_types is None else {"vendor_types": settings["filter"]},
        "payload": settings["payload"],
        "enabled": s.enabled,
        "disabled_reason": settings["disabled_reason"],
        "previous_secret_expires_at": _when(s.rotation_ends),
    }
    if secret is not None:
        attributes["secret"] = secret
    return {
        "id": s.id,
        "type": SUBSCRIPTIONS,
        "attributes": attributes,
        "relationships": {
            "deliveries": {"links": {"related": url.of(subscription_path(s.id) + "/deliveries")}}
        },
        "links": {"self": url.of(subscription_path(s.id))},
        "meta": {
            "created_at": s.created_at.isoformat(),
            "updated_at": s.updated_at.isoformat(),
            "version": s.version,
        },
    }


def subscription_document(
    s: Subscription, url: PublicUrl, secret: str | None = None
) -> dict[str, Any]:
    return document(data=subscription_resource(s, url, secret))


# -- deliveries: cursor pages, newest first ---------------------------------------------

DEFAULT_PAGE_SIZE = 25
MAX_PAGE_SIZE = 100
_PAGE_SIZE, _PAGE_AFTER = "page[size]", "page[after]"
_CURSOR = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z#[A-Za-z0-9.-]{1,80}")


@dataclass(frozen=True)
class CursorPage:
    size: int = DEFAULT_PAGE_SIZE
    after: str | None = None  # the store's cursor (decoded)


def _encode_cursor(cursor: str) -> str:
    return base64.urlsafe_b64encode(cursor.encode()).decode().rstrip("=")


def _decode_cursor(text: str) -> str | None:
    if len(text) > 200:
        return None
    try:
        decoded = base64.urlsafe_b64decode(text + "=" * (-len(text) % 4)).decode()
    except (binascii.Error, UnicodeDecodeError, ValueError):
        return None
    return decoded if _CURSOR.fullmatch(decoded) else None


def read_cursor_page(query: Mapping[str, str] | None) -> CursorPage:
    """`page[size]` (1-100) and `page[after]` (a cursor from a `next` link); any other
    parameter is refused (400), as every problem at once."""
    query = query or {}
    problems: list[e.Problem] = []
    size, after = DEFAULT_PAGE_SIZE, None
    for name, value in query.items():
        if name == _PAGE_SIZE:
            if value.isascii() and value.isdigit() and 1 <= int(value[:4]) <= MAX_PAGE_SIZE:
                size = int(value)
            else:
                detail = f"must be a whole number from 1 to {MAX_PAGE_SIZE}"
                problems.append(e.Problem(detail, (name,), "parameter"))
        elif name == _PAGE_AFTER:
            after = _decode_cursor(value)
            if after is None:
                detail = "must be a cursor from a next link of this list"
                problems.append(e.Problem(detail, (name,), "parameter"))
        else:
            problems.append(e.Problem("is not supported on this route", (name,), "parameter"))
    if problems:
        raise e.MalformedRequest("The query string asks for what this route cannot do", problems)
    return CursorPage(size, after)


def delivery_resource(record: DeliveryRecord) -> dict[str, Any]:
    return {
        "id": record.id,
        "type": DELIVERIES,
        "attributes": {
            "event_id": record.event_id,
            "event_type": record.event_type.value,
            "replay_id": record.replay_id,
            "status": record.status.value,
            "enqueued_at": record.enqueued_at.isoformat(),
            "next_attempt_at": _when(record.next_attempt_at),
            "reason": record.reason,
            "attempts": [a.model_dump(mode="json") for a in record.attempts],
        },
    }


def delivery_page(
    records: tuple[DeliveryRecord, ...],
    after: str | None,
    page: CursorPage,
    url: PublicUrl,
    subscription_id: str,
) -> dict[str, Any]:
    path = subscription_path(subscription_id) + "/deliveries"

    def link(cursor: str | None) -> str:
        query = {_PAGE_SIZE: str(page.size)}
        if cursor is not None:
            query[_PAGE_AFTER] = _encode_cursor(cursor)
        return url.of(path, urlencode(query))

    return document(
        data=[delivery_resource(r) for r in records],
        links={
            "self": link(page.after),
            "first": link(None),
            "next": link(after) if after is not None else None,
        },
    )


# -- replays and rotations ----------------------------------------------------------------


def _moment(value: Any, name: str, problems: list[e.Problem]) -> datetime:
    if isinstance(value, str) and len(value) <= 40:
        try:
            found = datetime.fromisoformat(value)
        except ValueError:
            found = None
        if found is not None and found.tzinfo is not None:
            return found
    problems.append(
        e.Problem(
            "must be an RFC 3339 time with its offset (2026-12-01T00:00:00Z)", (*ATTRIBUTES, name)
        )
    )
    return datetime.min


def replay_window(resource: Any) -> tuple[datetime, datetime]:
    _check_resource(resource, REPLAYS, None, True)
    problems: list[e.Problem] = []
    unknown = set(resource.attributes) - {"since", "until"}
    problems += [
        e.Problem(f"is not an attribute of {REPLAYS}", (*ATTRIBUTES, n)) for n in sorted(unknown)
    ]
    since = _moment(resource.attributes.get("since"), "since", problems)
    until = _moment(resource.attributes.get("until"), "until", problems)
    if problems:
        raise e.InvalidInput("The replay is not valid", problems)
    return since, until


def replay_document(found: Replay, url: PublicUrl) -> dict[str, Any]:
    return document(
        data={
            "id": found.id,
            "type": REPLAYS,
            "attributes": {
                "since": found.since.isoformat(),
                "until": found.until.isoformat(),
                "events": found.events,
            },
            "relationships": {
                "deliveries": {
                    "links": {
                        "related": url.of(subscription_path(found.subscription_id) + "/deliveries")
                    }
                }
            },
        }
    )


def overlap_hours(resource: Any) -> int | None:
    """A rotation's `overlap_hours` (None: the default)."""
    _check_resource(resource, ROTATIONS, None, True)
    unknown = set(resource.attributes) - {"overlap_hours"}
    if unknown:
        raise e.InvalidInput(
            "The rotation is not valid",
            [
                e.Problem(f"is not an attribute of {ROTATIONS}", (*ATTRIBUTES, n))
                for n in sorted(unknown)
            ],
        )
    value = resource.attributes.get("overlap_hours")
    if value is not None and (not isinstance(value, int) or isinstance(value, bool)):
        raise e.InvalidInput(
            "The rotation is not valid",
            [e.Problem("must be a whole number of hours", (*ATTRIBUTES, "overlap_hours"))],
        )
    return value


def rotation_document(s: Subscription, secret: str, url: PublicUrl) -> dict[str, Any]:
    return document(
        data={
            "id": f"{s.id}.{s.version}",
            "type": ROTATIONS,
            "attributes": {
                "secret": secret,
                "previous_secret_expires_at": _when(s.rotation_ends),
            },
            "relationships": {
                "subscription": {
                    "links": {"related": url.of(subscription_path(s.id))},
                    "data": {"id": s.id, "type": SUBSCRIPTIONS},
                }
            },
        }
    )


# -- the edge: what a request asks, and each answer ----------------------------------------


def _url(app: APIGatewayRestResolver) -> PublicUrl:
    return public_url(app.current_event.raw_event)


def settings(app: APIGatewayRestResolver, subscription_id: str | None) -> SubscriptionSettings:
    """A POST's document (`subscription_id` None) or a PATCH's: the settings sent."""
    return subscription_settings(read_resource(app.current_event.raw_event), subscription_id)


def window(app: APIGatewayRestResolver) -> tuple[datetime, datetime]:
    """A replay's document: its `since` and `until`."""
    return replay_window(read_resource(app.current_event.raw_event))


def overlap(app: APIGatewayRestResolver) -> int | None:
    """A rotation's document: its `overlap_hours` (None: the default)."""
    return overlap_hours(read_resource(app.current_event.raw_event))


def cursor_page(app: APIGatewayRestResolver) -> CursorPage:
    return read_cursor_page(app.current_event.query_string_parameters)


def subscription(app: APIGatewayRestResolver, s: Subscription) -> Response[str]:
    """One subscription, with its ETag."""
    return respond(200, subscription_document(s, _url(app)), ETag=s.etag)


def created(app: APIGatewayRestResolver, made: WithSecret) -> Response[str]:
    """A subscription just made (201), its secret shown this once, its Location and ETag."""
    url, s = _url(app), made.subscription
    return respond(
        201,
        subscription_document(s, url, made.secret),
        Location=url.of(subscription_path(s.id)),
        ETag=s.etag,
    )


def subscription_page(
    app: APIGatewayRestResolver, found: tuple[Subscription, ...], view: View
) -> Response[str]:
    url = _url(app)
    doc = paged(found, view, url, subscription_path(), lambda s: subscription_resource(s, url))
    return respond(200, doc)


def deliveries(
    app: APIGatewayRestResolver,
    records: tuple[DeliveryRecord, ...],
    after: str | None,
    page: CursorPage,
    subscription_id: str,
) -> Response[str]:
    return respond(200, delivery_page(records, after, page, _url(app), subscription_id))


def replayed(app: APIGatewayRestResolver, made: Replay) -> Response[str]:
    """A replay queued (202)."""
    return respond(202, replay_document(made, _url(app)))


def rotated(app: APIGatewayRestResolver, made: WithSecret) -> Response[str]:
    """A rotation done (201), the new secret shown this once."""
    return respond(201, rotation_document(made.subscription, made.secret, _url(app)))
