"""What a cold start imports: each handler, and every request it answers, leaves Powertools'
package `__init__`s that import every resolver and every event class unrun
(`loyalty_core.imports`), so that neither the import nor a first request pays for them."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
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
# In a fresh interpreter: import the handler, then answer each event on moto (seeded with the
# demo data); report what is imported after the import, and after the requests.
PROBE = """
import json, sys
from pathlib import Path
sys.path.insert(0, sys.argv[1])
import handler
names = json.loads(sys.argv[2])

def state():
    return {
        "deferred": [n for n in names["deferred"] if "__getattr__" in vars(sys.modules[n])],
        "imported": [n for n in names["absent"] if n in sys.modules],
    }

after_import = state()
from moto import mock_aws
from local.admin import Admin
from local.demo import seed
from local.dynamo import ensure_tables
from local.gateway import LambdaContext
from local.jobs import prepare
from loyalty_core import settings
import os
statuses = []
with mock_aws():
    client = settings.dynamodb_client()
    ensure_tables(client, "bench")
    seed(Admin(client, "bench"))
    os.environ.update(prepare(settings.s3_client(), settings.sqs_client()))
    settings.reset()
    for event in json.loads(Path(sys.argv[3]).read_text()):
        answer = handler.lambda_handler(event, LambdaContext("bench", 900.0))
        statuses.append(answer.get("statusCode", 200))  # (the jobs' worker answers no HTTP)
print(json.dumps({"import": after_import, "requests": state(), "statuses": statuses}))
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


@pytest.mark.parametrize("function", API_FUNCTIONS)
def test_neither_the_import_nor_a_request_runs_the_deferred_package_inits(
    function: str, tmp_path: Path
) -> None:
    events = events_by_function()[function]
    (tmp_path / "events.json").write_text(json.dumps(events))
    env = {
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_DEFAULT_REGION": "us-east-1",
        "TABLE_NAME": "bench",
        "POWERTOOLS_TRACE_DISABLED": "true",
        "POWERTOOLS_METRICS_NAMESPACE": "Bench",
    }
    names = {"deferred": list(DEFERRED), "absent": list(NOT_IMPORTED)}
    code_uri = str(ROOT / functions()[function]["CodeUri"])
    done = subprocess.run(
        [sys.executable, "-c", PROBE, code_uri, json.dumps(names), str(tmp_path / "events.json")],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    report = json.loads(done.stdout.strip().splitlines()[-1])
    assert report["import"] == {"deferred": list(DEFERRED), "imported": []}
    assert report["requests"] == {"deferred": list(DEFERRED), "imported": []}
    assert len(report["statuses"]) == len(events)
    assert 500 not in report["statuses"]
    assert any(200 <= s < 300 for s in report["statuses"])
