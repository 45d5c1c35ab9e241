"""template.yaml's change notifications (SPEC 13): the stream, the feed index, the queues,
the functions' event sources and least-privilege roles, the key and the alarms: what
neither linter checks."""

from __future__ import annotations

import json
from typing import Any

from local import template
from loyalty_core.repository import keys as k
from loyalty_core.services.webhooks import delivery

RESOURCES: dict[str, Any] = template.load()["Resources"]


def props(name: str) -> dict[str, Any]:
    found: dict[str, Any] = RESOURCES[name]["Properties"]
    return found


def statements(function: str) -> list[dict[str, Any]]:
    return [s for p in props(function).get("Policies", []) for s in p["Statement"]]


def granted(function: str) -> set[tuple[str, str]]:
    """(action, resource) pairs a function's role is granted."""
    found = set()
    for statement in statements(function):
        resources = statement["Resource"]
        for resource in resources if isinstance(resources, list) else [resources]:
            for action in statement["Action"]:
                found.add((action, json.dumps(resource, sort_keys=True)))
    return found


def actions_on(function: str, resource: Any) -> set[str]:
    target = json.dumps(resource, sort_keys=True)
    return {action for action, where in granted(function) if where == target}


TABLE = {"Fn::GetAtt": "Table.Arn"}
QUEUE = {"Fn::GetAtt": "WebhookQueue.Arn"}
KEY = {"Fn::GetAtt": "WebhookKey.Arn"}


def test_the_table_streams_old_and_new_images_and_holds_the_change_feed(dynamodb: Any) -> None:
    table = props("Table")
    assert table["StreamSpecification"] == {"StreamViewType": "NEW_AND_OLD_IMAGES"}
    indexes = {index["IndexName"]: index for index in table["GlobalSecondaryIndexes"]}
    feed = indexes[k.FEED_INDEX]
    assert [s["AttributeName"] for s in feed["KeySchema"]] == ["feed_pk", "feed_sk"]
    assert feed["Projection"] == {"ProjectionType": "KEYS_ONLY"}
    described = dynamodb.describe_table(TableName="loyalty-memberships-test")["Table"]
    assert described["StreamSpecification"]["StreamViewType"] == "NEW_AND_OLD_IMAGES"
    assert {i["IndexName"] for i in described["GlobalSecondaryIndexes"]} == set(indexes)


def test_the_delivery_queue_is_fifo_with_its_dead_letter_queue() -> None:
    queue = props("WebhookQueue")
    assert queue["FifoQueue"] is True and queue["ContentBasedDeduplication"] is False
    assert queue["RedrivePolicy"]["deadLetterTargetArn"] == {
        "Fn::GetAtt": "WebhookDeadLetterQueue.Arn"
    }
    assert props("WebhookDeadLetterQueue")["FifoQueue"] is True
    assert queue["MessageRetentionPeriod"] == 14 * 24 * 3600  # the retries take ~3 days
    schedule = sum(delivery.SCHEDULE) * (1 + delivery.JITTER)
    assert schedule < queue["MessageRetentionPeriod"]
    assert queue["VisibilityTimeout"] >= props("WebhookDeliveryFunction")["Timeout"]
    for name in ("WebhookQueue", "WebhookDeadLetterQueue", "WebhookFanoutDeadLetterQueue"):
        assert props(name)["SqsManagedSseEnabled"] is True


def test_the_fan_out_reads_the_stream_with_partial_failures_and_its_filters() -> None:
    (source,) = props("WebhookFanoutFunction")["Events"].values()
    assert source["Type"] == "DynamoDB"
    event = source["Properties"]
    assert event["Stream"] == {"Fn::GetAtt": "Table.StreamArn"}
    assert event["FunctionResponseTypes"] == ["ReportBatchItemFailures"]
    assert event["BisectBatchOnFunctionError"] is True
    assert event["DestinationConfig"]["OnFailure"]["Destination"] == {
        "Fn::GetAtt": "WebhookFanoutDeadLetterQueue.Arn"
    }
    patterns = [json.loads(f["Pattern"]) for f in event["FilterCriteria"]["Filters"]]
    assert {
        "eventName": ["INSERT"],
        "dynamodb": {"Keys": {"sk": {"S": [{"prefix": k.CHANGE_PREFIX}]}}},
    } in patterns
    assert {"eventName": ["REMOVE"], "dynamodb": {"Keys": {"sk": {"S": [k.PROFILE]}}}} in patterns


def test_the_delivery_drains_the_queue_with_partial_failures() -> None:
    (source,) = props("WebhookDeliveryFunction")["Events"].values()
    assert source["Type"] == "SQS" and source["Properties"]["Queue"] == QUEUE
    assert source["Properties"]["FunctionResponseTypes"] == ["ReportBatchItemFailures"]
    assert source["Properties"]["BatchSize"] <= 10
    timeout = props("WebhookDeliveryFunction")["Timeout"]
    assert timeout * 1000 >= delivery.TIME_NEEDED_MS * 2  # a batch can try more than one


def test_each_webhook_function_gets_only_what_it_uses() -> None:
    fanout, sender, api = (
        "WebhookFanoutFunction",
        "WebhookDeliveryFunction",
        "WebhookSubscriptionsFunction",
    )
    assert actions_on(fanout, TABLE) == {"dynamodb:GetItem", "dynamodb:Query"}
    assert actions_on(fanout, QUEUE) == {"sqs:SendMessage"}
    assert not any(a.startswith("kms:") for a, _ in granted(fanout))
    assert actions_on(sender, TABLE) == {"dynamodb:GetItem", "dynamodb:Query", "dynamodb:PutItem"}
    assert actions_on(sender, KEY) == {"kms:Decrypt"}
    assert actions_on(sender, QUEUE) == {
        "sqs:ReceiveMessage",
        "sqs:DeleteMessage",
        "sqs:ChangeMessageVisibility",
        "sqs:GetQueueAttributes",
    }
    assert actions_on(api, KEY) == {"kms:Encrypt"}  # seals; never opens a secret
    assert actions_on(api, QUEUE) == {"sqs:SendMessage"}  # replays
    feed = {"Fn::Sub": "${Table.Arn}/index/ChangeFeed"}
    assert actions_on(api, feed) == {"dynamodb:Query"}
    for function in (fanout, sender, api):
        assert not any(a == "dynamodb:Scan" or a.endswith(":*") for a, _ in granted(function))


def test_the_functions_are_told_their_queues_key_and_public_url() -> None:
    def variables(function: str) -> dict[str, Any]:
        found: dict[str, Any] = props(function)["Environment"]["Variables"]
        return found

    assert variables("WebhookSubscriptionsFunction")["WEBHOOK_KMS_KEY_ID"] == KEY
    assert variables("WebhookDeliveryFunction")["WEBHOOK_DEAD_LETTER_QUEUE_URL"] == {
        "Ref": "WebhookDeadLetterQueue"
    }
    for function in (
        "WebhookSubscriptionsFunction",
        "WebhookFanoutFunction",
        "WebhookDeliveryFunction",
    ):
        assert variables(function)["WEBHOOK_QUEUE_URL"] == {"Ref": "WebhookQueue"}
    assert "${Api}" in variables("WebhookFanoutFunction")["PUBLIC_API_URL"]["Fn::Sub"]


def test_the_key_rotates_and_is_kept() -> None:
    key = RESOURCES["WebhookKey"]
    assert key["DeletionPolicy"] == "Retain"  # sealed secrets outlive a stack update
    assert key["Properties"]["EnableKeyRotation"] is True


def alarm_on(namespace: str, metric: str, dimension: Any) -> dict[str, Any]:
    found = [
        r["Properties"]
        for r in RESOURCES.values()
        if r["Type"] == "AWS::CloudWatch::Alarm"
        and r["Properties"].get("Namespace") == namespace
        and r["Properties"].get("MetricName") == metric
        and dimension in [d["Value"] for d in r["Properties"].get("Dimensions", [])]
    ]
    assert len(found) == 1, (namespace, metric, dimension)
    return found[0]


def test_alarms_watch_the_dead_letters_the_queues_age_and_the_streams_lag() -> None:
    for queue in ("WebhookDeadLetterQueue", "WebhookFanoutDeadLetterQueue"):
        depth = alarm_on(
            "AWS/SQS", "ApproximateNumberOfMessagesVisible", {"Fn::GetAtt": f"{queue}.QueueName"}
        )
        assert depth["Threshold"] == 1
    age = alarm_on(
        "AWS/SQS", "ApproximateAgeOfOldestMessage", {"Fn::GetAtt": "WebhookQueue.QueueName"}
    )
    assert age["Threshold"] == {"Ref": "WebhookQueueAgeAlarmSeconds"}
    lag = alarm_on("AWS/Lambda", "IteratorAge", {"Ref": "WebhookFanoutFunction"})
    assert lag["ComparisonOperator"] == "GreaterThanOrEqualToThreshold"
