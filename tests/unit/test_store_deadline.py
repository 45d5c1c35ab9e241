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
def clock(monkeypatch: pytest.MonkeyPatch) -> Iterator[Clock]:
    """A clock the test moves, and the production budget (nothing sets it deployed)."""
    fake = Clock()
    monkeypatch.setattr(settings.time, "monotonic", fake)
    monkeypatch.delenv("STORE_BUDGET_SECONDS", raising=False)
    settings.reset()
    yield fake
    settings.reset()


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


TIMEOUT = TimeoutError("read timed out")


def test_a_stalled_call_is_tried_twice_then_given_up(clock: Clock) -> None:
    with settings.store_deadline(remaining_ms=10_000):
        settings._call_starts()
        settings._before_attempt()
        clock.now += settings.READ_TIMEOUT  # no answer
        assert settings._may_retry(attempts=1, caught_exception=TIMEOUT) is None
        clock.now += 0.025
        settings._before_attempt()
        clock.now += settings.READ_TIMEOUT  # no answer again
        assert settings._may_retry(attempts=2, caught_exception=TIMEOUT) is False
        settings._call_ends()
        settings._call_starts()  # the next call has no room for a whole attempt
        with pytest.raises(StorageUnavailable):
            settings._before_attempt()
    settings._before_attempt()  # the budget ends with the invocation


def test_time_spent_outside_dynamodb_does_not_count(clock: Clock) -> None:
    with settings.store_deadline(remaining_ms=10_000):
        clock.now += 3.0  # a cold import, say
        settings._call_starts()
        settings._before_attempt()
        clock.now += 0.01
        settings._call_ends()
        settings._call_starts()
        settings._before_attempt()


def test_a_throttled_call_waits_only_for_a_backoff_it_can_afford(clock: Clock) -> None:
    with settings.store_deadline(remaining_ms=10_000):
        settings._call_starts()
        clock.now += 0.9  # answered slowly, throttled: up to 1 s of backoff + 2 s fits
        assert settings._may_retry(attempts=1) is None
        clock.now += 0.2
        assert settings._may_retry(attempts=1) is False


def test_the_budget_never_passes_the_lambdas_remaining_time(clock: Clock) -> None:
    with settings.store_deadline(remaining_ms=3_500):  # 2.5 s left after the margin
        settings._before_attempt()
        clock.now += 0.6
        with pytest.raises(StorageUnavailable):
            settings._before_attempt()
    with settings.store_deadline(remaining_ms=2_000), pytest.raises(StorageUnavailable):
        settings._before_attempt()


def test_a_call_past_the_deadline_fails_before_sending(client: Any) -> None:
    with settings.store_deadline(remaining_ms=1_000), pytest.raises(StorageUnavailable):
        client.get_item(TableName="t", Key={"pk": {"S": "x"}})
