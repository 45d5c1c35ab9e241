"""Locomote loyalty memberships: JSON:API CRUD on a user's memberships."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.utilities.typing import LambdaContext

from loyalty_core import jsonapi, rest
from loyalty_core.observability import instrument, record
from loyalty_core.services import memberships

app = rest.make_app()
COLLECTION = "/api/users/<employee_id>/loyalty_memberships"
ITEM = f"{COLLECTION}/<membership_id>"
rest.allow(app, COLLECTION, ["GET", "POST"])
rest.allow(app, ITEM, ["GET", "PATCH", "DELETE"])


@app.get(COLLECTION)
def list_memberships(employee_id: str) -> Response[str]:
    repo, caller = rest.authenticated(app)
    page = jsonapi.read_page(app.current_event.query_string_parameters)
    held = memberships.list_memberships(repo, caller, employee_id)
    url = rest.url(app)
    doc = jsonapi.paged(
        held,
        page,
        url,
        jsonapi.membership_path(employee_id),
        lambda m: jsonapi.membership_resource(m, url),
    )
    return rest.respond(200, doc)


@app.post(COLLECTION)
def create_membership(employee_id: str) -> Response[Any]:
    repo, caller = rest.authenticated(app)

    def create() -> Response[Any]:
        draft = jsonapi.membership_draft(rest.body(app), employee_id)
        created = memberships.create_membership(repo, caller, employee_id, draft)
        record("MembershipsCreated", membership=created)
        resource = jsonapi.membership_resource(created, rest.url(app))
        location = resource["links"]["self"]
        return rest.respond(
            201, jsonapi.document(data=resource), Location=location, ETag=created.etag
        )

    return rest.replayable(app, f"{caller.company}/{caller.employee_id}", create)


@app.get(ITEM)
def get_membership(employee_id: str, membership_id: str) -> Response[str]:
    repo, caller = rest.authenticated(app)
    found = memberships.get_membership(repo, caller, employee_id, membership_id)
    resource = jsonapi.membership_resource(found, rest.url(app))
    return rest.respond(200, jsonapi.document(data=resource), ETag=found.etag)


@app.patch(ITEM)
def update_membership(employee_id: str, membership_id: str) -> Response[str]:
    repo, caller = rest.authenticated(app)
    changes, provider_id = jsonapi.membership_changes(rest.body(app), employee_id, membership_id)
    updated = memberships.update_membership(
        repo, caller, employee_id, membership_id, changes, provider_id, rest.if_match(app)
    )
    record("MembershipsUpdated", membership=updated)
    resource = jsonapi.membership_resource(updated, rest.url(app))
    return rest.respond(200, jsonapi.document(data=resource), ETag=updated.etag)


@app.delete(ITEM)
def delete_membership(employee_id: str, membership_id: str) -> Response[str]:
    repo, caller = rest.authenticated(app)
    memberships.delete_membership(repo, caller, employee_id, membership_id, rest.if_match(app))
    record("MembershipsDeleted", membership_id=membership_id)
    return rest.respond(204)


@instrument("locomote")
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return app.resolve(event, context)
