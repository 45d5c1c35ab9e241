"""template.yaml's operations: log groups with retention, alarms, stage throttling, access
logging, usage plans, outputs. Neither linter checks that these exist or are wired to
the right function, table or stage."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest

from local import template

TOPIC = {"Ref": "AlarmTopic"}


def resources(kind: str) -> dict[str, dict[str, Any]]:
    return {n: r for n, r in template.load()["Resources"].items() if r["Type"] == kind}


def api() -> dict[str, Any]:
    props: dict[str, Any] = template.load()["Resources"]["Api"]["Properties"]
    return props


def parameter(name: str) -> dict[str, Any]:
    params: dict[str, Any] = template.load()["Parameters"]
    assert name in params, f"parameter {name} is missing"
    found: dict[str, Any] = params[name]
    return found


def metrics(alarm: dict[str, Any]) -> list[tuple[str, str, dict[str, Any]]]:
    """(namespace, metric name, dimensions) of every metric an alarm reads, plain or math."""
    props = alarm["Properties"]
    found = []
    if "MetricName" in props:
        dims = {d["Name"]: d["Value"] for d in props.get("Dimensions", [])}
        found.append((props["Namespace"], props["MetricName"], dims))
    for query in props.get("Metrics", []):
        if "MetricStat" in query:
            metric = query["MetricStat"]["Metric"]
            dims = {d["Name"]: d["Value"] for d in metric.get("Dimensions", [])}
            found.append((metric["Namespace"], metric["MetricName"], dims))
    return found


def alarms_on(namespace: str, metric: str, **dimensions: Any) -> list[str]:
    return [
        name
        for name, alarm in resources("AWS::CloudWatch::Alarm").items()
        if any(
            ns == namespace and m == metric and all(dims.get(k) == v for k, v in dimensions.items())
            for ns, m, dims in metrics(alarm)
        )
    ]


# -- logs ------------------------------------------------------------------------------


def test_log_retention_is_a_parameter_defaulting_to_30_days() -> None:
    retention = parameter("LogRetentionInDays")
    assert retention["Default"] == 30
    assert 30 in retention["AllowedValues"]


@pytest.mark.parametrize("function", sorted(template.functions()))
def test_every_function_logs_to_its_own_group_with_retention(function: str) -> None:
    props = template.functions()[function]
    link = (props.get("LoggingConfig") or {}).get("LogGroup")
    assert isinstance(link, dict) and "Ref" in link, f"{function} has no LoggingConfig.LogGroup"
    group = template.load()["Resources"][link["Ref"]]
    assert group["Type"] == "AWS::Logs::LogGroup"
    assert group["Properties"]["RetentionInDays"] == {"Ref": "LogRetentionInDays"}
    assert group["Properties"]["LogGroupName"]["Fn::Sub"].startswith("/aws/lambda/")


def test_log_groups_are_one_per_function() -> None:
    groups = [
        props["LoggingConfig"]["LogGroup"]["Ref"]
        for props in template.functions().values()
        if "LoggingConfig" in props
    ]
    assert len(groups) == len(set(groups)) == len(template.functions())
    names = [
        resources("AWS::Logs::LogGroup")[g]["Properties"]["LogGroupName"]["Fn::Sub"] for g in groups
    ]
    assert len(set(names)) == len(names)


def test_the_api_writes_a_json_access_log_with_retention() -> None:
    setting = api()["AccessLogSetting"]
    group_id = setting["DestinationArn"]["Fn::GetAtt"]
    group_id = group_id.split(".")[0] if isinstance(group_id, str) else group_id[0]
    group = template.load()["Resources"][group_id]
    assert group["Type"] == "AWS::Logs::LogGroup"
    assert group["Properties"]["RetentionInDays"] == {"Ref": "LogRetentionInDays"}
    # Every $context variable inside quotes: each line is JSON whatever the values are.
    fields = json.loads(setting["Format"])
    assert all(re.fullmatch(r"\$context\.[A-Za-z.]+", v) for v in fields.values())
    assert fields["requestId"] == "$context.requestId"
    assert fields["ip"] == "$context.identity.sourceIp"
    assert fields["status"] == "$context.status"
    assert fields["route"] == "$context.resourcePath"


def test_access_logging_has_an_api_gateway_account_role_or_says_it_exists() -> None:
    assert parameter("CreateApiGatewayLogsRole")["AllowedValues"] == ["true", "false"]
    account = template.load()["Resources"]["ApiGatewayAccount"]
    assert account["Condition"] == "CreatesApiGatewayLogsRole"
    assert account["Properties"]["CloudWatchRoleArn"] == {"Fn::GetAtt": "ApiGatewayLogsRole.Arn"}
    # Retained: deleting the stack must not leave the account pointing at a deleted role.
    assert template.load()["Resources"]["ApiGatewayLogsRole"]["DeletionPolicy"] == "Retain"


# -- stage throttling and metrics ---------------------------------------------------------


def test_the_stage_throttles_every_route_and_emits_method_metrics() -> None:
    settings = [
        s for s in api()["MethodSettings"] if s["ResourcePath"] == "/*" and s["HttpMethod"] == "*"
    ]
    assert len(settings) == 1
    (stage,) = settings
    assert stage["ThrottlingRateLimit"] == {"Ref": "ThrottlingRateLimit"}
    assert stage["ThrottlingBurstLimit"] == {"Ref": "ThrottlingBurstLimit"}
    assert stage["MetricsEnabled"] is True
    assert stage.get("DataTraceEnabled", False) is False  # no request bodies in logs
    rate, burst = parameter("ThrottlingRateLimit"), parameter("ThrottlingBurstLimit")
    assert 0 < rate["Default"] <= burst["Default"]


# -- usage plans ------------------------------------------------------------------------


def test_a_usage_plan_per_partner_kind_with_throttle_and_quota() -> None:
    plans = resources("AWS::ApiGateway::UsagePlan")
    assert set(plans) >= {"LocomoteUsagePlan", "ConcurUsagePlan", "BookingToolUsagePlan"}
    for name, plan in plans.items():
        props = plan["Properties"]
        assert props["ApiStages"] == [{"ApiId": {"Ref": "Api"}, "Stage": {"Ref": "Api.Stage"}}]
        assert set(props["Throttle"]) == {"RateLimit", "BurstLimit"}, name
        assert props["Quota"]["Period"] == "MONTH", name
        assert "Limit" in props["Quota"], name


def test_existing_callers_need_no_api_key() -> None:
    """The API authenticates with its own headers; a key stays optional (decisions.md)."""
    assert (api().get("Auth") or {}).get("ApiKeyRequired") is not True
    for props in template.functions().values():
        for event in (props.get("Events") or {}).values():
            auth = event.get("Properties", {}).get("Auth") or {}
            assert auth.get("ApiKeyRequired") is not True


# -- alarms -------------------------------------------------------------------------------


@pytest.mark.parametrize("function", sorted(template.functions()))
@pytest.mark.parametrize("metric", ["Errors", "Throttles"])
def test_every_function_has_errors_and_throttles_alarms(function: str, metric: str) -> None:
    found = alarms_on("AWS/Lambda", metric, FunctionName={"Ref": function})
    assert len(found) == 1, f"{function}: {metric} alarms {found}"
    props = template.load()["Resources"][found[0]]["Properties"]
    assert props["Statistic"] == "Sum"
    assert props["Threshold"] == 1
    assert props["ComparisonOperator"] == "GreaterThanOrEqualToThreshold"


def test_the_api_5xx_rate_alarm_watches_this_api_and_stage() -> None:
    found = alarms_on("AWS/ApiGateway", "5XXError", Stage={"Ref": "StageName"})
    assert len(found) == 1
    props = template.load()["Resources"][found[0]]["Properties"]
    dims = {d["Name"]: d["Value"] for d in props["Dimensions"]}
    # SAM names the REST API after the stack unless the Api sets a Name.
    assert dims["ApiName"] == api().get("Name", {"Ref": "AWS::StackName"})
    assert props["Statistic"] == "Average"  # 5XXError averaged is the share of requests
    assert 0 < props["Threshold"] < 1


def test_dynamodb_throttling_alarms_on_the_table(table: str = "Table") -> None:
    reads = alarms_on("AWS/DynamoDB", "ReadThrottleEvents", TableName={"Ref": table})
    writes = alarms_on("AWS/DynamoDB", "WriteThrottleEvents", TableName={"Ref": table})
    requests = alarms_on("AWS/DynamoDB", "ThrottledRequests", TableName={"Ref": table})
    assert (reads and writes) or requests, f"no throttling alarm on {table}"


def test_every_alarm_notifies_the_topic_and_ignores_missing_data() -> None:
    alarms = resources("AWS::CloudWatch::Alarm")
    assert len(alarms) >= 2 * len(template.functions()) + 2
    for name, alarm in alarms.items():
        props = alarm["Properties"]
        assert props["TreatMissingData"] == "notBreaching", name
        assert TOPIC in props["AlarmActions"], name
        assert TOPIC in props.get("OKActions", []), name
        assert props.get("AlarmDescription"), name


def test_the_alarm_email_is_optional() -> None:
    assert parameter("AlarmEmail")["Default"] == ""
    subscriptions = resources("AWS::SNS::Subscription")
    assert subscriptions, "no alarm subscription"
    for sub in subscriptions.values():
        assert sub["Condition"] == "HasAlarmEmail"
        assert sub["Properties"]["TopicArn"] == TOPIC
        assert sub["Properties"]["Endpoint"] == {"Ref": "AlarmEmail"}
    condition = template.load()["Conditions"]["HasAlarmEmail"]
    assert condition == {"Fn::Not": [{"Fn::Equals": [{"Ref": "AlarmEmail"}, ""]}]}


# -- outputs ------------------------------------------------------------------------------


def test_outputs_for_operators() -> None:
    outputs = template.load()["Outputs"]
    expected = {
        "ApiUrl": None,
        "TableName": {"Ref": "Table"},
        "AlarmTopicArn": TOPIC,
        "LocomoteUsagePlanId": {"Ref": "LocomoteUsagePlan"},
        "ConcurUsagePlanId": {"Ref": "ConcurUsagePlan"},
        "BookingToolUsagePlanId": {"Ref": "BookingToolUsagePlan"},
    }
    for name, value in expected.items():
        assert name in outputs, f"output {name} is missing"
        if value is not None:
            assert outputs[name]["Value"] == value, name
    assert "${Api}" in outputs["ApiUrl"]["Value"]["Fn::Sub"]
    assert "${StageName}" in outputs["ApiUrl"]["Value"]["Fn::Sub"]
