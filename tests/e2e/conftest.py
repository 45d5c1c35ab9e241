"""The local HTTP front, started as `make run` starts it: a fresh one for each test module;
and the front as several containers (WORKERS=4) on one embedded store with faults on
demand (tests/faults.py), for the races and faults across containers."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import time
from collections import deque
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

import pytest
import requests

from local import template
from local.dynamo import free_port
from local.template import ROOT
from tests.faults import FaultyStore, RemoteFaults, running_store


@dataclass
class LocalFront:
    base: str
    printed: str  # what it printed up to "Ready": routes and the curl examples
    output: deque[str] = field(default_factory=lambda: deque(maxlen=500))  # later lines
    pid: int = 0  # the front's own process (its workers are its children)


@contextmanager
def running_front(**environment: str) -> Iterator[LocalFront]:
    """The local front as `make run` starts it (`environment` added), until the block ends."""
    port = free_port()
    env = {**os.environ, "PORT": str(port)}
    # As `make run` starts: none of the functions' variables that the in-process tests of
    # this worker may have set (their test tables' names would point the front elsewhere).
    for name in ("TABLE_NAME", "DYNAMODB_ENDPOINT_URL", *template.environment("unused")):
        env.pop(name, None)
    env.update(environment)
    process = subprocess.Popen(
        [sys.executable, "-m", "local.server"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    assert process.stdout is not None
    try:
        printed = []
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            line = process.stdout.readline()
            printed.append(line)
            if line.startswith("Ready"):
                break
            if process.poll() is not None:
                pytest.fail("the local front exited: " + "".join(printed))
        front = LocalFront(f"http://127.0.0.1:{port}", "".join(printed), pid=process.pid)
        # Keep reading what it prints (a line per request), so a full pipe never blocks it.
        threading.Thread(target=front.output.extend, args=(process.stdout,), daemon=True).start()
        requests.get(f"{front.base}/openapi.json", timeout=10).raise_for_status()
        yield front
    finally:
        process.terminate()
        process.wait(timeout=10)


@pytest.fixture(scope="module")
def local_front() -> Iterator[LocalFront]:
    with running_front() as front:
        yield front


@dataclass
class Containers:
    """The front with several workers (each like one Lambda container) on one store."""

    base: str  # the front's URL
    faults: RemoteFaults  # the store's faults, on demand
    store: FaultyStore  # its endpoint (DYNAMODB_ENDPOINT_URL), to call it directly
    front: LocalFront
    workers: int


@pytest.fixture(scope="module")
def containers() -> Iterator[Containers]:
    """`WORKERS=4 make run` against the faithful embedded store in a process of its own,
    with faults at its door: one per test module, demo data loaded. The tests' DynamoDB
    budget (an emulated store on a busy machine is no measure of DynamoDB; the production
    budget is held by test_stalled_store.py)."""
    with (
        running_store() as store,
        running_front(
            WORKERS="4", DYNAMODB_ENDPOINT_URL=store.endpoint, STORE_BUDGET_SECONDS="30"
        ) as front,
    ):
        yield Containers(front.base, store.faults, store, front, 4)


@pytest.fixture
def faults(containers: Containers) -> Iterator[RemoteFaults]:
    """The containers' store faults, none at the start or the end of the test."""
    containers.faults.clear()
    yield containers.faults
    containers.faults.clear()
