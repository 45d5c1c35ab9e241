"""How validators.py writes each text rule: code point ranges read from the hex lists the
module states, merged, less some characters, as a character class that ECMA-262 and
Python read alike; the printable-text class with its lookahead for the last planes; and a
text type that checks the text rule, then its pattern on the text as sent and in NFC, and
keeps the NFC spelling. The module builds its patterns with these when it is imported."""

from __future__ import annotations

import re

import pytest
from pydantic import TypeAdapter, ValidationError

from loyalty_core import text_ranges as t
from loyalty_core import validators as v

A, Z = ord("A"), ord("Z")


def test_ranges_are_read_as_hex_and_sorted_each_item_a_code_point_or_a_span() -> None:
    assert t._ranges("00AA-00AB 0041", "10FFFF") == ((0x41, 0x41), (0xAA, 0xAB), (0x10FFFF,) * 2)


def test_overlapping_contained_and_adjacent_ranges_merge_but_gaps_do_not() -> None:
    assert t._ranges("0041-0050 0045-0046") == ((0x41, 0x50),)  # contained
    assert t._ranges("0041-0045 0043-0050") == ((0x41, 0x50),)  # overlapping
    assert t._ranges("0041 0042 0043-0044") == ((0x41, 0x44),)  # adjacent
    assert t._ranges("0041 0043 0045-0046 0048") == (
        (0x41, 0x41),
        (0x43, 0x43),
        (0x45, 0x46),
        (0x48, 0x48),
    )
    assert t._ranges("0041-0045 0047 0042-0043 0046") == ((0x41, 0x47),)
    assert t._ranges("") == ()


def test_a_range_list_is_written_back_as_the_spec_it_was_read_from() -> None:
    ranges = ((0x41, 0x5A), (0xAA, 0xAA))
    assert t._spec(ranges, ((0x10000, 0x10FFF),)) == "41-5A AA-AA 10000-10FFF"
    assert t._ranges(t._spec(t.NOT_PRINTABLE_RANGES)) == t.NOT_PRINTABLE_RANGES


def test_without_takes_characters_out_of_ranges_at_either_end_or_within() -> None:
    assert t._without(((A, Z),), "AMZ") == ((A + 1, ord("L")), (ord("N"), Z - 1))
    assert t._without(((A, A), (ord("a"), ord("c"))), "Ab") == ((ord("a"),) * 2, (ord("c"),) * 2)
    assert t._without(((A, Z),), "a-") == ((A, Z),)  # characters it does not hold
    assert t._without(((A, Z), (0x30, 0x39)), "") == ((A, Z), (0x30, 0x39))


def test_a_class_writes_ascii_letters_and_digits_as_themselves_and_escapes_the_rest() -> None:
    assert t.char_class(((0x30, 0x39), (A, A), (0x2D, 0x2D))) == "0-9A\\u002d"
    assert t.char_class(((0x20, 0x20), (0xE9, 0xFFFF))) == "\\u0020\\u00e9-\\uffff"
    # past U+FFFF no escape reads alike in both: the character itself
    assert t.char_class(((0x10000, 0x1F600),)) == "\U00010000-\U0001f600"
    assert t.char_class(()) == ""


def test_but_takes_every_character_but_those_refused_and_the_last_planes_tail() -> None:
    refused = t._ranges("0041-005A EFFF0-10FFFF")
    one = re.compile(f"^{t._but(refused)}$")
    for taken in ("a", "0", "\u00e9", "\U000effef", " "):
        assert one.match(taken), repr(taken)
    for refused_char in ("A", "Z", "\U000efff0", "\U000efffd", "\U000efffe", "\U0010ffff"):
        assert not one.match(refused_char), repr(refused_char)
    # the tail is refused anywhere in the value, by the lookahead
    some = t._but(((A, A),))
    assert re.fullmatch(f"{some}+", "ab")
    assert not re.fullmatch(f"{some}.*", "a\U000ffffe")


def test_but_never_writes_a_class_range_into_the_tail() -> None:
    """A range that starts in the tail is left to the lookahead (a class range such as
    U+EFFFE-U+EFFFD would not compile)."""
    pattern = t._but(t._ranges("0041 EFFFE-EFFFF F0000-10FFFF"))
    assert re.fullmatch(pattern, "B") and not re.fullmatch(pattern, "A")


def adapter(pattern: str, describe: str = "a test rule") -> TypeAdapter[str]:
    return TypeAdapter(v._text(pattern, describe))


def refusal(checker: TypeAdapter[str], value: object) -> str:
    with pytest.raises(ValidationError) as caught:
        checker.validate_python(value)
    return str(caught.value.errors()[0]["msg"])


def test_a_text_type_checks_the_text_rule_first_then_its_own() -> None:
    checker = adapter("^[a-z]{1,3}$", "1-3 letters a-z")
    assert checker.validate_python("abc") == "abc"
    assert refusal(checker, "abcd") == "Value error, must be 1-3 letters a-z"
    assert refusal(checker, "a\u200bb").startswith("Value error, must not contain U+200B")
    assert refusal(checker, 5) == "Value error, must be a string"


def test_a_text_keeps_its_rule_as_sent_and_in_nfc_and_is_stored_in_nfc() -> None:
    composed, decomposed = "\u00e9", "e\u0301"
    assert adapter("^[a-z\u00e9\u0301]{1,2}$").validate_python(decomposed) == composed
    # as sent it keeps the rule, its NFC does not: refused
    assert refusal(adapter("^[a-z\u0301]{1,2}$"), decomposed) == "Value error, must be a test rule"
    # its NFC keeps the rule, as sent it does not: refused
    assert refusal(adapter("^[\u00e9]$"), decomposed) == "Value error, must be a test rule"
