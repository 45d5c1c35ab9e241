"""Section 3 of `make bench`: cold start as deployed.

Each function imported from what `sam build` ships (function folder, layer, the runtime's
boto3: Lambda's sys.path order), built by deploy/Makefile for this machine's architecture,
in fresh python3.12 interpreters; then its first and second call, against the embedded
DynamoDB over HTTP. The baseline: boto3 as the Lambda runtime holds it (with bytecode).
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import platform
import shutil
import statistics
import subprocess
from pathlib import Path
from typing import Any

from deploy.build import RUNTIME_PROVIDED
from local import gateway, template
from local.events import load_event
from local.template import ROOT, load

# SPEC 9: each function's own code adds at most this share of the baseline over the line of
# the frameworks it uses.
OWN_CODE_TARGET = 0.05
PYTHON = ROOT / "deploy" / "python"  # the functions' runtime, python3.12
BUILT = ROOT / ".cache" / "bench" / "as-deployed"
# The call measured after each function's cold import: its most common request.
FIRST_CALLS = (
    "list_memberships",
    "list_providers",
    "concur_supplier_update",
    "hotel_enrich_search",
    "openapi_document",
    "list_webhook_subscriptions",
    "get_import",
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
uses = [name for name in ("pydantic", "lxml") if name in sys.modules]
calls = []
for _ in range(2):
    start = time.perf_counter()
    answer = handler.lambda_handler(event, Context())
    calls.append(time.perf_counter() - start)
print(json.dumps({"cold": cold, "calls": calls, "status": answer["statusCode"], "uses": uses}))
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
if "pydantic" in sys.argv[2]:
    from pydantic import BaseModel
    class One(BaseModel):
        name: str
        count: int = 0
    One(name="one")
if "lxml" in sys.argv[2]:
    from lxml import etree
    etree.fromstring(b"<one/>")
import boto3
client = boto3.client("dynamodb", endpoint_url=os.environ["DYNAMODB_ENDPOINT_URL"])
cold = time.perf_counter() - start
import json
print(json.dumps({"cold": cold, "calls": [0.0, 0.0], "status": 200}))
"""
FRAMEWORKS = {  # subject: (its label, COLD_FRAMEWORKS' argument)
    "frameworks": ("+ Powertools", "-"),
    "frameworks+pydantic": ("+ Powertools + pydantic", "pydantic"),
    "frameworks+pydantic+lxml": ("+ Powertools + pydantic + lxml", "pydantic+lxml"),
}


def floor_of(uses: list[str]) -> str:
    """The frameworks' line beneath a function that imports `uses` (of pydantic, lxml)."""
    return "+".join(["frameworks", *uses])


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


def jobs_environment(endpoint: str) -> dict[str, str]:
    """The company jobs' bucket and queues in the embedded server, and the variables that
    point the jobs' function at them (as under `make run`)."""
    import boto3

    from local import jobs

    made = [
        boto3.client(name, endpoint_url=endpoint, region_name="us-east-1")  # the bench's keys
        for name in ("s3", "sqs")
    ]
    return jobs.prepare(*made) | {"AWS_ENDPOINT_URL_S3": endpoint, "AWS_ENDPOINT_URL_SQS": endpoint}


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
    runs: int, endpoint: str, events: dict[str, dict[str, Any]], extra: dict[str, str]
) -> tuple[dict[str, Any], dict[str, dict[str, Any]]]:
    """(baseline, {subject: ...}): median ms of import + client and of the first and second
    call, and the median of the per-round ratios to the baseline (each round runs every
    subject once, starting with another each time, so both sides of a ratio see the same
    load). The subjects: the FRAMEWORKS references, then each function."""
    built = build_as_deployed()
    env = deployed_environment(endpoint) | extra
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
            "request": statistics.median(r["cold"] + r["calls"][0] for r in runs_) * 1000,
            "status": runs_[-1]["status"],
            "uses": runs_[-1].get("uses", []),
        }

    def request(run: dict[str, Any]) -> float:  # import, init and the first request
        return float(run["cold"] + run["calls"][0])

    base = samples.pop("baseline")
    rows = {}
    for function, runs_ in samples.items():
        pairs = list(zip(runs_, base, strict=True))
        rows[function] = summary(runs_) | {
            "ratio": statistics.median(r["cold"] / b["cold"] for r, b in pairs),
            "request_ratio": statistics.median(request(r) / request(b) for r, b in pairs),
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
        base, rows = cold_start(runs, endpoint, events, jobs_environment(endpoint))
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
    for name, (label, _) in FRAMEWORKS.items():
        row = references[name]
        print(f"   {label:30} {row['cold']:9.1f} ms {row['ratio']:6.2f}  (frameworks alone)")
    for function, row in rows.items():
        floor = floor_of(row["uses"])
        own = row["ratio"] - references[floor]["ratio"]
        verdict = "met" if own <= OWN_CODE_TARGET else "MISSED"
        print(
            f"   {function:30} {row['cold']:9.1f} ms {row['ratio']:6.2f}"
            f"  {row['first']:6.1f} ms {row['second']:6.1f} ms  {row['status']}"
            f"  own code {own:+.2f} over {FRAMEWORKS[floor][0][2:]}:"
            f" {verdict} (target +{OWN_CODE_TARGET})"
        )
    print("   ratio: median of each round's handler / baseline; calls go to the embedded DynamoDB")
    print("   frameworks alone: boto3 + client, Powertools' Logger, Metrics and REST resolver as")
    print("   the layer imports them, then pydantic with one model, then lxml parsing one element;")
    print("   own code: a handler's ratio less the line of the frameworks it imports (its models,")
    print("   rules, codecs)")
    print(f"\n   A whole cold request (import, init, first request) {'':6} {'ms':>8} {'ratio':>6}")
    print(f"   {'boto3 + client + GetItem (baseline)':52} {base['request']:8.1f} {1:6.2f}")
    for function, row in rows.items():
        print(f"   {function:52} {row['request']:8.1f} {row['request_ratio']:6.2f}")
    print("   the first request's hidden costs show here: botocore's request path, the catalog")
    print("   read, pydantic's first validation of each model")
