"""Replays (SPEC 13): exactly the events of a time window, from the change feed (a Query
per day, no Scan), with their original ids, signed anew; and the queue adapters on moto."""

from __future__ import annotations

import json
import time
from datetime import UTC, datetime, timedelta
from typing import Any

import boto3
import pytest

from local.admin import main
from loyalty_core.models.deliveries import Delivery
from loyalty_core.models.webhooks import EventType
from loyalty_core.services.webhooks.aws import SqsQueue
from tests.conftest import Api
from tests.webhook_aws import AwsWebhooks

ROUTE = "/api/webhook_subscriptions"


def subscribe(api: Api, **attributes: Any) -> dict[str, Any]:
    values = {"url": "https://hooks.example.com/in", "events": ["loyalty_memberships.changed"]}
    made = api(
        "POST",
        ROUTE,
        body={"data": {"type": "webhook_subscriptions", "attributes": {**values, **attributes}}},
    )
    assert made.status == 201, made.body
    data: dict[str, Any] = made.json["data"]
    return data


def moment() -> datetime:
    now = datetime.now(UTC)
    time.sleep(0.002)  # the next write's time is after this one
    return now


def replay(api: Api, sub: str, since: datetime, until: datetime, **headers: str) -> Any:
    body = {
        "data": {
            "type": "webhook_replays",
            "attributes": {"since": since.isoformat(), "until": until.isoformat()},
        }
    }
    return api("POST", f"{ROUTE}/{sub}/replays", body=body, headers=headers)


def test_a_replay_delivers_exactly_its_window_with_the_original_ids(
    api: Api, aws_webhooks: AwsWebhooks, dynamodb: Any
) -> None:
    made = subscribe(api)
    aws_webhooks.endpoint.secrets = [made["attributes"]["secret"]]
    api.create(account_number="H1", program="P1")
    since = moment()
    api.create(account_number="H2", program="P2")
    api.create(employee_id="112233", account_number="H3", program="P3")
    api.create(account_number="H4", program="P4", as_user="globex")  # another company's
    until = moment()
    api.create(account_number="H5", program="P5")
    aws_webhooks.fan_out()
    aws_webhooks.deliver()
    first = {
        e["data"]["changes"][0]["membership"]["attributes"]["program"]: e
        for e in aws_webhooks.endpoint.delivered()
    }
    assert sorted(first) == ["P1", "P2", "P3", "P5"]
    queries: list[dict[str, Any]] = []
    dynamodb.meta.events.register("before-call.dynamodb.Scan", lambda **kw: queries.append(kw))
    answer = replay(api, made["id"], since, until)
    assert answer.status == 202, answer.body
    assert answer.json["data"]["attributes"]["events"] == 2
    assert queries == []  # the feed is read with Queries, never a Scan
    aws_webhooks.deliver()
    replayed = {e["id"]: e for e in aws_webhooks.endpoint.delivered()[4:]}
    assert set(replayed) == {first["P2"]["id"], first["P3"]["id"]}  # two travellers: any order
    for program in ("P2", "P3"):
        again = replayed[first[program]["id"]]
        assert again["sequence"] == first[program]["sequence"]
        assert again["data"]["changes"] == first[program]["data"]["changes"]
    stamps = [r.headers["webhook-timestamp"] for r in aws_webhooks.endpoint.received]
    assert all(int(s) >= int(stamps[0]) for s in stamps)  # signed anew when sent
    deliveries = api("GET", f"{ROUTE}/{made['id']}/deliveries").json["data"]
    replay_id = answer.json["data"]["id"]
    assert sum(1 for d in deliveries if d["attributes"]["replay_id"] == replay_id) == 2


def test_a_replay_of_an_erased_users_window_sends_nothing_of_them(
    api: Api, aws_webhooks: AwsWebhooks
) -> None:
    made = subscribe(api)
    since = moment()
    api.create()
    until = moment()
    assert main(["erase-user", "acme", "098765", "--by", "ops"]) == 0
    answer = replay(api, made["id"], since, until)
    assert answer.status == 202 and answer.json["data"]["attributes"]["events"] == 0


@pytest.mark.parametrize(
    ("since", "until", "pointer"),
    [
        (timedelta(hours=0), timedelta(hours=1), "/data/attributes/since"),
        (timedelta(days=40), timedelta(days=0), "/data/attributes/until"),
        (timedelta(hours=-2), timedelta(hours=-3), "/data/attributes/since"),
    ],
)
def test_a_bad_window_is_refused(
    api: Api, aws_webhooks: AwsWebhooks, since: timedelta, until: timedelta, pointer: str
) -> None:
    made = subscribe(api)
    now = datetime.now(UTC)
    answer = replay(api, made["id"], now - since, now - until)
    assert answer.status == 422 and pointer in answer.pointers()


def test_a_window_without_a_time_zone_is_refused(api: Api, aws_webhooks: AwsWebhooks) -> None:
    made = subscribe(api)
    body = {
        "data": {
            "type": "webhook_replays",
            "attributes": {"since": "2026-12-01T00:00:00", "until": "2026-12-02"},
        }
    }
    answer = api("POST", f"{ROUTE}/{made['id']}/replays", body=body)
    assert answer.status == 422 and answer.pointers() == {
        "/data/attributes/since",
        "/data/attributes/until",
    }


def test_a_window_over_the_limit_is_refused_whole(
    api: Api, aws_webhooks: AwsWebhooks, monkeypatch: pytest.MonkeyPatch
) -> None:
    from loyalty_core.services.webhooks import replay as replays

    monkeypatch.setattr(replays, "MAX_REPLAY_EVENTS", 1)
    made = subscribe(api)
    since = moment()
    api.create(account_number="H1", program="P1")
    api.create(account_number="H2", program="P2")
    answer = replay(api, made["id"], since, moment())
    assert answer.status == 422
    assert aws_webhooks.queued() == []


def test_a_replay_is_once_per_idempotency_key(api: Api, aws_webhooks: AwsWebhooks) -> None:
    made = subscribe(api)
    since = moment()
    api.create()
    until = moment()
    first = replay(api, made["id"], since, until, **{"Idempotency-Key": "r1"})
    again = replay(api, made["id"], since, until, **{"Idempotency-Key": "r1"})
    assert first.json == again.json
    assert len(aws_webhooks.drained()) == 1  # one replay of the one change, not two


def test_the_cli_replays_and_lists_deliveries(
    api: Api, aws_webhooks: AwsWebhooks, capsys: pytest.CaptureFixture[str]
) -> None:
    made = subscribe(api)
    aws_webhooks.endpoint.secrets = [made["attributes"]["secret"]]
    since = moment()
    api.create()
    until = moment()
    aws_webhooks.fan_out()
    aws_webhooks.deliver()
    capsys.readouterr()
    args = [
        "replay-webhook",
        "acme",
        made["id"],
        "--since",
        since.isoformat(),
        "--until",
        until.isoformat(),
    ]
    assert main([*args, "--by", "ops", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["events"] == 1
    aws_webhooks.deliver()
    capsys.readouterr()  # the delivery function's logs
    assert main(["webhook-deliveries", "acme", made["id"], "--json"]) == 0
    listed = json.loads(capsys.readouterr().out)["deliveries"]
    assert len(listed) == 2 and {d["event_id"] for d in listed} == {
        aws_webhooks.endpoint.delivered()[0]["id"]
    }
    assert main([*args[:2], "globex", *args[3:]]) == 1  # another company's id: refused
    assert "No webhook subscription" in capsys.readouterr().err


# -- the queue adapters on moto -------------------------------------------------------------


def delivery(n: int, body: str, employee: str = "098765") -> Delivery:
    return Delivery(
        subscription_id="s1",
        company="acme",
        event_id=f"e{n}",
        event_type=EventType.CHANGED,
        employee_id=employee,
        enqueued_at=datetime.now(UTC),
        body=body,
    )


def test_the_queue_sends_in_batches_within_sqs_limits_and_keeps_order(
    aws_webhooks: AwsWebhooks,
) -> None:
    queue = SqsQueue(aws_webhooks.sqs, aws_webhooks.queue_url, aws_webhooks.dead_letter_url)
    calls: list[int] = []
    aws_webhooks.sqs.meta.events.register(
        "provide-client-params.sqs.SendMessageBatch",
        lambda params, **_: calls.append(len(params["Entries"])),
    )
    big = "x" * 60_000  # five of these pass SQS's 256 KB a batch
    queue.send([delivery(n, big if n < 6 else "{}") for n in range(16)])
    assert calls == [4, 10, 2] and all(c <= 10 for c in calls)
    got = [m["event_id"] for m in aws_webhooks.drained()]
    assert got == [f"e{n}" for n in range(16)]


def test_a_dead_letter_carries_its_reason(aws_webhooks: AwsWebhooks) -> None:
    queue = SqsQueue(aws_webhooks.sqs, aws_webhooks.queue_url, aws_webhooks.dead_letter_url)
    queue.dead_letter(delivery(1, "{}"), "10 attempts failed; the last: answered 500")
    (message,) = boto3.client("sqs", region_name="us-east-1").receive_message(
        QueueUrl=aws_webhooks.dead_letter_url, MessageAttributeNames=["All"]
    )["Messages"]
    assert message["MessageAttributes"]["reason"]["StringValue"].startswith("10 attempts failed")
    assert json.loads(message["Body"])["event_id"] == "e1"
