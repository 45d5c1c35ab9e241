"""Locomote loyalty memberships: JSON:API CRUD on a user's memberships, atomic operations
on them (the JSON:API Atomic Operations extension), and the audit trail of their changes."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from loyalty_core import snapstart
from loyalty_core.imports import deferred
from loyalty_core.interfaces import resolver
from loyalty_core.interfaces.locomote import api as locomote
from loyalty_core.interfaces.locomote import resources
from loyalty_core.interfaces.locomote.parameters import Parameters
from loyalty_core.observability import instrument, record
from loyalty_core.services import memberships
from loyalty_core.settings import get_repository

if TYPE_CHECKING:  # annotations only: nothing more to import at run time
    from aws_lambda_powertools.event_handler.api_gateway import Response
    from aws_lambda_powertools.utilities.typing import LambdaContext

    from loyalty_core.models import Membership
    from loyalty_core.services import history, operations
    from loyalty_core.services.idempotency import Claim
    from loyalty_core.services.operations import Results
else:  # the trail and the atomic operations: imported by their routes' first request
    history, operations = deferred(
        "loyalty_core.services.history", "loyalty_core.services.operations"
    )

app = locomote.make_app()
snapstart.register()  # SnapStart: warm before the snapshot, renew after restore
COLLECTION = "/api/users/<employee_id>/loyalty_memberships"
ITEM = f"{COLLECTION}/<membership_id>"
CHANGES = "/api/users/<employee_id>/loyalty_membership_changes"
OPERATIONS = resources.operations_path()
resolver.allow(app, COLLECTION, ["GET", "POST"])
resolver.allow(app, ITEM, ["GET", "PATCH", "DELETE"])
resolver.allow(app, CHANGES, ["GET"])
resolver.allow(app, OPERATIONS, ["POST"])
# What each route reads from its query string (any other JSON:API parameter: 400).
ANSWER = Parameters(resources.MEMBERSHIPS, include=("loyalty_provider",))
LIST = Parameters(resources.MEMBERSHIPS, collection=True, include=ANSWER.include)
NO_ANSWER = Parameters()
# The trail is filtered by one membership (`history.list_changes`).
CHANGE_LIST = Parameters(resources.CHANGES, collection=True, cursor=True, filters=("membership",))


@app.get(COLLECTION)
def list_memberships(employee_id: str) -> Response[str]:
    repo = get_repository()
    caller = locomote.caller(app, repo)
    view = locomote.view(app, LIST)
    held = memberships.list_memberships(repo, caller, employee_id)
    return locomote.membership_page(app, held, view, employee_id, repo.get_provider)


@app.post(COLLECTION)
def create_membership(employee_id: str) -> Response[Any]:
    repo = get_repository()
    caller = locomote.caller(app, repo)
    view = locomote.view(app, ANSWER)
    draft = locomote.membership_draft(app, employee_id)

    def create(claim: Claim | None) -> Membership:
        created = memberships.create_membership(
            repo, caller, employee_id, draft, origin=locomote.origin(app, caller), claim=claim
        )
        record("MembershipsCreated", membership=created)
        return created

    def answer(created: Membership) -> Response[Any]:
        return locomote.created(app, created, view, repo.get_provider)

    return locomote.replayable(app, repo, caller, create, answer)


@app.get(ITEM)
def get_membership(employee_id: str, membership_id: str) -> Response[str]:
    repo = get_repository()
    caller = locomote.caller(app, repo)
    view = locomote.view(app, ANSWER)
    found = memberships.get_membership(repo, caller, employee_id, membership_id)
    return locomote.membership(app, found, view, repo.get_provider)


@app.patch(ITEM)
def update_membership(employee_id: str, membership_id: str) -> Response[str]:
    repo = get_repository()
    caller = locomote.caller(app, repo)
    view = locomote.view(app, ANSWER)
    changes, provider_id = locomote.membership_changes(app, employee_id, membership_id)
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
    return locomote.membership(app, updated, view, repo.get_provider)


@app.delete(ITEM)
def delete_membership(employee_id: str, membership_id: str) -> Response[str]:
    repo = get_repository()
    caller = locomote.caller(app, repo)
    locomote.view(app, NO_ANSWER)
    memberships.delete_membership(
        repo,
        caller,
        employee_id,
        membership_id,
        locomote.if_match(app),
        origin=locomote.origin(app, caller),
    )
    record("MembershipsDeleted", membership_id=membership_id)
    return locomote.no_content()


@app.post(OPERATIONS)
def apply_operations() -> Response[Any]:
    repo = get_repository()
    caller = locomote.caller(app, repo)
    locomote.view(app, NO_ANSWER)
    request = locomote.operations_request(app)

    def apply(claim: Claim | None) -> Results:
        results = operations.apply_operations(
            repo,
            caller,
            request.employee_id,
            request.operations,
            origin=locomote.origin(app, caller),
            claim=claim,
        )
        record("MembershipOperationsApplied", operations=len(results))
        return results

    def answer(results: Results) -> Response[Any]:
        return locomote.operation_results(app, results)

    return locomote.replayable(app, repo, caller, apply, answer)


@app.get(CHANGES)
def list_changes(employee_id: str) -> Response[str]:
    repo = get_repository()
    caller = locomote.caller(app, repo)
    view = locomote.view(app, CHANGE_LIST)
    found = history.list_changes(
        repo,
        caller,
        employee_id,
        view.page.size,
        number=view.page.number,
        after=view.page.after,
        before=view.page.before,
        membership=view.filters.get("membership"),
    )
    return locomote.changes_page(app, found, view, employee_id)


@instrument("locomote")
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return app.resolve(event, context)
