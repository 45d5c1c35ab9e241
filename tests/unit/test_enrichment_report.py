"""The enrichment's JSON report, bounded (SPEC 15): the cards added, then those left out, as
many as a room of bytes holds, in their order; `omitted` counts the rest; an answer may be
16 KiB + 1.25 x the request."""

from __future__ import annotations

import json

import pytest

from loyalty_core.interfaces.uapi.api import answer_limit, report
from loyalty_core.models.cards import Added, Card, Enrichment, NotAdded


def result(added: int, left_out: int) -> Enrichment:
    enrichment = Enrichment("1G", "AirCreateReservationReq", "air")
    enrichment.added = [
        Added(
            f"BookingTraveler {n}",
            "098765",
            Card(f"k{n}", "QF", f"QF{n}", "Air", f"m{n}", "airline_code"),
        )
        for n in range(added)
    ]
    enrichment.left_out = [
        NotAdded(
            "BookingTraveler 1", "hotel_program", "hotel programs are not sent", "098765", f"h{n}"
        )
        for n in range(left_out)
    ]
    return enrichment


def size(value: object) -> int:
    return len(json.dumps(value, ensure_ascii=False).encode())


def test_with_room_enough_the_report_lists_everything_and_omits_nothing() -> None:
    full = report(result(3, 4))
    assert (len(full["added"]), len(full["left_out"])) == (3, 4)
    assert "omitted" not in full
    assert report(result(3, 4), room=10_000) == full
    assert (full["product"], full["request"], full["provider"]) == (
        "air",
        "AirCreateReservationReq",
        "1G",
    )


@pytest.mark.parametrize("room", [400, 800, 2_000, 5_000])
def test_a_report_lists_added_then_left_out_as_fit_and_counts_the_rest(room: int) -> None:
    full = report(result(10, 40))
    bounded = report(result(10, 40), room=room)
    assert size(bounded) <= room
    assert bounded["added"] == full["added"][: len(bounded["added"])]
    assert bounded["left_out"] == full["left_out"][: len(bounded["left_out"])]
    if bounded["left_out"]:
        assert len(bounded["added"]) == 10  # the cards added come first
    assert bounded["omitted"] == {
        "added": 10 - len(bounded["added"]),
        "left_out": 40 - len(bounded["left_out"]),
    }


def test_the_answer_limit_is_16_kib_and_a_quarter_more_than_the_request() -> None:
    assert answer_limit(0) == 16 * 1024
    assert answer_limit(1_742) == 16 * 1024 + 2_177
    assert answer_limit(1024 * 1024) == 16 * 1024 + 1_310_720
