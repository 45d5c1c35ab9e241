"""HTTP content negotiation (RFC 9110 12.5.1): the answer's media type an `Accept` field
prefers, for the routes that can answer in more than one format (the enrichment's)."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

_TCHARS = r"[!#$%&'*+.^_`|~0-9A-Za-z-]+"
_MEDIA_RANGE = re.compile(rf"^(?:\*/\*|{_TCHARS}/\*|{_TCHARS}/{_TCHARS})$")
_QVALUE = re.compile(r"^(?:0(?:\.[0-9]{0,3})?|1(?:\.0{0,3})?)$")
_QUOTED = r'"(?:[^"\\]|\\.)*"'
_ELEMENT = re.compile(rf"(?:[^,\"]|{_QUOTED})+")  # one element of a list, quoted commas kept
_PARAMETER = re.compile(rf"\s*;\s*(?:({_TCHARS})\s*=\s*({_TCHARS}|{_QUOTED}))?")


@dataclass(frozen=True)
class _Range:
    kind: str  # "type/subtype", "type/*" or "*/*", lower case
    params: dict[str, str]  # parameters other than the weight, names lower case
    q: float

    def precedence(self, offered: str) -> tuple[int, int] | None:
        """How specifically this range names `offered` (RFC 9110 12.5.1), or None if it
        does not match it. Every answer here is UTF-8 and carries no other parameter, so a
        range's parameters match only as `charset=utf-8`."""
        if any(n != "charset" or v.lower() != "utf-8" for n, v in self.params.items()):
            return None
        if self.kind == offered:
            return 2, len(self.params)
        if self.kind == f"{offered.split('/')[0]}/*":
            return 1, 0
        return (0, 0) if self.kind == "*/*" else None


def _ranges(accept: str) -> list[_Range]:
    """The media ranges of an Accept field value, with their weights; a malformed range (or
    weight) is ignored."""
    ranges = []
    for element in _ELEMENT.findall(accept):
        kind, _, parameters = element.strip().partition(";")
        kind = kind.strip().lower()
        if not _MEDIA_RANGE.match(kind) or _PARAMETER.sub("", ";" + parameters).strip():
            continue
        params = [
            (name.lower(), value.strip('"'))
            for name, value in _PARAMETER.findall(";" + parameters)
            if name
        ]
        weights = [value for name, value in params if name == "q"]
        if len(weights) > 1 or (weights and not _QVALUE.match(weights[0])):
            continue
        q = float(weights[0]) if weights else 1.0
        ranges.append(_Range(kind, {n: v for n, v in params if n != "q"}, q))
    return ranges


def negotiate(accept: str | None, offered: Sequence[str]) -> str:
    """The offered media type that `Accept` prefers (RFC 9110 12.5.1): each type takes the
    q-value of the most specific range that matches it (`type/subtype` over `type/*` over
    `*/*`), q=0 meaning "not acceptable"; the highest q wins. Ties, no Accept, or nothing
    acceptable: the first offered, the server's default. Every route that can answer in
    more than one format chooses with this function."""
    ranges = _ranges(accept or "")

    def quality(candidate: str) -> float:
        best: tuple[tuple[int, int], float] | None = None
        for r in ranges:
            precedence = r.precedence(candidate)
            if precedence is not None and (best is None or precedence > best[0]):
                best = (precedence, r.q)
        return best[1] if best else 0.0

    scores = [quality(candidate) for candidate in offered] if ranges else [0.0]
    top = max(scores)
    return offered[scores.index(top)] if top > 0 else offered[0]
