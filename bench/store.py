"""Benchmark of the embedded store (SPEC 15; `make bench-store`): prints two tables, asserts
nothing.

1. One write's DynamoDB calls as the table grows (100, 2,100 and 10,000 items in the
   user's partition), in-process, moto's own code beside the embedded store's
   (local/dynamo.py): the service's Query of a user's memberships, its TransactWriteItems
   (guard, membership, audit record), and one that is cancelled.
2. `make run` under 10,000 writes to one user (a PATCH of one membership with its
   Idempotency-Key; each leaves an audit record): the memory of the front (every one of
   its processes, the store's included) and the time of a write at 100, 1,000 and 10,000
   writes, against SPEC 15's bounds: at most 600 MB more than at start, and a write at
   10,000 at most twice one at 100.

    python -m bench.store [--writes 10000] [--sizes 100,2100,10000] [--workers 2]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

from local import template
from local.dynamo import free_port
from local.events import SEED_CREATE

PARTITION = "user#bench"
MEMORY_BOUND_MB = 600.0
TIME_BOUND = 2.0
CHECKPOINTS = (100, 1_000, 10_000)
WINDOW = 50  # writes whose median is "a write at N": the last WINDOW up to N


def milliseconds(call: Callable[[], Any], runs: int) -> float:
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        call()
        times.append(time.perf_counter() - started)
    return statistics.median(times) * 1000


def filled_backend(items: int) -> Any:
    """A DynamoDB backend of moto holding the template's table, with `items` audit-record-
    sized items in one user's partition beside the user's profile."""
    from moto.dynamodb.models import DynamoDBBackend

    definition = template.table_definition()
    backend = DynamoDBBackend("us-east-1", "123456789012")
    backend.create_table(
        "bench",
        schema=definition["KeySchema"],
        throughput=None,
        attr=definition["AttributeDefinitions"],
        global_indexes=None,
        indexes=None,
        streams=None,
        billing_mode="PAY_PER_REQUEST",
        sse_specification=None,
        tags=[],
        deletion_protection_enabled=False,
        warm_throughput=None,
    )
    backend.put_item("bench", {"pk": {"S": PARTITION}, "sk": {"S": "profile"}, "n": {"N": "0"}})
    for n in range(items - 1):
        record = {"pk": {"S": PARTITION}, "sk": {"S": f"~change#{n:08}"}}
        backend.put_item("bench", {**record, "changes": {"S": "x" * 600}})
    return backend


def write(n: int, guard: str) -> list[dict[str, Any]]:
    """The service's TransactWriteItems: the profile's guard, a membership, an audit record."""
    key = {"pk": {"S": PARTITION}, "sk": {"S": "profile"}}
    return [
        {
            "Update": {
                "TableName": "bench",
                "Key": key,
                "UpdateExpression": "SET n = n + :one",
                "ConditionExpression": guard,
                "ExpressionAttributeValues": {":one": {"N": "1"}},
            }
        },
        {"Put": {"TableName": "bench", "Item": {"pk": key["pk"], "sk": {"S": "membership#1"}}}},
        {
            "Put": {
                "TableName": "bench",
                "Item": {"pk": key["pk"], "sk": {"S": f"~write#{n:08}"}, "c": {"S": "x" * 600}},
            }
        },
    ]


def time_calls(size: int, transact: Any, query: Any, runs: int) -> tuple[float, float, float]:
    """Median ms of the service's Query, a transaction, a cancelled one, at `size` items."""
    from moto.dynamodb.models.dynamo_type import DynamoType

    backend = filled_backend(size)
    table = backend.get_table("bench")
    counter = iter(range(10**6))
    profile, partition = DynamoType({"S": "profile"}), DynamoType({"S": PARTITION})

    def read() -> Any:
        return query(table, partition, "<=", [profile], None, None, True, None)

    def commit() -> None:
        transact(backend, write(next(counter), "attribute_exists(n)"))

    def cancelled() -> None:
        try:
            transact(backend, write(next(counter), "attribute_not_exists(n)"))
        except Exception as err:
            assert type(err).__name__ == "TransactionCanceledException", err

    return milliseconds(read, runs), milliseconds(commit, runs), milliseconds(cancelled, runs)


def print_calls(sizes: list[int]) -> None:
    from moto.dynamodb.models import DynamoDBBackend
    from moto.dynamodb.models.table import Table

    from local.dynamo import make_faithful, transact_write_items

    make_faithful()
    stores = {
        "moto": (DynamoDBBackend.moto_transact_write_items, Table.moto_query),  # type: ignore[attr-defined]
        "embedded": (transact_write_items, Table.query),
    }
    print("\n1. One write's calls as the user's partition grows (in-process, median ms)")
    print(f"   {'items':>7}  {'store':10} {'Query':>8} {'Transact':>9} {'cancelled':>10}")
    for size in sizes:
        for name, (transact, query) in stores.items():
            runs = 3 if name == "moto" and size > 5_000 else 15  # moto: a second a call
            read, commit, cancelled = time_calls(size, transact, query, runs)
            print(f"   {size:7,}  {name:10} {read:8.2f} {commit:9.2f} {cancelled:10.2f}")
    print("   moto copies every table a transaction touches and sorts the whole table on a")
    print("   Query; the embedded store undoes by the touched items and reads the key range")


# -- 2. make run under writes ------------------------------------------------------------------


def tree_rss_mb(pid: int) -> float:
    """Resident memory of a process and all its descendants (Linux /proc), in MB."""
    children: dict[int, list[int]] = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        children.setdefault(int(fields[1]), []).append(int(stat.parent.name))
    total, pending = 0, [pid]
    while pending:
        current = pending.pop()
        pending.extend(children.get(current, []))
        try:
            for line in Path(f"/proc/{current}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    total += int(line.split()[1])
        except OSError:
            continue
    return total / 1024


def start_front(workers: int) -> tuple[subprocess.Popen[str], str]:
    port = free_port()
    env = {**os.environ, "PORT": str(port), "WORKERS": str(workers)}
    for name in ("TABLE_NAME", "DYNAMODB_ENDPOINT_URL"):
        env.pop(name, None)
    front = subprocess.Popen(
        [sys.executable, "-m", "local.server"],
        cwd=template.ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    assert front.stdout is not None
    for line in front.stdout:
        if line.startswith("Ready"):
            break
    else:
        raise RuntimeError("the local front did not start")
    # Read (and drop) its request lines: a full pipe would block it.
    threading.Thread(target=lambda: all(front.stdout or ()), daemon=True).start()
    return front, f"http://127.0.0.1:{port}"


def print_writes(total: int, workers: int) -> None:
    import requests

    front, base = start_front(workers)
    session = requests.Session()
    headers = {
        "X-USER-USERNAME": "admin@acme.example",
        "X-USER-TOKEN": "acme-admin-token",
        "Content-Type": "application/vnd.api+json",
    }
    users = f"{base}/api/users/098765/loyalty_memberships"
    try:
        created = json.loads(json.dumps(SEED_CREATE).replace("H66590214", "H00000001"))
        answer = session.post(users, headers=headers, data=json.dumps(created), timeout=30)
        assert answer.status_code == 201, answer.text
        membership = f"{users}/{answer.json()['data']['id']}"
        for _ in range(workers * 3):  # every worker warm (imports done) before "start"
            session.get(users, headers=headers, timeout=30).raise_for_status()
        start = tree_rss_mb(front.pid)
        print(f"\n2. make run (WORKERS={workers}) under {total:,} writes to one user")
        print("   (PATCH of one membership, each with its Idempotency-Key and audit record)")
        print(f"   {'writes':>7} {'front MB':>9} {'+ MB':>7} {'write ms':>9}  (median of {WINDOW})")
        print(f"   {0:7,} {start:9.0f} {0:7.0f}")
        times: list[float] = []
        at: dict[int, tuple[float, float]] = {}
        began = time.monotonic()
        for n in range(1, total + 1):
            patch = {
                "data": {
                    "type": "loyalty_memberships",
                    "id": membership.rsplit("/", 1)[1],
                    "attributes": {"level": f"Level {n}"},
                }
            }
            sent = {**headers, "Idempotency-Key": str(uuid.uuid4())}
            started = time.perf_counter()
            answer = session.patch(membership, headers=sent, data=json.dumps(patch), timeout=30)
            times.append(time.perf_counter() - started)
            if answer.status_code != 200:
                raise RuntimeError(f"write {n}: {answer.status_code} {answer.text[:300]}")
            if n in CHECKPOINTS or n == total:
                rss = tree_rss_mb(front.pid)
                median = statistics.median(times[-WINDOW:]) * 1000
                at[n] = (rss - start, median)
                print(f"   {n:7,} {rss:9.0f} {rss - start:+7.0f} {median:9.1f}", flush=True)
        print(f"   {total:,} writes in {time.monotonic() - began:.0f} s")
        grown, last = at[total]
        first = at[min(at)][1]
        memory = "met" if grown <= MEMORY_BOUND_MB else "MISSED"
        pace = "met" if last <= TIME_BOUND * first else "MISSED"
        print(f"   bound: at most +{MEMORY_BOUND_MB:.0f} MB after {total:,} writes: {memory}")
        print(
            f"   bound: a write at {total:,} at most {TIME_BOUND:g} x one at {min(at):,}: "
            f"{last / first:.2f} x, {pace}"
        )
    finally:
        front.terminate()
        front.wait(timeout=30)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--writes", type=int, default=10_000)
    parser.add_argument("--sizes", default="100,2100,10000")
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args()
    print_calls([int(size) for size in args.sizes.split(",")])
    print_writes(args.writes, args.workers)


if __name__ == "__main__":
    main()
