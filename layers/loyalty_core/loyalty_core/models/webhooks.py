"""Change notifications (SPEC 13): a company's webhook subscriptions (the deliveries made
to them, and what goes on the delivery queue: `models.deliveries`).

A subscription names an HTTPS endpoint, the event types it wants, an optional filter by
vendor type and the payload it takes (`full`: each membership as an admin reads it;
`thin`: ids and versions). Its signing secrets are stored sealed (KMS when deployed): the
current one, and during a rotation the previous one until its overlap ends.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, field_validator

from loyalty_core.models.provider import VendorType
from loyalty_core.validators import CompanyId

MAX_URL_LENGTH = 2048
MAX_SUBSCRIPTIONS_PER_COMPANY = 25  # each write's fan-out reads them all: a bounded read
DEFAULT_OVERLAP_HOURS = 24
MAX_OVERLAP_HOURS = 7 * 24


class EventType(StrEnum):
    CHANGED = "loyalty_memberships.changed"
    ERASED = "user.erased"
    TEST = "webhook.test"  # sent on request only (`test-webhook`); never subscribed to


SUBSCRIBABLE = (EventType.CHANGED, EventType.ERASED)


class PayloadKind(StrEnum):
    FULL = "full"
    THIN = "thin"


class DisabledReason(StrEnum):
    BY_ADMIN = "disabled_by_admin"
    GONE = "endpoint_gone"  # the endpoint answered 410 Gone


class SealedSecret(BaseModel):
    """A signing secret as stored: sealed (its plaintext never stored), when it was made,
    and when it stops signing (None: the current one)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    sealed: str
    created_at: datetime
    expires_at: datetime | None = None

    def signs_at(self, now: datetime) -> bool:
        return self.expires_at is None or now < self.expires_at


def _unique(values: Any) -> Any:
    if isinstance(values, list | tuple) and len(set(values)) != len(values):
        raise ValueError("must not name a value twice")
    return values


WebhookUrl = Annotated[str, Field(min_length=1, max_length=MAX_URL_LENGTH)]
EventTypes = Annotated[tuple[EventType, ...], Field(min_length=1, max_length=len(SUBSCRIBABLE))]
VendorTypes = Annotated[tuple[VendorType, ...], Field(min_length=1, max_length=3)]


class SubscriptionSettings(BaseModel):
    """What an admin sets on a subscription; each optional on an update (which fields were
    sent is `model_fields_set`)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    url: WebhookUrl | None = None
    events: EventTypes | None = None
    vendor_types: VendorTypes | None = None  # the `filter`; None: every vendor type
    payload: PayloadKind | None = None
    enabled: bool | None = None

    @field_validator("events", "vendor_types", mode="before")
    @classmethod
    def _each_once(cls, values: Any) -> Any:
        return _unique(values)

    @field_validator("events")
    @classmethod
    def _subscribable(cls, values: tuple[EventType, ...] | None) -> tuple[EventType, ...] | None:
        if values is not None and EventType.TEST in values:
            raise ValueError(f"must be some of {', '.join(SUBSCRIBABLE)}")
        return values


class Subscription(BaseModel):
    """A company's subscription as stored."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    id: str
    company: CompanyId
    url: WebhookUrl
    events: EventTypes
    vendor_types: VendorTypes | None = None
    payload: PayloadKind = PayloadKind.FULL
    enabled: bool = True
    disabled_reason: DisabledReason | None = None
    secrets: tuple[SealedSecret, ...] = ()
    created_at: datetime
    updated_at: datetime
    version: int = 1

    @property
    def etag(self) -> str:
        return f'"{self.version}"'

    def wants(self, event_type: EventType) -> bool:
        return self.enabled and event_type in self.events

    def takes(self, vendor_type: VendorType | None) -> bool:
        """Whether the filter lets a change of this vendor type through (one whose type is
        unknown, its membership gone since, always goes: better one change too many than
        one missed)."""
        return self.vendor_types is None or vendor_type is None or vendor_type in self.vendor_types

    def signing(self, now: datetime) -> tuple[SealedSecret, ...]:
        """The secrets that sign at `now`: the current one, and a rotated one in its overlap."""
        return tuple(s for s in self.secrets if s.signs_at(now))

    @property
    def rotation_ends(self) -> datetime | None:
        """When the last rotated secret stops signing (None: no rotation under way)."""
        ends = [s.expires_at for s in self.secrets if s.expires_at is not None]
        return max(ends) if ends else None

    def settings_fields(self) -> dict[str, Any]:
        """What the audit trail records of a subscription (never its secrets)."""
        return {
            "url": self.url,
            "events": [e.value for e in self.events],
            "filter": None if self.vendor_types is None else [v.value for v in self.vendor_types],
            "payload": self.payload.value,
            "enabled": self.enabled,
            "disabled_reason": self.disabled_reason.value if self.disabled_reason else None,
        }


# -- deliveries -------------------------------------------------------------------------
