"""Section 1 of `make bench`: each route's handler overhead, DynamoDB stubbed (median and
p95 of warm invocations)."""

from __future__ import annotations

import contextlib
import io
import statistics
import time

from bench.calls import creator, membership_cases, route_of
from bench.stub import StubDynamoDB
from local import gateway


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(len(ordered) * share))]


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


def print_overhead(stub: StubDynamoDB, iterations: int) -> None:
    print(f"\n1. Handler overhead, DynamoDB stubbed ({iterations} warm calls each)")
    print(f"   {'route':26} {'median ms':>10} {'p95 ms':>8}  status")
    for name, median, p95, status in overhead(stub, iterations):
        print(f"   {name:26} {median:10.3f} {p95:8.3f}  {status}")
    print("   budget: < 1 ms median for a JSON:API GET, < 3 ms for a 2-membership Concur update")
