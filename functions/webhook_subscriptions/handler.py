"""Webhook subscriptions: a company's admins manage them as JSON:API resources, read their
deliveries, replay a time window and rotate a signing secret (SPEC 13)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from loyalty_core import idempotency, snapstart
from loyalty_core.interfaces import resolver
from loyalty_core.interfaces.locomote import api as locomote
from loyalty_core.interfaces.locomote import jsonapi
from loyalty_core.interfaces.webhooks import jsonapi as hooks
from loyalty_core.models import Origin
from loyalty_core.observability import instrument, record
from loyalty_core.services.webhooks import replay, subscriptions
from loyalty_core.services.webhooks.runtime import get_webhooks
from loyalty_core.settings import get_repository

if TYPE_CHECKING:  # annotations only: nothing more to import at run time
    from aws_lambda_powertools.event_handler.api_gateway import Response
    from aws_lambda_powertools.utilities.typing import LambdaContext

app = locomote.make_app()
snapstart.register(idempotency.prepare, get_webhooks)  # SnapStart: warm, then renew after restore
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
LIST = jsonapi.Parameters(collection=True)
NONE = jsonapi.Parameters()


def _admin() -> tuple[str, Origin]:
    """The caller's company, if they are one of its admins (401, 403 otherwise), and the
    origin its audit records name."""
    caller = locomote.caller(app, get_repository())
    return subscriptions.admin_company(caller), locomote.origin(app, caller)


@app.get(COLLECTION)
def list_subscriptions() -> Response[str]:
    company, _ = _admin()
    view = jsonapi.read_query(locomote.query(app), LIST)
    found = subscriptions.list_all(get_webhooks(), company)
    return locomote.respond(200, hooks.subscription_page(found, view, locomote.url(app)))


@app.post(COLLECTION)
def create_subscription() -> Response[str]:
    company, origin = _admin()
    jsonapi.read_query(locomote.query(app), NONE)
    with hooks.attributes_located():
        settings = hooks.subscription_settings(locomote.resource(app), None)
        made = subscriptions.create(get_webhooks(), company, settings, origin)
    record("WebhookSubscriptionsCreated", subscription_id=made.subscription.id)
    url = locomote.url(app)
    return locomote.respond(
        201,
        hooks.subscription_document(made.subscription, url, made.secret),
        Location=url.of(hooks.subscription_path(made.subscription.id)),
        ETag=made.subscription.etag,
    )


@app.get(ITEM)
def get_subscription(subscription_id: str) -> Response[str]:
    company, _ = _admin()
    jsonapi.read_query(locomote.query(app), NONE)
    found = subscriptions.get(get_webhooks(), company, subscription_id)
    doc = hooks.subscription_document(found, locomote.url(app))
    return locomote.respond(200, doc, ETag=found.etag)


@app.patch(ITEM)
def update_subscription(subscription_id: str) -> Response[str]:
    company, origin = _admin()
    jsonapi.read_query(locomote.query(app), NONE)
    with hooks.attributes_located():
        changes = hooks.subscription_settings(locomote.resource(app), subscription_id)
        updated = subscriptions.update(
            get_webhooks(), company, subscription_id, changes, origin, locomote.if_match(app)
        )
    doc = hooks.subscription_document(updated, locomote.url(app))
    return locomote.respond(200, doc, ETag=updated.etag)


@app.delete(ITEM)
def delete_subscription(subscription_id: str) -> Response[str]:
    company, origin = _admin()
    jsonapi.read_query(locomote.query(app), NONE)
    subscriptions.delete(get_webhooks(), company, subscription_id, origin, locomote.if_match(app))
    record("WebhookSubscriptionsDeleted", subscription_id=subscription_id)
    return locomote.respond(204)


@app.get(DELIVERIES)
def list_deliveries(subscription_id: str) -> Response[str]:
    company, _ = _admin()
    page = hooks.read_cursor_page(locomote.query(app))
    found = subscriptions.deliveries(
        get_webhooks(), company, subscription_id, page.size, page.after
    )
    doc = hooks.delivery_page(found.records, found.after, page, locomote.url(app), subscription_id)
    return locomote.respond(200, doc)


@app.post(REPLAYS)
def replay_window(subscription_id: str) -> Response[Any]:
    caller = locomote.caller(app, get_repository())
    company = subscriptions.admin_company(caller)

    def run() -> Response[Any]:
        jsonapi.read_query(locomote.query(app), NONE)
        with hooks.attributes_located():
            since, until = hooks.replay_window(locomote.resource(app))
            made = replay.replay(get_webhooks(), company, subscription_id, since, until)
        record("WebhookReplaysQueued", subscription_id=subscription_id, events=made.events)
        return locomote.respond(202, hooks.replay_document(made, locomote.url(app)))

    return resolver.replayable(app, f"{caller.company}/{caller.employee_id}", run)


@app.post(ROTATIONS)
def rotate_secret(subscription_id: str) -> Response[str]:
    company, origin = _admin()
    jsonapi.read_query(locomote.query(app), NONE)
    with hooks.attributes_located():
        hours = hooks.overlap_hours(locomote.resource(app))
        made = subscriptions.rotate(get_webhooks(), company, subscription_id, origin, hours)
    record("WebhookSecretsRotated", subscription_id=subscription_id)
    return locomote.respond(
        201, hooks.rotation_document(made.subscription, made.secret, locomote.url(app))
    )


@instrument("webhooks")
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return app.resolve(event, context)
