"""Section 5 of `make bench`: the enrichment reads its travellers at once. The call's time
with 1 and with 9 travellers (an AirCreateReservationReq, each BookingTraveler a user of
the company holding a Qantas membership) against the stubbed store made to take a fixed
time to answer each request: auth, the BookingTravelers' logins (one BatchGetItem), then
one Query per traveller. Read one after another, nine travellers would wait for eleven
requests; read at once, for about three, as one traveller does."""

from __future__ import annotations

import contextlib
import io
import re
import statistics
import time
from typing import Any

from bench.calls import add_traveller, call, route_of
from bench.stub import StubDynamoDB
from local import gateway
from local.events import load_event

DELAY = 0.02  # seconds the store takes to answer each request
TRAVELLERS = (1, 9)
QANTAS = "9c5b9246-2cce-11e8-87f9-0662bed6e7db"


class SlowDynamoDB(StubDynamoDB):
    """The stub, answering each request after `DELAY`, from any thread."""

    def get_item(self, **kwargs: Any) -> dict[str, Any]:
        time.sleep(DELAY)
        return super().get_item(**kwargs)

    def query(self, **kwargs: Any) -> dict[str, Any]:
        time.sleep(DELAY)
        return super().query(**kwargs)

    def batch_get_item(self, **kwargs: Any) -> dict[str, Any]:
        time.sleep(DELAY)
        return super().batch_get_item(**kwargs)


def _give_travellers(client: Any) -> None:
    """Nine users of acme (bench1@acme.example, ...), each holding a Qantas membership."""
    for n in range(1, 10):
        add_traveller(client, "bench", f"bench{n}", f"Bench {n}")
        event = load_event("create_membership", path_parameters={"employee_id": f"bench{n}"})
        body = re.sub(r'"id": "098765"', f'"id": "bench{n}"', event["body"])
        body = body.replace("9c5b90ff-2cce-11e8-87f9-0662bed6e7db", QANTAS)
        answer = call({**event, "body": body.replace("H66590214", f"QF{n:05d}")})
        assert answer["statusCode"] == 201, answer["body"]


def booking(travellers: int) -> dict[str, Any]:
    """The air booking example, its BookingTravelers the first `travellers` bench users."""
    event = load_event("enrich_air_reservation")
    travellers_element = re.compile(r"<com:BookingTraveler .*?</com:BookingTraveler>\s*", re.S)
    body = travellers_element.sub("", event["body"])
    listed = "".join(
        f'<com:BookingTraveler Key="b{n}"><com:Email EmailID="bench{n}@acme.example"/>'
        "</com:BookingTraveler>"
        for n in range(1, travellers + 1)
    )
    body = body.replace("<air:AirPricingSolution", listed + "<air:AirPricingSolution", 1)
    return {**event, "body": body}


def timings(client: Any, runs: int) -> list[tuple[int, list[str], float, int]]:
    """(travellers, the requests of one call, median ms, status) for 1 and 9 travellers."""
    from loyalty_core import settings

    _give_travellers(client)
    stub = SlowDynamoDB(client.scan(TableName="bench")["Items"])  # admin tooling: a scan
    real_client = settings.dynamodb_client
    settings.dynamodb_client = lambda: stub  # type: ignore[assignment]
    settings.get_repository.cache_clear()
    rows = []
    try:
        call(load_event("list_providers"))  # a warm container has read the catalog
        for travellers in TRAVELLERS:
            event = booking(travellers)
            route = route_of(event)
            elapsed = []
            for _ in range(runs + 2):  # two to warm up
                stub.calls.clear()
                with contextlib.redirect_stdout(io.StringIO()):
                    start = time.perf_counter()
                    answer = gateway.invoke(route, event)
                    elapsed.append((time.perf_counter() - start) * 1000)
            rows.append(
                (travellers, list(stub.calls), statistics.median(elapsed[2:]), answer["statusCode"])
            )
    finally:
        settings.dynamodb_client = real_client  # type: ignore[assignment]
        settings.get_repository.cache_clear()
    return rows


def print_travellers(client: Any, runs: int) -> None:
    ms = DELAY * 1000
    print(
        f"\n5. Enrichment travellers read at once (each store request takes {ms:.0f} ms;"
        f" {runs} calls)"
    )
    print(f"   {'travellers':>10}  {'requests':40} {'median ms':>9}  {'waits for':>12}  status")
    for travellers, calls, median, status in timings(client, runs):
        requests = f"{calls.count('Query')} Query" if calls else ""
        listed = " + ".join(c for c in dict.fromkeys(calls) if c != "Query") + f" + {requests}"
        waited = f"{median / ms:.1f} requests"
        print(f"   {travellers:>10}  {listed:40} {median:9.1f}  {waited:>12}  {status}")
    print(
        "   read one after another, 9 travellers would wait for 11 requests; at once, for about"
        " 3 (auth, the logins, the Queries together), as 1 traveller does"
    )
