"""The DynamoDB client's time limits (SPEC 7): timeouts and retries set from a budget, and
no attempt started that could end past the invocation's deadline."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from loyalty_core import settings
from loyalty_core.errors import StorageUnavailable


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> Clock:
    fake = Clock()
    monkeypatch.setattr(settings.time, "monotonic", fake)
    return fake


@pytest.fixture
def client(monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    for name, value in {
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_DEFAULT_REGION": "us-east-1",
        "DYNAMODB_ENDPOINT_URL": "http://127.0.0.1:9",  # never reached by these tests
    }.items():
        monkeypatch.setenv(name, value)
    settings.reset()
    yield settings.dynamodb_client()
    settings.reset()


def test_the_budget_fits_the_contract() -> None:
    attempt = settings.CONNECT_TIMEOUT + settings.READ_TIMEOUT
    assert settings.STORE_BUDGET + 0.5 < 5  # 503 within 5 s, with time left to answer
    assert attempt * 2 <= settings.STORE_BUDGET  # a stalled call is tried twice
    assert settings.MAX_ATTEMPTS >= 2


def test_the_client_carries_the_timeouts_and_retries(client: Any) -> None:
    config = client.meta.config
    assert (config.connect_timeout, config.read_timeout) == (
        settings.CONNECT_TIMEOUT,
        settings.READ_TIMEOUT,
    )
    assert config.retries == {"mode": "standard", "total_max_attempts": settings.MAX_ATTEMPTS}


def test_outside_an_invocation_nothing_is_refused(clock: Clock) -> None:
    settings._before_attempt()
    assert settings._may_retry(attempts=2) is None


def test_an_attempt_starts_only_if_it_can_end_within_the_budget(clock: Clock) -> None:
    with settings.store_deadline(remaining_ms=10_000):
        settings._before_attempt()  # 2 s of 4
        clock.now += 2.0
        settings._before_attempt()  # 2 s left: just enough
        clock.now += 0.01
        with pytest.raises(StorageUnavailable):
            settings._before_attempt()
    settings._before_attempt()  # the deadline ends with the invocation


def test_a_retry_waits_for_no_backoff_it_cannot_afford(clock: Clock) -> None:
    timeout = TimeoutError("read timed out")
    with settings.store_deadline(remaining_ms=10_000):
        clock.now += 1.0  # a first attempt timed out: 25 ms backoff at most + 2 s fits
        assert settings._may_retry(attempts=1, caught_exception=timeout) is None
        assert settings._may_retry(attempts=1) is None  # throttled: 1 s backoff + 2 s fits
        clock.now += 0.1
        assert settings._may_retry(attempts=1) is False
        assert settings._may_retry(attempts=1, caught_exception=timeout) is None
        clock.now += 1.0  # a second attempt timed out
        assert settings._may_retry(attempts=2, caught_exception=timeout) is False


def test_the_budget_never_passes_the_lambdas_remaining_time(clock: Clock) -> None:
    with settings.store_deadline(remaining_ms=3_500):  # 2.5 s after the margin
        settings._before_attempt()
        clock.now += 0.6
        with pytest.raises(StorageUnavailable):
            settings._before_attempt()
    with settings.store_deadline(remaining_ms=2_000), pytest.raises(StorageUnavailable):
        settings._before_attempt()


def test_a_call_past_the_deadline_fails_before_sending(client: Any) -> None:
    with settings.store_deadline(remaining_ms=1_000), pytest.raises(StorageUnavailable):
        client.get_item(TableName="t", Key={"pk": {"S": "x"}})
