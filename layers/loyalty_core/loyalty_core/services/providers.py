"""The provider catalog, as the interfaces read it."""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING

from loyalty_core.errors import MalformedRequest, NotFound, Problem, quote
from loyalty_core.models.provider import CATEGORY

if TYPE_CHECKING:
    from loyalty_core.models.provider import Provider, VendorType
    from loyalty_core.repository import Repository

FILTERS = ("category", "code")


def by_code(providers: Iterable[Provider]) -> dict[tuple[VendorType, str], Provider]:
    """Each program under every code that names it (vendor type, code): an airline or car
    vendor code, or any chain code of a hotel program's brand family. A hotel program with
    no chain code of its own cannot be named by a code."""
    return {(p.vendor_type, code): p for p in providers for code in p.codes}


CODE = re.compile(r"[A-Za-z0-9$]{2,3}")  # a vendor or chain code, any case


def list_providers(
    repo: Repository, category: str | None = None, code: str | None = None
) -> Sequence[Provider]:
    """The catalog, of one category (`filter[category]`: airline, hotel or car) and named by
    one code (`filter[code]`: 2-3 letters or digits, any case); any other value: 400."""
    categories = sorted(set(CATEGORY.values()))
    problems = []
    if category is not None and category.lower() not in categories:
        rule = f"must be one of {', '.join(categories)}"
        problems.append(Problem(rule, ("filter[category]",), kind="parameter"))
    if code is not None and not CODE.fullmatch(code):
        rule = "must be a code of 2-3 letters or digits (an airline, hotel chain or car vendor)"
        problems.append(Problem(rule, ("filter[code]",), kind="parameter"))
    if problems:
        raise MalformedRequest("The catalog cannot be filtered so", problems)
    return [
        p
        for p in repo.providers()
        if (category is None or p.category == category.lower())
        and (code is None or code.upper() in p.codes)
    ]


def get_provider(repo: Repository, provider_id: str) -> Provider:
    found = repo.get_provider(provider_id)
    if found is None:
        raise NotFound(f"No loyalty provider {quote(provider_id)}")
    return found
