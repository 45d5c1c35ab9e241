"""The text and identifier rules, declared once and used by every interface.

Each constrained type carries a plain-language rule, so an error reads the same
whether it came from a JSON:API attribute, a Concur element or a stored item.
`problems_from` turns a pydantic ValidationError into the domain's Problems, for
every codec to name in its own terms.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable
from datetime import date
from typing import Annotated, Any

from pydantic import AfterValidator, BeforeValidator, Field, ValidationError

from loyalty_core.errors import Problem

MAX_SAFE_INTEGER = 2**53 - 1
# Account numbers and employee ids share one shape: 1-50 of A-Za-z0-9_.
IDENTIFIER = re.compile(r"[A-Za-z0-9_]{1,50}")
IDENTIFIER_RULE = "1-50 characters of letters A-Z, digits and _"
# Server-assigned ids are UUIDs; anything else cannot name a record (nor reach a key).
RECORD_ID = re.compile(r"[A-Za-z0-9-]{1,64}")
REFERENCE = re.compile(r"\S{1,64}")


def _text_rule(
    pattern: str, min_len: int, max_len: int, describe: str, printable: bool = False
) -> Callable[[str], str]:
    compiled = re.compile(pattern)

    def check(value: str) -> str:
        if not min_len <= len(value) <= max_len or not compiled.fullmatch(value):
            raise ValueError(f"must be {describe}")
        if printable and not value.isprintable():  # line separators, unassigned code points
            raise ValueError(f"must be {describe}")
        return value

    return check


# The text rule (SPEC 3), beneath every text type: Unicode scalar values only (no unpaired
# surrogate), no C0 or C1 control character, no bidi embedding, override or isolate
# (U+202A-U+202E, U+2066-U+2069), no zero-width character (U+200B-U+200D, U+2060, U+FEFF).
NOT_TEXT = re.compile(
    r"[\x00-\x1f\x7f-\x9f\u200b-\u200d\u202a-\u202e\u2060\u2066-\u2069\ufeff\ud800-\udfff]"
)


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
    # One spelling of each text: "José" typed with a combining accent is "José".
    return unicodedata.normalize("NFC", value)


def _iso_date(value: Any) -> Any:
    if isinstance(value, date):
        return value
    if not isinstance(value, str) or not re.fullmatch(r"\d{4}-\d{2}-\d{2}", value):
        raise ValueError("must be a date written YYYY-MM-DD")
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise ValueError("must be a real calendar date (YYYY-MM-DD)") from None


def _text(pattern: str, min_len: int, max_len: int, describe: str, printable: bool = False) -> Any:
    return Annotated[
        str,
        BeforeValidator(_strict_str),
        AfterValidator(_text_rule(pattern, min_len, max_len, describe, printable)),
    ]


_PRINTABLE = r"[^\x00-\x08\x0b\x0c\x0e-\x1f\x7f]*"


def without_formatting(value: Any) -> Any:
    """An account number as stored: spaces and hyphens are formatting ("AB-1234",
    "1234 5678"), removed before the rule applies, the same in every interface; anything
    else is left for the rule to judge."""
    return value.replace(" ", "").replace("-", "") if isinstance(value, str) else value


# Before validators run last-declared first: the formatting goes before the text rule.
AccountNumber: Any = Annotated[
    _text(IDENTIFIER.pattern, 1, 50, IDENTIFIER_RULE + " (spaces and hyphens are removed first)"),
    BeforeValidator(without_formatting),
]
EmployeeId = _text(IDENTIFIER.pattern, 1, 50, IDENTIFIER_RULE)
MembershipName = _text(
    r"[\w .'\-]*[^\W_][\w .'\-]*",
    1,
    50,
    "1-50 characters of letters, digits, _, space, -, ' and ., with a letter or digit",
)
Level = _text(r"[\w '&+./-]*", 0, 50, "0-50 characters of letters, digits, space and _ - / + & . '")
Program = _text(r"(?=.*\S)[^\x00-\x1f\x7f]+", 1, 50, "1-50 printable characters", True)
ShortText = _text(_PRINTABLE, 0, 50, "at most 50 printable characters", True)
LongText = _text(_PRINTABLE, 0, 500, "at most 500 printable characters", True)
CompanyId = _text(r"[a-z0-9][a-z0-9-]*", 1, 40, "1-40 characters of a-z, digits and -")
VendorCode = _text(r"[A-Z0-9$]{2}", 2, 2, "2 characters of A-Z and digits")
Name = _text(r".+", 1, 100, "1-100 characters")  # of a company, a user, an application
Count = Annotated[int, Field(ge=0, le=MAX_SAFE_INTEGER, strict=True)]
ExpiryDate = Annotated[date, BeforeValidator(_iso_date)]


def _email(value: str) -> str:
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
    return bool(IDENTIFIER.fullmatch(value))


def is_record_id(value: str) -> bool:
    return bool(RECORD_ID.fullmatch(value))


def is_reference(value: str) -> bool:
    """A Universal API reference (a `Key`, such as a BookingTravelerRef): 1-64 characters
    of text, no spaces."""
    return bool(REFERENCE.fullmatch(value)) and is_text(value)


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
