"""The Locomote JSON:API codec: documents in, documents out, errors in its format.

Reading and checking request documents, paging (the page size limit is here),
rendering resources, and the one table that maps domain errors to statuses and
Locomote's error codes. The HTTP edge (auth, bodies, responses) is `api.py`.
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

from pydantic import BaseModel, ConfigDict, ValidationError

from loyalty_core import errors as e
from loyalty_core.interfaces.http import PublicUrl, error_headers, media_type, utf8
from loyalty_core.models import (
    MEMBERSHIP_ATTRIBUTES,
    Membership,
    MembershipChanges,
    MembershipDraft,
    Provider,
)
from loyalty_core.validators import problems_from

MEDIA_TYPE = "application/vnd.api+json"
# JSON:API allows only ext and profile on its media type; the seed sends plain JSON.
ACCEPTED_BODY_TYPES = {MEDIA_TYPE: {"ext", "profile"}, "application/json": {"charset"}}
DEFAULT_PAGE_SIZE = 25
MAX_PAGE_SIZE = 100
MEMBERSHIPS = "loyalty_memberships"
PROVIDERS = "loyalty_providers"
USERS = "users"
# Locomote marks these mandatory: required on create, never cleared by an update.
LOCOMOTE_REQUIRED = ("account_number", "membership_name", "expires_on")

# One place maps domain errors to HTTP: (status, Locomote-style code).
_STATUS: list[tuple[type[e.DomainError], int, str]] = [
    (e.MalformedRequest, 400, "bad_request"),
    (e.Unauthenticated, 401, "authentication_failed"),
    (e.AccessDenied, 403, "access_denied"),
    (e.ClientIdRefused, 403, "client_id_not_supported"),
    (e.NotFound, 404, "record_not_found"),
    (e.MethodNotAllowed, 405, "method_not_allowed"),
    (e.Duplicate, 409, "duplicate_record"),
    (e.ConcurrentChange, 409, "concurrent_modification"),
    (e.Conflict, 409, "conflict"),
    (e.NotAcceptable, 406, "not_acceptable"),
    (e.PreconditionFailed, 412, "precondition_failed"),
    (e.PayloadTooLarge, 413, "payload_too_large"),
    (e.UnsupportedMediaType, 415, "unsupported_media_type"),
    (e.InvalidInput, 422, "validation_failed"),
    (e.StorageUnavailable, 503, "service_unavailable"),
]


def status_of(error: e.DomainError) -> tuple[int, str]:
    for cls, status, code in _STATUS:
        if isinstance(error, cls):
            return status, code
    return 400, "bad_request"


# -- errors ---------------------------------------------------------------------

# Where a domain field lives in a membership document.
_POINTERS = {
    "provider_id": "/data/relationships/loyalty_provider/data/id",
}


def pointer(location: Sequence[str | int]) -> str:
    """A JSON pointer for a problem's location; bare attribute names live in attributes."""
    if len(location) == 1 and isinstance(location[0], str):
        name = location[0]
        if name in _POINTERS:
            return _POINTERS[name]
        if name in MEMBERSHIP_ATTRIBUTES:
            return f"/data/attributes/{name}"
    return "/" + "/".join(str(part).replace("~", "~0").replace("/", "~1") for part in location)


def error_document(error: e.DomainError) -> tuple[int, dict[str, Any], dict[str, str]]:
    """(status, body, headers) for a domain error: one JSON:API error per problem (at most
    20, then one that says how many more), the whole within the answers' bounds."""
    status, code = status_of(error)
    base = {"status": str(status), "code": code, "title": error.title}

    def render(detail: str, problems: Sequence[e.Problem], more: int) -> dict[str, Any]:
        items: list[dict[str, Any]] = []
        for problem in problems:
            item: dict[str, Any] = {**base, "detail": problem.detail}
            if problem.kind == "parameter":
                item["source"] = {"parameter": str(problem.location[0])}
            elif problem.location:
                item["source"] = {"pointer": pointer(problem.location)}
            if problem.location and problem.detail[:1].islower():  # a predicate: its subject
                item["detail"] = f"{problem.location[-1]} {problem.detail}"
            items.append(item)
        if more:
            items.append({**base, "detail": e.more(more)})
        if not items:
            items.append({**base, "detail": detail})
        return document(errors=items)

    body = e.fit(error, render, lambda doc: len(serialize(doc).encode("utf-8")))
    return status, body, error_headers(error)


# -- request documents ----------------------------------------------------------


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


def check_accept(accept: str | None) -> None:
    """JSON:API 1.1: 406 if every JSON:API media type in Accept carries other parameters
    than ext and profile."""
    if not accept:
        return
    offered = [media_type(part) for part in accept.split(",")]
    ours = [params for kind, params in offered if kind == MEDIA_TYPE]
    if ours and all(set(params) - {"ext", "profile", "q"} for params in ours):
        raise e.NotAcceptable(
            f"{MEDIA_TYPE} is served with no media type parameters but ext and profile"
        )


class _DuplicateKey(ValueError):
    pass


def _object(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    """A JSON object whose keys are each sent once: the value validated is the one stored."""
    found: dict[str, Any] = {}
    for key, value in pairs:
        if key in found:
            raise _DuplicateKey(key)
        found[key] = value
    return found


def _integer(digits: str) -> int | float:
    """A JSON integer; one too long for any field (past 2^64) is read as infinity, which no
    numeric field accepts (422, never Python's own limit of 4300 digits)."""
    if len(digits.lstrip("-")) > 20:
        return float("-inf") if digits.startswith("-") else float("inf")
    return int(digits)


def _constant(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")


def read_resource(body: bytes) -> _Resource:
    """The primary resource of a request document, or 400 with a clear reason."""
    text = utf8(body)
    try:
        raw = json.loads(
            text, object_pairs_hook=_object, parse_int=_integer, parse_constant=_constant
        )
    except _DuplicateKey as err:
        raise e.MalformedRequest(
            f"The body sends the key {e.quote(err.args[0])} twice in one object; send it once"
        ) from None
    except ValueError as err:  # json.JSONDecodeError, NaN or Infinity
        raise e.MalformedRequest(f"The body is not valid JSON: {err}") from None
    except RecursionError:
        raise e.MalformedRequest("The body is nested too deeply") from None
    try:
        return _Document.model_validate(raw).data
    except ValidationError as err:
        raise e.MalformedRequest(
            "The body is not a JSON:API document with a resource object in data",
            problems_from(err),
        ) from None


def _check_resource(resource: _Resource, path_id: str | None) -> None:
    if resource.type != MEMBERSHIPS:
        raise e.Conflict(
            f"type must be {MEMBERSHIPS!r}", [e.Problem("must be " + MEMBERSHIPS, ("data", "type"))]
        )
    if path_id is None and resource.id is not None:
        raise e.ClientIdRefused(
            "The server assigns membership ids",
            [e.Problem("must not be sent: the server assigns ids", ("data", "id"))],
        )
    if path_id is not None and resource.id is None:
        raise e.MalformedRequest(
            "An update must carry the membership's id",
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
    creating = membership_id is None
    _check_resource(resource, membership_id)
    _check_user(resource, employee_id)
    problems: list[e.Problem] = []
    provider_id = _provider_id(resource, creating, problems)
    changes = _attributes(resource, creating, problems)
    if problems:
        raise e.InvalidInput("The membership is not valid", _unique(problems))
    return changes, provider_id


def membership_draft(resource: _Resource, employee_id: str) -> MembershipDraft:
    """A POST's document as a new membership's draft."""
    changes, provider_id = membership_changes(resource, employee_id, None)
    return MembershipDraft.model_validate(
        {**changes.model_dump(exclude_unset=True), "provider_id": provider_id}
    )


def _unique(problems: list[e.Problem]) -> list[e.Problem]:
    seen: dict[tuple[str | int, ...], e.Problem] = {}
    for problem in problems:
        seen.setdefault(problem.location, problem)
    return list(seen.values())


# -- paging ---------------------------------------------------------------------


@dataclass(frozen=True)
class Page:
    number: int = 1
    size: int = DEFAULT_PAGE_SIZE

    def slice(self, items: Sequence[Any]) -> Sequence[Any]:
        start = (self.number - 1) * self.size
        return items[start : start + self.size]


def _page_value(query: Mapping[str, str], name: str, default: int, upper: int | None) -> int:
    raw = query.get(name)
    if raw is None:
        return default
    limit = f" and at most {upper}" if upper else ""
    problem = e.Problem(f"must be a whole number from 1{limit}", (name,), kind="parameter")
    if not raw.isascii() or not raw.isdigit() or len(raw) > 9:
        raise e.MalformedRequest(f"{name} must be a whole number", [problem])
    value = int(raw)
    if value < 1 or (upper is not None and value > upper):
        raise e.MalformedRequest(f"{name} is out of range", [problem])
    return value


def read_page(query: Mapping[str, str] | None, filters: Sequence[str] = ()) -> Page:
    """`page[number]` and `page[size]`; any other JSON:API family member is refused (400)."""
    query = query or {}
    known = {"page[number]", "page[size]", *(f"filter[{f}]" for f in filters)}
    for name in query:
        reserved = "[" in name or name in ("sort", "include") or name.startswith("fields")
        if reserved and name not in known:
            raise e.MalformedRequest(
                f"Query parameter {e.quote(name)} is not supported here",
                [e.Problem("is not supported on this route", (name,), kind="parameter")],
            )
    return Page(
        number=_page_value(query, "page[number]", 1, None),
        size=_page_value(query, "page[size]", DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE),
    )


def paged(
    items: Sequence[Any],
    page: Page,
    url: PublicUrl,
    path: str,
    render: Callable[[Any], dict[str, Any]],
    extra_query: Mapping[str, str] | None = None,
) -> dict[str, Any]:
    """A collection document for one page: data, links (self/first/last/prev/next), meta.total."""
    last = max(1, math.ceil(len(items) / page.size))

    def link(number: int) -> str:
        query = {**(extra_query or {}), "page[number]": str(number), "page[size]": str(page.size)}
        return url.of(path, urlencode(query))

    links: dict[str, str | None] = {
        "self": link(page.number),
        "first": link(1),
        "last": link(last),
        "prev": link(page.number - 1) if 1 < page.number <= last + 1 else None,
        "next": link(page.number + 1) if page.number < last else None,
    }
    return document(
        data=[render(item) for item in page.slice(items)],
        links=links,
        meta={"total": len(items)},
    )


# -- rendering ------------------------------------------------------------------


def document(**members: Any) -> dict[str, Any]:
    return {"jsonapi": {"version": "1.1"}, **members}


def serialize(doc: dict[str, Any]) -> str:
    """A document as the body of an answer."""
    return json.dumps(doc, separators=(",", ":"))


def membership_path(employee_id: str, membership_id: str | None = None) -> str:
    path = f"/api/users/{employee_id}/{MEMBERSHIPS}"
    return f"{path}/{membership_id}" if membership_id else path


def membership_resource(m: Membership, url: PublicUrl) -> dict[str, Any]:
    attributes = m.model_dump(mode="json", include=set(MEMBERSHIP_ATTRIBUTES))
    return {
        "id": m.id,
        "type": MEMBERSHIPS,
        "attributes": {name: attributes.get(name) for name in MEMBERSHIP_ATTRIBUTES},
        "relationships": {
            "user": {"data": {"id": m.employee_id, "type": USERS}},
            "loyalty_provider": {"data": {"id": m.provider_id, "type": PROVIDERS}},
        },
        "links": {"self": url.of(membership_path(m.employee_id, m.id))},
        "meta": {
            "created_at": m.created_at.isoformat(),
            "updated_at": m.updated_at.isoformat(),
            "version": m.version,
        },
    }


def provider_resource(p: Provider, url: PublicUrl) -> dict[str, Any]:
    return {
        "id": p.id,
        "type": PROVIDERS,
        "attributes": {"name": p.name, "category": p.category, "code": p.vendor_code},
        "links": {"self": url.of(f"/api/{PROVIDERS}/{p.id}")},
    }
