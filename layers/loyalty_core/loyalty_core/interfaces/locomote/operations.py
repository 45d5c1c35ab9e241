"""Locomote's atomic operations documents (the JSON:API Atomic Operations extension,
https://jsonapi.org/ext/atomic/): a request's `atomic:operations` read into one user's
membership operations, every broken operation reported at once, and the answer's
`atomic:results`.

An operation names its membership by `href` (the collection, for an add; a membership's
URL otherwise), by `ref` (`type` and `id`, or `lid`: the local id an earlier add of the
same request declared), or, for an update, by its data's `id` or `lid`. Every href names
one user, the request's; `ref` and data identify memberships of that user. `meta.version`
on an update or remove is the version it expects (as `If-Match`). Relationship
operations (`ref.relationship`) are not served.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any
from urllib.parse import unquote, urlsplit

from loyalty_core import errors as e
from loyalty_core.interfaces.jsonapi import document
from loyalty_core.interfaces.locomote import documents, views
from loyalty_core.interfaces.locomote.documents import OPERATIONS
from loyalty_core.interfaces.locomote.resources import MEMBERSHIPS
from loyalty_core.models.operation import MAX_OPERATIONS, MembershipOperation, OperationKind

if TYPE_CHECKING:
    from loyalty_core.interfaces.links import PublicUrl
    from loyalty_core.models import Membership

RESULTS = "atomic:results"
MAX_BODY_BYTES = 1024 * 1024
_HREF = re.compile(r"(?:^|/)api/users/([^/]+)/loyalty_memberships(?:/([^/]+))?/?$")
_LID = re.compile(r"[\x21-\x7e]{1,64}")
_MEMBERS = {"op", "ref", "href", "data", "meta"}
_NOT_TOP_LEVEL = ("data", "included", RESULTS)


@dataclass(frozen=True)
class Request:
    """An atomic request as read: whose memberships, and the operations in order."""

    employee_id: str
    operations: tuple[MembershipOperation, ...]


@dataclass
class _Reading:
    """What reading the operations has found: the request's user (and which operation
    named it first), the lids declared so far."""

    employee_id: str | None = None
    named_by: int = 0
    lids: set[str] = field(default_factory=set)

    def user(self, position: int, employee_id: str) -> None:
        if self.employee_id is None:
            self.employee_id, self.named_by = employee_id, position
        elif employee_id != self.employee_id:
            raise e.OperationsNotValid(
                "An atomic request changes one user's memberships",
                [
                    e.Problem(
                        f"names user {e.quote(employee_id)}, but operation {self.named_by} "
                        f"names {e.quote(self.employee_id)}: one user per request",
                        ("href",),
                    )
                ],
            )


def _refuse(detail: str, *where: str | int) -> e.InvalidInput:
    """An operation that breaks the document's shape (what the OpenAPI schema states)."""
    return e.InvalidInput("The operation is not valid", [e.Problem(detail, tuple(where))])


def _unrelated(detail: str, *where: str | int) -> e.OperationsNotValid:
    """An operation whose members, or whose relation to the others, do not hold together
    (a rule the schema states in words)."""
    return e.OperationsNotValid("The operation is not valid", [e.Problem(detail, tuple(where))])


def _href(value: Any, kind: OperationKind) -> tuple[str, str | None]:
    """(employee id, membership id or None) of an operation's href."""
    if not isinstance(value, str):
        raise _refuse("must be a string", "href")
    found = _HREF.search(urlsplit(value).path)
    if found is None:
        raise _refuse(
            "must be /api/users/{employee_id}/loyalty_memberships, or a membership's URL in it",
            "href",
        )
    employee_id, membership_id = unquote(found.group(1)), found.group(2)
    if kind is OperationKind.ADD and membership_id is not None:
        raise _refuse("must be the user's memberships collection for an add", "href")
    if kind is not OperationKind.ADD and membership_id is None:
        raise _refuse(f"must be a membership's URL for {kind.value}", "href")
    return employee_id, unquote(membership_id) if membership_id else None


def _identity(raw: dict[str, Any], where: str, lids: set[str]) -> tuple[str | None, str | None]:
    """(id, lid) that a `ref` or data names: one of them; a lid must be an earlier add's."""
    membership_id, lid = raw.get("id"), raw.get("lid")
    if membership_id is not None and lid is not None:
        raise _unrelated("must carry id or lid, not both", where)
    if membership_id is not None:
        if not isinstance(membership_id, str):
            raise _refuse("must be a string", where, "id")
        return membership_id, None
    if lid is not None:
        if not isinstance(lid, str):
            raise _refuse("must be a string", where, "lid")
        if lid not in lids:
            raise _unrelated(
                f"{e.quote(lid)} is not the lid of an earlier add in this request", where, "lid"
            )
        return None, lid
    return None, None


def _version(meta: Any) -> str | None:
    """`meta.version` as the ETag an If-Match names."""
    if meta is None:
        return None
    if not isinstance(meta, dict):
        raise _refuse("must be an object", "meta")
    version = meta.get("version")
    if version is None:
        return None
    if isinstance(version, bool) or not isinstance(version, int) or version < 1:
        raise _refuse("must be the membership's version, a whole number from 1", "meta", "version")
    return f'"{version}"'


def _target(
    raw: dict[str, Any], kind: OperationKind, reading: _Reading, position: int
) -> tuple[str | None, str | None]:
    """The membership an update or a remove names (id, lid), from href, ref or data."""
    lids = reading.lids
    found: tuple[str | None, str | None] = (None, None)
    if "href" in raw:
        employee_id, membership_id = _href(raw["href"], kind)
        reading.user(position, employee_id)
        found = (membership_id, None)
    elif "ref" in raw:
        ref = raw["ref"]
        if not isinstance(ref, dict):
            raise _refuse("must be an object", "ref")
        if "relationship" in ref:
            raise _refuse("relationship operations are not supported", "ref", "relationship")
        if ref.get("type") != MEMBERSHIPS:
            raise e.Conflict(
                f"ref.type must be {MEMBERSHIPS!r}",
                [e.Problem(f"must be {MEMBERSHIPS}", ("ref", "type"))],
            )
        found = _identity(ref, "ref", lids)
        if found == (None, None):
            raise _unrelated("must carry the membership's id or lid", "ref")
    data = raw.get("data")
    if kind is OperationKind.UPDATE and isinstance(data, dict):
        named = _identity(data, "data", lids)
        if found == (None, None):
            found = named
        elif named != (None, None) and named != found:
            raise e.Conflict(
                "The operation's data names another membership than its target",
                [e.Problem("must name the membership the operation targets", ("data",))],
            )
    if found == (None, None):
        raise _unrelated("must be named by href, ref or (for an update) data's id or lid", "ref")
    return found


def _membership_data(raw: dict[str, Any], creating: bool) -> Any:
    """The operation's data as a membership resource object (its lid set aside)."""
    data = raw.get("data")
    if not isinstance(data, dict):
        raise _refuse("must be a resource object", "data")
    if data.get("type") != MEMBERSHIPS:
        raise e.Conflict(
            f"type must be {MEMBERSHIPS!r}", [e.Problem(f"must be {MEMBERSHIPS}", ("data", "type"))]
        )
    if creating and "id" in data:
        raise e.ClientIdRefused(
            "The server assigns membership ids",
            [e.Problem("must not be sent: the server assigns ids (use lid)", ("data", "id"))],
        )
    fields = {k: v for k, v in data.items() if k not in ("lid", "id")}
    return documents.resource_object(fields, ("data",))


def _operation(raw: Any, position: int, reading: _Reading) -> MembershipOperation:
    if not isinstance(raw, dict):
        raise _refuse("must be an operation object")
    unknown = sorted(set(raw) - _MEMBERS)
    if unknown:
        raise _refuse(f"is not a member of an operation ({', '.join(_MEMBERS)})", unknown[0])
    if "ref" in raw and "href" in raw:
        raise _unrelated("an operation carries ref or href, not both", "ref")
    try:
        kind = OperationKind(str(raw.get("op")))
    except ValueError:
        raise _refuse("must be add, update or remove", "op") from None
    if_match = _version(raw.get("meta"))
    if kind is OperationKind.ADD:
        if "ref" in raw:
            raise _refuse("an add names its collection by href", "ref")
        if "href" in raw:
            reading.user(position, _href(raw["href"], kind)[0])
        resource = _membership_data(raw, creating=True)
        lid = raw["data"].get("lid")
        if lid is not None:
            if not isinstance(lid, str) or not _LID.fullmatch(lid):
                raise _refuse("must be 1-64 printable ASCII characters", "data", "lid")
            if lid in reading.lids:
                raise _unrelated(f"{e.quote(lid)} is declared twice", "data", "lid")
            reading.lids.add(lid)
        if reading.employee_id is None:
            raise _unrelated("must name the user: the collection's href, or data's user", "href")
        changes, provider_id = documents.membership_fields(
            resource, reading.employee_id, creating=True
        )
        draft = documents.draft_of(changes, provider_id)
        return MembershipOperation(
            position, kind, lid=lid, draft=draft, provider_id=draft.provider_id
        )
    membership_id, lid = _target(raw, kind, reading, position)
    if kind is OperationKind.REMOVE:
        if raw.get("data") is not None:
            raise _refuse("a remove carries no data", "data")
        return MembershipOperation(
            position, kind, membership_id=membership_id, lid=lid, if_match=if_match
        )
    resource = _membership_data(raw, creating=False)
    changes, provider_id = documents.membership_fields(
        resource, reading.employee_id or "", creating=False
    )
    return MembershipOperation(
        position,
        kind,
        membership_id=membership_id,
        lid=lid,
        changes=changes,
        provider_id=provider_id,
        if_match=if_match,
    )


def _first_user(sent: list[Any], reading: _Reading) -> None:
    """The request's user: the first that an href names, else an add's data (every other
    operation must name the same)."""
    for position, raw in enumerate(sent):
        href = raw.get("href") if isinstance(raw, dict) else None
        found = _HREF.search(urlsplit(href).path) if isinstance(href, str) else None
        if found is not None:
            reading.user(position, unquote(found.group(1)))
            return
    for position, raw in enumerate(sent):
        data = raw.get("data") if isinstance(raw, dict) and raw.get("op") == "add" else None
        related = data.get("relationships") if isinstance(data, dict) else None
        user = related.get("user") if isinstance(related, dict) else None
        named = user.get("data") if isinstance(user, dict) else None
        if isinstance(named, dict) and isinstance(named.get("id"), str):
            reading.user(position, named["id"])
            return


def read_request(body: bytes) -> Request:
    """An atomic operations request: 400 if it is no such document, 422 (every broken
    operation, each at its pointer) if an operation is not valid, over MAX_OPERATIONS, or
    naming no user or two."""
    raw = documents.read_json(body)
    if not isinstance(raw, dict) or not isinstance(raw.get(OPERATIONS), list):
        raise e.MalformedRequest(
            f"The body is not an atomic operations document: it needs {OPERATIONS}, an array"
        )
    present = [member for member in _NOT_TOP_LEVEL if member in raw]
    if present:
        raise e.MalformedRequest(
            f"An atomic operations document carries no {present[0]}",
            [e.Problem("must not be sent with atomic:operations", (present[0],))],
        )
    sent: list[Any] = raw[OPERATIONS]
    if len(sent) > MAX_OPERATIONS:
        raise e.TooManyOperations(
            f"A request carries at most {MAX_OPERATIONS} operations; this one carries "
            f"{len(sent)}; nothing was written",
            [
                e.Problem(
                    f"holds {len(sent)} operations: at most {MAX_OPERATIONS} per request",
                    (OPERATIONS,),
                )
            ],
        )
    if not sent:
        raise e.InvalidInput(
            "The request carries no operation",
            [e.Problem("must hold at least one operation", (OPERATIONS,))],
        )
    reading = _Reading()
    _first_user(sent, reading)
    operations: list[MembershipOperation] = []
    refused: list[e.Problem] = []
    shape_kept = True  # every refusal so far is of a rule between members, not of shape
    for position, raw_operation in enumerate(sent):
        try:
            operations.append(_operation(raw_operation, position, reading))
        except e.InvalidInput as err:
            shape_kept = shape_kept and isinstance(err, e.OperationsNotValid)
            refused += [
                e.Problem(p.detail, (position, *p.location), p.kind) for p in err.problems
            ] or [e.Problem(err.detail, (position,))]
        except e.DomainError as err:
            if refused:  # report the 422s found so far first
                break
            err.problems = [
                e.Problem(p.detail, (position, *p.location), p.kind) for p in err.problems
            ] or [e.Problem(err.detail, (position,))]
            raise
    if refused:
        refusal = e.OperationsNotValid if shape_kept else e.InvalidInput
        raise refusal("The operations are not valid; nothing was written", refused)
    if reading.employee_id is None:
        raise e.OperationsNotValid(
            "The request names no user",
            [
                e.Problem(
                    "must name the user: one operation's href "
                    "(/api/users/{employee_id}/loyalty_memberships...)",
                    (OPERATIONS,),
                )
            ],
        )
    return Request(reading.employee_id, tuple(operations))


def results_document(results: Sequence[Membership | None], url: PublicUrl) -> dict[str, Any]:
    """`atomic:results`, one per operation in order: the membership an add or an update
    leaves, `{}` for a remove."""
    return document(
        **{
            RESULTS: [
                {} if m is None else {"data": views.membership_resource(m, url)} for m in results
            ]
        }
    )
