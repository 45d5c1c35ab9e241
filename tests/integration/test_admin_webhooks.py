"""The admin CLI's webhook commands (SPEC 13), on the layer's services and moto."""

from __future__ import annotations

import json
from typing import Any

import boto3
import pytest

from local.admin import main
from loyalty_core.services.webhooks.runtime import get_webhooks
from tests.conftest import TABLE, Api
from tests.webhook_aws import AwsWebhooks


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, Any, str]:
    capsys.readouterr()
    code = main([*args, "--by", "ops", "--json"])
    out, err = capsys.readouterr()
    return code, json.loads(out) if out else None, err


def test_an_operator_manages_a_companys_webhooks(
    aws_webhooks: AwsWebhooks, capsys: pytest.CaptureFixture[str]
) -> None:
    code, made, _ = run(
        capsys,
        "create-webhook",
        "acme",
        "--url",
        "https://hooks.example.com/in",
        "--events",
        "loyalty_memberships.changed,user.erased",
        "--filter",
        "vendor_type=hotel,air",
        "--thin",
    )
    assert code == 0 and made["secret"].startswith("whsec_")
    sub = made["subscription"]["id"]
    assert (
        run(capsys, "create-user", "acme", "777", "--name", "N", "--email", "n@acme.example")[0]
        == 0
    )
    assert (
        made["subscription"]["filter"] == ["hotel", "air"]
        and made["subscription"]["payload"] == "thin"
    )
    code, listed, _ = run(capsys, "list-webhooks", "acme")
    assert [s["id"] for s in listed["subscriptions"]] == [sub]
    assert "whsec_" not in json.dumps(listed)
    assert run(capsys, "disable-webhook", "acme", sub)[1]["subscription"]["enabled"] is False
    assert run(capsys, "enable-webhook", "acme", sub)[1]["subscription"]["enabled"] is True
    code, rotated, _ = run(capsys, "rotate-webhook-secret", "acme", sub, "--overlap-hours", "2")
    assert code == 0 and rotated["secret"] != made["secret"]
    assert rotated["subscription"]["previous_secret_expires_at"] is not None
    aws_webhooks.endpoint.secrets = [rotated["secret"]]
    code, tested, _ = run(capsys, "test-webhook", "acme", sub)
    assert code == 0 and tested["delivery"]["status"] == "delivered"
    (received,) = aws_webhooks.endpoint.received
    assert received.event["type"] == "webhook.test"
    code, deliveries, _ = run(capsys, "webhook-deliveries", "acme", sub)
    assert [d["event_type"] for d in deliveries["deliveries"]] == ["webhook.test"]
    assert run(capsys, "delete-webhook", "acme", sub)[0] == 0
    assert run(capsys, "list-webhooks", "acme")[1]["subscriptions"] == []
    changes = get_webhooks().store.subscription_changes("acme")
    assert len(changes) == 5 and {c.actor for c in changes} == {"admin:ops"}


@pytest.mark.parametrize(
    ("args", "says"),
    [
        (["create-webhook", "acme", "--url", "http://hooks.example.com/in"], "https"),
        (
            ["create-webhook", "acme", "--url", "https://hooks.example.com/in", "--events", "nope"],
            "events",
        ),
        (
            ["create-webhook", "acme", "--url", "https://x.example", "--filter", "colour=red"],
            "--filter",
        ),
        (
            ["disable-webhook", "acme", "5d6e0a1c-7b2f-4c3e-9a41-000000000001"],
            "No webhook subscription",
        ),
        (["test-webhook", "globex", "not-an-id"], "No webhook subscription"),
    ],
)
def test_a_refused_command_says_why_and_exits_1(
    aws_webhooks: AwsWebhooks, capsys: pytest.CaptureFixture[str], args: list[str], says: str
) -> None:
    code, out, err = run(capsys, *args)
    assert code == 1 and out is None and says in err


def test_the_cli_refuses_another_companys_subscription(
    aws_webhooks: AwsWebhooks, capsys: pytest.CaptureFixture[str]
) -> None:
    _, made, _ = run(capsys, "create-webhook", "acme", "--url", "https://hooks.example.com/in")
    code, _, err = run(capsys, "disable-webhook", "globex", made["subscription"]["id"])
    assert code == 1 and "No webhook subscription" in err


def test_the_backfill_puts_older_records_in_the_change_feed(
    api: Api, aws_webhooks: AwsWebhooks, capsys: pytest.CaptureFixture[str]
) -> None:
    client = boto3.client("dynamodb", region_name="us-east-1")
    api.create()
    records = [
        i
        for i in client.scan(TableName=TABLE)["Items"]
        if i["sk"]["S"].startswith("PROFILE#CHANGE#") and "feed_pk" in i
    ]
    for record in records:  # as if written before the feed existed
        client.update_item(
            TableName=TABLE,
            Key={"pk": record["pk"], "sk": record["sk"]},
            UpdateExpression="REMOVE feed_pk, feed_sk",
        )
    code, done, _ = run(capsys, "backfill-webhook-feed")
    assert code == 0 and done["backfilled"] == len(records) >= 1
    again = {i["sk"]["S"]: i for i in client.scan(TableName=TABLE)["Items"]}
    assert all(again[r["sk"]["S"]]["feed_sk"] == r["feed_sk"] for r in records)
    assert run(capsys, "backfill-webhook-feed")[1]["backfilled"] == 0
