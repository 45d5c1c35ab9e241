"""The field rules of SPEC 3, declared once and shared by every interface."""

from __future__ import annotations

from datetime import date
from typing import Any, Literal

import pytest
from pydantic import BaseModel, ConfigDict, ValidationError

from loyalty_core.errors import Problem
from loyalty_core.models import MembershipChanges
from loyalty_core.validators import MAX_SAFE_INTEGER, problems_from
from tests.conftest import TEXT_ATTRIBUTES


def bad(field: str, value: Any) -> str:
    with pytest.raises(ValidationError) as caught:
        MembershipChanges.model_validate({field: value})
    errors = caught.value.errors()
    assert [e["loc"] for e in errors] == [(field,)]
    return str(errors[0]["msg"])


@pytest.mark.parametrize("value", ["V0845365", "00987622", "H66590214", "a_b", "A" * 50])
def test_account_number_accepts_letters_digits_underscore(value: str) -> None:
    assert MembershipChanges(account_number=value).account_number == value


@pytest.mark.parametrize(
    ("sent", "stored"),
    [("AB-1234", "AB1234"), ("1234 5678", "12345678"), (" -H 665-90214- ", "H66590214")],
)
def test_account_number_loses_spaces_and_hyphens_before_the_rule(sent: str, stored: str) -> None:
    assert MembershipChanges(account_number=sent).account_number == stored


def test_formatting_does_not_count_toward_the_length() -> None:
    assert MembershipChanges(account_number="AB-" * 25).account_number == "AB" * 25


@pytest.mark.parametrize(
    "value", ["", "A" * 51, "- -", "Ä123", "12.5", "H\t665", "H\u00a0665", "H\u2010665", 1234]
)
def test_account_number_rejects_anything_else(value: Any) -> None:
    assert bad("account_number", value).startswith("Value error, must")


@pytest.mark.parametrize("value", ["John Smith", "O'Brien-Smith Jr.", "José Núñez", "J", "x_1"])
def test_membership_name_accepts_names(value: str) -> None:
    assert MembershipChanges(membership_name=value).membership_name == value


@pytest.mark.parametrize("value", ["", "   ", "J" * 51, "John!", "John\nSmith", "<b>"])
def test_membership_name_rejects_others(value: str) -> None:
    bad("membership_name", value)


@pytest.mark.parametrize(
    "value",
    [
        "",
        "Gold",
        "Super Elite",
        "Level_2",
        "Gold/Elite",
        "Diamond-Plus",
        "Gold+",
        "A&B",
        "Sr. Exec.",
        "Members' Club",
        "Platinum 75K",
    ],
)
def test_level_accepts_real_tier_names(value: str) -> None:
    assert MembershipChanges(level=value).level == value


@pytest.mark.parametrize(
    "value", ["Gold!", "L" * 51, "Gold\t", "<b>Gold</b>", "Gold;", "Gold\u202e"]
)
def test_level_rejects_others(value: str) -> None:
    bad("level", value)


def test_expires_on_is_a_real_iso_date() -> None:
    assert MembershipChanges(expires_on="2024-02-29").expires_on == date(2024, 2, 29)


@pytest.mark.parametrize(
    "value", ["2023-02-29", "2021-13-01", "2021-1-1", "20210101", 20210101, "2021-01-01T00:00"]
)
def test_expires_on_rejects_non_dates(value: Any) -> None:
    assert "YYYY-MM-DD" in bad("expires_on", value)


@pytest.mark.parametrize("value", [0, 1, MAX_SAFE_INTEGER])
def test_counts_accept_safe_non_negative_integers(value: int) -> None:
    assert MembershipChanges(point_total=value).point_total == value


@pytest.mark.parametrize("value", [-1, MAX_SAFE_INTEGER + 1, "5", 1.0, True, None.__class__])
def test_counts_reject_negatives_strings_floats_and_booleans(value: Any) -> None:
    bad("point_total", value)


def test_program_is_one_to_fifty_printable_characters() -> None:
    assert MembershipChanges(program="Frequent Flier").program == "Frequent Flier"
    for value in ("", " ", "P" * 51, "bad\x07bell"):
        bad("program", value)


def test_texts_have_their_limits() -> None:
    assert MembershipChanges(status_benefits="b" * 500, next_status="n" * 50)
    bad("status_benefits", "b" * 501)
    bad("next_status", "n" * 51)


def test_unknown_fields_are_refused() -> None:
    bad("acount_number", "x")


# -- the text rule (SPEC 3), beneath every text field -----------------------------------

NOT_TEXT = {
    "a lone surrogate": "\ud800",
    "a low surrogate": "\udfff",
    "NUL": "\x00",
    "a tab": "\t",
    "a newline": "\n",
    "DEL": "\x7f",
    "a C1 control (NEL)": "\x85",
    "a C1 control (CSI)": "\x9b",
    "a bidi embedding": "\u202a",
    "a bidi override": "\u202e",
    "a bidi isolate": "\u2066",
    "a pop directional isolate": "\u2069",
    "a zero-width space": "\u200b",
    "a zero-width joiner": "\u200d",
    "a word joiner": "\u2060",
    "a byte order mark": "\ufeff",
}


@pytest.mark.parametrize("field", TEXT_ATTRIBUTES)
@pytest.mark.parametrize("char", NOT_TEXT.values(), ids=NOT_TEXT.keys())
def test_every_text_field_refuses_what_is_not_text(field: str, char: str) -> None:
    message = bad(field, f"Gold{char}1")
    assert f"U+{ord(char):04X}" in message


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("program", "Club Été ✈ 東京"),
        ("status_benefits", "Lounge access — über alles 😀"),
        ("next_status", "Platinum\u2011Plus"),
        ("membership_name", "José Núñez"),
    ],
)
def test_printable_unicode_is_text(field: str, value: str) -> None:
    assert getattr(MembershipChanges.model_validate({field: value}), field) == value


def test_names_and_emails_keep_the_text_rule_too() -> None:
    from loyalty_core.models import Company, User

    assert Company(id="acme", name="Acme Ltd").name == "Acme Ltd"
    for name in ("Acme\u202eLtd", "Acme\x85", "", "A" * 101):
        with pytest.raises(ValidationError):
            Company(id="acme", name=name)
    with pytest.raises(ValidationError):
        User(company="acme", employee_id="1", name="x", email="a\u200b@b.example")


def test_is_text_and_is_reference() -> None:
    from loyalty_core.validators import is_reference, is_text

    assert is_text("Gold") and is_text("東京") and is_text("")
    assert not is_text("a\u2066b") and not is_text("\ud800")
    assert is_reference("gr8AVWGCR064r57Jt0+8bA==")
    for value in ("", "a b", "k" * 65, "k\u202e"):
        assert not is_reference(value)


def test_text_is_stored_in_one_spelling() -> None:
    """A name typed with combining accents is the same name as the precomposed one."""
    decomposed = MembershipChanges(membership_name="Jose\u0301 Mu\u0308ller")
    assert decomposed.membership_name == "José Müller"


NOT_PRINTABLE = {
    "a line separator": "a\u2028b",
    "a no-break space": "a\u00a0b",
    "a noncharacter": "a\ufffeb",
    "private use": "a\ue000b",
    "private use past U+FFFF": "a\U000f0000b",
    "a soft hyphen (a format character)": "a\u00adb",
    "a tag character": "a\U000e0041b",
    "a character NFC writes as two": "a\u0958b",
}


@pytest.mark.parametrize("value", NOT_PRINTABLE.values(), ids=NOT_PRINTABLE.keys())
def test_printable_fields_refuse_what_is_not_printable(value: str) -> None:
    for field in ("program", "next_status", "status_benefits"):
        assert bad(field, value).startswith("Value error, must be")


def test_unassigned_code_points_are_text_like_letters() -> None:
    """The rules do not move with the Unicode version: U+0378 (unassigned in Unicode 14.0)
    is taken wherever a letter is."""
    changes = MembershipChanges(program="a\u0378b", membership_name="Jo\u0378", level="\u0378")
    assert (changes.program, changes.membership_name, changes.level) == (
        "a\u0378b",
        "Jo\u0378",
        "\u0378",
    )


@pytest.mark.parametrize(
    ("field", "value"),
    [("membership_name", "𠮷野 Taro"), ("membership_name", "देवनागरी"), ("level", "Ünïcode 2")],
)
def test_names_and_levels_take_letters_of_every_script(field: str, value: str) -> None:
    assert getattr(MembershipChanges.model_validate({field: value}), field) == value


# -- each rule's message, as every interface words it -------------------------------------


def test_a_text_with_a_control_character_names_it_and_the_rule() -> None:
    assert bad("program", "Gold\x07") == (
        "Value error, must not contain U+0007: text holds no control, "
        "bidirectional-control or zero-width characters, nor unpaired surrogates"
    )
    assert bad("program", 7) == "Value error, must be a string"


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("2031-1-1", "must be a date written YYYY-MM-DD"),
        (20310101, "must be a date written YYYY-MM-DD"),
        ("2031-02-30", "must be a real calendar date (YYYY-MM-DD)"),
    ],
)
def test_a_date_says_which_rule_it_breaks(value: Any, message: str) -> None:
    assert bad("expires_on", value) == f"Value error, {message}"


def email_of(value: str) -> str:
    from loyalty_core.models import User

    return User(company="acme", employee_id="1", name="x", email=value).email


def test_an_email_is_at_most_254_characters_stored_in_lower_case() -> None:
    local = "a" * 64
    fits = f"{local}@{'b' * (254 - 64 - 1 - 8)}.example"
    assert len(fits) == 254 and email_of(fits.upper()) == fits
    assert email_of("Jose\u0301@Acme.Example") == "josé@acme.example"
    for value in (f"{local}@{'b' * (255 - 64 - 1 - 8)}.example", "no-at.example", "a@b", "a b@c.d"):
        with pytest.raises(ValidationError) as caught:
            email_of(value)
        assert caught.value.errors()[0]["msg"] == "Value error, must be an email address"


@pytest.mark.parametrize(
    ("secret", "masked"),
    [
        (None, ""),
        ("", ""),
        ("1", "****"),
        ("1234", "****"),
        ("12345", "****2345"),
        ("123456789", "*****6789"),
    ],
)
def test_a_masked_account_number_shows_its_last_four_at_most(
    secret: str | None, masked: str
) -> None:
    from loyalty_core.validators import mask

    assert mask(secret) == masked


# -- problems_from: pydantic's refusals as the domain's problems -----------------------------


class Nested(BaseModel):
    model_config = ConfigDict(extra="forbid")

    changes: MembershipChanges
    counts: dict[str, int] = {}
    tag: Literal["a", "b"] = "a"


def problems(data: Any, prefix: tuple[str | int, ...] = (), **kw: Any) -> list[Problem]:
    with pytest.raises(ValidationError) as caught:
        Nested.model_validate(data, **kw)
    return problems_from(caught.value, prefix)


def test_each_refused_field_is_one_problem_at_its_path() -> None:
    found = problems(
        {"changes": {"account_number": "a b!", "point_total": "5", "color": "red"}, "more": 1}
    )
    assert found == [
        Problem(
            "must be 1-50 characters of letters A-Z, digits and _ "
            "(spaces and hyphens are removed first)",
            ("changes", "account_number"),
        ),
        Problem("must be a valid integer", ("changes", "point_total")),
        Problem("is not a known member here", ("changes", "color")),
        Problem("is not a known member here", ("more",)),
    ]


def test_problems_are_located_under_the_callers_prefix() -> None:
    assert problems({}, (3, "FF")) == [Problem("is required", (3, "FF", "changes"))]


@pytest.mark.parametrize(
    "data",
    [{"changes": 5}, {"changes": ["a"]}, {"changes": {}, "counts": [1]}],
    ids=["a number", "a list", "a list for a mapping"],
)
def test_a_value_that_should_be_an_object_says_so_never_naming_a_class(data: Any) -> None:
    [problem] = problems(data)
    assert problem.detail == "must be an object"


def test_an_object_read_from_attributes_that_is_none_must_be_an_object() -> None:
    [problem] = problems(5, from_attributes=True)
    assert problem == Problem("must be an object", ())


def test_other_refusals_keep_pydantics_words_as_a_predicate() -> None:
    [problem] = problems({"changes": {}, "tag": "c"})
    assert problem == Problem("must be 'a' or 'b'", ("tag",))
