"""The routes the bench calls: the demo data in moto (and a stub copy), one event factory
per route, and a call through the in-process gateway as API Gateway would route it."""

from __future__ import annotations

import contextlib
import io
import json
import os
from collections.abc import Callable
from typing import Any

from bench.stub import StubDynamoDB
from local import gateway
from local.events import load_event
from local.template import Route

Case = tuple[str, Callable[[int], dict[str, Any]]]


def use_bench_environment() -> None:
    """The bench's process: moto's credentials and region, the table `bench`, quiet logs,
    and no DynamoDB endpoint (moto in-process)."""
    os.environ.update(
        {
            "AWS_ACCESS_KEY_ID": "bench",
            "AWS_SECRET_ACCESS_KEY": "bench",
            "AWS_DEFAULT_REGION": "us-east-1",
            "TABLE_NAME": "bench",
            "POWERTOOLS_LOG_LEVEL": "WARNING",
        }
    )
    os.environ.pop("DYNAMODB_ENDPOINT_URL", None)


def environment() -> tuple[Any, StubDynamoDB]:
    """The demo data in moto, copied into the stub; returns (moto client, stub)."""
    from moto import mock_aws

    from local.admin import Admin
    from local.demo import seed
    from local.dynamo import ensure_tables
    from loyalty_core import settings

    use_bench_environment()
    mock = mock_aws()
    mock.start()
    settings.reset()
    client = settings.dynamodb_client()
    ensure_tables(client, "bench")
    seed(Admin(client, "bench"))
    items = client.scan(TableName="bench")["Items"]  # admin tooling: a scan is fine here
    return client, StubDynamoDB(items)


def membership_cases(create: Callable[[str], str]) -> list[Case]:
    """One event factory per route; write routes get a fresh membership or account per call."""

    def with_id(name: str) -> Callable[[int], dict[str, Any]]:
        def make(i: int) -> dict[str, Any]:
            mid = create(f"B{name[:3]}{i}")
            event = load_event(name, path_parameters={"membership_id": mid})
            if event["body"]:
                event["body"] = event["body"].replace("ceb2c97e-a060-4c09-bbe5-4b17a6d4654a", mid)
            return event

        return make

    def create_event(i: int) -> dict[str, Any]:
        event = load_event("create_membership")
        event["body"] = event["body"].replace("H66590214", f"NEW{i}")
        return event

    def concur_50(i: int) -> dict[str, Any]:
        memberships = "".join(
            f'<Membership UniqueID="Program {n}"><VendorCode>AA</VendorCode>'
            f"<VendorType>A</VendorType><AccountNo>AA{n:04d}</AccountNo><Status>Gold</Status>"
            f"<PointTotal>{n * 1000}</PointTotal></Membership>"
            for n in range(50)
        )
        event = load_event("concur_tmc_update")
        event["body"] = f"<LoyaltyMembershipUpdate>{memberships}</LoyaltyMembershipUpdate>"
        return event

    return [
        ("list_memberships", lambda i: load_event("list_memberships")),
        ("list_membership_changes", lambda i: load_event("list_membership_changes")),
        ("create_membership", create_event),
        ("get_membership", with_id("get_membership")),
        ("update_membership", with_id("update_membership")),
        ("delete_membership", with_id("delete_membership")),
        ("list_providers", lambda i: load_event("list_providers")),
        ("get_provider", lambda i: load_event("get_provider")),
        ("concur_update_2", lambda i: load_event("concur_supplier_update")),
        ("concur_update_50", concur_50),
        ("hotel_enrich_search", lambda i: load_event("hotel_enrich_search")),
        ("hotel_enrich_reservation", lambda i: load_event("hotel_enrich_reservation")),
    ]


def route_of(event: dict[str, Any]) -> Route:
    """The template route an event goes to, as API Gateway would pick it."""
    found = gateway.match(event["httpMethod"], event["path"])
    assert found is not None
    return found.route


def call(event: dict[str, Any]) -> dict[str, Any]:
    with contextlib.redirect_stdout(io.StringIO()):  # the handlers' EMF metric lines
        return gateway.invoke(route_of(event), event)


def creator() -> Callable[[str], str]:
    def create(account: str) -> str:
        event = load_event("create_membership")
        event["body"] = event["body"].replace("H66590214", account)
        answer = call(event)
        return str(json.loads(answer["body"])["data"]["id"])

    return create


def add_traveller(client: Any, table: str, employee_id: str, name: str) -> None:
    """A traveller of acme (`<employee_id>@acme.example`), holding nothing, created through
    the directory's service as the admin CLI creates one."""
    from local.admin import Admin
    from loyalty_core.models import User
    from loyalty_core.services import directory

    admin = Admin(client, table, "bench")
    user = User(
        company="acme", employee_id=employee_id, name=name, email=f"{employee_id}@acme.example"
    )
    directory.create_user(admin.repo, user, origin=admin.origin())
