"""Locomote's request documents: a membership resource read and checked, every broken field
reported at once, and where each domain field lives in the document (for error pointers)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from pydantic import BaseModel, ConfigDict, ValidationError

from loyalty_core import errors as e
from loyalty_core.interfaces import strict_json
from loyalty_core.interfaces.http import utf8
from loyalty_core.interfaces.jsonapi import MEDIA_TYPE, json_pointer
from loyalty_core.interfaces.locomote.resources import MEMBERSHIPS, PROVIDERS, USERS
from loyalty_core.models import MEMBERSHIP_ATTRIBUTES, MembershipChanges, MembershipDraft
from loyalty_core.validators import problems_from

# JSON:API: only `profile` on its media type (no extension is supported: `ext` is 415);
# the seed sends plain JSON.
ACCEPTED_BODY_TYPES = {MEDIA_TYPE: {"profile"}, "application/json": {"charset"}}
# Locomote marks these mandatory: required on create, never cleared by an update.
LOCOMOTE_REQUIRED = ("account_number", "membership_name", "expires_on")

# Where a domain field lives in a membership document.
_PLACES: dict[str, tuple[str, ...]] = {
    "provider_id": ("data", "relationships", "loyalty_provider", "data", "id"),
}
# The member of an atomic operations request that holds its operations.
OPERATIONS = "atomic:operations"


def located(location: Sequence[str | int]) -> tuple[str | int, ...]:
    """Where a problem's location is in a request document: a bare attribute name is in
    the resource's attributes, a domain field where `_PLACES` says; a location that starts
    with a number is in that operation (from 0) of an atomic operations request."""
    if location and isinstance(location[0], int):
        return (OPERATIONS, location[0], *located(location[1:]))
    if len(location) == 1 and isinstance(location[0], str):
        name = location[0]
        if name in _PLACES:
            return _PLACES[name]
        if name in MEMBERSHIP_ATTRIBUTES:
            return ("data", "attributes", name)
    return tuple(location)


def pointer(location: Sequence[str | int]) -> str:
    """A JSON pointer for a problem's location (`located`)."""
    return json_pointer(located(location))


class _Identifier(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)
    type: str
    id: str


class _Relationship(BaseModel):
    model_config = ConfigDict(extra="allow", strict=True)
    data: _Identifier | None


class _Resource(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)
    type: str
    id: str | None = None
    attributes: dict[str, Any] = {}
    relationships: dict[str, _Relationship] = {}
    meta: dict[str, Any] | None = None
    links: dict[str, Any] | None = None


class _Document(BaseModel):
    model_config = ConfigDict(extra="allow", strict=True)
    data: _Resource


def read_resource(body: bytes) -> _Resource:
    """The primary resource of a request document, or 400 with a clear reason."""
    raw = read_json(body)
    try:
        return _Document.model_validate(raw).data
    except ValidationError as err:
        raise e.MalformedRequest(
            "The body is not a JSON:API document with a resource object in data",
            problems_from(err),
        ) from None


def resource_object(raw: Any, where: tuple[str | int, ...]) -> _Resource:
    """A resource object found at `where` in a request document, or 400 naming what is
    wrong with it there."""
    try:
        return _Resource.model_validate(raw)
    except ValidationError as err:
        raise e.MalformedRequest(
            "An operation's data is not a JSON:API resource object", problems_from(err, where)
        ) from None


def read_json(body: bytes) -> Any:
    """A request body as JSON, or 400 with a clear reason: each key once per object (the
    validated value is the one stored), numbers past any field's range kept out of range."""
    text = utf8(body)
    try:
        raw = strict_json.loads(text)
    except strict_json.DuplicateKey as err:
        raise e.MalformedRequest(
            f"The body sends the key {e.quote(err.key)} twice in one object; send it once"
        ) from None
    except ValueError as err:  # json.JSONDecodeError, NaN or Infinity
        raise e.MalformedRequest(f"The body is not valid JSON: {err}") from None
    except RecursionError:
        raise e.MalformedRequest("The body is nested too deeply") from None
    return raw


def check_resource(resource: _Resource, path_id: str | None, kind: str = MEMBERSHIPS) -> None:
    """A request's resource is of `kind` (409), carries no id when it is new (403: the server
    assigns ids), and, on a URL naming one (`path_id`), carries that one (400, 409)."""
    if resource.type != kind:
        raise e.Conflict(f"type must be {kind!r}", [e.Problem("must be " + kind, ("data", "type"))])
    if path_id is None and resource.id is not None:
        raise e.ClientIdRefused(
            "The server assigns ids",
            [e.Problem("must not be sent: the server assigns ids", ("data", "id"))],
        )
    if path_id is not None and resource.id is None:
        raise e.MalformedRequest(
            "An update must carry the resource's id",
            [e.Problem("is required on an update", ("data", "id"))],
        )
    if path_id is not None and resource.id != path_id:
        raise e.Conflict(
            "The body's id does not match the URL",
            [e.Problem(f"must equal the id in the URL, {e.quote(path_id)}", ("data", "id"))],
        )


def _check_user(resource: _Resource, employee_id: str) -> None:
    user = resource.relationships.get("user")
    if user is None or user.data is None:
        return
    where = ("data", "relationships", "user", "data")
    if user.data.type != USERS:
        raise e.Conflict("Wrong user type", [e.Problem(f"must be {USERS}", (*where, "type"))])
    if user.data.id != employee_id:
        raise e.Conflict(
            "The membership's user does not match the URL",
            [e.Problem(f"must equal the user in the URL, {e.quote(employee_id)}", (*where, "id"))],
        )


def _provider_id(resource: _Resource, required: bool, problems: list[e.Problem]) -> str | None:
    where = ("data", "relationships", "loyalty_provider")
    for name in resource.relationships:
        if name not in ("user", "loyalty_provider"):
            problems.append(
                e.Problem(
                    "is not a relationship of loyalty_memberships", ("data", "relationships", name)
                )
            )
    provider = resource.relationships.get("loyalty_provider")
    if provider is None and not required:
        return None
    if provider is None or provider.data is None:
        detail = "is required" if provider is None else "must name a provider, not null"
        problems.append(e.Problem(detail, (*where, "data")))
        return None
    if provider.data.type != PROVIDERS:
        problems.append(e.Problem(f"must be {PROVIDERS}", (*where, "data", "type")))
    return provider.data.id


def _attributes(
    resource: _Resource, required: bool, problems: list[e.Problem]
) -> MembershipChanges:
    attributes = resource.attributes
    for name in LOCOMOTE_REQUIRED:
        missing = name not in attributes if required else False
        if missing or (name in attributes and attributes[name] is None):
            problems.append(
                e.Problem(
                    "is required" if missing else "must not be null", ("data", "attributes", name)
                )
            )
    try:
        return MembershipChanges.model_validate(attributes)
    except ValidationError as err:
        problems.extend(problems_from(err, ("data", "attributes")))
        return MembershipChanges()


def membership_changes(
    resource: _Resource, employee_id: str, membership_id: str | None
) -> tuple[MembershipChanges, str | None]:
    """A POST's document (`membership_id` None) or a PATCH's: the attributes sent and the
    provider named. A POST must carry Locomote's mandatory fields and a provider. Every
    broken field is reported at once (422)."""
    check_resource(resource, membership_id)
    return membership_fields(resource, employee_id, creating=membership_id is None)


def membership_fields(
    resource: _Resource, employee_id: str, creating: bool
) -> tuple[MembershipChanges, str | None]:
    """A membership resource's fields, whoever names the resource (a URL, or an atomic
    operation): the attributes sent and the provider named; a new membership must carry
    Locomote's mandatory fields and a provider. Every broken field is reported at once
    (422)."""
    _check_user(resource, employee_id)
    problems: list[e.Problem] = []
    provider_id = _provider_id(resource, creating, problems)
    changes = _attributes(resource, creating, problems)
    if problems:
        raise e.InvalidInput("The membership is not valid", _unique(problems))
    return changes, provider_id


def membership_draft(resource: _Resource, employee_id: str) -> MembershipDraft:
    """A POST's document as a new membership's draft."""
    return draft_of(*membership_changes(resource, employee_id, None))


def draft_of(changes: MembershipChanges, provider_id: str | None) -> MembershipDraft:
    """A new membership's fields (checked by `membership_fields`) as its draft."""
    return MembershipDraft.model_validate(
        {**changes.model_dump(exclude_unset=True), "provider_id": provider_id}
    )


def _unique(problems: list[e.Problem]) -> list[e.Problem]:
    seen: dict[tuple[str | int, ...], e.Problem] = {}
    for problem in problems:
        seen.setdefault(problem.location, problem)
    return list(seen.values())
