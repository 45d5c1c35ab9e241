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


def test_calls_under_way_at_once_spend_the_budget_once(clock: Clock) -> None:
    """The enrichment reads its travellers at once: overlapping calls count the time the
    invocation waits (here 3 s, from the first start to the last end), neither once per
    call (5 s, which would refuse the next attempt) nor only the last call's (1 s)."""
    with settings.store_deadline(remaining_ms=10_000):
        settings._call_starts()  # A at 0 s
        clock.now += 1.0
        settings._call_starts()  # B at 1 s
        clock.now += 1.0
        settings._call_ends()  # A at 2 s
        clock.now += 1.0
        settings._call_ends()  # B at 3 s: 3 s spent, 1 s left
        assert settings._room_for(1.0)
        assert not settings._room_for(1.1)
        settings._call_starts()
        with pytest.raises(StorageUnavailable):
            settings._before_attempt()  # an attempt may take 2 s: it does not fit


def test_a_call_still_under_way_counts_until_the_last_one_ends(clock: Clock) -> None:
    with settings.store_deadline(remaining_ms=10_000):
        settings._call_starts()
        settings._call_starts()
        clock.now += 1.5
        settings._call_ends()  # one still under way: the stretch goes on
        clock.now += 1.0
        assert not settings._room_for(1.6)  # 2.5 s spent so far
        assert settings._room_for(1.5)
        settings._call_ends()
        settings._call_ends()  # one end too many (a call begun before the deadline): ignored
        clock.now += 3.0  # time outside DynamoDB does not count
        assert settings._room_for(1.5)


def test_the_budget_is_kept_right_by_calls_on_several_threads(clock: Clock) -> None:
    import threading

    with settings.store_deadline(remaining_ms=10_000):
        threads = [
            threading.Thread(target=lambda: (settings._call_starts(), settings._call_ends()))
            for _ in range(50)
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert settings._budget.calls == 0 and settings._budget.busy_since is None
