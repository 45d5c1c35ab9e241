"""Section 4 of `make bench`: what one call costs.

Per route, the DynamoDB read and write request units of one call when the users it names
hold 1, 10 and 100 memberships (100 is the most a user may hold), and an estimated price
per million calls from `bench/prices.json`.

The units are computed from the items each request reads and writes, rounded as DynamoDB
rounds them: a strongly consistent read costs 1 unit per 4 KB (a Query sums its items
before rounding; a missing item still costs 1), a transactional write 2 units per 1 KB of
each item, the larger of its sizes before and after. The embedded DynamoDB's own
`ReturnConsumedCapacity` is no help: moto answers a fixed 1.0 for every read whatever its
size, and nothing for a transaction.
"""

from __future__ import annotations

import copy
import json
import math
import statistics
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

from local import template
from local.events import load_event

PRICES = Path(__file__).resolve().parent / "prices.json"
SIZES = (1, 10, 100)
USERS = ("098765", "112233")  # John (the JSON:API and Concur events), Jane (the hotel ones)
READ_BLOCK, WRITE_BLOCK = 4096, 1024


# -- item sizes and units, as DynamoDB counts them -----------------------------------------


def value_size(value: dict[str, Any]) -> int:
    """Bytes of one attribute value (DynamoDB's item size rules)."""
    ((kind, data),) = value.items()
    if kind == "S":
        return len(data.encode("utf-8"))
    if kind == "N":  # about one byte per two significant digits, plus one
        digits = Decimal(data).normalize().as_tuple().digits
        return math.ceil(len(digits) / 2) + 1
    if kind in ("BOOL", "NULL"):
        return 1
    if kind == "B":
        return len(data)
    if kind == "L":
        return 3 + sum(value_size(v) + 1 for v in data)
    if kind == "M":
        return 3 + sum(len(k.encode("utf-8")) + value_size(v) + 1 for k, v in data.items())
    if kind in ("SS", "NS", "BS"):
        return sum(value_size({kind[0]: v}) for v in data)
    raise TypeError(f"unknown DynamoDB type {kind}")


def item_size(item: dict[str, Any] | None) -> int:
    """Bytes of an item: each attribute's name and value."""
    return sum(len(name.encode("utf-8")) + value_size(v) for name, v in (item or {}).items())


def blocks(size: int, block: int) -> int:
    return max(1, math.ceil(size / block))


@dataclass
class Units:
    reads: float = 0.0
    writes: float = 0.0
    requests: list[str] = field(default_factory=list)


class Meter:
    """Counts the request units of every DynamoDB call `client` makes; `peek` (another
    client on the same store) reads items before and after each transaction."""

    def __init__(self, client: Any, peek: Any, table: str) -> None:
        self.client, self.peek, self.table = client, peek, table
        self.units: Units | None = None  # counting only inside `counting()`
        self._params: dict[str, Any] = {}
        self._before: list[int] = []
        client.meta.events.register("before-parameter-build.dynamodb", self._sent)
        client.meta.events.register("after-call.dynamodb", self._answered)

    def close(self) -> None:
        self.client.meta.events.unregister("before-parameter-build.dynamodb", self._sent)
        self.client.meta.events.unregister("after-call.dynamodb", self._answered)

    @contextmanager
    def counting(self) -> Iterator[Units]:
        self.units = units = Units()
        try:
            yield units
        finally:
            self.units = None

    def _size_now(self, key: dict[str, Any]) -> int:
        found = self.peek.get_item(TableName=self.table, Key=key, ConsistentRead=True)
        return item_size(found.get("Item"))

    def _keys(self, actions: list[dict[str, Any]]) -> list[dict[str, Any]]:
        keys = []
        for action in actions:
            ((_, body),) = action.items()
            item = body.get("Item") or body["Key"]
            keys.append({"pk": item["pk"], "sk": item["sk"]})
        return keys

    def _sent(self, params: dict[str, Any], model: Any, **_: Any) -> None:
        self._params = params
        if self.units is not None and model.name == "TransactWriteItems":
            self._before = [self._size_now(key) for key in self._keys(params["TransactItems"])]

    def _answered(self, parsed: dict[str, Any], model: Any, **_: Any) -> None:
        params, units = self._params, self.units
        if units is None:
            return
        units.requests.append(model.name)
        share = 1.0 if params.get("ConsistentRead") else 0.5
        if model.name == "GetItem":
            units.reads += blocks(item_size(parsed.get("Item")), READ_BLOCK) * share
        elif model.name == "Query":
            total = sum(item_size(item) for item in parsed.get("Items", []))
            units.reads += blocks(total, READ_BLOCK) * share
        elif model.name == "BatchGetItem":
            for table, request in params["RequestItems"].items():
                found = parsed.get("Responses", {}).get(table, [])
                missing = len(request["Keys"]) - len(found)  # a missing item costs a unit too
                read = sum(blocks(item_size(item), READ_BLOCK) for item in found) + missing
                units.reads += read * (1.0 if request.get("ConsistentRead") else 0.5)
        elif model.name == "TransactWriteItems":
            after = [self._size_now(key) for key in self._keys(params["TransactItems"])]
            units.writes += sum(
                2 * blocks(max(b, a), WRITE_BLOCK) for b, a in zip(self._before, after, strict=True)
            )


# -- the store, filled ---------------------------------------------------------------------


class MotoTables:
    """The embedded DynamoDB's tables, saved and put back in-process."""

    def __init__(self) -> None:
        from moto.core import DEFAULT_ACCOUNT_ID
        from moto.dynamodb.models import dynamodb_backends

        self.backend = dynamodb_backends[DEFAULT_ACCOUNT_ID]["us-east-1"]

    def save(self) -> Any:
        return copy.deepcopy(self.backend.tables)

    def restore(self, saved: Any) -> None:
        self.backend.tables = copy.deepcopy(saved)


TYPICAL_CHANGES = 10  # one page of the audit trail event (events/list_membership_changes.json)


def hold(count: int) -> None:
    """John and Jane hold exactly `count` memberships each; the newest page of John's audit
    trail is TYPICAL_CHANGES records of one membership's update each (as a trail mostly
    is), not the bulk records that filling and emptying write."""
    from local.demo import demo_origin, give_memberships
    from loyalty_core.models import Change, MembershipChanges, MembershipSet, apply_changes
    from loyalty_core.services.writes import write
    from loyalty_core.settings import get_repository

    def empty(held: MembershipSet) -> tuple[Change, None]:
        return Change(delete=tuple(held.memberships[:98])), None

    def update(points: int) -> Callable[[MembershipSet], tuple[Change, None]]:
        change = MembershipChanges(point_total=points * 1000, level="Gold")
        return lambda held: (Change(put=(apply_changes(held.memberships[0], change),)), None)

    repo = get_repository()
    for employee_id in USERS:
        while repo.get_user_memberships("acme", employee_id).memberships:
            write(repo, "acme", employee_id, empty, demo_origin())
        give_memberships(employee_id, count)
    for points in range(TYPICAL_CHANGES):
        write(repo, "acme", USERS[0], update(points), demo_origin())


def first_membership() -> Callable[[str], str]:
    """For the routes on one membership: John's first (made by `hold`), whatever is asked."""
    from loyalty_core.settings import get_repository

    def existing(_: str) -> str:
        return str(get_repository().get_user_memberships("acme", USERS[0]).memberships[0].id)

    return existing


# -- prices ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Prices:
    gb_second: float
    invocation: float
    read_unit: float
    write_unit: float
    api_call: float
    dynamodb_request_ms: float
    full_vcpu_mb: float
    checked: str

    @classmethod
    def load(cls, path: Path = PRICES) -> Prices:
        data = json.loads(path.read_text("utf-8"))
        p, a = data["prices"], data["assumptions"]
        return cls(
            gb_second=p["lambda_arm64_gb_second"]["usd"],
            invocation=p["lambda_request"]["usd_per_million"] / 1e6,
            read_unit=p["dynamodb_read_request_unit"]["usd_per_million"] / 1e6,
            write_unit=p["dynamodb_write_request_unit"]["usd_per_million"] / 1e6,
            api_call=p["api_gateway_rest_request"]["usd_per_million"] / 1e6,
            dynamodb_request_ms=a["dynamodb_request_ms"]["value"],
            full_vcpu_mb=a["full_vcpu_memory_mb"]["value"],
            checked=data["checked"],
        )

    def duration_ms(self, handler_ms: float, requests: int, memory_mb: int) -> int:
        """Billed duration: the handler's own time at the function's share of a vCPU, plus
        its DynamoDB round trips; rounded up to the millisecond, as Lambda bills."""
        cpu = handler_ms * max(1.0, self.full_vcpu_mb / memory_mb)
        return math.ceil(cpu + requests * self.dynamodb_request_ms)

    def per_million(self, units: Units, billed_ms: int, memory_mb: int) -> dict[str, float]:
        lambda_usd = self.invocation + memory_mb / 1024 * billed_ms / 1000 * self.gb_second
        dynamodb_usd = units.reads * self.read_unit + units.writes * self.write_unit
        return {
            "lambda": lambda_usd * 1e6,
            "dynamodb": dynamodb_usd * 1e6,
            "api": self.api_call * 1e6,
            "total": (lambda_usd + dynamodb_usd + self.api_call) * 1e6,
        }


def memory_of(function: str) -> int:
    loaded = template.load()
    default = loaded.get("Globals", {}).get("Function", {}).get("MemorySize", 128)
    return int(template.functions()[function].get("MemorySize", default))


# -- the section -------------------------------------------------------------------------------


@dataclass
class Cell:
    function: str  # the template's logical id, for its MemorySize
    units: Units
    status: int
    handler_ms: float = 0.0


Cases = Callable[[Callable[[str], str]], list[tuple[str, Callable[[int], dict[str, Any]]]]]
Call = Callable[[dict[str, Any]], dict[str, Any]]


@contextmanager
def serving(stub: Any) -> Iterator[Any]:
    """The handlers read and write `stub` instead of the embedded DynamoDB."""
    from loyalty_core import settings

    real_client = settings.dynamodb_client
    settings.dynamodb_client = lambda: stub
    settings.get_repository.cache_clear()
    try:
        yield stub
    finally:
        settings.dynamodb_client = real_client  # type: ignore[assignment]
        settings.get_repository.cache_clear()


def measure(
    client: Any, stub_from: Callable[[], Any], cases: Cases, call: Call, iterations: int
) -> dict[str, dict[int, Cell]]:
    """Each route at each size: its units on the embedded DynamoDB, its handler time on the
    stub holding the same items (median of `iterations` warm calls)."""
    from botocore.session import get_session

    from loyalty_core import settings

    peek = get_session().create_client("dynamodb", region_name="us-east-1")
    meter = Meter(client, peek, settings.get_settings().table_name)
    moto = MotoTables()
    base = moto.save()
    cells: dict[str, dict[int, Cell]] = {}
    for size in SIZES:
        moto.restore(base)
        settings.get_repository.cache_clear()
        hold(size)
        call(load_event("list_providers"))  # a warm container has read the catalog once
        filled = moto.save()
        for name, make in cases(first_membership()):
            moto.restore(filled)
            event = make(0)
            with meter.counting() as units:
                answer = call(event)
            cell = Cell(function_of(event), units, answer["statusCode"])
            cells.setdefault(name, {})[size] = cell
        moto.restore(filled)
        with serving(stub_from()) as stub:
            clean = stub.snapshot()
            call(load_event("list_providers"))
            for name, make in cases(first_membership()):
                timings = []
                for i in range(iterations + 5):
                    stub.restore(clean)
                    event = make(i)
                    start = time.perf_counter()
                    call(event)
                    if i >= 5:  # warm-up
                        timings.append((time.perf_counter() - start) * 1000)
                cells[name][size].handler_ms = statistics.median(timings)
    meter.close()
    moto.restore(base)
    return cells


def function_of(event: dict[str, Any]) -> str:
    from local import gateway

    found = gateway.match(event["httpMethod"], event["path"])
    assert found is not None
    return found.route.function


def report(cells: dict[str, dict[int, Cell]], prices: Prices) -> list[str]:
    """The two tables: units per size, then the price per million calls at the dearest size."""
    lines = [
        "   DynamoDB request units per call (reads RRU / writes WRU) with each user holding N",
        "   memberships; computed from item sizes as DynamoDB rounds them (see bench/cost.py)",
        f"   {'route':26} {'N=1':>11} {'N=10':>11} {'N=100':>11}  growth 10->100",
    ]
    for name, by_size in cells.items():
        shown = []
        for size in SIZES:
            cell = by_size[size]
            mark = "" if cell.status < 300 else f" {cell.status}"
            shown.append(f"{cell.units.reads:g}/{cell.units.writes:g}{mark}")
        ten, hundred = by_size[10].units, by_size[100].units
        flat = (ten.reads, ten.writes) == (hundred.reads, hundred.writes)
        growth = "flat" if flat else "bounded by the cap (100)"
        lines.append(f"   {name:26} {shown[0]:>11} {shown[1]:>11} {shown[2]:>11}  {growth}")
    lines += [
        "   (a status after the units: refused; at N=100 a write that adds memberships is refused",
        "   by the cap, having read the user once and written nothing)",
        "",
        f"   Estimated USD per million calls, at the dearest N (prices of {prices.checked},",
        "   us-east-1, bench/prices.json); duration = handler time at the function's share of",
        f"   a vCPU + {prices.dynamodb_request_ms:g} ms per DynamoDB request (an assumption)",
        f"   {'route':26} {'MB':>4} {'ms':>4} {'Lambda':>8} {'DynamoDB':>9}"
        f" {'API GW':>7} {'total':>7}",
    ]
    for name, by_size in cells.items():
        memory = memory_of(by_size[SIZES[0]].function)
        priced = []
        for cell in by_size.values():
            billed = prices.duration_ms(cell.handler_ms, len(cell.units.requests), memory)
            priced.append((prices.per_million(cell.units, billed, memory), billed))
        usd, billed = max(priced, key=lambda p: p[0]["total"])
        lines.append(
            f"   {name:26} {memory:4} {billed:4} {usd['lambda']:8.2f} {usd['dynamodb']:9.2f}"
            f" {usd['api']:7.2f} {usd['total']:7.2f}"
        )
    return lines


def section(
    client: Any, stub_from: Callable[[], Any], cases: Cases, call: Call, iterations: int
) -> list[str]:
    return report(measure(client, stub_from, cases, call, iterations), Prices.load())
