"""The provider catalog, as the interfaces read it."""

from __future__ import annotations

from collections.abc import Sequence

from loyalty_core.errors import MalformedRequest, NotFound, Problem, quote
from loyalty_core.models.provider import CATEGORY, Provider
from loyalty_core.repository import Repository

FILTERS = ("category", "code")


def list_providers(
    repo: Repository, category: str | None = None, code: str | None = None
) -> Sequence[Provider]:
    categories = set(CATEGORY.values())
    if category is not None and category.lower() not in categories:
        raise MalformedRequest(
            f"filter[category] must be one of {', '.join(sorted(categories))}",
            [
                Problem(
                    f"must be one of {', '.join(sorted(categories))}",
                    ("filter[category]",),
                    kind="parameter",
                )
            ],
        )
    return [
        p
        for p in repo.providers()
        if (category is None or p.category == category.lower())
        and (code is None or p.vendor_code == code.upper())
    ]


def get_provider(repo: Repository, provider_id: str) -> Provider:
    found = repo.get_provider(provider_id)
    if found is None:
        raise NotFound(f"No loyalty provider {quote(provider_id)}")
    return found
