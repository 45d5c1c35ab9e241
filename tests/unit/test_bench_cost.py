"""The bench's cost arithmetic (bench/cost.py): item sizes and units as DynamoDB counts them,
prices as the price list gives them, and the price list itself dated and sourced."""

from __future__ import annotations

import json
from datetime import date

import pytest

from bench.cost import PRICES, READ_BLOCK, WRITE_BLOCK, Prices, Units, blocks, item_size

PK = {"pk": {"S": "USER#a#1"}, "sk": {"S": "PROFILE"}}  # 2 + 8 and 2 + 7 bytes


@pytest.mark.parametrize(
    ("value", "size"),
    [
        ({"S": "abc"}, 3),
        ({"S": "é"}, 2),  # UTF-8 bytes
        ({"N": "7"}, 2),  # one significant digit: 1 + 1
        ({"N": "123"}, 3),  # three digits: 2 + 1
        ({"N": "1000"}, 2),  # trailing zeros are not significant
        ({"BOOL": True}, 1),
        ({"NULL": True}, 1),
        ({"L": [{"S": "ab"}, {"N": "1"}]}, 3 + (2 + 1) + (2 + 1)),
        ({"M": {"k": {"S": "v"}}}, 3 + (1 + 1 + 1)),
    ],
)
def test_attribute_sizes(value: dict[str, object], size: int) -> None:
    assert item_size({"a": value}) == 1 + size


def test_an_item_is_its_names_and_values() -> None:
    assert item_size(PK) == 10 + 9
    assert item_size(None) == 0  # a missing item


def test_units_round_up_to_whole_blocks_with_one_at_least() -> None:
    assert [blocks(n, READ_BLOCK) for n in (0, 1, 4096, 4097, 40_000)] == [1, 1, 1, 2, 10]
    assert [blocks(n, WRITE_BLOCK) for n in (0, 1024, 1025)] == [1, 1, 2]


def test_price_per_million_calls() -> None:
    prices = Prices(
        gb_second=0.0000133334,
        invocation=0.2e-6,
        read_unit=0.125e-6,
        write_unit=0.625e-6,
        api_call=3.5e-6,
        dynamodb_request_ms=5,
        full_vcpu_mb=1769,
        checked="2026-12-02",
    )
    # 2 ms on a full core is 2 * 1769 / 512 at 512 MB, plus three round trips of 5 ms
    billed = prices.duration_ms(2.0, requests=3, memory_mb=512)
    assert billed == 22
    assert prices.duration_ms(2.0, requests=0, memory_mb=4096) == 2  # no faster than a core
    usd = prices.per_million(Units(reads=2, writes=4), billed, 512)
    assert usd["lambda"] == pytest.approx(0.2 + 0.5 * 0.022 * 0.0000133334 * 1e6)
    assert usd["dynamodb"] == pytest.approx(2 * 0.125 + 4 * 0.625)
    assert usd["api"] == pytest.approx(3.5)
    assert usd["total"] == pytest.approx(usd["lambda"] + usd["dynamodb"] + usd["api"])


def test_every_price_is_dated_and_sourced() -> None:
    data = json.loads(PRICES.read_text("utf-8"))
    assert data["region"] == "us-east-1"
    for name, price in data["prices"].items():
        assert price["source"].startswith("https://aws.amazon.com/"), name
        assert price["confirmed_by"], name
        assert date.fromisoformat(price["checked"]) <= date.fromisoformat(data["checked"])
    assert Prices.load().read_unit == pytest.approx(0.125e-6)
