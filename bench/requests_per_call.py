"""Section 2 of `make bench`: the DynamoDB requests each route makes, against the embedded
DynamoDB (moto) with a warm catalog."""

from __future__ import annotations

from typing import Any

from bench.calls import call, creator, membership_cases
from local.events import load_event


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


def print_requests_per_call(client: Any) -> None:
    print("\n2. DynamoDB requests per call (embedded DynamoDB, warm catalog)")
    for name, calls, status in requests_per_call(client):
        print(f"   {name:26} {len(calls)}  {' + '.join(calls):40} {status}")
    print("   budget: GET = auth + 1 read (the audit trail: 1 Query, however long);")
    print("   write = auth + <= 1 read + 1 write (its audit record one more action of it; a")
    print("   write touching 49+ memberships first writes the index entries its transaction")
    print("   has no room for: 1 BatchWriteItem);")
    print("   hotel: auth + the BookingTravelers' logins (1 BatchGetItem) + 1 Query per traveller")
