"""events/: one proxy event per route, each runs through its handler as Lambda would run it."""

from __future__ import annotations

import json

import pytest

from local import template
from local.events import DEFINITIONS, EVENTS, build, load_event
from local.gateway import invoke, match
from tests.conftest import Api


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
    "list_providers": 200,
    "concur_supplier_update": 200,
    "concur_tmc_update": 200,
    "hotel_enrich_search": 200,
    "hotel_enrich_reservation": 200,
    "get_provider": 200,
}


@pytest.mark.parametrize("name", sorted(DEFINITIONS))
def test_each_event_runs_through_its_handler(api: Api, name: str) -> None:
    event = load_event(name)
    if "membership_id" in (event["pathParameters"] or {}):
        created = api.create()  # the event names a membership; make one and point at it
        event = load_event(name, path_parameters={"membership_id": created["id"]})
        if event["body"]:
            event = load_event(
                name,
                path_parameters={"membership_id": created["id"]},
                body=event["body"].replace("ceb2c97e-a060-4c09-bbe5-4b17a6d4654a", created["id"]),
            )
    route = match(event["httpMethod"], event["path"])
    assert route is not None
    result = invoke(route.route, event)
    assert result["statusCode"] == EXPECTED[name], result.get("body")
