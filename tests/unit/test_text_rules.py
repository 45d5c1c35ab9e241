"""The text rules as patterns (validators.py): code point ranges that are what they say, read
alike by Python's `re` and by an ECMA-262 engine, and the service accepting exactly what each
pattern accepts, stored in one spelling (NFC) that keeps the rule."""

from __future__ import annotations

import re
import sys
import unicodedata
from collections.abc import Callable
from functools import cache
from pathlib import Path
from typing import Any

import jsonschema_rs
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pydantic import TypeAdapter, ValidationError

from loyalty_core import text_ranges as t
from loyalty_core import validators as v

RULES = {
    "PROGRAM": (v.PROGRAM, v.Program),
    "SHORT_TEXT": (v.SHORT_TEXT, v.ShortText),
    "LONG_TEXT": (v.LONG_TEXT, v.LongText),
    "MEMBERSHIP_NAME": (v.MEMBERSHIP_NAME, v.MembershipName),
    "LEVEL": (v.LEVEL, v.Level),
    "IDENTIFIER": (v.IDENTIFIER, v.EmployeeId),
    "ACCOUNT_NUMBER": (v.ACCOUNT_NUMBER, v.AccountNumber),
    "NAME": (v.NAME, v.Name),
}
# The patterns openapi.json states (NAME's names the surrogates: Python's reading only).
PATTERNS = {
    **{name: pattern for name, (pattern, _) in RULES.items() if name != "NAME"},
    "RECORD_ID": v.RECORD_ID,
    "REFERENCE": v.REFERENCE,
    "DATE": v.DATE,
}
# Every code point, surrogates aside (no UTF-8 string, so no ECMA-262 engine here, holds one).
ANY_TEXT = st.text(st.characters(codec="utf-8"), max_size=60)
QUICK = settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def code_points(ranges: t.Ranges) -> set[int]:
    return {code for first, last in ranges for code in range(first, last + 1)}


@cache
def unicode_14() -> dict[str, set[int]]:
    """The code points of the categories the tables are made of, as Unicode 14.0 has them."""
    found: dict[str, set[int]] = {}
    for code in range(sys.maxunicode + 1):
        found.setdefault(unicodedata.category(chr(code)), set()).add(code)
    return found


@cache
def expanded_by_nfc() -> frozenset[int]:
    return frozenset(
        code
        for code in range(sys.maxunicode + 1)
        if not 0xD800 <= code <= 0xDFFF and len(unicodedata.normalize("NFC", chr(code))) > 1
    )


NONCHARACTERS = {*range(0xFDD0, 0xFDF0)} | {
    plane << 16 | low for plane in range(17) for low in (0xFFFE, 0xFFFF)
}
TABLES_VERSION = pytest.mark.skipif(
    unicodedata.unidata_version != "14.0.0",
    reason="the tables are made of Unicode 14.0's categories (Python 3.11's unicodedata)",
)


@TABLES_VERSION
def test_not_printable_is_what_it_says() -> None:
    """Controls, format characters, every separator but the space, surrogates, private use,
    noncharacters and the characters NFC writes as several: nothing more, nothing less."""
    category = unicode_14()
    separators = category["Zs"] - {0x20} | category["Zl"] | category["Zp"]
    wanted = set().union(
        *(category[name] for name in ("Cc", "Cf", "Cs", "Co")),
        separators,
        NONCHARACTERS,
        expanded_by_nfc(),
        {0xD7FF},  # unassigned, beside the surrogates
    )
    assert code_points(t.NOT_PRINTABLE_RANGES) == wanted


@TABLES_VERSION
def test_letters_are_letters_marks_digits_and_unassigned_code_points() -> None:
    category = unicode_14()
    assert code_points(t.PUNCTUATION_AND_SYMBOLS) == {
        code for name, codes in category.items() if name[0] in "PS" for code in codes
    }
    lmn = {code for name, codes in category.items() if name[0] in "LMN" for code in codes}
    letters = (lmn | category["Cn"]) - code_points(t.NOT_PRINTABLE_RANGES)
    assert code_points(t.NOT_LETTERS) == set(range(sys.maxunicode + 1)) - letters


def test_the_text_rule_of_spec_3_exactly() -> None:
    spec = {
        *range(0x00, 0x20),
        *range(0x7F, 0xA0),
        *range(0x200B, 0x200E),
        0x2060,
        0xFEFF,
        *range(0x202A, 0x202F),
        *range(0x2066, 0x206A),
        *range(0xD800, 0xE000),
    }
    assert code_points(t.NOT_TEXT_RANGES) == spec
    assert all(not v.is_text(f"a{chr(code)}b") for code in spec)
    assert code_points(t.NOT_TEXT_RANGES) <= code_points(t.NOT_PRINTABLE_RANGES)


def test_nothing_the_old_rules_took_is_refused_but_what_nfc_expands() -> None:
    """`str.isprintable` and Python's `\\w` were the rules before the ranges: every character
    they took is still taken, but the 85 characters that NFC writes as several."""
    expands = expanded_by_nfc()
    not_printable = code_points(t.NOT_PRINTABLE_RANGES)
    not_letters = code_points(t.NOT_LETTERS)
    word = re.compile(r"\w")
    for code in range(sys.maxunicode + 1):
        char = chr(code)
        if code in expands:
            continue
        if char.isprintable():
            assert code not in not_printable, hex(code)
        if word.match(char) and char != "_":
            assert code not in not_letters, hex(code)


@cache
def matching(pattern: str) -> st.SearchStrategy[str]:
    """Values the pattern takes (one strategy per pattern: building one walks its class)."""
    return st.from_regex(re.compile(pattern), fullmatch=True)


@cache
def drawn(pattern: str) -> st.SearchStrategy[str]:
    """Any text, values the pattern takes, and those with a newline after them."""
    taken = matching(pattern)
    return st.one_of(ANY_TEXT, taken, taken.map(lambda text: text + "\n"))


@cache
def ecma(pattern: str) -> Callable[[Any], bool]:
    """The pattern as an ECMA-262 engine reads it: the one schemathesis validates with."""
    return jsonschema_rs.Draft202012Validator({"pattern": pattern}).is_valid


@pytest.mark.parametrize("name", PATTERNS)
@QUICK
@given(data=st.data())
def test_python_and_ecma_262_read_each_pattern_alike(name: str, data: st.DataObject) -> None:
    """Python's reading both as the service runs it (`fullmatch`) and as a JSON Schema
    validator in Python does (`search`), a last newline included."""
    pattern = PATTERNS[name]
    value = data.draw(drawn(pattern))
    read = ecma(pattern)(value)
    assert read == bool(re.fullmatch(pattern, value)) == bool(re.search(pattern, value))


@pytest.mark.parametrize("name", PATTERNS)
def test_no_pattern_takes_a_lone_surrogate(name: str) -> None:
    for surrogate in ("\ud800", "\udbff", "\udc00", "\udfff"):
        assert not re.fullmatch(PATTERNS[name], "A" + surrogate)


@pytest.mark.parametrize("name", RULES)
@QUICK
@given(data=st.data())
def test_the_service_takes_exactly_what_the_pattern_takes(name: str, data: st.DataObject) -> None:
    """Whatever the document's pattern takes is stored (in NFC, which still keeps the rule,
    no longer than sent); whatever it refuses is refused."""
    pattern, rule = RULES[name]
    value = data.draw(drawn(pattern))
    adapter: TypeAdapter[str] = TypeAdapter(rule)
    if re.fullmatch(pattern, value):
        stored = adapter.validate_python(value)
        spelled = unicodedata.normalize("NFC", value)
        assert stored == (v.without_formatting(spelled) if rule is v.AccountNumber else spelled)
        assert len(stored) <= len(value)
        assert re.fullmatch(pattern, stored)
    else:
        with pytest.raises(ValidationError):
            adapter.validate_python(value)


@pytest.mark.parametrize(
    ("pattern", "value"),
    [
        (v.PROGRAM, "Club Été ✈ 東京"),
        (v.PROGRAM, "x\U000e0041"),  # a tag character
        (v.PROGRAM, "\u0958"),  # written by NFC as two characters
        (v.LONG_TEXT, "Lounge\u00a0access"),  # a no-break space
        (v.LONG_TEXT, "a\U000f0000"),  # private use past U+FFFF
        (v.MEMBERSHIP_NAME, "𠮷野 Taro"),  # a letter past U+FFFF
        (v.MEMBERSHIP_NAME, "देवनागरी"),  # with its combining vowel signs
        (v.LEVEL, "Gold 🥇"),
        (v.REFERENCE, "gr8AVWGCR064r57Jt0+8bA=="),
        (v.REFERENCE, "a\u3000b"),
    ],
)
def test_python_and_ecma_262_agree_past_ascii(pattern: str, value: str) -> None:
    assert ecma(pattern)(value) == bool(re.fullmatch(pattern, value))


def test_the_patterns_the_functions_import_are_those_the_ranges_build() -> None:
    """validators takes the range-built patterns from text_patterns (no building at cold
    start): each is exactly what text_ranges builds, and the module is as it writes it."""
    import loyalty_core.text_patterns as written

    built = t.patterns()
    assert {name: getattr(written, name) for name in built} == built
    assert v.NOT_TEXT.pattern == built["NOT_TEXT_CHARACTER"]
    for name in ("REFERENCE", "PROGRAM", "SHORT_TEXT", "LONG_TEXT", "MEMBERSHIP_NAME", "LEVEL"):
        assert getattr(v, name) == built[name], name
    assert (built["NAME"], built["NOT_NAME_CHARACTER"]) == (v.NAME, v.NOT_NAME_CHARACTER)
    assert Path(written.__file__).read_text() == t.source()
