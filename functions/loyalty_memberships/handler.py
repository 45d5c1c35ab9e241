"""Locomote loyalty memberships: JSON:API CRUD on a user's memberships."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from loyalty_core import idempotency, snapstart
from loyalty_core.interfaces import resolver
from loyalty_core.interfaces.locomote import api as locomote
from loyalty_core.interfaces.locomote import jsonapi
from loyalty_core.observability import instrument, record
from loyalty_core.services import memberships
from loyalty_core.settings import get_repository

if TYPE_CHECKING:  # annotations only: nothing more to import at run time
    from aws_lambda_powertools.event_handler.api_gateway import Response
    from aws_lambda_powertools.utilities.typing import LambdaContext

app = locomote.make_app()
snapstart.register(idempotency.prepare)  # SnapStart: warm before the snapshot, renew after restore
COLLECTION = "/api/users/<employee_id>/loyalty_memberships"
ITEM = f"{COLLECTION}/<membership_id>"
resolver.allow(app, COLLECTION, ["GET", "POST"])
resolver.allow(app, ITEM, ["GET", "PATCH", "DELETE"])


@app.get(COLLECTION)
def list_memberships(employee_id: str) -> Response[str]:
    repo = get_repository()
    caller = locomote.caller(app, repo)
    page = jsonapi.read_page(locomote.query(app))
    held = memberships.list_memberships(repo, caller, employee_id)
    url = locomote.url(app)
    doc = jsonapi.paged(
        held,
        page,
        url,
        jsonapi.membership_path(employee_id),
        lambda m: jsonapi.membership_resource(m, url),
    )
    return locomote.respond(200, doc)


@app.post(COLLECTION)
def create_membership(employee_id: str) -> Response[Any]:
    repo = get_repository()
    caller = locomote.caller(app, repo)

    def create() -> Response[Any]:
        draft = jsonapi.membership_draft(locomote.resource(app), employee_id)
        created = memberships.create_membership(repo, caller, employee_id, draft)
        record("MembershipsCreated", membership=created)
        resource = jsonapi.membership_resource(created, locomote.url(app))
        return locomote.respond(
            201,
            jsonapi.document(data=resource),
            Location=resource["links"]["self"],
            ETag=created.etag,
        )

    return resolver.replayable(app, f"{caller.company}/{caller.employee_id}", create)


@app.get(ITEM)
def get_membership(employee_id: str, membership_id: str) -> Response[str]:
    repo = get_repository()
    caller = locomote.caller(app, repo)
    found = memberships.get_membership(repo, caller, employee_id, membership_id)
    resource = jsonapi.membership_resource(found, locomote.url(app))
    return locomote.respond(200, jsonapi.document(data=resource), ETag=found.etag)


@app.patch(ITEM)
def update_membership(employee_id: str, membership_id: str) -> Response[str]:
    repo = get_repository()
    caller = locomote.caller(app, repo)
    changes, provider_id = jsonapi.membership_changes(
        locomote.resource(app), employee_id, membership_id
    )
    updated = memberships.update_membership(
        repo, caller, employee_id, membership_id, changes, provider_id, locomote.if_match(app)
    )
    record("MembershipsUpdated", membership=updated)
    resource = jsonapi.membership_resource(updated, locomote.url(app))
    return locomote.respond(200, jsonapi.document(data=resource), ETag=updated.etag)


@app.delete(ITEM)
def delete_membership(employee_id: str, membership_id: str) -> Response[str]:
    repo = get_repository()
    caller = locomote.caller(app, repo)
    memberships.delete_membership(repo, caller, employee_id, membership_id, locomote.if_match(app))
    record("MembershipsDeleted", membership_id=membership_id)
    return locomote.respond(204)


@instrument("locomote")
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return app.resolve(event, context)
