"""Webhook subscriptions: a company's admins manage them as JSON:API resources, read their
deliveries, replay a time window and rotate a signing secret (SPEC 13)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from loyalty_core import snapstart
from loyalty_core.imports import deferred
from loyalty_core.interfaces import resolver
from loyalty_core.interfaces.locomote import api as locomote
from loyalty_core.interfaces.locomote import webhooks as hooks
from loyalty_core.interfaces.locomote.parameters import Parameters
from loyalty_core.observability import instrument, record
from loyalty_core.services.webhooks import subscriptions
from loyalty_core.services.webhooks.runtime import get_webhooks
from loyalty_core.settings import get_repository

if TYPE_CHECKING:  # annotations only: nothing more to import at run time
    from aws_lambda_powertools.event_handler.api_gateway import Response
    from aws_lambda_powertools.utilities.typing import LambdaContext

    from loyalty_core.models import Origin
    from loyalty_core.services.idempotency import Claim
    from loyalty_core.services.webhooks import replay
    from loyalty_core.services.webhooks.replay import Replay
else:  # a replay (and the deliveries it makes): imported by the first replay
    (replay,) = deferred("loyalty_core.services.webhooks.replay")

app = locomote.make_app()
snapstart.register(get_webhooks)  # SnapStart: warm, then renew after restore
COLLECTION = "/api/webhook_subscriptions"
ITEM = f"{COLLECTION}/<subscription_id>"
DELIVERIES = f"{ITEM}/deliveries"
REPLAYS = f"{ITEM}/replays"
ROTATIONS = f"{ITEM}/secret_rotations"
resolver.allow(app, COLLECTION, ["GET", "POST"])
resolver.allow(app, ITEM, ["GET", "PATCH", "DELETE"])
resolver.allow(app, DELIVERIES, ["GET"])
resolver.allow(app, REPLAYS, ["POST"])
resolver.allow(app, ROTATIONS, ["POST"])
LIST = Parameters(collection=True)
NONE = Parameters()


def _admin() -> tuple[str, Origin]:
    """The caller's company, if they are one of its admins (401, 403 otherwise), and the
    origin its audit records name."""
    caller = locomote.caller(app, get_repository())
    return subscriptions.admin_company(caller), locomote.origin(app, caller)


@app.get(COLLECTION)
def list_subscriptions() -> Response[str]:
    company, _ = _admin()
    view = locomote.view(app, LIST)
    found = subscriptions.list_all(get_webhooks(), company)
    return hooks.subscription_page(app, found, view)


@app.post(COLLECTION)
def create_subscription() -> Response[str]:
    company, origin = _admin()
    locomote.view(app, NONE)
    with hooks.attributes_located():
        settings = hooks.settings(app, None)
        made = subscriptions.create(get_webhooks(), company, settings, origin)
    record("WebhookSubscriptionsCreated", subscription_id=made.subscription.id)
    return hooks.created(app, made)


@app.get(ITEM)
def get_subscription(subscription_id: str) -> Response[str]:
    company, _ = _admin()
    locomote.view(app, NONE)
    found = subscriptions.get(get_webhooks(), company, subscription_id)
    return hooks.subscription(app, found)


@app.patch(ITEM)
def update_subscription(subscription_id: str) -> Response[str]:
    company, origin = _admin()
    locomote.view(app, NONE)
    with hooks.attributes_located():
        changes = hooks.settings(app, subscription_id)
        updated = subscriptions.update(
            get_webhooks(), company, subscription_id, changes, origin, locomote.if_match(app)
        )
    return hooks.subscription(app, updated)


@app.delete(ITEM)
def delete_subscription(subscription_id: str) -> Response[str]:
    company, origin = _admin()
    locomote.view(app, NONE)
    subscriptions.delete(get_webhooks(), company, subscription_id, origin, locomote.if_match(app))
    record("WebhookSubscriptionsDeleted", subscription_id=subscription_id)
    return locomote.no_content()


@app.get(DELIVERIES)
def list_deliveries(subscription_id: str) -> Response[str]:
    company, _ = _admin()
    page = hooks.cursor_page(app)
    found = subscriptions.deliveries(
        get_webhooks(), company, subscription_id, page.size, page.after
    )
    return hooks.deliveries(app, found.records, found.after, page, subscription_id)


@app.post(REPLAYS)
def replay_window(subscription_id: str) -> Response[Any]:
    repo = get_repository()
    caller = locomote.caller(app, repo)
    company = subscriptions.admin_company(caller)
    locomote.view(app, NONE)
    with hooks.attributes_located():
        since, until = hooks.window(app)

    def run(claim: Claim | None) -> Replay:  # writes nothing of the caller's: no claim used
        with hooks.attributes_located():
            made = replay.replay(get_webhooks(), company, subscription_id, since, until)
        record("WebhookReplaysQueued", subscription_id=subscription_id, events=made.events)
        return made

    return locomote.replayable(app, repo, caller, run, lambda made: hooks.replayed(app, made))


@app.post(ROTATIONS)
def rotate_secret(subscription_id: str) -> Response[str]:
    company, origin = _admin()
    locomote.view(app, NONE)
    with hooks.attributes_located():
        hours = hooks.overlap(app)
        made = subscriptions.rotate(get_webhooks(), company, subscription_id, origin, hours)
    record("WebhookSecretsRotated", subscription_id=subscription_id)
    return hooks.rotated(app, made)


@instrument("webhooks")
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return app.resolve(event, context)
