"""The Locomote JSON:API codec: documents in, documents out, errors in its format.

Reading and checking request documents, paging (the page size limit is here),
rendering resources, and the one table that maps domain errors to statuses and
Locomote's error codes. The HTTP edge (auth, bodies, responses) is `api.py`.
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode

from pydantic import BaseModel, ConfigDict, ValidationError

from loyalty_core import errors as e
from loyalty_core.interfaces.http import PublicUrl, error_headers, media_type, utf8
from loyalty_core.models import (
    MEMBERSHIP_ATTRIBUTES,
    AuditRecord,
    Membership,
    MembershipChanges,
    MembershipDraft,
    Provider,
    VendorType,
)
from loyalty_core.validators import problems_from

MEDIA_TYPE = "application/vnd.api+json"
# JSON:API allows only ext and profile on its media type; the seed sends plain JSON.
# JSON:API: only `profile` on its media type (no extension is supported: `ext` is 415).
ACCEPTED_BODY_TYPES = {MEDIA_TYPE: {"profile"}, "application/json": {"charset"}}
DEFAULT_PAGE_SIZE = 25
MAX_PAGE_SIZE = 100
MAX_PAGE_NUMBER = 999_999_999  # nine digits: a page number never grows with the input
MEMBERSHIPS = "loyalty_memberships"
PROVIDERS = "loyalty_providers"
CHANGES = "loyalty_membership_changes"
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
    (e.TooManyMemberships, 422, "too_many_memberships"),
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
    """JSON:API 1.1: 406 if every JSON:API media type in Accept carries a parameter other
    than profile, or an `ext` (this server supports no extension)."""
    if not accept:
        return
    offered = [media_type(part) for part in accept.split(",")]
    ours = [params for kind, params in offered if kind == MEDIA_TYPE]
    if ours and all(set(params) - {"profile", "q"} for params in ours):
        raise e.NotAcceptable(
            f"{MEDIA_TYPE} is served with no extension and no media type parameter but profile"
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


# -- query parameters: paging, sorting, inclusion, sparse fieldsets --------------

# The fields of each type a client may name in `fields[TYPE]` (attributes, then
# relationships), the relationship paths `include` may name and the type they lead to,
# and what `sort` may name on a collection of each type.
FIELDS: dict[str, tuple[str, ...]] = {
    MEMBERSHIPS: (*MEMBERSHIP_ATTRIBUTES, "user", "loyalty_provider"),
    PROVIDERS: ("name", "category", "code", "chain_codes"),
    CHANGES: ("occurred_at", "actor", "interface", "request_id", "changes", "user"),
}
INCLUDES: dict[str, str] = {"loyalty_provider": PROVIDERS}
SORTS: dict[str, dict[str, Callable[[Any], Any]]] = {
    MEMBERSHIPS: {
        "created_at": lambda m: m.created_at,
        "expires_on": lambda m: m.expires_on,
        "account_number": lambda m: m.account_number,
    },
    PROVIDERS: {
        "name": lambda p: p.name,
        "category": lambda p: p.category,
        "code": lambda p: p.vendor_code,
    },
}
# Ties under every sort key asked for: memberships by creation then id (their default
# order), providers by name then id (theirs).
_TIES: dict[str, Callable[[Any], Any]] = {
    MEMBERSHIPS: lambda m: (m.created_at, m.id),
    PROVIDERS: lambda p: (p.name, p.id),
}
_PAGE_NUMBER, _PAGE_SIZE = "page[number]", "page[size]"


@dataclass(frozen=True)
class Parameters:
    """The JSON:API query parameters one route reads; any other of JSON:API's family (a
    name of only a-z letters, or any name with brackets) is refused with 400."""

    primary: str | None = None  # the type of the answer's primary data; None: no answer
    collection: bool = False  # page[number], page[size] and sort
    include: tuple[str, ...] = ()  # the relationship paths that may be included
    filters: tuple[str, ...] = ()  # filter[NAME]

    @property
    def types(self) -> tuple[str, ...]:
        """The types whose fieldsets may be named: the primary one and those included."""
        if self.primary is None:
            return ()
        return (self.primary, *(INCLUDES[path] for path in self.include))


@dataclass(frozen=True)
class Page:
    number: int = 1
    size: int = DEFAULT_PAGE_SIZE

    def slice(self, items: Sequence[Any]) -> Sequence[Any]:
        start = (self.number - 1) * self.size
        return items[start : start + self.size]


@dataclass(frozen=True)
class SortKey:
    field: str
    descending: bool = False

    def __str__(self) -> str:
        return f"-{self.field}" if self.descending else self.field


@dataclass(frozen=True)
class View:
    """What a request's query asks of its answer: which page, in which order, with which
    related resources included and which fields of each type (None: all of them)."""

    page: Page = Page()
    sort: tuple[SortKey, ...] = ()
    include: tuple[str, ...] = ()
    fields: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    filters: Mapping[str, str] = field(default_factory=dict)

    def link_query(self) -> dict[str, str]:
        """The parameters a link to another page carries, so it shows the same view."""
        query = {f"filter[{name}]": value for name, value in self.filters.items()}
        if self.include:
            query["include"] = ",".join(self.include)
        query.update({f"fields[{kind}]": ",".join(names) for kind, names in self.fields.items()})
        if self.sort:
            query["sort"] = ",".join(map(str, self.sort))
        return query


def _is_reserved(name: str) -> bool:
    """JSON:API reserves parameter names of only a-z letters (and their bracketed family
    members); implementation-specific names carry another character and are ignored."""
    family = name.partition("[")[0]
    return "[" in name or (family.isascii() and family.isalpha() and family.islower())


def _member(name: str, family: str) -> str | None:
    """X for a parameter named `family[X]`, else None."""
    inside = name.removeprefix(f"{family}[")
    return inside[:-1] if inside != name and inside.endswith("]") else None


def _named(value: str) -> str:
    """A caller's value, quoted in a detail only when short and printable."""
    return repr(value) if len(value) <= 40 and value.isprintable() else "a value"


def _listed(name: str, value: str, known: Sequence[str], problems: list[e.Problem]) -> list[str]:
    """A comma-separated list of known names (empty: none), each once in its first place."""
    names = value.split(",") if value else []
    for item in dict.fromkeys(names):
        if item not in known:
            detail = f"cannot name {_named(item)}: it takes {', '.join(known)}"
            problems.append(e.Problem(detail, (name,), "parameter"))
    return list(dict.fromkeys(n for n in names if n in known))


def _sort_keys(value: str, primary: str, problems: list[e.Problem]) -> tuple[SortKey, ...]:
    """`sort`: known fields, comma-separated, each optionally with - for descending; a field
    named again is ignored (the first key already ordered every value it could)."""
    known = tuple(SORTS[primary])
    keys: dict[str, SortKey] = {}
    for item in value.split(","):
        name = item.removeprefix("-")
        if name not in known:
            detail = f"cannot name {_named(item)}: it takes {', '.join(known)} (- to reverse)"
            problems.append(e.Problem(detail, ("sort",), "parameter"))
        else:
            keys.setdefault(name, SortKey(name, item.startswith("-")))
    return tuple(keys.values())


def _page_value(
    query: Mapping[str, str], name: str, default: int, upper: int, problems: list[e.Problem]
) -> int:
    raw = query.get(name)
    if raw is None:
        return default
    if raw.isascii() and raw.isdigit() and len(raw) <= 9:
        value = int(raw)
        if 1 <= value <= upper:
            return value
    problems.append(e.Problem(f"must be a whole number from 1 to {upper}", (name,), "parameter"))
    return default


def read_query(query: Mapping[str, str] | None, accepts: Parameters) -> View:
    """The view a route's query string asks for; every parameter it cannot honour is
    reported at once (400, `source.parameter`)."""
    query = query or {}
    problems: list[e.Problem] = []
    include: list[str] = []
    sort: tuple[SortKey, ...] = ()
    fields: dict[str, tuple[str, ...]] = {}
    filters: dict[str, str] = {}
    for name, value in query.items():
        if not _is_reserved(name):
            continue
        if name == "include" and accepts.include:
            include = _listed(name, value, accepts.include, problems)
        elif name == "sort" and accepts.collection and accepts.primary in SORTS:
            sort = _sort_keys(value, accepts.primary, problems)
        elif (kind := _member(name, "fields")) and kind in accepts.types:
            fields[kind] = tuple(_listed(name, value, FIELDS[kind], problems))
        elif (wanted := _member(name, "filter")) and wanted in accepts.filters:
            filters[wanted] = value
        elif name not in (_PAGE_NUMBER, _PAGE_SIZE) or not accepts.collection:
            problems.append(e.Problem("is not supported on this route", (name,), "parameter"))
    page = Page()
    if accepts.collection:
        page = Page(
            number=_page_value(query, _PAGE_NUMBER, 1, MAX_PAGE_NUMBER, problems),
            size=_page_value(query, _PAGE_SIZE, DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE, problems),
        )
    if problems:
        raise e.MalformedRequest("The query string asks for what this route cannot do", problems)
    return View(page, sort, tuple(include), fields, filters)


def ordered(items: Sequence[Any], view: View, kind: str) -> Sequence[Any]:
    """`items` in the order `sort` asks for (as they are without one). A null sorts after
    every value, so first when descending; ties keep the type's own order."""
    if not view.sort:
        return items
    result = sorted(items, key=_TIES[kind])
    for key in reversed(view.sort):  # stable sorts, the least significant key first
        value = SORTS[kind][key.field]
        result.sort(key=lambda item: (value(item) is None, value(item)), reverse=key.descending)
    return result


def page_links(view: View, url: PublicUrl, path: str, total: int) -> dict[str, str | None]:
    """A collection's links (self, first, last, prev, next), each with the same view."""
    page = view.page
    last = max(1, math.ceil(total / page.size))

    def link(number: int) -> str:
        query = {**view.link_query(), _PAGE_NUMBER: str(number), _PAGE_SIZE: str(page.size)}
        return url.of(path, urlencode(query, safe=","))

    return {
        "self": link(page.number),
        "first": link(1),
        "last": link(last),
        "prev": link(page.number - 1) if 1 < page.number <= last + 1 else None,
        "next": link(page.number + 1) if page.number < last else None,
    }


def paged(
    items: Sequence[Any],
    view: View,
    url: PublicUrl,
    path: str,
    render: Callable[[Any], dict[str, Any]],
    included: Callable[[Sequence[Any]], dict[str, Any]] = lambda _: {},
) -> dict[str, Any]:
    """A collection document for one page: data (and what it includes), links (self, first,
    last, prev, next: each with the same view), meta.total."""
    shown = view.page.slice(items)
    return document(
        data=[render(item) for item in shown],
        **included(shown),
        links=page_links(view, url, path, len(items)),
        meta={"total": len(items)},
    )


# -- rendering ------------------------------------------------------------------

ProviderLookup = Callable[[str], Provider | None]


def document(**members: Any) -> dict[str, Any]:
    return {"jsonapi": {"version": "1.1"}, **members}


def serialize(doc: dict[str, Any]) -> str:
    """A document as the body of an answer."""
    return json.dumps(doc, separators=(",", ":"))


def membership_path(employee_id: str, membership_id: str | None = None) -> str:
    path = f"/api/users/{employee_id}/{MEMBERSHIPS}"
    return f"{path}/{membership_id}" if membership_id else path


def provider_path(provider_id: str | None = None) -> str:
    path = f"/api/{PROVIDERS}"
    return f"{path}/{provider_id}" if provider_id else path


def membership_resource(m: Membership, url: PublicUrl) -> dict[str, Any]:
    """A membership as a resource object. Its relationships link to what they name
    (`related`); no `self` link, as no relationship endpoint is served."""
    attributes = m.model_dump(mode="json", include=set(MEMBERSHIP_ATTRIBUTES))
    return {
        "id": m.id,
        "type": MEMBERSHIPS,
        "attributes": {name: attributes.get(name) for name in MEMBERSHIP_ATTRIBUTES},
        "relationships": {
            "user": {
                "links": {"related": url.of(membership_path(m.employee_id))},
                "data": {"id": m.employee_id, "type": USERS},
            },
            "loyalty_provider": {
                "links": {"related": url.of(provider_path(m.provider_id))},
                "data": {"id": m.provider_id, "type": PROVIDERS},
            },
        },
        "links": {"self": url.of(membership_path(m.employee_id, m.id))},
        "meta": {
            "created_at": m.created_at.isoformat(),
            "updated_at": m.updated_at.isoformat(),
            "version": m.version,
        },
    }


def _sparse(resource: dict[str, Any], view: View) -> dict[str, Any]:
    """The resource with only the fields `fields[TYPE]` names (all without one): the
    attributes and relationships not named are left out; id, type, links, meta stay."""
    names = view.fields.get(resource["type"])
    if names is None:
        return resource
    sparse: dict[str, Any] = {}
    for member, value in resource.items():
        if member in ("attributes", "relationships"):
            value = {name: v for name, v in value.items() if name in names}
            if not value:
                continue
        sparse[member] = value
    return sparse


def _memberships_including(
    shown: Sequence[Membership], view: View, url: PublicUrl, providers: ProviderLookup
) -> dict[str, Any]:
    """`included` for these memberships: each provider they name once, in the order first
    named (a provider no longer in the catalog has nothing to show)."""
    if "loyalty_provider" not in view.include:
        return {}
    found = (providers(i) for i in dict.fromkeys(m.provider_id for m in shown))
    return {"included": [_sparse(provider_resource(p, url), view) for p in found if p]}


def membership_document(
    m: Membership, view: View, url: PublicUrl, providers: ProviderLookup
) -> dict[str, Any]:
    """One membership, with what `include` asks for."""
    return document(
        data=_sparse(membership_resource(m, url), view),
        **_memberships_including([m], view, url, providers),
    )


def membership_page(
    held: Sequence[Membership],
    view: View,
    url: PublicUrl,
    employee_id: str,
    providers: ProviderLookup,
) -> dict[str, Any]:
    """One page of a user's memberships, in the order asked for, with what `include` asks."""
    return paged(
        ordered(held, view, MEMBERSHIPS),
        view,
        url,
        membership_path(employee_id),
        lambda m: _sparse(membership_resource(m, url), view),
        lambda shown: _memberships_including(shown, view, url, providers),
    )


def provider_document(p: Provider, view: View, url: PublicUrl) -> dict[str, Any]:
    return document(data=_sparse(provider_resource(p, url), view))


def provider_page(found: Sequence[Provider], view: View, url: PublicUrl) -> dict[str, Any]:
    return paged(
        ordered(found, view, PROVIDERS),
        view,
        url,
        provider_path(),
        lambda p: _sparse(provider_resource(p, url), view),
    )


def provider_resource(p: Provider, url: PublicUrl) -> dict[str, Any]:
    """`code` is the primary code (null for a hotel alliance with none of its own);
    `chain_codes` a hotel program's brand family, null for air and car programs."""
    chain_codes = list(p.chain_codes) if p.vendor_type is VendorType.HOTEL else None
    return {
        "id": p.id,
        "type": PROVIDERS,
        "attributes": {
            "name": p.name,
            "category": p.category,
            "code": p.vendor_code,
            "chain_codes": chain_codes,
        },
        "links": {"self": url.of(f"/api/{PROVIDERS}/{p.id}")},
    }


def changes_path(employee_id: str) -> str:
    return f"/api/users/{employee_id}/{CHANGES}"


def change_resource(record: AuditRecord, employee_id: str, url: PublicUrl) -> dict[str, Any]:
    """An audit record as a resource object (no `self` link: it is read in its list)."""
    return {
        "id": record.id,
        "type": CHANGES,
        "attributes": record.as_json(),
        "relationships": {
            "user": {
                "links": {"related": url.of(membership_path(employee_id))},
                "data": {"id": employee_id, "type": USERS},
            }
        },
    }


def changes_page(
    records: Sequence[AuditRecord],
    total: int,
    view: View,
    url: PublicUrl,
    employee_id: str,
    searched: int | None = None,
) -> dict[str, Any]:
    """One page of a user's audit records, newest first, of `total` (the page was read as
    it is: the store pages the trail); `searched` says how many records a filter read."""
    meta: dict[str, Any] = {"total": total}
    if searched is not None:
        meta["searched"] = searched
    return document(
        data=[_sparse(change_resource(r, employee_id, url), view) for r in records],
        links=page_links(view, url, changes_path(employee_id), total),
        meta=meta,
    )
