"""A company's webhook subscriptions: set by its admins (the JSON:API routes) or an operator
(the admin CLI), each change audited in the change's own transaction; nothing crosses
companies (every key holds the company, and a caller's company is the only one read).

The signing secret is made here, shown once (on create and on rotation) and stored only
sealed. A rotation keeps the previous secret signing for an overlap (24 h unless told),
so a partner can switch its verifier without losing a delivery.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from loyalty_core import models
from loyalty_core.errors import AccessDenied, InvalidInput, NotFound, Problem, quote
from loyalty_core.imports import deferred
from loyalty_core.models import Role
from loyalty_core.models.webhooks import (
    DEFAULT_OVERLAP_HOURS,
    MAX_OVERLAP_HOURS,
    DisabledReason,
    PayloadKind,
    SealedSecret,
    Subscription,
    SubscriptionSettings,
)
from loyalty_core.services.memberships import check_if_match
from loyalty_core.validators import is_record_id

if TYPE_CHECKING:
    from loyalty_core.models import AuditRecord, Origin, Principal
    from loyalty_core.repository.webhooks import DeliveryPage
    from loyalty_core.services.webhooks import signing, targets
    from loyalty_core.services.webhooks.context import Webhooks
else:  # secrets and endpoints: imported by the first write that makes or checks one
    signing, targets = deferred(
        "loyalty_core.services.webhooks.signing", "loyalty_core.services.webhooks.targets"
    )


def admin_company(principal: Principal) -> str:
    """The company whose subscriptions the caller may manage: their own, admins only."""
    if principal.role is not Role.ADMIN:
        raise AccessDenied("Only a company admin manages its webhook subscriptions")
    return principal.company


def secret_context(company: str, subscription_id: str) -> dict[str, str]:
    """What a sealed secret is bound to: it opens for this subscription only."""
    return {"company": company, "subscription": subscription_id}


def not_found(subscription_id: str) -> NotFound:
    return NotFound(f"No webhook subscription {quote(subscription_id)}")


def get(webhooks: Webhooks, company: str, subscription_id: str) -> Subscription:
    found = (
        webhooks.store.get_subscription(company, subscription_id)
        if is_record_id(subscription_id)
        else None
    )
    if found is None:
        raise not_found(subscription_id)
    return found


def list_all(webhooks: Webhooks, company: str) -> tuple[Subscription, ...]:
    return webhooks.store.list_subscriptions(company)


def deliveries(
    webhooks: Webhooks, company: str, subscription_id: str, count: int, after: str | None = None
) -> DeliveryPage:
    """A subscription's deliveries, newest first, a page at a time (one Query a page)."""
    get(webhooks, company, subscription_id)
    return webhooks.store.list_deliveries(company, subscription_id, count, after)


def _audit(
    origin: Origin,
    subscription_id: str,
    before: Mapping[str, Any] | None,
    after: Mapping[str, Any] | None,
    now: datetime,
) -> AuditRecord:
    old = None if before is None else dict(before)
    new = None if after is None else dict(after)
    change = models.audit.entry("subscription_id", subscription_id, old, new)
    return models.AuditRecord.of(origin, [change], occurred_at=now)


def _sealed(
    webhooks: Webhooks, company: str, subscription_id: str, now: datetime
) -> tuple[str, SealedSecret]:
    shown, key = signing.new_secret()
    sealed = webhooks.box.seal(key, secret_context(company, subscription_id))
    return shown, SealedSecret(sealed=sealed, created_at=now)


@dataclass(frozen=True)
class WithSecret:
    """A subscription with its new secret, shown this once."""

    subscription: Subscription
    secret: str


def create(
    webhooks: Webhooks, company: str, settings: SubscriptionSettings, origin: Origin
) -> WithSecret:
    """A new subscription (enabled unless told otherwise) and its first secret. Its URL
    must be one a delivery may go to now; `url` and `events` are required."""
    problems = [
        Problem("is required", (name,))
        for name in ("url", "events")
        if getattr(settings, name) is None
    ]
    if problems:
        raise InvalidInput("The webhook subscription is not complete", problems)
    assert settings.url is not None and settings.events is not None
    targets.check(settings.url, webhooks.resolve, webhooks.local_targets)
    now = webhooks.clock()
    subscription_id = str(uuid.uuid4())
    shown, sealed = _sealed(webhooks, company, subscription_id, now)
    enabled = True if settings.enabled is None else settings.enabled
    subscription = Subscription(
        id=subscription_id,
        company=company,
        url=settings.url,
        events=settings.events,
        vendor_types=settings.vendor_types,
        payload=settings.payload or PayloadKind.FULL,
        enabled=enabled,
        disabled_reason=None if enabled else DisabledReason.BY_ADMIN,
        secrets=(sealed,),
        created_at=now,
        updated_at=now,
    )
    audit = _audit(origin, subscription_id, None, subscription.settings_fields(), now)
    webhooks.store.create_subscription(subscription, audit)
    return WithSecret(subscription, shown)


def update(
    webhooks: Webhooks,
    company: str,
    subscription_id: str,
    changes: SubscriptionSettings,
    origin: Origin,
    if_match: str | None = None,
) -> Subscription:
    """The subscription with the settings `changes` sends (the rest kept). Enabling it
    again clears why it was disabled; a change that changes nothing is no write."""
    current = get(webhooks, company, subscription_id)
    check_if_match(current, if_match)  # type: ignore[arg-type]
    values: dict[str, Any] = {name: getattr(changes, name) for name in changes.model_fields_set}
    if values.get("url") is not None and values["url"] != current.url:
        targets.check(values["url"], webhooks.resolve, webhooks.local_targets)
    for required in ("url", "events", "payload", "enabled"):
        if required in values and values[required] is None:
            raise InvalidInput(
                "The webhook subscription is not valid",
                [Problem("must not be null", (required,))],
            )
    if "enabled" in values and values["enabled"] != current.enabled:
        values["disabled_reason"] = None if values["enabled"] else DisabledReason.BY_ADMIN
    candidate = current.model_copy(update=values)
    if candidate.settings_fields() == current.settings_fields():
        return current
    now = webhooks.clock()
    updated = Subscription.model_validate(
        {**candidate.model_dump(), "version": current.version + 1, "updated_at": now}
    )
    audit = _audit(
        origin, subscription_id, current.settings_fields(), updated.settings_fields(), now
    )
    webhooks.store.save_subscription(current, updated, audit)
    return updated


def set_enabled(
    webhooks: Webhooks, company: str, subscription_id: str, enabled: bool, origin: Origin
) -> Subscription:
    return update(webhooks, company, subscription_id, SubscriptionSettings(enabled=enabled), origin)


def delete(
    webhooks: Webhooks,
    company: str,
    subscription_id: str,
    origin: Origin,
    if_match: str | None = None,
) -> None:
    """Remove a subscription: its queued deliveries are skipped, its attempts expire."""
    current = get(webhooks, company, subscription_id)
    check_if_match(current, if_match)  # type: ignore[arg-type]
    audit = _audit(origin, subscription_id, current.settings_fields(), None, webhooks.clock())
    webhooks.store.delete_subscription(current, audit)


def rotate(
    webhooks: Webhooks,
    company: str,
    subscription_id: str,
    origin: Origin,
    overlap_hours: int | None = None,
) -> WithSecret:
    """A new current secret; the previous one signs beside it for `overlap_hours` (24 unless
    told; 0: it stops now). Secrets whose overlap has ended are dropped."""
    if overlap_hours is None:
        overlap_hours = DEFAULT_OVERLAP_HOURS
    if not 0 <= overlap_hours <= MAX_OVERLAP_HOURS:
        raise InvalidInput(
            "The overlap is out of range",
            [
                Problem(
                    f"must be a whole number of hours from 0 to {MAX_OVERLAP_HOURS}",
                    ("overlap_hours",),
                )
            ],
        )
    current = get(webhooks, company, subscription_id)
    now = webhooks.clock()
    shown, fresh = _sealed(webhooks, company, subscription_id, now)
    ends = now + timedelta(hours=overlap_hours)
    kept = [
        s if s.expires_at is not None else s.model_copy(update={"expires_at": ends})
        for s in current.secrets
    ]
    kept = [s for s in kept if s.signs_at(now) and (s.expires_at is None or s.expires_at > now)]
    updated = current.model_copy(
        update={
            "secrets": (fresh, *kept),
            "version": current.version + 1,
            "updated_at": now,
        }
    )
    before = {"secret_created_at": _newest(current)}
    after = {"secret_created_at": now.isoformat(), "previous_secret_expires_at": ends.isoformat()}
    audit = _audit(origin, subscription_id, before, after, now)
    webhooks.store.save_subscription(current, updated, audit)
    return WithSecret(updated, shown)


def _newest(subscription: Subscription) -> str | None:
    current = [s for s in subscription.secrets if s.expires_at is None]
    return current[0].created_at.isoformat() if current else None


def disable_gone(webhooks: Webhooks, subscription: Subscription, origin: Origin) -> None:
    """The endpoint answered 410 Gone: the subscription stops (an admin enables it again)."""
    if not subscription.enabled:
        return
    now = webhooks.clock()
    updated = subscription.model_copy(
        update={
            "enabled": False,
            "disabled_reason": DisabledReason.GONE,
            "version": subscription.version + 1,
            "updated_at": now,
        }
    )
    audit = _audit(
        origin, subscription.id, subscription.settings_fields(), updated.settings_fields(), now
    )
    webhooks.store.save_subscription(subscription, updated, audit)
