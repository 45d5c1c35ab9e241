"""A company user's login as the storage port returns it (re-exported by
`loyalty_core.repository`)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from datetime import datetime

    from loyalty_core.models import User


@dataclass(frozen=True)
class Login:
    """What authenticating a Locomote-style caller needs, in one item."""

    user: User
    token_hashes: dict[str, str]  # token id -> sha256 hex
    token_expiry: dict[str, datetime | None]
