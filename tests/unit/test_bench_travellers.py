"""Bench section 5's request and store (`bench/travellers.py`): the air booking names the
bench users it says, and the stub answers the Query that reads a traveller's memberships
(`sk BETWEEN :sk AND :profile`), as DynamoDB does. Its timings are the bench's, not a test's."""

from __future__ import annotations

import re

from bench.stub import StubDynamoDB
from bench.travellers import booking


def test_the_booking_lists_the_first_bench_users_by_email() -> None:
    for travellers in (1, 9):
        body = booking(travellers)["body"]
        assert re.findall(r'EmailID="([^"]+)"', body) == [
            f"bench{n}@acme.example" for n in range(1, travellers + 1)
        ]
        assert "john.smith" not in body and body.count("<com:BookingTraveler ") == travellers


def test_the_stub_answers_a_between_key_condition() -> None:
    items = [{"pk": {"S": "U#1"}, "sk": {"S": sk}} for sk in ("A", "M#1", "M#2", "P", "Z")] + [
        {"pk": {"S": "U#2"}, "sk": {"S": "M#3"}}
    ]
    stub = StubDynamoDB(items)
    answer = stub.query(
        KeyConditionExpression="pk = :pk AND sk BETWEEN :sk AND :profile",
        ExpressionAttributeValues={":pk": {"S": "U#1"}, ":sk": {"S": "M#"}, ":profile": {"S": "P"}},
    )
    assert [i["sk"]["S"] for i in answer["Items"]] == ["M#1", "M#2", "P"]
