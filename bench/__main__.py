"""Benchmark (SPEC 9): prints four tables, asserts nothing.

1. handler overhead per route, DynamoDB stubbed (median, p95 of warm invocations);
2. DynamoDB requests per API call, against the embedded DynamoDB (moto);
3. cold import of each handler module with its DynamoDB client, in fresh interpreters,
   as a ratio to `import boto3` + one DynamoDB client;
4. what one call costs: DynamoDB units per route with 1, 10 and 100 memberships a user,
   and an estimated price per million calls (`bench/cost.py`, `bench/prices.json`).

    python -m bench [--iterations 300] [--cold-runs 9] [--cost-runs 30]
"""

from __future__ import annotations

import argparse
import contextlib
import io
import json
import os
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from typing import Any

from bench import cost
from bench.stub import StubDynamoDB
from local import gateway
from local.events import load_event
from local.template import ROOT, routes

Case = tuple[str, Callable[[int], dict[str, Any]]]


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(len(ordered) * share))]


def environment() -> tuple[Any, StubDynamoDB]:
    """The demo data in moto, copied into the stub; returns (moto client, stub)."""
    from moto import mock_aws

    from local.admin import Admin
    from local.demo import seed
    from local.dynamo import ensure_tables
    from loyalty_core import settings

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


def call(event: dict[str, Any]) -> dict[str, Any]:
    found = gateway.match(event["httpMethod"], event["path"])
    assert found is not None
    with contextlib.redirect_stdout(io.StringIO()):  # the handlers' EMF metric lines
        return gateway.invoke(found.route, event)


def creator() -> Callable[[str], str]:
    def create(account: str) -> str:
        event = load_event("create_membership")
        event["body"] = event["body"].replace("H66590214", account)
        answer = call(event)
        return str(json.loads(answer["body"])["data"]["id"])

    return create


def overhead(stub: StubDynamoDB, iterations: int) -> list[tuple[str, float, float, int]]:
    from loyalty_core import settings

    real_client = settings.dynamodb_client
    settings.dynamodb_client = lambda: stub  # type: ignore[assignment]
    settings.get_repository.cache_clear()  # the handlers' repository now reads the stub
    rows = []
    create = creator()
    for i in range(5):  # the listed user holds a few memberships
        create(f"HELD{i}")
    from local.demo import seed_memberships

    seed_memberships()  # Jane's, for the hotel requests
    clean = stub.snapshot()
    for name, make in membership_cases(create):
        timings = []
        for i in range(iterations + 20):
            stub.restore(clean)
            event = make(i)
            stub.calls.clear()
            start = time.perf_counter()
            answer = call(event)
            elapsed = (time.perf_counter() - start) * 1000
            if i >= 20:  # warm-up
                timings.append(elapsed)
        rows.append(
            (name, statistics.median(timings), percentile(timings, 0.95), answer["statusCode"])
        )
    settings.dynamodb_client = real_client  # type: ignore[assignment]
    settings.get_repository.cache_clear()
    return rows


def requests_per_call(client: Any) -> list[tuple[str, list[str], int]]:
    from loyalty_core import settings

    settings.get_repository.cache_clear()
    calls: list[str] = []
    client.meta.events.register("before-call.dynamodb", lambda model, **_: calls.append(model.name))
    rows = []
    call(load_event("list_providers"))  # a warm container has read the catalog once
    from local.demo import seed_memberships

    seed_memberships()
    for name, make in membership_cases(creator()):
        event = make(10_000)
        calls.clear()
        answer = call(event)
        rows.append((name, list(calls), answer["statusCode"]))
    return rows


COLD = """
import sys, time
sys.path[:0] = {paths!r}
start = time.perf_counter()
{code}
print((time.perf_counter() - start) * 1000)
"""
BASELINE = "import boto3\nboto3.client('dynamodb', region_name='us-east-1')"


def handler_import(code_uri: str) -> str:
    return (
        f"sys.path.insert(0, {code_uri!r})\nimport handler\n"
        "from loyalty_core.settings import get_repository\nget_repository()"
    )


def cold(code: str, runs: int) -> float:
    script = COLD.format(paths=[str(ROOT / "layers/loyalty_core")], code=code)
    env = {**os.environ, "AWS_DEFAULT_REGION": "us-east-1", "TABLE_NAME": "bench"}
    times = [
        float(
            subprocess.run(
                [sys.executable, "-c", script], capture_output=True, text=True, check=True, env=env
            ).stdout
        )
        for _ in range(runs)
    ]
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--iterations", type=int, default=300)
    parser.add_argument("--cold-runs", type=int, default=9)
    parser.add_argument("--cost-runs", type=int, default=30)
    args = parser.parse_args()
    client, stub = environment()

    print(f"\n1. Handler overhead, DynamoDB stubbed ({args.iterations} warm calls each)")
    print(f"   {'route':26} {'median ms':>10} {'p95 ms':>8}  status")
    for name, median, p95, status in overhead(stub, args.iterations):
        print(f"   {name:26} {median:10.3f} {p95:8.3f}  {status}")
    print("   budget: < 1 ms median for a JSON:API GET, < 3 ms for a 2-membership Concur update")

    print("\n2. DynamoDB requests per call (embedded DynamoDB, warm catalog)")
    for name, calls, status in requests_per_call(client):
        print(f"   {name:26} {len(calls)}  {' + '.join(calls):40} {status}")
    print("   budget: GET = auth + 1 read (the audit trail: 1 Query, however long);")
    print("   write = auth + <= 1 read + 1 write (its audit record one more action of it);")
    print("   hotel: auth + the BookingTravelers' logins (1 BatchGetItem) + 1 Query per traveller")

    print(f"\n3. Cold import with DynamoDB client (median of {args.cold_runs} fresh interpreters)")
    base = cold(BASELINE, args.cold_runs)
    print(f"   {'import boto3 + client':32} {base:8.1f} ms  1.00")
    seen = set()
    for route in routes():
        if route.function in seen:
            continue
        seen.add(route.function)
        ms = cold(handler_import(str(route.code_uri)), args.cold_runs)
        print(f"   {route.function:32} {ms:8.1f} ms  {ms / base:.2f}")
    print("   aim: ratio <= 1.5")

    print(f"\n4. What one call costs (units on the embedded DynamoDB; {args.cost_runs} warm calls)")

    def stub_from() -> StubDynamoDB:  # the embedded DynamoDB's items as they are now
        return StubDynamoDB(client.scan(TableName="bench")["Items"])

    for line in cost.section(client, stub_from, membership_cases, call, args.cost_runs):
        print(line)


if __name__ == "__main__":
    main()
