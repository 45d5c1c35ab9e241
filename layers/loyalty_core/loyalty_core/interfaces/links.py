"""Public URLs: where the caller reached us (scheme, host and stage), for the links and the
Location of the answers that carry them."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from loyalty_core.interfaces.http import header


@dataclass(frozen=True)
class PublicUrl:
    """Where the caller reached us: scheme, host and stage, for links and Location."""

    origin: str  # e.g. https://api.example.com/Prod

    def of(self, path: str, query: str = "") -> str:
        return f"{self.origin}{path}" + (f"?{query}" if query else "")


def public_url(event: Mapping[str, Any]) -> PublicUrl:
    headers = event.get("headers") or {}
    host = header(headers, "Host") or "localhost"
    scheme = header(headers, "X-Forwarded-Proto") or "https"
    path = event.get("path") or ""
    full = (event.get("requestContext") or {}).get("path") or path
    prefix = full[: -len(path)] if path and full.endswith(path) else ""
    return PublicUrl(origin=f"{scheme}://{host}{prefix}")
