"""The text and identifier rules, declared once and used by every interface.

Each rule is an anchored pattern that ECMA-262 and Python's `re` read alike, so openapi.json
states each rule as the very pattern the service checks (a unit test holds the document to
these). The rules built from code point ranges (printable text, a membership name, a level,
a reference, a name) are `text_ranges`', taken as built from `text_patterns`. Each
constrained type carries a plain-language rule, so an error reads the same whether it came
from a JSON:API attribute, a Concur element or a stored item.
`problems_from` turns a pydantic ValidationError into the domain's Problems, for every codec
to name in its own terms.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable
from datetime import date
from functools import cache
from typing import Annotated, Any

from pydantic import AfterValidator, BeforeValidator, Field, ValidationError

from loyalty_core.errors import Problem
from loyalty_core.text_patterns import LEVEL as LEVEL
from loyalty_core.text_patterns import LONG_TEXT as LONG_TEXT
from loyalty_core.text_patterns import MEMBERSHIP_NAME as MEMBERSHIP_NAME
from loyalty_core.text_patterns import NAME as NAME
from loyalty_core.text_patterns import NOT_NAME_CHARACTER as NOT_NAME_CHARACTER
from loyalty_core.text_patterns import NOT_TEXT_CHARACTER as NOT_TEXT_CHARACTER
from loyalty_core.text_patterns import PROGRAM as PROGRAM
from loyalty_core.text_patterns import REFERENCE as REFERENCE
from loyalty_core.text_patterns import SHORT_TEXT as SHORT_TEXT

MAX_SAFE_INTEGER = 2**53 - 1

# -- the rules: anchored patterns, each a whole value's rule, length included ---------------
# The end of the value: `$`, and not before a last newline, where Python's `$` (in a search,
# as JSON Schema validators in Python run a pattern) also matches and ECMA-262's does not.
END = r"$(?!\n)"
# Account numbers and employee ids share one shape: 1-50 of A-Za-z0-9_.
IDENTIFIER = "^[A-Za-z0-9_]{1,50}" + END
IDENTIFIER_RULE = "1-50 characters of letters A-Z, digits and _"
# An account number as sent: an identifier, with spaces and hyphens anywhere (formatting).
ACCOUNT_NUMBER = "^[ -]*(?:[A-Za-z0-9_][ -]*){1,50}" + END
# Server-assigned ids are UUIDs; anything else cannot name a record (nor reach a key).
RECORD_ID = "^[A-Za-z0-9-]{1,64}" + END
# What a name on a membership is written with, besides letters and digits.
NAME_PUNCTUATION = " _.'-"
LEVEL_PUNCTUATION = " _-/+&.'"
DATE = "^(?!0000)[0-9]{4}-[0-9]{2}-[0-9]{2}" + END
COMPANY_ID = "^[a-z0-9][a-z0-9-]{0,39}" + END
VENDOR_CODE = "^[A-Z0-9$]{2}" + END


@cache
def compiled(pattern: str) -> re.Pattern[str]:
    """A rule's pattern, compiled once, on first use."""
    return re.compile(pattern)


def _text_rule(pattern: str, describe: str) -> Callable[[str], str]:
    def check(value: str) -> str:
        # The rule holds for the text as sent, which is what the document's pattern says,
        # and for its one spelling (NFC: "José" typed with a combining accent is "José"),
        # which is what is stored.
        normalized = unicodedata.normalize("NFC", value)
        rule = compiled(pattern)
        if not rule.fullmatch(value) or not rule.fullmatch(normalized):
            raise ValueError(f"must be {describe}")
        return normalized

    return check


# The text rule (SPEC 3) as a search, for headers and query values, and for the message
# that names the first character a text field may not hold.
NOT_TEXT = re.compile(NOT_TEXT_CHARACTER)


def is_text(value: str) -> bool:
    """Whether `value` keeps the text rule (for headers and query values, which are not
    fields but must never reach the store or an answer otherwise)."""
    return NOT_TEXT.search(value) is None


def _strict_str(value: Any) -> Any:
    """A string that keeps the text rule, checked before each type's own rule."""
    if not isinstance(value, str):
        raise ValueError("must be a string")
    found = NOT_TEXT.search(value)
    if found is not None:
        raise ValueError(
            f"must not contain U+{ord(found.group()):04X}: text holds no control, "
            "bidirectional-control or zero-width characters, nor unpaired surrogates"
        )
    return value


def _iso_date(value: Any) -> Any:
    if isinstance(value, date):
        return value
    if not isinstance(value, str) or not compiled(DATE).fullmatch(value):
        raise ValueError("must be a date written YYYY-MM-DD")
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise ValueError("must be a real calendar date (YYYY-MM-DD)") from None


def _text(pattern: str, describe: str) -> Any:
    return Annotated[
        str, BeforeValidator(_strict_str), AfterValidator(_text_rule(pattern, describe))
    ]


def without_formatting(value: Any) -> Any:
    """An account number as stored: spaces and hyphens are formatting ("AB-1234",
    "1234 5678"), removed, the same in every interface, once the rule (`ACCOUNT_NUMBER`,
    which allows them anywhere) has held."""
    return value.replace(" ", "").replace("-", "") if isinstance(value, str) else value


AccountNumber: Any = Annotated[
    _text(ACCOUNT_NUMBER, IDENTIFIER_RULE + " (spaces and hyphens are removed first)"),
    AfterValidator(without_formatting),
]
EmployeeId = _text(IDENTIFIER, IDENTIFIER_RULE)
MembershipName = _text(
    MEMBERSHIP_NAME,
    "1-50 characters of letters, digits, _, space, -, ' and ., with a letter or digit",
)
Level = _text(LEVEL, "0-50 characters of letters, digits, space and _ - / + & . '")
Program = _text(PROGRAM, "1-50 printable characters, not only spaces")
ShortText = _text(SHORT_TEXT, "at most 50 printable characters")
LongText = _text(LONG_TEXT, "at most 500 printable characters")
CompanyId = _text(COMPANY_ID, "1-40 characters of a-z, digits and -")
VendorCode = _text(VENDOR_CODE, "2 characters of A-Z and digits")
Name = _text(NAME, "1-100 characters")
Count = Annotated[int, Field(ge=0, le=MAX_SAFE_INTEGER, strict=True)]
ExpiryDate = Annotated[date, BeforeValidator(_iso_date)]


def _email(value: str) -> str:
    value = unicodedata.normalize("NFC", value)
    if len(value) > 254 or not re.fullmatch(r"[^@\s]+@[^@\s]+\.[^@\s]+", value):
        raise ValueError("must be an email address")
    return value.lower()


Email = Annotated[str, BeforeValidator(_strict_str), AfterValidator(_email)]


def mask(secret: str | None, keep: int = 4) -> str:
    """`****0214`: enough to tell two account numbers apart, never the whole number. The
    one masking rule of the logs and the audit trail."""
    if not secret:
        return ""
    return "*" * max(4, len(secret) - keep) + secret[-keep:] if len(secret) > keep else "****"


def is_employee_id(value: str) -> bool:
    return bool(compiled(IDENTIFIER).fullmatch(value))


def is_record_id(value: str) -> bool:
    return bool(compiled(RECORD_ID).fullmatch(value))


def is_reference(value: str) -> bool:
    """A Universal API reference (a `Key`, such as a BookingTravelerRef): 1-64 printable
    characters, no spaces."""
    return bool(compiled(REFERENCE).fullmatch(value))


def problems_from(err: ValidationError, prefix: tuple[str | int, ...] = ()) -> list[Problem]:
    """One Problem per field pydantic refused, its location the field's path (under
    `prefix`), its detail a predicate ("must be ...", "is required")."""
    problems = []
    for detail in err.errors(include_url=False):
        kind = detail["type"]
        if kind == "value_error":
            message = str(detail["ctx"]["error"])
        elif kind == "missing":
            message = "is required"
        elif kind == "extra_forbidden":
            message = "is not a known member here"
        elif kind in ("model_type", "model_attributes_type", "dict_type"):
            message = "must be an object"  # never the name of one of our classes
        else:
            message = detail["msg"].replace("Input should be", "must be", 1)
        problems.append(Problem(message, prefix + tuple(detail["loc"])))
    return problems
