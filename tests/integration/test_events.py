"""events/: one proxy event per route, each runs through its handler as Lambda would run it."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from local import template
from local.demo import seed_memberships
from local.events import DEFINITIONS, EVENTS, MARRIOTT, SEED_MEMBERSHIP_ID, build, load_event
from local.invoke import NoRoute, invoke_event


def test_every_route_of_the_template_has_an_event() -> None:
    covered = set()
    for name in DEFINITIONS:
        event = load_event(name)
        covered.add((event["httpMethod"], event["resource"]))
    routes = {(r.method, r.path) for r in template.routes() if r.method != "ANY"}
    assert routes == covered


@pytest.mark.parametrize("name", sorted(DEFINITIONS))
def test_event_files_are_current(name: str) -> None:
    stored = json.loads((EVENTS / f"{name}.json").read_text("utf-8"))
    fresh = build(name)
    for volatile in ("requestId", "requestTimeEpoch"):
        stored["requestContext"].pop(volatile)
        fresh["requestContext"].pop(volatile)
    assert stored == fresh, "run `python -m local.events` to refresh events/"


EXPECTED = {
    "list_memberships": 200,
    "create_membership": 201,
    "get_membership": 200,
    "update_membership": 200,
    "delete_membership": 204,
    "list_membership_changes": 200,
    "apply_operations": 200,
    "start_import": 201,
    "get_import": 404,
    "apply_import": 404,
    "start_export": 201,
    "get_export": 404,
    "list_providers": 200,
    "concur_supplier_update": 200,
    "concur_tmc_update": 200,
    "hotel_enrich_search": 200,
    "hotel_enrich_reservation": 200,
    "enrich_air_reservation": 200,
    "enrich_vehicle_search": 200,
    "get_provider": 200,
    "api_reference": 200,
    "api_reference_asset": 200,
    "openapi_document": 200,
    "list_webhook_subscriptions": 200,
    "create_webhook_subscription": 201,
    # The demo data holds no webhook subscription: these name one that is not there.
    "get_webhook_subscription": 404,
    "update_webhook_subscription": 404,
    "delete_webhook_subscription": 404,
    "list_webhook_deliveries": 404,
    "replay_webhook_window": 404,
    "rotate_webhook_secret": 404,
}


@pytest.mark.parametrize("name", sorted(DEFINITIONS))
def test_each_event_answers_as_shipped_on_the_demo_data(
    dynamodb: Any, bulk_environment: dict[str, str], aws_webhooks: Any, name: str
) -> None:
    """What `make invoke EVENT=events/<name>.json` does, on freshly seeded demo data: the
    events that name a membership name John Smith's demo one."""
    from loyalty_core.services.webhooks.runtime import get_webhooks

    get_webhooks().local_targets = True  # as under make invoke: a receiver on this machine
    seed_memberships()
    _, result = invoke_event(load_event(name))
    assert result["statusCode"] == EXPECTED[name], result.get("body")


def test_the_update_event_moves_the_demo_membership_to_marriott(dynamodb: Any) -> None:
    seed_memberships()
    _, result = invoke_event(load_event("update_membership"))
    data = json.loads(result["body"])["data"]
    assert data["id"] == SEED_MEMBERSHIP_ID
    assert data["relationships"]["loyalty_provider"]["data"]["id"] == MARRIOTT
    _, gone = invoke_event(load_event("delete_membership"))
    assert gone["statusCode"] == 204
    _, again = invoke_event(load_event("get_membership"))
    assert again["statusCode"] == 404


def test_an_event_for_no_route_is_refused(dynamodb: Any) -> None:
    with pytest.raises(NoRoute):
        invoke_event(load_event("list_providers", path="/api/nowhere", httpMethod="GET"))


def test_make_invoke_prints_the_proxy_response(tmp_path: Path) -> None:
    """The command itself, as `make invoke` runs it: its own embedded DynamoDB, seeded."""
    env = {k: v for k, v in os.environ.items() if k not in ("TABLE_NAME", "DYNAMODB_ENDPOINT_URL")}
    done = subprocess.run(
        [sys.executable, "-m", "local.invoke", "events/get_membership.json"],
        cwd=template.ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    response = json.loads(done.stdout)  # stdout is the response alone; logs go to stderr
    assert response["statusCode"] == 200
    assert json.loads(response["body"])["data"]["id"] == SEED_MEMBERSHIP_ID
    assert "LoyaltyMembershipsFunction: 200" in done.stderr
    broken = tmp_path / "broken.json"
    broken.write_text("{")
    refused = subprocess.run(
        [sys.executable, "-m", "local.invoke", str(broken)],
        cwd=template.ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert refused.returncode == 2 and "cannot read" in refused.stderr
