"""Commands: change notifications (SPEC 13), on the layer's webhook services: an operator
manages any company's subscriptions, sends a test event, reads the deliveries and replays
a window.

Against the deployed stack, set WEBHOOK_KMS_KEY_ID and WEBHOOK_QUEUE_URL from the stack's
outputs (WebhookKeyArn, WebhookQueueUrl). Against `make run`'s embedded store
(DYNAMODB_ENDPOINT_URL), they are found there.

    python -m local.admin create-webhook acme --url https://hooks.example.com/loyalty
    python -m local.admin replay-webhook acme SUBSCRIPTION --since 2026-12-01T00:00:00Z \\
        --until 2026-12-02T00:00:00Z
"""

from __future__ import annotations

import argparse
import os
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from typing import Any

from local.admin.cli import Admin, Argument, Outcome, Refused, arg, command
from local.admin.table import every_item
from loyalty_core.errors import DomainError
from loyalty_core.models.deliveries import DeliveryRecord
from loyalty_core.models.webhooks import (
    DEFAULT_OVERLAP_HOURS,
    SUBSCRIBABLE,
    Subscription,
    SubscriptionSettings,
)
from loyalty_core.repository.webhooks import DynamoWebhooks
from loyalty_core.services.webhooks import delivery, replay, subscriptions
from loyalty_core.services.webhooks.context import Webhooks

EVENTS = ",".join(e.value for e in SUBSCRIBABLE)
SUBSCRIPTION: tuple[Argument, ...] = (
    arg("company"),
    arg("subscription", help="the subscription's id (list-webhooks)"),
)


def webhooks() -> Webhooks:
    """The layer's webhook services for this shell: against `make run`'s embedded store,
    its queue and key are found there (the names local/webhooks.py gives them)."""
    from loyalty_core import settings
    from loyalty_core.services.webhooks.runtime import get_webhooks

    endpoint = os.environ.get("DYNAMODB_ENDPOINT_URL")
    if endpoint and not os.environ.get("WEBHOOK_KMS_KEY_ID"):
        from local.webhooks import find

        os.environ.update(find(endpoint))
        settings.reset()
    return get_webhooks()


@contextmanager
def refused() -> Iterator[None]:
    """A service's refusal as the CLI's: the reason and each problem, exit status 1."""
    try:
        yield
    except DomainError as err:
        problems = "; ".join(
            f"{'.'.join(map(str, p.location)) + ': ' if p.location else ''}{p.detail}"
            for p in err.problems
        )
        raise Refused(err.detail + (f" ({problems})" if problems else "")) from None


def _filter(text: str | None) -> list[str] | None:
    """--filter vendor_type=hotel[,air]"""
    if text is None:
        return None
    name, _, values = text.partition("=")
    if name != "vendor_type" or not values:
        raise Refused("--filter takes vendor_type=TYPE[,TYPE] (air, hotel, car)")
    return values.split(",")


def _shown(s: Subscription) -> dict[str, Any]:
    data = s.settings_fields()
    data.update(
        id=s.id,
        company=s.company,
        previous_secret_expires_at=s.rotation_ends.isoformat() if s.rotation_ends else None,
        created_at=s.created_at.isoformat(),
        version=s.version,
    )
    return data


def _line(s: Subscription) -> str:
    state = "enabled" if s.enabled else f"disabled ({s.disabled_reason or 'admin'})"
    kinds = ",".join(e.value for e in s.events)
    only = f" vendor_type={','.join(v.value for v in s.vendor_types)}" if s.vendor_types else ""
    return f"{s.id}  {state:28} {s.payload.value:4}  {kinds}{only}  {s.url}"


def _with_secret(verb: str, s: Subscription, secret: str) -> Outcome:
    return Outcome(
        {"subscription": _shown(s), "secret": secret},
        f"webhook {s.id} of {s.company} {verb}\n{_line(s)}\n"
        f"secret:     {secret}\n(the secret is shown once: only its sealed form is stored)",
    )


@command(
    "create-webhook",
    "subscribe an endpoint to a company's changes (secret printed once)",
    arg("company"),
    arg("--url", required=True, help="https://... (http and loopback under make run)"),
    arg(
        "--events",
        default=SUBSCRIBABLE[0].value,
        help=f"comma-separated, of {EVENTS} (default: {SUBSCRIBABLE[0].value})",
    ),
    arg("--filter", help="vendor_type=TYPE[,TYPE]: only changes of these programs"),
    arg("--thin", action="store_true", help="ids and versions only, no membership"),
    arg("--disabled", action="store_true", help="create it disabled"),
)
def _create(admin: Admin, a: argparse.Namespace) -> Outcome:
    values = {
        "url": a.url,
        "events": a.events.split(","),
        "vendor_types": _filter(a.filter),
        "payload": "thin" if a.thin else "full",
        "enabled": not a.disabled,
    }
    with refused():
        settings = SubscriptionSettings.model_validate(values)
        made = subscriptions.create(webhooks(), a.company, settings, admin.origin())
    return _with_secret("created", made.subscription, made.secret)


@command("list-webhooks", "list a company's webhook subscriptions", arg("company"))
def _list(admin: Admin, a: argparse.Namespace) -> Outcome:
    with refused():
        found = subscriptions.list_all(webhooks(), a.company)
    lines = [_line(s) for s in found] or [f"company {a.company} has no webhook subscription"]
    return Outcome(
        {"company": a.company, "subscriptions": [_shown(s) for s in found]}, "\n".join(lines)
    )


def _set_enabled(admin: Admin, a: argparse.Namespace, enabled: bool) -> Outcome:
    with refused():
        found = subscriptions.set_enabled(
            webhooks(), a.company, a.subscription, enabled, admin.origin()
        )
    return Outcome({"subscription": _shown(found)}, _line(found))


@command("enable-webhook", "enable a webhook subscription (again)", *SUBSCRIPTION)
def _enable(admin: Admin, a: argparse.Namespace) -> Outcome:
    return _set_enabled(admin, a, True)


@command("disable-webhook", "stop sending to a webhook subscription", *SUBSCRIPTION)
def _disable(admin: Admin, a: argparse.Namespace) -> Outcome:
    return _set_enabled(admin, a, False)


@command("delete-webhook", "delete a webhook subscription", *SUBSCRIPTION)
def _delete(admin: Admin, a: argparse.Namespace) -> Outcome:
    with refused():
        subscriptions.delete(webhooks(), a.company, a.subscription, admin.origin())
    return Outcome(
        {"deleted": "webhook", "company": a.company, "subscription": a.subscription},
        f"webhook {a.subscription} of {a.company} deleted",
    )


@command(
    "rotate-webhook-secret",
    "a new signing secret; the old one signs too for the overlap",
    *SUBSCRIPTION,
    arg("--overlap-hours", type=int, default=DEFAULT_OVERLAP_HOURS, help="default %(default)s"),
)
def _rotate(admin: Admin, a: argparse.Namespace) -> Outcome:
    with refused():
        made = subscriptions.rotate(
            webhooks(), a.company, a.subscription, admin.origin(), a.overlap_hours
        )
    ends = made.subscription.rotation_ends
    outcome = _with_secret("has a new secret", made.subscription, made.secret)
    until = f"the previous secret signs too until {ends.isoformat()}" if ends else "no overlap"
    return Outcome(outcome.data, f"{outcome.text}\n{until}")


def _attempts(record: DeliveryRecord) -> str:
    last = record.attempts[-1] if record.attempts else None
    detail = ""
    if last is not None:
        detail = f" last {last.at.isoformat()} {last.status or '-'} {last.error or ''}".rstrip()
    replayed = f" replay {record.replay_id}" if record.replay_id else ""
    return (
        f"{record.enqueued_at.isoformat()}  {record.event_type.value:28} {record.event_id}"
        f"{replayed}  {record.status.value}  {len(record.attempts)} attempt(s){detail}"
    )


@command("test-webhook", "send a webhook.test event now and print the answer", *SUBSCRIPTION)
def _test(admin: Admin, a: argparse.Namespace) -> Outcome:
    services = webhooks()
    with refused():
        found = subscriptions.get(services, a.company, a.subscription)
        record = delivery.send_test(services, found)
    attempt = record.attempts[-1]
    verdict = "delivered" if record.status.value == "delivered" else "FAILED"
    return Outcome(
        {"delivery": record.model_dump(mode="json")},
        f"test event {record.event_id} to {found.url}: {verdict} "
        f"({attempt.status or 'no answer'}, {attempt.duration_ms} ms"
        + (f", {attempt.error}" if attempt.error else "")
        + ")",
    )


@command(
    "webhook-deliveries",
    "a subscription's deliveries, newest first (30 days)",
    *SUBSCRIPTION,
    arg("--limit", type=int, default=20, choices=range(1, 101), metavar="1-100"),
    arg("--after", help="the cursor a previous page printed"),
)
def _deliveries(admin: Admin, a: argparse.Namespace) -> Outcome:
    with refused():
        page = subscriptions.deliveries(webhooks(), a.company, a.subscription, a.limit, a.after)
    lines = [_attempts(r) for r in page.records] or ["no delivery in the last 30 days"]
    if page.after:
        lines.append(f"(more: --after {page.after})")
    return Outcome(
        {"deliveries": [r.model_dump(mode="json") for r in page.records], "after": page.after},
        "\n".join(lines),
    )


def _moment(text: str) -> datetime:
    try:
        found = datetime.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError("must be an ISO time, e.g. 2026-12-01T00:00:00Z") from None
    if found.tzinfo is None:
        raise argparse.ArgumentTypeError("must carry its time zone, e.g. 2026-12-01T00:00:00Z")
    return found


@command(
    "replay-webhook",
    "send a time window's events again, original ids",
    *SUBSCRIPTION,
    arg("--since", type=_moment, required=True),
    arg("--until", type=_moment, required=True),
)
def _replay(admin: Admin, a: argparse.Namespace) -> Outcome:
    with refused():
        made = replay.replay(webhooks(), a.company, a.subscription, a.since, a.until)
    return Outcome(
        {
            "replay": made.id,
            "subscription": made.subscription_id,
            "since": made.since.isoformat(),
            "until": made.until.isoformat(),
            "events": made.events,
        },
        f"replay {made.id}: {made.events} event(s) of {made.since.isoformat()} to "
        f"{made.until.isoformat()} queued for webhook {made.subscription_id} "
        "(their original ids, signed anew)",
    )


@command(
    "backfill-webhook-feed",
    "put audit records written before the change feed existed into it (once, a Scan)",
)
def _backfill(admin: Admin, a: argparse.Namespace) -> Outcome:
    store = DynamoWebhooks(admin.client, admin.table)
    done = store.backfill_feed(every_item(admin))
    return Outcome(
        {"backfilled": done},
        f"{done} audit record(s) added to the change feed (replays can reach them now)",
    )
