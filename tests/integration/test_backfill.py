"""`backfill-indexes`: users and Concur tokens written before the keyed reads (no
`company_users` keys on the profile, no index entry in the user's partition) are found by
`list-users` and `erase-user` once it ran; running it again writes nothing; an item whose
user or token went meanwhile is not brought back."""

from __future__ import annotations

import json
from typing import Any

import pytest

from local.admin import Admin, main
from loyalty_core.repository import keys as k
from tests.conftest import TABLE


def run_json(capsys: pytest.CaptureFixture[str], *args: str) -> Any:
    capsys.readouterr()
    code = main([*args, "--json"])
    out, err = capsys.readouterr()
    assert code == 0, err
    return json.loads(out)


def as_before_the_keyed_reads(dynamodb: Any) -> None:
    """acme's 098765 and 112233 as an earlier version wrote them: their profiles without the
    index's keys, John's Concur tokens without their entries in his partition."""
    for employee_id in ("098765", "112233"):
        dynamodb.update_item(
            TableName=TABLE,
            Key=k.profile_key("acme", employee_id),
            UpdateExpression="REMOVE company_users_pk, company_users_sk",
        )
    entries = dynamodb.query(
        TableName=TABLE,
        KeyConditionExpression="pk = :pk AND begins_with(sk, :sk)",
        ExpressionAttributeValues={
            ":pk": {"S": k.user_pk("acme", "098765")},
            ":sk": {"S": k.CONCUR_PREFIX},
        },
    )["Items"]
    assert len(entries) == 3  # the demo's three applications
    for item in entries:
        dynamodb.delete_item(TableName=TABLE, Key={"pk": item["pk"], "sk": item["sk"]})


def listed(capsys: pytest.CaptureFixture[str]) -> list[str]:
    return [u["employee_id"] for u in run_json(capsys, "list-users", "acme")["users"]]


def test_the_backfill_makes_earlier_items_found_and_runs_once(
    dynamodb: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    as_before_the_keyed_reads(dynamodb)
    assert listed(capsys) == ["acme_admin", "acme_arranger"]
    assert run_json(capsys, "backfill-indexes") == {
        "backfilled": {"profiles": 2, "concur_tokens": 3}
    }
    assert listed(capsys) == ["098765", "112233", "acme_admin", "acme_arranger"]
    assert run_json(capsys, "backfill-indexes") == {
        "backfilled": {"profiles": 0, "concur_tokens": 0}
    }
    erased = run_json(capsys, "erase-user", "acme", "098765")["record"]["removed"]
    assert erased["concur_tokens"] == erased["concur_index"] == erased["concur_user_index"] == 3
    tokens = dynamodb.scan(
        TableName=TABLE,
        FilterExpression="begins_with(pk, :o)",
        ExpressionAttributeValues={":o": {"S": "OAUTH#"}},
    )["Items"]
    assert tokens == []


def test_the_backfill_brings_back_no_user_or_token_gone_meanwhile(dynamodb: Any) -> None:
    """Items read before an erasure, backfilled after it: nothing is written."""
    john = dynamodb.get_item(TableName=TABLE, Key=k.profile_key("acme", "098765"))["Item"]
    tokens = dynamodb.scan(
        TableName=TABLE,
        FilterExpression="begins_with(pk, :o)",
        ExpressionAttributeValues={":o": {"S": "OAUTH#"}},
    )["Items"]
    as_before_the_keyed_reads(dynamodb)
    stale = {**john}
    del stale["company_users_pk"], stale["company_users_sk"]
    assert main(["erase-user", "acme", "098765"]) == 0
    before = dynamodb.scan(TableName=TABLE)["Count"]
    assert Admin().repo.backfill([stale, *tokens]) == {"profiles": 0, "concur_tokens": 0}
    assert dynamodb.scan(TableName=TABLE)["Count"] == before
    assert "Item" not in dynamodb.get_item(TableName=TABLE, Key=k.profile_key("acme", "098765"))
