"""How many workers the local front starts (WORKERS): a whole number from 1 to 64, 2 unless
told; anything else is refused with a message naming the variable."""

from __future__ import annotations

import pytest

from local.server import DEFAULT_WORKERS, workers_wanted


def test_two_workers_unless_told() -> None:
    assert DEFAULT_WORKERS == 2
    assert workers_wanted({}) == 2
    assert workers_wanted({"WORKERS": ""}) == 2
    assert workers_wanted({"WORKERS": " 4 "}) == 4
    assert workers_wanted({"WORKERS": "64"}) == 64


@pytest.mark.parametrize("value", ["0", "65", "-1", "2.5", "four", "1e1", "٣"])
def test_a_number_of_workers_that_cannot_be_is_refused(value: str) -> None:
    with pytest.raises(ValueError, match="WORKERS must be a whole number from 1 to 64"):
        workers_wanted({"WORKERS": value})
