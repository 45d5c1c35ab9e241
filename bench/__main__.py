"""Benchmark (SPEC 9): prints four tables, asserts nothing.

1. handler overhead per route, DynamoDB stubbed (median, p95 of warm invocations);
2. DynamoDB requests per API call, against the embedded DynamoDB (moto);
3. cold start as deployed: each handler imported with its DynamoDB client from the
   `sam build` output (built for this machine by the same steps), in fresh python3.12
   interpreters, as a ratio to `import boto3` + one DynamoDB client (target 1.3), beside
   what the frameworks alone cost, and the first and second call after that import.
4. what one call costs: DynamoDB units per route with 1, 10 and 100 memberships a user,
   and an estimated price per million calls (`bench/cost.py`, `bench/prices.json`);
5. webhooks: local commit-to-delivery p50/p99 (`bench/webhooks.py`, its own process).

    python -m bench [--iterations 300] [--cold-runs 9] [--cost-runs 30] [--webhook-events 200]
"""

from __future__ import annotations

import argparse
import contextlib
import hashlib
import io
import json
import logging
import os
import platform
import shutil
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from bench import cost
from bench.stub import StubDynamoDB
from deploy.build import RUNTIME_PROVIDED
from local import gateway, template
from local.events import load_event
from local.template import ROOT, Route, load

Case = tuple[str, Callable[[int], dict[str, Any]]]
PYTHON_HERE = Path(sys.executable)


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
            route = route_of(event)  # the gateway's work, not the handler's
            stub.calls.clear()
            with contextlib.redirect_stdout(io.StringIO()):  # the handlers' EMF metric lines
                start = time.perf_counter()
                answer = gateway.invoke(route, event)
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


# --- 3. cold start as deployed ---------------------------------------------------------
# Each function imported from what `sam build` ships (function folder, layer, the runtime's
# boto3: Lambda's sys.path order), built by deploy/Makefile for this machine's architecture,
# in fresh python3.12 interpreters; then its first and second call, against the embedded
# DynamoDB over HTTP. The baseline: boto3 as the Lambda runtime holds it (with bytecode).

TARGET_RATIO = 1.3
PYTHON = ROOT / "deploy" / "python"  # the functions' runtime, python3.12
BUILT = ROOT / ".cache" / "bench" / "as-deployed"
# The call measured after each function's cold import: its most common request.
FIRST_CALLS = (
    "list_memberships",
    "list_providers",
    "concur_supplier_update",
    "hotel_enrich_search",
)

COLD_HANDLER = """
import os, sys, time
sys.path[:0] = sys.argv[1].split(os.pathsep)
start = time.perf_counter()
import handler
from loyalty_core.settings import get_repository
get_repository()
cold = time.perf_counter() - start
import json
event = json.loads(open(sys.argv[2]).read())
class Context:
    function_name = "bench"
    memory_limit_in_mb = 512
    invoked_function_arn = "arn:aws:lambda:us-east-1:123456789012:function:bench"
    aws_request_id = "bench"
    def get_remaining_time_in_millis(self):
        return 10_000
calls = []
for _ in range(2):
    start = time.perf_counter()
    answer = handler.lambda_handler(event, Context())
    calls.append(time.perf_counter() - start)
print(json.dumps({"cold": cold, "calls": calls, "status": answer["statusCode"]}))
"""
COLD_BASELINE = """
import os, sys, time
sys.path[:0] = sys.argv[1].split(os.pathsep)
start = time.perf_counter()
import boto3
client = boto3.client("dynamodb", endpoint_url=os.environ["DYNAMODB_ENDPOINT_URL"])
cold = time.perf_counter() - start
import json
calls = []
for _ in range(2):
    start = time.perf_counter()
    client.get_item(TableName=os.environ["TABLE_NAME"], Key={"pk": {"S": "-"}, "sk": {"S": "-"}})
    calls.append(time.perf_counter() - start)
print(json.dumps({"cold": cold, "calls": calls, "status": 200}))
"""
# What the chosen frameworks cost by themselves, measured in the same rounds: the floor
# beneath every handler's ratio. Powertools as the layer imports it (its package `__init__`s
# deferred by `loyalty_core.interfaces`), the Logger, Metrics and REST resolver every
# handler creates, and pydantic with one model (every handler builds models at import).
COLD_FRAMEWORKS = """
import os, sys, time
sys.path[:0] = sys.argv[1].split(os.pathsep)
start = time.perf_counter()
import loyalty_core.interfaces
from aws_lambda_powertools import Logger, Metrics
from aws_lambda_powertools.event_handler.api_gateway import APIGatewayRestResolver
Logger(); Metrics(); APIGatewayRestResolver()
if sys.argv[2] == "pydantic":
    from pydantic import BaseModel
    class One(BaseModel):
        name: str
        count: int = 0
    One(name="one")
import boto3
client = boto3.client("dynamodb", endpoint_url=os.environ["DYNAMODB_ENDPOINT_URL"])
cold = time.perf_counter() - start
import json
print(json.dumps({"cold": cold, "calls": [0.0, 0.0], "status": 200}))
"""
FRAMEWORKS = {  # subject: (its label, COLD_FRAMEWORKS' argument)
    "frameworks": ("+ Powertools", "-"),
    "frameworks+pydantic": ("+ Powertools + pydantic", "pydantic"),
}
FLOOR = "frameworks+pydantic"


def build_as_deployed() -> dict[str, Path]:
    """Every function and layer, built for this machine by deploy/Makefile's own targets
    (what `sam build` runs, LAMBDA_PLATFORM aside), and the runtime's boto3; rebuilt only
    when an input changed. Returns the build folder of each logical id, and `runtime`."""
    platform_tag = f"manylinux2014_{platform.machine()}"
    resources = {
        name: ROOT / (r["Properties"].get("CodeUri") or r["Properties"]["ContentUri"])
        for name, r in load()["Resources"].items()
        if (r.get("Metadata") or {}).get("BuildMethod") == "makefile"
    }
    lock = (ROOT / "requirements.lock").read_text()
    runtime_pins = [
        line.split(" ")[0]
        for line in lock.splitlines()
        if line.split("==")[0] in {*RUNTIME_PROVIDED, "jmespath"}  # boto3 and its dependencies
    ]
    inputs = [ROOT / "deploy", *resources.values()]
    digest = hashlib.sha256(f"{platform_tag} {runtime_pins}".encode())
    for path in sorted(p for folder in inputs for p in folder.rglob("*") if p.is_file()):
        if "__pycache__" not in path.parts:
            digest.update(str(path).encode() + path.read_bytes())
    stamp = BUILT / "inputs.sha256"
    folders = {name: BUILT / name for name in resources} | {"runtime": BUILT / "runtime"}
    if stamp.is_file() and stamp.read_text() == digest.hexdigest():
        return folders
    shutil.rmtree(BUILT, ignore_errors=True)
    (BUILT / "runtime-source").mkdir(parents=True)
    (BUILT / "runtime-source" / "requirements.txt").write_text("\n".join(runtime_pins) + "\n")
    make = [
        "make",
        "-s",
        "-f",
        str(ROOT / "deploy" / "Makefile"),
        f"LAMBDA_PLATFORM={platform_tag}",
    ]
    for name, source in resources.items():
        subprocess.run(
            [*make, f"build-{name}", f"ARTIFACTS_DIR={BUILT / name}"], cwd=source, check=True
        )
    runtime = [
        str(ROOT / "deploy" / "build.py"),
        str(BUILT / "runtime-source"),
        str(BUILT / "runtime"),
    ]
    subprocess.run(
        [str(PYTHON), *runtime, f"--platform={platform_tag}", "--as-runtime"], check=True
    )
    stamp.write_text(digest.hexdigest())
    return folders


def deployed_environment(endpoint: str) -> dict[str, str]:
    """The functions' environment as the template sets it (tracing off, its default), on the
    bench's tables in the embedded DynamoDB."""
    return template.environment("bench") | {
        "POWERTOOLS_TRACE_DISABLED": "true",
        "AWS_DEFAULT_REGION": "us-east-1",
        "AWS_ACCESS_KEY_ID": "bench",
        "AWS_SECRET_ACCESS_KEY": "bench",
        "DYNAMODB_ENDPOINT_URL": endpoint,
        "PYTHON312": python312(),
    }


def python312() -> str:
    """The interpreter deploy/python runs (the functions' runtime), by its own path."""
    found = subprocess.run(
        [str(PYTHON), "-c", "import sys; print(sys.executable)"],
        capture_output=True,
        text=True,
        check=True,
    )
    return found.stdout.strip()


def fresh(script: str, path: list[Path], env: dict[str, str], *args: str) -> dict[str, Any]:
    """One run in a fresh python3.12: isolated (no user site, no PYTHON* variables), no
    bytecode written (Lambda's code folders are read-only)."""
    done = subprocess.run(
        [env["PYTHON312"], "-I", "-B", "-c", script, os.pathsep.join(map(str, path)), *args],
        capture_output=True,
        text=True,
        check=True,
        env=env,
    )
    result: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def cold_start(
    runs: int, endpoint: str, events: dict[str, dict[str, Any]]
) -> tuple[dict[str, Any], dict[str, dict[str, Any]]]:
    """(baseline, {subject: ...}): median ms of import + client and of the first and second
    call, and the median of the per-round ratios to the baseline (each round runs every
    subject once, starting with another each time, so both sides of a ratio see the same
    load). The subjects: the FRAMEWORKS references, then each function."""
    built = build_as_deployed()
    env = deployed_environment(endpoint)
    layer = built["CoreLayer"] / "python"
    files = {}
    for function, event in events.items():
        files[function] = BUILT.parent / f"{function}.event.json"
        files[function].write_text(json.dumps(event))
    subjects = ["baseline", *FRAMEWORKS, *events]
    samples: dict[str, list[dict[str, Any]]] = {name: [] for name in subjects}
    for round_ in range(runs):
        for name in subjects[round_ % len(subjects) :] + subjects[: round_ % len(subjects)]:
            if name == "baseline":
                samples[name].append(fresh(COLD_BASELINE, [built["runtime"]], env))
            elif name in FRAMEWORKS:
                path = [layer, built["runtime"]]
                samples[name].append(fresh(COLD_FRAMEWORKS, path, env, FRAMEWORKS[name][1]))
            else:
                path = [built[name], layer, built["runtime"]]
                samples[name].append(fresh(COLD_HANDLER, path, env, str(files[name])))

    def summary(runs_: list[dict[str, Any]]) -> dict[str, Any]:
        return {
            "cold": statistics.median(r["cold"] for r in runs_) * 1000,
            "first": statistics.median(r["calls"][0] for r in runs_) * 1000,
            "second": statistics.median(r["calls"][1] for r in runs_) * 1000,
            "status": runs_[-1]["status"],
        }

    base = samples.pop("baseline")
    rows = {}
    for function, runs_ in samples.items():
        rows[function] = summary(runs_) | {
            "ratio": statistics.median(
                r["cold"] / b["cold"] for r, b in zip(runs_, base, strict=True)
            )
        }
    return summary(base), rows


def print_cold_start(runs: int) -> None:
    from local.dynamo import start_embedded

    logging.getLogger("werkzeug").setLevel(logging.ERROR)  # the embedded server's request log

    events: dict[str, dict[str, Any]] = {}
    for name in FIRST_CALLS:
        event = load_event(name)
        found = gateway.match(event["httpMethod"], event["path"])
        assert found is not None
        events[found.route.function] = event
    server, endpoint = start_embedded()  # the same moto backend as the demo data
    try:
        base, rows = cold_start(runs, endpoint, events)
    finally:
        server.stop()
    print(f"\n3. Cold start as deployed (sam build output built for {platform.machine()},")
    print(f"   python3.12 with its bytecode; median of {runs} fresh interpreters, interleaved)")
    print(f"   {'':30} {'import+client':>12} {'ratio':>6}  {'1st call':>9} {'2nd call':>9}")
    print(
        f"   {'boto3 + client (baseline)':30} {base['cold']:9.1f} ms {1:6.2f}"
        f"  {base['first']:6.1f} ms {base['second']:6.1f} ms  (GetItem)"
    )
    references = {name: rows.pop(name) for name in FRAMEWORKS}
    floor = references[FLOOR]
    for name, (label, _) in FRAMEWORKS.items():
        row = references[name]
        print(f"   {label:30} {row['cold']:9.1f} ms {row['ratio']:6.2f}  (frameworks alone)")
    for function, row in rows.items():
        verdict = "met" if row["ratio"] <= TARGET_RATIO else "MISSED"
        print(
            f"   {function:30} {row['cold']:9.1f} ms {row['ratio']:6.2f}"
            f"  {row['first']:6.1f} ms {row['second']:6.1f} ms  {row['status']}"
            f"  target {TARGET_RATIO}: {verdict}, own code {row['ratio'] - floor['ratio']:+.2f}"
        )
    print("   ratio: median of each round's handler / baseline; calls go to the embedded DynamoDB")
    print("   frameworks alone: boto3 + client, Powertools' Logger, Metrics and REST resolver as")
    print("   the layer imports them, then pydantic with one model; own code: a handler's ratio")
    print("   less that floor (its models, rules, codecs; lxml in the XML functions)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--iterations", type=int, default=300)
    parser.add_argument("--cold-runs", type=int, default=9)
    parser.add_argument("--cost-runs", type=int, default=30)
    parser.add_argument("--webhook-events", type=int, default=200)
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

    print_cold_start(args.cold_runs)

    print(f"\n4. What one call costs (units on the embedded DynamoDB; {args.cost_runs} warm calls)")

    def stub_from() -> StubDynamoDB:  # the embedded DynamoDB's items as they are now
        return StubDynamoDB(client.scan(TableName="bench")["Items"])

    for line in cost.section(client, stub_from, membership_cases, call, args.cost_runs):
        print(line)

    # Its own process: the embedded server and the pump, as `make run` runs them.
    done = subprocess.run(
        [str(PYTHON_HERE), "-m", "bench.webhooks", "--events", str(args.webhook_events)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    print(done.stdout.rstrip() if done.returncode == 0 else done.stderr[-2000:])


if __name__ == "__main__":
    main()
