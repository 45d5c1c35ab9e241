"""Locomote loyalty memberships: JSON:API CRUD on a user's memberships, and the audit
trail of their changes."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from loyalty_core import snapstart
from loyalty_core.interfaces import resolver
from loyalty_core.interfaces.locomote import api as locomote
from loyalty_core.interfaces.locomote import jsonapi
from loyalty_core.observability import instrument, record
from loyalty_core.repository import KeyOwner
from loyalty_core.services import history, memberships
from loyalty_core.settings import get_repository

if TYPE_CHECKING:  # annotations only: nothing more to import at run time
    from aws_lambda_powertools.event_handler.api_gateway import Response
    from aws_lambda_powertools.utilities.typing import LambdaContext

app = locomote.make_app()
snapstart.register()  # SnapStart: warm before the snapshot, renew after restore
COLLECTION = "/api/users/<employee_id>/loyalty_memberships"
ITEM = f"{COLLECTION}/<membership_id>"
CHANGES = "/api/users/<employee_id>/loyalty_membership_changes"
resolver.allow(app, COLLECTION, ["GET", "POST"])
resolver.allow(app, ITEM, ["GET", "PATCH", "DELETE"])
resolver.allow(app, CHANGES, ["GET"])
# What each route reads from its query string (any other JSON:API parameter: 400).
ANSWER = jsonapi.Parameters(jsonapi.MEMBERSHIPS, include=("loyalty_provider",))
LIST = jsonapi.Parameters(jsonapi.MEMBERSHIPS, collection=True, include=ANSWER.include)
NO_ANSWER = jsonapi.Parameters()
CHANGE_LIST = jsonapi.Parameters(jsonapi.CHANGES, collection=True, filters=history.FILTERS)


@app.get(COLLECTION)
def list_memberships(employee_id: str) -> Response[str]:
    repo = get_repository()
    caller = locomote.caller(app, repo)
    view = jsonapi.read_query(locomote.query(app), LIST)
    held = memberships.list_memberships(repo, caller, employee_id)
    doc = jsonapi.membership_page(held, view, locomote.url(app), employee_id, repo.get_provider)
    return locomote.respond(200, doc)


@app.post(COLLECTION)
def create_membership(employee_id: str) -> Response[Any]:
    repo = get_repository()
    caller = locomote.caller(app, repo)
    view = jsonapi.read_query(locomote.query(app), ANSWER)
    draft = jsonapi.membership_draft(locomote.resource(app), employee_id)
    url = locomote.url(app)

    def create(claim: Any) -> Any:
        created = memberships.create_membership(
            repo, caller, employee_id, draft, origin=locomote.origin(app, caller), claim=claim
        )
        record("MembershipsCreated", membership=created)
        return created

    def answer(created: Any) -> Response[Any]:
        return locomote.respond(
            201,
            jsonapi.membership_document(created, view, url, repo.get_provider),
            Location=url.of(jsonapi.membership_path(employee_id, created.id)),
            ETag=created.etag,
        )

    owner = KeyOwner(caller.company, caller.employee_id)
    return resolver.replayable(app, repo, owner, "user", create, answer)


@app.get(ITEM)
def get_membership(employee_id: str, membership_id: str) -> Response[str]:
    repo = get_repository()
    caller = locomote.caller(app, repo)
    view = jsonapi.read_query(locomote.query(app), ANSWER)
    found = memberships.get_membership(repo, caller, employee_id, membership_id)
    doc = jsonapi.membership_document(found, view, locomote.url(app), repo.get_provider)
    return locomote.respond(200, doc, ETag=found.etag)


@app.patch(ITEM)
def update_membership(employee_id: str, membership_id: str) -> Response[str]:
    repo = get_repository()
    caller = locomote.caller(app, repo)
    view = jsonapi.read_query(locomote.query(app), ANSWER)
    changes, provider_id = jsonapi.membership_changes(
        locomote.resource(app), employee_id, membership_id
    )
    updated = memberships.update_membership(
        repo,
        caller,
        employee_id,
        membership_id,
        changes,
        provider_id,
        locomote.if_match(app),
        origin=locomote.origin(app, caller),
    )
    record("MembershipsUpdated", membership=updated)
    doc = jsonapi.membership_document(updated, view, locomote.url(app), repo.get_provider)
    return locomote.respond(200, doc, ETag=updated.etag)


@app.delete(ITEM)
def delete_membership(employee_id: str, membership_id: str) -> Response[str]:
    repo = get_repository()
    caller = locomote.caller(app, repo)
    jsonapi.read_query(locomote.query(app), NO_ANSWER)
    memberships.delete_membership(
        repo,
        caller,
        employee_id,
        membership_id,
        locomote.if_match(app),
        origin=locomote.origin(app, caller),
    )
    record("MembershipsDeleted", membership_id=membership_id)
    return locomote.respond(204)


@app.get(CHANGES)
def list_changes(employee_id: str) -> Response[str]:
    repo = get_repository()
    caller = locomote.caller(app, repo)
    view = jsonapi.read_query(locomote.query(app), CHANGE_LIST)
    page = view.page
    found = history.list_changes(
        repo,
        caller,
        employee_id,
        (page.number - 1) * page.size,
        page.size,
        membership=view.filters.get("membership"),
    )
    doc = jsonapi.changes_page(
        found.records, found.total, view, locomote.url(app), employee_id, found.searched
    )
    return locomote.respond(200, doc)


@instrument("locomote")
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return app.resolve(event, context)
