"""Bounded error answers (SPEC 7), one rule for every interface: at most 16 KiB, at most
20 problems listed then "and N more", every quoted caller value cut to 64 characters."""

from __future__ import annotations

import json

import pytest
from lxml import etree

from loyalty_core import errors as e
from loyalty_core.interfaces import jsonapi
from loyalty_core.interfaces.concur import xml as concur
from loyalty_core.interfaces.locomote import api


def test_clip_keeps_short_text_and_cuts_long_text_with_an_ellipsis() -> None:
    assert e.clip("Frequent Flier") == "Frequent Flier"
    assert e.clip("x" * 64) == "x" * 64
    cut = e.clip("x" * 100_000)
    assert cut == "x" * 63 + "…"
    assert len(cut) == e.MAX_QUOTED


def test_clip_escapes_what_is_not_printable() -> None:
    assert e.clip("a\u202eb\x00c\ud800") == "a\\u202eb\\u0000c\\ud800"
    assert e.clip("José 東京 ✈") == "José 東京 ✈"
    assert len(e.clip("\u202e" * 100)) == e.MAX_QUOTED


def test_quote_and_quote_all() -> None:
    assert e.quote("AA") == '"AA"'
    assert e.quote("U" * 1000) == '"' + "U" * 63 + '…"'
    assert e.quote_all(["a", "b"]) == '"a", "b"'
    assert e.quote_all(str(i) for i in range(12)) == '"0", "1", "2", "3", "4" and 7 more'


def many_problems(count: int, value: str) -> e.InvalidInput:
    """As a codec reports them: a caller's value quoted in messages, raw in locations."""
    detail = f"is wrong: {e.quote(value)}"
    return e.InvalidInput(
        "The update is not valid; nothing was applied",
        [e.Problem(detail, (i, value, value)) for i in range(1, count + 1)],
    )


# The worst characters for each format: escaped by JSON, by XML, or four bytes of UTF-8.
WORST = ["U", "\u202e", "\U0001f600", "&", '"', "<", "é"]


@pytest.mark.parametrize("char", WORST)
@pytest.mark.parametrize("count", [1, 20, 21, 5000])
def test_concur_error_answers_are_bounded(char: str, count: int) -> None:
    status, body = concur.error_response(many_problems(count, char * 100_000))
    assert status == 400
    assert len(body) <= e.MAX_ERROR_BYTES
    description = etree.fromstring(body).findtext("ErrorDescription") or ""
    listed = description.count("Membership ")
    assert 1 <= listed <= e.MAX_PROBLEMS
    if count > listed:
        assert description.endswith(
            f"and {count - listed} more problem" + "s" * (count - listed > 1)
        )
    assert char * (e.MAX_QUOTED + 1) not in description


@pytest.mark.parametrize("char", WORST)
@pytest.mark.parametrize("count", [1, 20, 21, 5000])
def test_jsonapi_error_answers_are_bounded(char: str, count: int) -> None:
    name = char * 100_000  # an attribute name, as pydantic locates it
    error = e.InvalidInput(
        "The membership is not valid",
        [e.Problem(f"is not known ({i})", ("data", "attributes", name)) for i in range(count)],
    )
    status, doc, _ = jsonapi.error_document(error)
    body = api.error_response(error).body
    assert status == 422
    assert body is not None and len(body.encode("utf-8")) <= e.MAX_ERROR_BYTES
    assert json.loads(body) == doc
    problems = [item for item in doc["errors"] if "source" in item]
    assert 1 <= len(problems) <= e.MAX_PROBLEMS
    if count > len(problems):
        assert doc["errors"][-1]["detail"].startswith(f"and {count - len(problems)} more problem")
        assert "source" not in doc["errors"][-1]
    for item in problems:
        assert len(item["source"]["pointer"].rsplit("/", 1)[1]) <= e.MAX_QUOTED


def test_twenty_small_problems_are_all_listed() -> None:
    _, doc, _ = jsonapi.error_document(many_problems(20, "x"))
    assert len(doc["errors"]) == 20
    _, doc, _ = jsonapi.error_document(many_problems(21, "x"))
    assert len(doc["errors"]) == 21
    assert doc["errors"][-1]["detail"] == "and 1 more problem"


def test_a_long_detail_without_problems_is_cut() -> None:
    _, doc, _ = jsonapi.error_document(e.MalformedRequest("x" * 100_000))
    assert len(doc["errors"][0]["detail"]) == e.MAX_DETAIL
    _, body = concur.error_response(e.MalformedRequest("x" * 100_000))
    assert len(etree.fromstring(body).findtext("ErrorDescription") or "") == e.MAX_DETAIL
