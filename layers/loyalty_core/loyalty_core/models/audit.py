"""The audit trail (SPEC 10): who changed what, when, and through which interface.

Every write request leaves one `AuditRecord`, written in the write's own transaction:
when (`occurred_at`), who (`actor`: `user:<employee id>` for a Locomote caller,
`app:<application id>` for a Concur application, `admin:<operator>` for the admin CLI),
through which `interface` (`import` for each user a company import writes), the
`request_id` (API Gateway's request id, the logs' `correlation_id`; the admin CLI makes one
per change; an import's is its run's, the same for each user it writes), and one `Entry`
per record the request touched, holding only the fields that changed: `before` is null on
a create, `after` null on a delete, and account numbers are masked to their last four.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any

from pydantic import BaseModel, ConfigDict, model_validator

from loyalty_core.models.applications import Application
from loyalty_core.models.membership import MEMBERSHIP_ATTRIBUTES, Membership
from loyalty_core.models.party import User
from loyalty_core.validators import mask


class Interface(StrEnum):
    LOCOMOTE = "locomote"
    CONCUR = "concur"
    HOTEL = "hotel"
    ADMIN = "admin"
    IMPORT = "import"  # a company import (the admin CLI's, or a job an admin started)
    SYSTEM = "system"  # the service's own change (a webhook endpoint gone: disabled)


class Action(StrEnum):
    CREATE = "create"
    UPDATE = "update"
    DELETE = "delete"


@dataclass(frozen=True)
class Origin:
    """Who sent a write request, through which interface, under which request id."""

    actor: str
    interface: Interface
    request_id: str


# What an entry may be about: a membership (the JSON:API and Concur writes), or what the
# admin CLI changes: a user (profile, role, arranger assignments), one of their API
# tokens, a Concur token acting for them, or a Concur application; or a company's webhook
# subscription (the JSON:API and admin CLI changes of it, and the delivery's own).
SUBJECTS = (
    "membership_id",
    "user_id",
    "api_token_id",
    "concur_token_id",
    "application_id",
    "subscription_id",
)
MASKED = ("account_number",)
Fields = dict[str, Any]


class Entry(BaseModel):
    """One record a request touched: its id, the action, and the fields that changed."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    membership_id: str | None = None
    user_id: str | None = None
    api_token_id: str | None = None
    concur_token_id: str | None = None
    application_id: str | None = None
    subscription_id: str | None = None
    action: Action
    before: Fields | None
    after: Fields | None
    version: int | None = None  # a membership's version after the change (before, on a delete)

    @model_validator(mode="after")
    def _one_subject_and_sides(self) -> Entry:
        named = [s for s in SUBJECTS if getattr(self, s) is not None]
        if len(named) != 1:
            raise ValueError(f"an entry names exactly one of {', '.join(SUBJECTS)}")
        if (self.before is None) != (self.action is Action.CREATE):
            raise ValueError("before is null on a create, and only there")
        if (self.after is None) != (self.action is Action.DELETE):
            raise ValueError("after is null on a delete, and only there")
        return self

    @property
    def subject(self) -> str:
        return next(s for s in SUBJECTS if getattr(self, s) is not None)

    def as_json(self) -> Fields:
        """`{"membership_id": ..., "action", "version", "before", "after"}` (or the subject
        it names; `version` for a membership only)."""
        versioned = {} if self.version is None else {"version": self.version}
        return {
            self.subject: getattr(self, self.subject),
            "action": self.action.value,
            **versioned,
            "before": self.before,
            "after": self.after,
        }

    @property
    def changed(self) -> list[str]:
        """The names of the fields the entry records, in their order."""
        return list(dict.fromkeys([*(self.before or {}), *(self.after or {})]))


def _masked(fields: Mapping[str, Any]) -> Fields:
    return {
        name: mask(value) if name in MASKED and isinstance(value, str) else value
        for name, value in fields.items()
    }


def entry(
    subject: str,
    subject_id: str,
    before: Fields | None,
    after: Fields | None,
    version: int | None = None,
) -> Entry:
    """The entry for one record, from its fields before and after the request (None: it did
    not exist): a create keeps every field set, a delete every field held, an update the
    fields whose values differ. Compared unmasked, then masked."""
    if before is None and after is not None:
        action, old, new = Action.CREATE, None, {k: v for k, v in after.items() if v is not None}
    elif after is None and before is not None:
        action, old, new = Action.DELETE, {k: v for k, v in before.items() if v is not None}, None
    elif before is not None and after is not None:
        names = [n for n in dict.fromkeys([*before, *after]) if before.get(n) != after.get(n)]
        action = Action.UPDATE
        old, new = {n: before.get(n) for n in names}, {n: after.get(n) for n in names}
    else:
        raise ValueError("an entry needs the record before or after the request")
    return Entry.model_validate(
        {
            subject: subject_id,
            "action": action,
            "before": None if old is None else _masked(old),
            "after": None if new is None else _masked(new),
            "version": version,
        }
    )


def membership_fields(m: Membership) -> Fields:
    """What the trail records of a membership: its attributes and its provider (`meta` is
    the server's and left out)."""
    fields = m.model_dump(mode="json", include=set(MEMBERSHIP_ATTRIBUTES))
    attributes = {name: fields.get(name) for name in MEMBERSHIP_ATTRIBUTES}
    return {**attributes, "loyalty_provider": m.provider_id}


def membership_entry(before: Membership | None, after: Membership | None) -> Entry:
    found = after or before
    assert found is not None
    return entry(
        "membership_id",
        found.id,
        None if before is None else membership_fields(before),
        None if after is None else membership_fields(after),
        found.version,
    )


def user_fields(user: User) -> Fields:
    return {
        "name": user.name,
        "email": user.email,
        "role": user.role.value,
        "arranges": sorted(user.arranges),
    }


def application_fields(app: Application) -> Fields:
    return app.model_dump(mode="json", exclude={"id"})


class AuditRecord(BaseModel):
    """One write request's account of itself."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    id: str
    occurred_at: datetime
    actor: str
    interface: Interface
    request_id: str
    changes: tuple[Entry, ...]

    @classmethod
    def of(
        cls, origin: Origin, changes: list[Entry], occurred_at: datetime | None = None
    ) -> AuditRecord:
        return cls(
            id=str(uuid.uuid4()),
            occurred_at=occurred_at or datetime.now(UTC),
            actor=origin.actor,
            interface=origin.interface,
            request_id=origin.request_id,
            changes=tuple(changes),
        )

    def touches(self, membership_id: str) -> bool:
        return any(c.membership_id == membership_id for c in self.changes)

    def as_json(self) -> Fields:
        """The record as stored and as answered (its attributes)."""
        return {
            "occurred_at": self.occurred_at.isoformat(),
            "actor": self.actor,
            "interface": self.interface.value,
            "request_id": self.request_id,
            "changes": [c.as_json() for c in self.changes],
        }
