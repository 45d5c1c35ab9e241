"""Content negotiation on Accept (RFC 9110 12.5.1): q-values, the most specific range,
`*/*` and `type/*`, q=0 as "not acceptable", and the server's default on ties."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from loyalty_core.interfaces.negotiation import negotiate

XML, TEXT_XML, JSON = "application/xml", "text/xml", "application/json"
HOTEL = (XML, TEXT_XML, JSON)  # the hotel call: XML unless JSON is preferred


@pytest.mark.parametrize(
    ("accept", "chosen"),
    [
        # the defaults
        (None, XML),
        ("", XML),
        ("   ", XML),
        ("*/*", XML),
        ("application/json", JSON),
        ("text/xml", TEXT_XML),
        # q-values
        ("text/xml, application/json;q=0.5", TEXT_XML),
        ("application/json;q=0.5, text/xml", TEXT_XML),
        ("application/xml;q=0.4, application/json;q=0.5", JSON),
        ("application/json;q=0.9, */*;q=0.1", JSON),
        ("*/*;q=0.1, application/json", JSON),
        ("application/json; q=0.501, application/xml; q=0.5", JSON),
        ("APPLICATION/JSON;Q=0.7, application/xml;q=0.6", JSON),
        # ties: the server's default
        ("application/json, application/xml", XML),
        ("application/json, text/xml", TEXT_XML),
        ("application/json;q=0.5, text/xml;q=0.5", TEXT_XML),
        # the most specific range gives a type its q-value, wherever it stands
        ("application/*;q=0.9, text/xml", TEXT_XML),
        ("application/*, application/xml;q=0.1, text/xml;q=0.2", JSON),
        ("*/*;q=0.9, application/json;q=0.2", XML),
        ("text/*;q=0.3, application/json;q=0.2", TEXT_XML),
        ("application/json;charset=utf-8;q=0.6, application/json;q=0.1, */*;q=0.5", JSON),
        # q=0: not acceptable
        ("application/xml;q=0, text/xml;q=0, application/json;q=0.01", JSON),
        ("*/*, application/xml;q=0, text/xml;q=0", JSON),
        ("application/json;q=0, */*", XML),
        ("application/json;q=0", XML),  # nothing acceptable: the default
        ("image/png", XML),
        # parameters: a range naming a parameter matches only a representation that has it
        ("application/json;charset=UTF-8", JSON),
        ('application/json;charset="utf-8"', JSON),
        ("application/json;charset=latin1, text/xml;q=0.1", TEXT_XML),
        ('application/json; version="1,2"; q=0.9, text/*;q=0.1', TEXT_XML),
        # malformed ranges and weights are ignored, never an error
        ("application/json;q=abc", XML),
        ("application/json;q=1.5", XML),
        ("application/json;q=0.5000", XML),
        ("application/json;q=-1", XML),
        ("application/json;q=nan", XML),
        ("application/json;q=0.5;q=0.9", XML),
        ("application/json;q", XML),
        ("json", XML),
        ("*/json", XML),
        ("application/json garbage", XML),
        (",,, ;;", XML),
        ('"application/json"', XML),
        ('application/json;x="unclosed, text/xml', TEXT_XML),  # the broken range ignored
        ("application/json;;q=0.8, text/xml;q=0.7", JSON),  # empty parameters are allowed
        ("application/json;q=1.000, text/xml;q=0.999", JSON),
    ],
)
def test_the_preferred_offered_type_is_chosen(accept: str | None, chosen: str) -> None:
    assert negotiate(accept, HOTEL) == chosen


def test_the_first_offered_type_is_the_default() -> None:
    assert negotiate("*/*", (TEXT_XML, XML, JSON)) == TEXT_XML
    assert negotiate("application/xml, text/xml", (TEXT_XML, XML, JSON)) == TEXT_XML
    assert negotiate("application/xml, text/xml;q=0.9", (TEXT_XML, XML, JSON)) == XML


qvalues = st.sampled_from(["0", "0.001", "0.1", "0.25", "0.5", "0.75", "0.999", "1", "1.0"])


@given(xml=st.none() | qvalues, json=st.none() | qvalues)
def test_json_only_when_preferred_to_xml(xml: str | None, json: str | None) -> None:
    ranges = [f"application/xml;q={xml}"] if xml is not None else []
    ranges += [f"application/json;q={json}"] if json is not None else []
    chosen = negotiate(", ".join(ranges), HOTEL)
    json_q = float(json) if json is not None else 0.0
    xml_q = float(xml) if xml is not None else 0.0
    assert (chosen == JSON) == (json_q > xml_q)


@given(st.text(max_size=200))
def test_any_accept_value_gives_an_offered_type(accept: str) -> None:
    assert negotiate(accept, HOTEL) in HOTEL
