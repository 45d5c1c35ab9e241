"""The webhook services as a deployed function builds them (`services/webhooks/runtime.py`):
from the settings, once per process, with short limits on SQS and KMS; the functions the
stream and the queue invoke logged and counted under their own name. Nothing is sent: the
clients are built, never called."""

from __future__ import annotations

import io
import json
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import pytest

from loyalty_core import settings
from loyalty_core.models import Membership
from loyalty_core.services.webhooks import runtime
from tests.conftest import ENVIRONMENT

QUEUE = "https://sqs.us-east-1.amazonaws.com/000000000000/deliveries.fifo"
DEAD = "https://sqs.us-east-1.amazonaws.com/000000000000/dead.fifo"


@pytest.fixture
def deployed(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    for name, value in {
        **ENVIRONMENT,
        "AWS_REGION": "eu-west-1",
        "WEBHOOK_QUEUE_URL": QUEUE,
        "WEBHOOK_DEAD_LETTER_QUEUE_URL": DEAD,
        "WEBHOOK_KMS_KEY_ID": "alias/webhooks",
        "PUBLIC_API_URL": "https://api.example.com/",
        "POWERTOOLS_METRICS_NAMESPACE": "LoyaltyTest",
    }.items():
        monkeypatch.setenv(name, value)
    monkeypatch.delenv("DYNAMODB_ENDPOINT_URL", raising=False)
    settings.reset()
    runtime._webhooks.cache_clear()
    yield
    runtime._webhooks.cache_clear()
    settings.reset()


def test_the_services_are_built_from_the_settings_once_per_process(
    deployed: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    built = runtime.get_webhooks()
    assert runtime.get_webhooks() is built
    assert (built.queue.url, built.queue.dead_letter_url) == (QUEUE, DEAD)  # type: ignore[attr-defined]
    assert built.box.key_id == "alias/webhooks"  # type: ignore[attr-defined]
    assert built.store.table == ENVIRONMENT["TABLE_NAME"]  # type: ignore[attr-defined]
    assert built.store.audit_retention_days == settings.get_settings().audit_retention_days  # type: ignore[attr-defined]
    assert built.memberships is settings.get_repository()
    assert built.local_targets is False and built.send.local is False  # type: ignore[attr-defined]
    # reset settings: built again, now for a receiver on this machine (make run)
    monkeypatch.setenv("WEBHOOK_LOCAL_TARGETS", "true")
    settings.reset()
    local = runtime.get_webhooks()
    assert local is not built
    assert local.local_targets is True and local.send.local is True  # type: ignore[attr-defined]


def test_sqs_and_kms_answer_within_seconds_or_are_given_up(deployed: None) -> None:
    built = runtime.get_webhooks()
    for client, service in ((built.queue.client, "sqs"), (built.box.client, "kms")):  # type: ignore[attr-defined]
        config = client.meta.config
        assert client.meta.service_model.service_name == service
        assert client.meta.region_name == "eu-west-1"
        assert (config.connect_timeout, config.read_timeout) == (2, 5)
        assert config.retries == {"mode": "standard", "total_max_attempts": 3}


def test_an_event_shows_a_membership_at_the_public_api_url() -> None:
    membership = Membership(
        id="m-1",
        company="acme",
        employee_id="098765",
        provider_id="hh",
        account_number="A1",
        created_at=datetime(2026, 12, 7, tzinfo=UTC),
        updated_at=datetime(2026, 12, 7, tzinfo=UTC),
    )
    for base in ("https://api.example.com", "https://api.example.com/"):
        shown = runtime.renderer(base)(membership)
        assert shown["id"] == "m-1" and shown["attributes"]["account_number"] == "A1"
        assert shown["links"]["self"].startswith("https://api.example.com/api/")
        assert "//api/" not in shown["links"]["self"].removeprefix("https://")
    staged = runtime.renderer("https://api.example.com/PROX/")(membership)
    assert staged["links"]["self"].startswith("https://api.example.com/PROX/api/")


class Context:
    function_name = "webhook-fanout"
    function_version = "$LATEST"
    invoked_function_arn = "arn:aws:lambda:eu-west-1:000000000000:function:webhook-fanout"
    memory_limit_in_mb = 256
    aws_request_id = "request-1"
    log_group_name = "/aws/lambda/webhook-fanout"
    log_stream_name = "stream"

    def get_remaining_time_in_millis(self) -> int:
        return 60_000


def test_a_worker_is_logged_and_counted_under_its_own_name(
    deployed: None, capsys: pytest.CaptureFixture[str]
) -> None:
    from loyalty_core.observability import logger

    seen: list[Any] = []

    @runtime.instrument_worker("webhook_fanout")
    def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
        logger.info("handled")
        seen.append(event)
        return {"batchItemFailures": []}

    buffer = io.StringIO()
    stream = logger.registered_handler  # its stream may be one a test runner has closed
    previous = stream.stream  # type: ignore[attr-defined]
    stream.stream = buffer  # type: ignore[attr-defined]
    try:
        assert handler({"Records": []}, Context()) == {"batchItemFailures": []}
    finally:
        stream.stream = previous  # type: ignore[attr-defined]
    assert seen == [{"Records": []}]
    logs = [json.loads(line) for line in buffer.getvalue().splitlines() if line]
    (logged,) = [line for line in logs if line.get("message") == "handled"]
    assert logged["interface"] == "webhook_fanout"
    assert logged["function_request_id"] == "request-1"
    out = capsys.readouterr().out
    (emf,) = [json.loads(line) for line in out.splitlines() if '"_aws"' in line]
    (directive,) = emf["_aws"]["CloudWatchMetrics"]
    assert directive["Namespace"] == "LoyaltyTest"
    assert [m["Name"] for m in directive["Metrics"]] == ["Invocations"]
    assert (emf["interface"], emf["Invocations"]) == ("webhook_fanout", [1.0])


def test_an_invocations_log_keys_do_not_outlive_it(deployed: None) -> None:
    from loyalty_core.observability import logger

    @runtime.instrument_worker("webhook_delivery")
    def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
        if event.get("first"):
            logger.append_keys(traveller="098765")
        logger.info("handled")
        return {}

    buffer = io.StringIO()
    stream = logger.registered_handler
    previous = stream.stream  # type: ignore[attr-defined]
    stream.stream = buffer  # type: ignore[attr-defined]
    try:
        handler({"first": True}, Context())
        handler({}, Context())
    finally:
        stream.stream = previous  # type: ignore[attr-defined]
    first, second = [json.loads(line) for line in buffer.getvalue().splitlines() if line]
    assert first["traveller"] == "098765" and "traveller" not in second
    assert second["interface"] == "webhook_delivery"


def test_a_traced_worker_still_answers(deployed: None, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("POWERTOOLS_TRACE_DISABLED", "false")
    # outside Lambda Powertools' tracer records and patches nothing: only the wrapping runs
    settings.reset()

    @runtime.instrument_worker("webhook_fanout")
    def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
        return {"batchItemFailures": [], "seen": event}

    assert settings.get_settings().tracing
    assert handler({"Records": []}, Context()) == {"batchItemFailures": [], "seen": {"Records": []}}
