"""The sample API Gateway events in events/: build them, and load them with overrides.

    python -m local.events      # rewrite events/*.json from the definitions below

Each event is a complete REST API proxy event, usable with `sam local invoke -e`
and loaded by the tests and the benchmark through `load_event`.
"""

from __future__ import annotations

import copy
import json
import re
from typing import Any

from local import template
from local.gateway import proxy_event

EVENTS = template.ROOT / "events"
ADMIN = {"X-USER-USERNAME": ["admin@acme.example"], "X-USER-TOKEN": ["acme-admin-token"]}
JSON = {"Content-Type": ["application/json"], "Host": ["127.0.0.1:3000"]}
SEED_MEMBERSHIP_ID = "ceb2c97e-a060-4c09-bbe5-4b17a6d4654a"
HILTON = "9c5b90ff-2cce-11e8-87f9-0662bed6e7db"
MARRIOTT = "9c5b9176-2cce-11e8-87f9-0662bed6e7db"

# The Locomote seed's request bodies, as written there.
SEED_CREATE = {
    "data": {
        "type": "loyalty_memberships",
        "attributes": {
            "account_number": "H66590214",
            "membership_name": "John Smith",
            "level": "Gold",
            "expires_on": "2021-01-01",
        },
        "relationships": {
            "user": {"data": {"id": "098765", "type": "users"}},
            "loyalty_provider": {"data": {"id": HILTON, "type": "loyalty_providers"}},
        },
    }
}
SEED_UPDATE = {  # the same document, with its id and moved to Marriott, as the seed sends it
    "data": {
        "id": SEED_MEMBERSHIP_ID,
        **SEED_CREATE["data"],
        "relationships": {
            "user": {"data": {"id": "098765", "type": "users"}},
            "loyalty_provider": {"data": {"id": MARRIOTT, "type": "loyalty_providers"}},
        },
    }
}

# The Concur seed's two example requests, as written there (also used by the curls of
# README.md and docs/concur.md).
EXAMPLES = template.ROOT / "examples"
CONCUR_SUPPLIER_UPDATE = (EXAMPLES / "concur_supplier_update.xml").read_text("utf-8")
CONCUR_TMC_UPDATE = (EXAMPLES / "concur_tmc_update.xml").read_text("utf-8")
CONCUR = "/api/travelprofile/v1.0/loyalty"
HOTEL = "/api/hotel/loyalty_cards/enrich"
HOTEL_SEARCH = (EXAMPLES / "hotel_search_request.xml").read_text("utf-8")
HOTEL_RESERVATION = (EXAMPLES / "hotel_reservation_request.xml").read_text("utf-8")
ENRICH = "/api/loyalty_cards/enrich"
AIR_RESERVATION = (EXAMPLES / "air_reservation_request.xml").read_text("utf-8")
VEHICLE_SEARCH = (EXAMPLES / "vehicle_search_request.xml").read_text("utf-8")

QANTAS = "9c5b9246-2cce-11e8-87f9-0662bed6e7db"
ATOMIC = {"Content-Type": ['application/vnd.api+json; ext="https://jsonapi.org/ext/atomic"']}
# One atomic request on John Smith's memberships: a Qantas membership added (named by its
# lid), then given a level; his demo membership's level changed, expecting its version 1.
SEED_OPERATIONS = {
    "atomic:operations": [
        {
            "op": "add",
            "href": "/api/users/098765/loyalty_memberships",
            "data": {
                "type": "loyalty_memberships",
                "lid": "qantas",
                "attributes": {
                    "account_number": "1234567890",
                    "membership_name": "John Smith",
                    "expires_on": "2031-01-01",
                },
                "relationships": {
                    "loyalty_provider": {"data": {"id": QANTAS, "type": "loyalty_providers"}}
                },
            },
        },
        {
            "op": "update",
            "ref": {"type": "loyalty_memberships", "lid": "qantas"},
            "data": {"type": "loyalty_memberships", "attributes": {"level": "Gold"}},
        },
        {
            "op": "update",
            "href": f"/api/users/098765/loyalty_memberships/{SEED_MEMBERSHIP_ID}",
            "meta": {"version": 1},
            "data": {
                "type": "loyalty_memberships",
                "id": SEED_MEMBERSHIP_ID,
                "attributes": {"level": "Platinum"},
            },
        },
    ]
}

# The company jobs' events: a new import and a new export (201), and a job of another id
# than any the demo data holds (404: `make invoke` starts from no job).
IMPORTS = "/api/loyalty_membership_imports"
EXPORTS = "/api/loyalty_membership_exports"
SOME_JOB = "9d1c1a04-5b1e-4c55-9c0e-0b5f1f0c2a11"
START_IMPORT = {
    "data": {"type": "loyalty_membership_imports", "attributes": {"format": "csv", "mode": "merge"}}
}
APPLY_IMPORT = {
    "data": {
        "type": "loyalty_membership_imports",
        "id": SOME_JOB,
        "attributes": {"status": "applying"},
    }
}
START_EXPORT = {"data": {"type": "loyalty_membership_exports", "attributes": {"format": "csv"}}}

MEMBERSHIPS = "/api/users/{employee_id}/loyalty_memberships"
MEMBERSHIP = MEMBERSHIPS + "/{membership_id}"
CHANGES = "/api/users/{employee_id}/loyalty_membership_changes"
USER = {"employee_id": "098765"}
ONE = {"employee_id": "098765", "membership_id": SEED_MEMBERSHIP_ID}

WEBHOOKS = "/api/webhook_subscriptions"
WEBHOOK = WEBHOOKS + "/{subscription_id}"
DEMO_WEBHOOK_ID = "5d6e0a1c-7b2f-4c3e-9a41-000000000001"
DEMO_WEBHOOK = {"subscription_id": DEMO_WEBHOOK_ID}
WEBHOOK_CREATE = {
    "data": {
        "type": "webhook_subscriptions",
        "attributes": {
            "url": "http://127.0.0.1:8765/webhooks",
            "events": ["loyalty_memberships.changed", "user.erased"],
        },
    }
}

# name: (method, resource, path parameters, query, body[, headers])
DEFINITIONS: dict[str, tuple[Any, ...]] = {
    "concur_supplier_update": (
        "POST",
        CONCUR,
        {},
        {},
        CONCUR_SUPPLIER_UPDATE,
        {"Authorization": ["OAuth concur-supplier-token"], "Content-Type": ["application/xml"]},
    ),
    "hotel_enrich_search": (
        "POST",
        HOTEL,
        {},
        {"employee_id": ["112233"]},
        HOTEL_SEARCH,
        {**ADMIN, "Content-Type": ["application/xml"]},
    ),
    "hotel_enrich_reservation": (
        "POST",
        HOTEL,
        {},
        {},
        HOTEL_RESERVATION,
        {**ADMIN, "Content-Type": ["text/xml; charset=utf-8"], "Accept": ["application/json"]},
    ),
    "enrich_air_reservation": (
        "POST",
        ENRICH,
        {},
        {},
        AIR_RESERVATION,
        {**ADMIN, "Content-Type": ["application/xml"], "Accept": ["application/json"]},
    ),
    "enrich_vehicle_search": (
        "POST",
        ENRICH,
        {},
        {"employee_id": ["112233"]},
        VEHICLE_SEARCH,
        {**ADMIN, "Content-Type": ["application/xml"]},
    ),
    "concur_tmc_update": (
        "POST",
        CONCUR,
        {},
        {},
        CONCUR_TMC_UPDATE,
        {"Authorization": ["OAuth concur-tmc-token"], "Content-Type": ["application/xml"]},
    ),
    "list_memberships": ("GET", MEMBERSHIPS, USER, {"page[size]": ["25"]}, None),
    "create_membership": ("POST", MEMBERSHIPS, USER, {}, SEED_CREATE),
    "get_membership": ("GET", MEMBERSHIP, ONE, {}, None),
    "update_membership": ("PATCH", MEMBERSHIP, ONE, {}, SEED_UPDATE),
    "delete_membership": ("DELETE", MEMBERSHIP, ONE, {}, None),
    "list_membership_changes": ("GET", CHANGES, USER, {"page[size]": ["10"]}, None),
    "apply_operations": (
        "POST",
        "/api/operations",
        {},
        {},
        SEED_OPERATIONS,
        {**ADMIN, **ATOMIC},
    ),
    "start_import": ("POST", IMPORTS, {}, {}, START_IMPORT),
    "get_import": ("GET", IMPORTS + "/{import_id}", {"import_id": SOME_JOB}, {}, None),
    "apply_import": ("PATCH", IMPORTS + "/{import_id}", {"import_id": SOME_JOB}, {}, APPLY_IMPORT),
    "start_export": ("POST", EXPORTS, {}, {}, START_EXPORT),
    "get_export": ("GET", EXPORTS + "/{export_id}", {"export_id": SOME_JOB}, {}, None),
    "list_providers": ("GET", "/api/loyalty_providers", {}, {"filter[category]": ["hotel"]}, None),
    "get_provider": (
        "GET",
        "/api/loyalty_providers/{provider_id}",
        {"provider_id": HILTON},
        {},
        None,
    ),
    # The API reference: no credentials.
    "api_reference": ("GET", "/docs", {}, {}, None, {"Accept": ["text/html"]}),
    "api_reference_asset": (
        "GET",
        "/docs/{asset}",
        {"asset": "swagger-ui.css"},
        {},
        None,
        {"Accept": ["text/css"]},
    ),
    "openapi_document": ("GET", "/openapi.json", {}, {}, None, {"Accept": ["application/json"]}),
    # Webhook subscriptions: the demo data holds none; the events naming one name
    # DEMO_WEBHOOK_ID (404 until a subscription of that id exists: put your own id in).
    "list_webhook_subscriptions": ("GET", WEBHOOKS, {}, {}, None),
    "create_webhook_subscription": ("POST", WEBHOOKS, {}, {}, WEBHOOK_CREATE),
    "get_webhook_subscription": ("GET", WEBHOOK, DEMO_WEBHOOK, {}, None),
    "update_webhook_subscription": (
        "PATCH",
        WEBHOOK,
        DEMO_WEBHOOK,
        {},
        {
            "data": {
                "type": "webhook_subscriptions",
                "id": DEMO_WEBHOOK_ID,
                "attributes": {"enabled": False},
            }
        },
    ),
    "delete_webhook_subscription": ("DELETE", WEBHOOK, DEMO_WEBHOOK, {}, None),
    "list_webhook_deliveries": (
        "GET",
        WEBHOOK + "/deliveries",
        DEMO_WEBHOOK,
        {"page[size]": ["10"]},
        None,
    ),
    "replay_webhook_window": (
        "POST",
        WEBHOOK + "/replays",
        DEMO_WEBHOOK,
        {},
        {
            "data": {
                "type": "webhook_replays",
                "attributes": {"since": "2026-12-01T00:00:00Z", "until": "2026-12-02T00:00:00Z"},
            }
        },
    ),
    "rotate_webhook_secret": (
        "POST",
        WEBHOOK + "/secret_rotations",
        DEMO_WEBHOOK,
        {},
        {"data": {"type": "webhook_secret_rotations", "attributes": {"overlap_hours": 24}}},
    ),
}


def fill(resource: str, parameters: dict[str, str]) -> str:
    return re.sub(r"\{(\w+)\}", lambda m: parameters[m.group(1)], resource)


def build(name: str) -> dict[str, Any]:
    method, resource, params, query, body, *own_headers = DEFINITIONS[name]
    if own_headers:
        headers = {**own_headers[0], "Host": JSON["Host"]}
    elif body is not None:
        headers = {**ADMIN, **JSON}
    else:
        headers = {**ADMIN, "Host": JSON["Host"]}
    text = body if isinstance(body, str) or body is None else json.dumps(body)
    return proxy_event(method, fill(resource, params), resource, params, headers, query, text)


def load_event(name: str, **overrides: Any) -> dict[str, Any]:
    """events/<name>.json with overrides.

    `path_parameters` re-fills the path; `headers` are merged (None removes one);
    `body` replaces the body (dicts are sent as JSON); `query` replaces the query;
    any other keyword replaces that top-level key.
    """
    event: dict[str, Any] = json.loads((EVENTS / f"{name}.json").read_text("utf-8"))
    event = copy.deepcopy(event)
    if "path_parameters" in overrides:
        params = {**(event["pathParameters"] or {}), **overrides.pop("path_parameters")}
        event["pathParameters"] = params
        event["path"] = event["requestContext"]["path"] = fill(event["resource"], params)
    if "headers" in overrides:
        headers = {**(event["headers"] or {}), **overrides.pop("headers")}
        headers = {k: v for k, v in headers.items() if v is not None}
        event["headers"] = headers
        event["multiValueHeaders"] = {k: [v] for k, v in headers.items()}
    if "body" in overrides:
        body = overrides.pop("body")
        event["body"] = json.dumps(body) if isinstance(body, dict | list) else body
    if "query" in overrides:
        query = overrides.pop("query")
        event["queryStringParameters"] = query or None
        event["multiValueQueryStringParameters"] = {k: [v] for k, v in query.items()} or None
    event.update(overrides)
    return event


def main() -> None:
    EVENTS.mkdir(exist_ok=True)
    for name in DEFINITIONS:
        event = build(name)
        event["requestContext"]["requestId"] = f"{name}-example"
        event["requestContext"]["requestTimeEpoch"] = 1700000000000
        (EVENTS / f"{name}.json").write_text(json.dumps(event, indent=2) + "\n", "utf-8")
        print(f"events/{name}.json")


if __name__ == "__main__":
    main()
