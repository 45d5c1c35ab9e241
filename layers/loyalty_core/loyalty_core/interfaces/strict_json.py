"""JSON as the interfaces read it (a request body, a line of a company file): each key once
per object (the value validated is the one stored), an integer past any field's range kept
out of range (a field's rule refuses it, never Python's own limit of 4300 digits), no NaN
or Infinity."""

from __future__ import annotations

import json
from typing import Any


class DuplicateKey(ValueError):
    """An object sends this key twice."""

    def __init__(self, key: str) -> None:
        super().__init__(key)
        self.key = key


def _object(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    found: dict[str, Any] = {}
    for key, value in pairs:
        if key in found:
            raise DuplicateKey(key)
        found[key] = value
    return found


def _integer(digits: str) -> int | float:
    """A JSON integer; one too long for any field (past 2^64) is read as infinity, which no
    numeric field accepts."""
    if len(digits.lstrip("-")) > 20:
        return float("-inf") if digits.startswith("-") else float("inf")
    return int(digits)


def _constant(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")


def loads(text: str) -> Any:
    """`text` as JSON: DuplicateKey, or ValueError (json.JSONDecodeError included) when it
    is not JSON as these rules read it; RecursionError when nested too deeply."""
    return json.loads(text, object_pairs_hook=_object, parse_int=_integer, parse_constant=_constant)
