"""What a cold start imports: each handler, and every request it answers, leaves Powertools'
package `__init__`s that import every resolver and every event class unrun
(`loyalty_core.imports`), so that neither the import nor a first request pays for them. A
handler's import leaves the modules its routes import on first use (`imports.deferred`)
unimported, and the SnapStart hook's warm-up imports every module any request imports."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Callable, Iterator
from functools import cache
from typing import Any

import pytest

from local import gateway
from local.events import EVENTS, load_event
from local.template import ROOT, functions, routes

DEFERRED = ("aws_lambda_powertools.event_handler", "aws_lambda_powertools.utilities.data_classes")
NOT_IMPORTED = (
    "aws_lambda_powertools.event_handler.appsync",  # and asyncio with it
    "aws_lambda_powertools.event_handler.bedrock_agent",
    "aws_lambda_powertools.utilities.data_classes.s3_event",
    "aws_xray_sdk",
)
# One process sets up moto (the table with the demo data, the jobs' bucket and queues)
# importing nothing of the layer, Powertools or the X-Ray SDK, then forks a fresh child per
# function: the child imports the handler, answers each event and reports what is imported
# after the import and after the requests. The demo data is seeded by a child of its own
# (the admin CLI imports the layer) and copied into the parent's table.
PROBE = r"""
import json, os, sys, traceback
from pathlib import Path

import boto3
from moto import mock_aws

from local.dynamo import ensure_tables
from local.jobs import prepare

names = json.loads(sys.argv[1])
watched = [*names["deferred"], *names["absent"]]


def state():
    return {
        "deferred": [n for n in names["deferred"] if "__getattr__" in vars(sys.modules[n])],
        "imported": [n for n in names["absent"] if n in sys.modules],
    }


def ours():  # our modules imported so far, and those deferred so far that are
    from loyalty_core import imports

    loaded = sorted(n for n in sys.modules if n.startswith("loyalty_core"))
    return loaded, sorted(n for n in imports._DEFERRED if n in sys.modules)


def forked(work, *args):
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:
        os.close(read)
        os.dup2(os.open(os.devnull, os.O_WRONLY), 1)  # what the child logs is not its report
        try:
            out = json.dumps(work(*args))
        except BaseException:
            out = json.dumps({"error": traceback.format_exc()})
        with os.fdopen(write, "w") as pipe:
            pipe.write(out)
        os._exit(0)
    os.close(write)
    with os.fdopen(read) as pipe:
        found = json.loads(pipe.read())
    os.waitpid(pid, 0)
    return found


def seeded():
    from local.admin import Admin
    from local.demo import seed

    seed(Admin(client, "bench"))
    items, page = [], {"LastEvaluatedKey": None}
    while "LastEvaluatedKey" in page:
        more = {"ExclusiveStartKey": page["LastEvaluatedKey"]} if page["LastEvaluatedKey"] else {}
        page = client.scan(TableName="bench", **more)
        items += page["Items"]
    return items


def probe(code_uri, events, warm=False):
    sys.path.insert(0, code_uri)
    if warm:  # the managed runtime's SnapStart module: the hooks the handler registers
        import types

        hooks = types.ModuleType("snapshot_restore_py")
        hooks.before = []
        hooks.register_before_snapshot = lambda f, *a, **k: hooks.before.append((f, a, k))
        hooks.register_after_restore = lambda f, *a, **k: None
        sys.modules["snapshot_restore_py"] = hooks
    import handler

    after_import = state()
    modules, deferred_imported = ours()
    if warm:  # before the snapshot, instead of requests
        for func, args, kwargs in hooks.before:
            func(*args, **kwargs)
        return {"import": after_import, "warmed": ours()[0]}
    from local.gateway import LambdaContext

    statuses = []
    for event in json.loads(Path(events).read_text()):
        answer = handler.lambda_handler(event, LambdaContext("bench", 900.0))
        statuses.append(answer.get("statusCode", 200))  # (the jobs' worker answers no HTTP)
    return {
        "import": after_import,
        "requests": state(),
        "statuses": statuses,
        "ours_at_init": modules,
        "deferred_imported_at_init": deferred_imported,
        "ours_after_requests": ours()[0],
    }


mock_aws().start()
client = boto3.client("dynamodb", region_name="us-east-1")
ensure_tables(client, "bench")
demo = forked(seeded)
for start in range(0, len(demo), 25):
    batch = [{"PutRequest": {"Item": item}} for item in demo[start : start + 25]]
    client.batch_write_item(RequestItems={"bench": batch})
s3, sqs = (boto3.client(name, region_name="us-east-1") for name in ("s3", "sqs"))
os.environ.update(prepare(s3, sqs))
untouched = not any(n in sys.modules for n in watched) and "loyalty_core" not in sys.modules
print(json.dumps({"ready": untouched, "items": len(demo)}), flush=True)
for line in sys.stdin:
    print(json.dumps(forked(probe, *json.loads(line))), flush=True)
"""


# The jobs' worker has no route: a queued step (of a job no one started: nothing to do), and
# an upload's notification as EventBridge delivers it.
WORKER_EVENTS = [
    {
        "Records": [
            {
                "eventSource": "aws:sqs",
                "body": json.dumps({"company": "acme", "job": "none", "phase": "apply"}),
            }
        ]
    },
    {
        "source": "aws.s3",
        "detail-type": "Object Created",
        "detail": {"bucket": {"name": "b"}, "object": {"key": "imports/acme/none/source"}},
    },
]


def events_by_function() -> dict[str, list[dict[str, Any]]]:
    """Every sample event, with another method and an unknown path, per function."""
    found: dict[str, list[dict[str, Any]]] = {name: [] for name in functions()}
    found["MembershipJobWorkerFunction"] = WORKER_EVENTS
    for path in sorted(EVENTS.glob("*.json")):
        event = load_event(path.stem)
        matched = gateway.match(event["httpMethod"], event["path"])
        assert matched is not None
        found[matched.route.function] += [
            event,
            {**event, "httpMethod": "PUT"},
            {**event, "path": f"{event['path']}/x/y"},
        ]
    return found


# The functions behind API routes (the webhook fan-out and delivery, invoked by the stream
# and the queue, take Powertools' batch processing, which imports its event classes).
API_FUNCTIONS = sorted({route.function for route in routes()})


@pytest.fixture(scope="module")
def prober(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Callable[..., dict[str, Any]]]:
    """The probe process, ready; a call probes one function's handler with its sample events
    (`events_by_function`), or, `warm=True`, runs the SnapStart hooks it registers instead.
    Each function's probe runs once for all the tests that read its report."""
    env = {
        "PATH": os.environ.get("PATH", ""),
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_DEFAULT_REGION": "us-east-1",
        "TABLE_NAME": "bench",
        "POWERTOOLS_TRACE_DISABLED": "true",
        "POWERTOOLS_METRICS_NAMESPACE": "Bench",
        "PYTHONPATH": str(ROOT),
    }
    names = {"deferred": list(DEFERRED), "absent": list(NOT_IMPORTED)}
    process = subprocess.Popen(
        [sys.executable, "-c", PROBE, json.dumps(names)],
        cwd=ROOT,
        env=env,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    assert process.stdin is not None and process.stdout is not None
    stdin, stdout = process.stdin, process.stdout

    @cache
    def probe(function: str, warm: bool = False) -> dict[str, Any]:
        code_uri = str(ROOT / functions()[function]["CodeUri"])
        events = tmp_path_factory.mktemp("events") / "events.json"
        events.write_text(json.dumps(events_by_function()[function]))
        stdin.write(json.dumps([code_uri, str(events), warm]) + "\n")
        stdin.flush()
        report: dict[str, Any] = json.loads(stdout.readline())
        assert "error" not in report, report["error"]
        return report

    try:
        ready = json.loads(stdout.readline())
        # the process that forks each probe imported none of what the probes watch
        assert ready["ready"] is True and ready["items"] > 0, ready
        yield probe
    finally:
        stdin.close()
        process.wait(timeout=30)


@pytest.mark.parametrize("function", API_FUNCTIONS)
def test_neither_the_import_nor_a_request_runs_the_deferred_package_inits(
    function: str, prober: Callable[..., dict[str, Any]]
) -> None:
    events = events_by_function()[function]
    report = prober(function)
    assert report["import"] == {"deferred": list(DEFERRED), "imported": []}
    assert report["requests"] == {"deferred": list(DEFERRED), "imported": []}
    assert len(report["statuses"]) == len(events)
    assert 500 not in report["statuses"]
    assert any(200 <= s < 300 for s in report["statuses"])


# Modules that only some routes of a function need, or none of its requests: its import
# leaves them unimported (the routes import them on first use, `imports.deferred`).
ROUTE_ONLY = {
    "LoyaltyMembershipsFunction": (
        "loyalty_core.interfaces.locomote.documents",  # request bodies
        "loyalty_core.interfaces.locomote.operations",  # the atomic operations
        "loyalty_core.services.operations",
        "loyalty_core.services.history",  # the trail
        "loyalty_core.models.audit",  # what a write records
        "loyalty_core.repository.records",
    ),
    "LoyaltyProvidersFunction": (
        "loyalty_core.interfaces.locomote.documents",
        "loyalty_core.models.membership",
    ),
    "ApiDocsFunction": ("loyalty_core.models.membership", "loyalty_core.models.party"),
    "ConcurLoyaltyFunction": (
        "loyalty_core.models.principal",  # its callers are applications, not users
        "loyalty_core.repository.login",
        "loyalty_core.interfaces.links",
        "loyalty_core.interfaces.negotiation",
    ),
    "WebhookSubscriptionsFunction": (
        "loyalty_core.services.webhooks.replay",
        "loyalty_core.models.deliveries",
        "loyalty_core.services.webhooks.signing",
        "loyalty_core.services.webhooks.targets",
    ),
    "MembershipJobsFunction": (
        "loyalty_core.interfaces.locomote.job_requests",
        "loyalty_core.services.imports",
        "loyalty_core.models.membership",
    ),
}
# Modules deferred by one module that a function imports at init all the same, because every
# one of its requests needs them (the Concur function's one route writes an audit record).
DEFERRED_BUT_NEEDED_AT_INIT = {"ConcurLoyaltyFunction": ["loyalty_core.models.audit"]}


@pytest.mark.parametrize("function", API_FUNCTIONS)
def test_a_handler_imports_none_of_the_modules_its_routes_import_on_first_use(
    function: str, prober: Callable[..., dict[str, Any]]
) -> None:
    report = prober(function)
    assert report["deferred_imported_at_init"] == DEFERRED_BUT_NEEDED_AT_INIT.get(function, [])
    assert not set(ROUTE_ONLY.get(function, ())) & set(report["ours_at_init"])


@pytest.mark.parametrize("function", API_FUNCTIONS)
def test_the_snapstart_warm_up_imports_every_module_a_request_imports(
    function: str, prober: Callable[..., dict[str, Any]]
) -> None:
    answered = prober(function)["ours_after_requests"]
    warmed = prober(function, warm=True)["warmed"]
    assert set(answered) - set(warmed) == set()
