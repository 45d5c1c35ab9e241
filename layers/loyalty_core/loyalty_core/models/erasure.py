"""Erasure (SPEC 10), as the store plans it and as it leaves its record
(`services.erasure`). Not imported by `loyalty_core.models`: no function needs it."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime

from pydantic import BaseModel, ConfigDict

from loyalty_core.models.audit import AuditRecord, Fields, Interface, Origin
from loyalty_core.models.party import User


@dataclass(frozen=True)
class ErasurePlan:
    """What erasing a user removes, as one read finds it: the user and their profile's
    revision (the erasure's last step applies only if nobody wrote for them since), how
    many items of each kind it removes, the profile included (`removing`, the erasure
    record's kinds), what earlier, interrupted runs removed (`removed`), how many API
    tokens their login holds, the arrangers whose assignments name them, as read, and
    the header (id, time, origin) of the erasure record an earlier run marked the profile
    with (`marked`: the record that run began, which this one finishes). A store's plan
    carries, beside these, what it needs to do the work."""

    user: User
    revision: int
    removing: Mapping[str, int]
    removed: Mapping[str, int]
    api_tokens: int
    arrangers: tuple[User, ...]
    marked: AuditRecord | None


class ErasureRecord(BaseModel):
    """What an erasure leaves of a user (SPEC 10): who erased, when, through which
    interface, under which request id, and how many items of each kind it removed
    (`removed`, by kind; `items_removed` in all), how many arrangers' assignments it took
    the user from and how many API tokens went with their login. It names no one: no
    employee id, name or email, nor a hash of them (an employee id is too short for a
    hash to hide it)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    id: str
    occurred_at: datetime
    actor: str
    interface: Interface
    request_id: str
    removed: dict[str, int]
    arrangers_updated: int
    api_tokens_revoked: int

    @classmethod
    def of(
        cls,
        origin: Origin,
        removed: Mapping[str, int],
        arrangers_updated: int,
        api_tokens_revoked: int,
        header: AuditRecord | None = None,
    ) -> ErasureRecord:
        """A new record of `origin`, or the one whose `header` (id, time, origin) an
        earlier run of the erasure marked the profile with."""
        audit = header or AuditRecord.of(origin, [])  # its id, time and origin
        return cls(
            **audit.model_dump(exclude={"changes"}),
            removed=dict(sorted(removed.items())),
            arrangers_updated=arrangers_updated,
            api_tokens_revoked=api_tokens_revoked,
        )

    @property
    def items_removed(self) -> int:
        return sum(self.removed.values())

    @property
    def header(self) -> AuditRecord:
        """Its id, time and origin, as an audit record of no change (the mark an erasure
        leaves on the profile it removes)."""
        return AuditRecord(
            id=self.id,
            occurred_at=self.occurred_at,
            actor=self.actor,
            interface=self.interface,
            request_id=self.request_id,
            changes=(),
        )

    def as_json(self) -> Fields:
        """The record as stored and as the admin CLI prints it."""
        return {
            "id": self.id,
            "occurred_at": self.occurred_at.isoformat(),
            "actor": self.actor,
            "interface": self.interface.value,
            "request_id": self.request_id,
            "removed": dict(self.removed),
            "items_removed": self.items_removed,
            "arrangers_updated": self.arrangers_updated,
            "api_tokens_revoked": self.api_tokens_revoked,
        }
