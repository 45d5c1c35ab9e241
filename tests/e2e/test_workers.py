"""`make run` as several containers on one store (SPEC 15): workers serve requests at the
same time, each one at a time; the store's faults reach them over HTTP as they would from
DynamoDB (tests/faults.py). The races across containers build on the `containers` and
`faults` fixtures of tests/e2e/conftest.py."""

from __future__ import annotations

import os
import signal
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest
import requests
from botocore.config import Config
from botocore.exceptions import ClientError, ConnectionClosedError
from botocore.session import get_session

from tests.e2e.conftest import Containers
from tests.faults import RemoteFaults

pytestmark = pytest.mark.e2e

ADMIN = {"X-USER-USERNAME": "admin@acme.example", "X-USER-TOKEN": "acme-admin-token"}
TABLE = "loyalty-memberships-local"
KEY = {"pk": {"S": "fault-test"}, "sk": {"S": "item"}}


def memberships(base: str) -> int:
    url = f"{base}/api/users/098765/loyalty_memberships"
    return requests.get(url, headers=ADMIN, timeout=30).status_code


def test_two_requests_are_at_the_store_at_once(
    containers: Containers, faults: RemoteFaults
) -> None:
    """Each request's first store call waits at a gate until another request's call comes:
    only workers serving at the same time get both through it (a single one would serve
    the second request after the first, and each call would wait out the gate alone). A
    worker's first request imports its handler, so a pair may miss (a cold worker arrives
    late): a few tries."""
    with ThreadPoolExecutor(max_workers=2) as pool:
        for _ in range(5):
            faults.clear()
            faults.gate(None, count=2, timeout=0.9)  # under the client's read timeout (1 s)
            statuses = list(pool.map(memberships, [containers.base] * 2))
            assert statuses == [200, 200]
            gated = [call.fault for call in faults.calls()][:2]
            if gated == ["gate: opened"] * 2:
                break

    assert gated == ["gate: opened"] * 2
    assert faults.max_in_flight() >= 2


def test_each_worker_serves_one_request_at_a_time(containers: Containers) -> None:
    """More requests at once than workers: every one is answered, in full."""
    with ThreadPoolExecutor(max_workers=containers.workers * 2) as pool:
        statuses = list(pool.map(memberships, [containers.base] * containers.workers * 2))

    assert statuses == [200] * containers.workers * 2


@pytest.fixture
def client(containers: Containers) -> Any:
    """A client of the containers' store itself, one try a call."""
    return get_session().create_client(
        "dynamodb",
        region_name="us-east-1",
        endpoint_url=containers.store.endpoint,
        aws_access_key_id="local",
        aws_secret_access_key="local",
        config=Config(retries={"mode": "standard", "total_max_attempts": 1}, read_timeout=5),
    )


def stored(client: Any) -> bool:
    return "Item" in client.get_item(TableName=TABLE, Key=KEY, ConsistentRead=True)


def test_over_http_a_bare_500_has_no_error_code(client: Any, faults: RemoteFaults) -> None:
    client.delete_item(TableName=TABLE, Key=KEY)
    faults.fail_next("PutItem")

    with pytest.raises(ClientError) as raised:
        client.put_item(TableName=TABLE, Item=KEY)

    assert raised.value.response["ResponseMetadata"]["HTTPStatusCode"] == 500
    assert raised.value.response["Error"]["Code"] == "500"
    assert not stored(client)


@pytest.mark.parametrize("applied", [False, True])
def test_over_http_a_reset_connection_applies_as_told(
    client: Any, faults: RemoteFaults, applied: bool
) -> None:
    client.delete_item(TableName=TABLE, Key=KEY)
    faults.fail_next("PutItem", answer="reset", applied=applied)

    with pytest.raises(ConnectionClosedError):
        client.put_item(TableName=TABLE, Item=KEY)

    assert stored(client) is applied
    assert faults.calls()[1].fault == ("reset after applying" if applied else "reset")


def test_over_http_throttling_and_stalls(client: Any, faults: RemoteFaults) -> None:
    faults.fail_next("GetItem", answer="throttle")
    faults.stall_next("PutItem", delay=0.2)

    with pytest.raises(ClientError) as raised:
        stored(client)
    client.put_item(TableName=TABLE, Item=KEY)

    assert raised.value.response["Error"]["Code"] == "ThrottlingException"
    put = faults.calls()[-1]
    assert put.fault == "stall" and put.ended is not None and put.ended - put.started >= 0.2


def test_a_rule_the_store_cannot_apply_is_refused(containers: Containers) -> None:
    rules = f"{containers.store.endpoint}/_faults/rules"

    refused = requests.post(rules, json={"answer": "explode"}, timeout=10)
    unknown = requests.post(rules, json={"answer": "500", "when": "now"}, timeout=10)

    assert refused.status_code == 400 and "answer must be one of" in refused.json()["error"]
    assert unknown.status_code == 400


def workers_of(front: int) -> list[int]:
    """The front's worker processes (its children), from /proc."""
    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            parent = int(stat.read_text().rsplit(")", 1)[1].split()[1])
        except (OSError, IndexError, ValueError):
            continue
        if parent == front:
            found.append(int(stat.parent.name))
    return found


@pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="reads /proc")
def test_a_worker_that_dies_is_replaced(containers: Containers) -> None:
    workers = workers_of(containers.front.pid)
    assert len(workers) == containers.workers

    os.kill(workers[0], signal.SIGKILL)
    deadline = time.monotonic() + 60
    while not any("starting another" in line for line in list(containers.front.output)):
        assert time.monotonic() < deadline, "the front did not replace its worker"
        time.sleep(0.1)
    with ThreadPoolExecutor(max_workers=containers.workers) as pool:
        statuses = list(pool.map(memberships, [containers.base] * containers.workers))

    assert statuses == [200] * containers.workers
    now = workers_of(containers.front.pid)
    assert len(now) == containers.workers and workers[0] not in now
