"""A user's audit trail as the interfaces read it: newest first, a page at a time, with
exactly the reach of their memberships (`access.py`).

A page is named by a cursor: the position of a record in the trail (its revision: the
number of the write that left it), written as base64url with the trail it belongs to
(the user and the membership filter), so that it is read, never trusted: a cursor that is
not one this trail gave is refused (400), and a cursor names a place in the trail of the
user the path names, never another's. Every page costs one read of at most its size + 1
items at any depth; pages by number reach only the first NUMBERED_PAGES.
"""

from __future__ import annotations

import base64
import hashlib
import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Protocol

from loyalty_core.access import require_reach, user_not_found
from loyalty_core.errors import MalformedRequest, Problem
from loyalty_core.validators import is_record_id

if TYPE_CHECKING:
    from loyalty_core.models import AuditRecord, Principal
    from loyalty_core.repository import Repository, TrailPage

NUMBERED_PAGES = 10  # page[number] reaches these; the links page by cursor
AFTER, BEFORE, NUMBER = "page[after]", "page[before]", "page[number]"

_VERSION = 1
_TAG = 8  # bytes of the trail's digest a cursor carries
_LAST_REVISION = 10**12 - 2  # the most a cursor may name (the keys count down from 10^12)
_CURSOR = re.compile(r"[A-Za-z0-9_-]{20}")  # 15 bytes: version, revision (6), tag (8)


@dataclass(frozen=True)
class Trail:
    """Whose trail, under which filter: what a cursor belongs to."""

    company: str
    employee_id: str
    membership: str | None = None

    def _tag(self, position: bytes) -> bytes:
        """A digest of the trail and the position: a cursor altered, made up or taken from
        another trail (another user's, another filter's) does not carry its own."""
        named = "\0".join((self.company, self.employee_id, self.membership or "", ""))
        return hashlib.blake2b(named.encode() + position, digest_size=_TAG).digest()

    def cursor(self, revision: int) -> str:
        """The cursor of the place just after (older) or before (newer) `revision`."""
        position = bytes([_VERSION]) + revision.to_bytes(6, "big")
        return base64.urlsafe_b64encode(position + self._tag(position)).decode("ascii")

    def position(self, cursor: str, parameter: str) -> int:
        """The revision a cursor of this trail names; 400 for any other string."""
        if _CURSOR.fullmatch(cursor):
            raw = base64.urlsafe_b64decode(cursor)  # 20 of these characters: 15 bytes
            position, tag = raw[:7], raw[7:]
            revision = int.from_bytes(position[1:], "big")
            mine = position[0] == _VERSION and tag == self._tag(position)
            if mine and revision <= _LAST_REVISION:
                return revision
        detail = (
            "must be a cursor from this trail's own links (links.next, links.prev or a "
            "record's meta.page.cursor), with the same filter"
        )
        raise MalformedRequest(
            f"{parameter} is not a cursor of this trail",
            [Problem(detail, (parameter,), "parameter")],
        )


@dataclass(frozen=True)
class Changes:
    """One page of a user's audit records (newest first) with each one's cursor; the
    cursors of the pages before (newer) and after (older) it, None where there is none;
    and how many records are kept in all, when the read knew it (None: it did not)."""

    records: tuple[AuditRecord, ...]
    cursors: tuple[str, ...]
    total: int | None
    previous: str | None
    next: str | None


def list_changes(
    repo: Repository,
    principal: Principal,
    employee_id: str,
    size: int,
    *,
    number: int = 1,
    after: str | None = None,
    before: str | None = None,
    membership: str | None = None,
    now: datetime | None = None,
) -> Changes:
    """The page of the user's trail (or of its records touching `membership`) that the
    cursors or the page number name. 404 outside the caller's reach or for no such user;
    400 for a membership that is not an id, a cursor that is not this trail's, or a page
    number past NUMBERED_PAGES. A deleted membership's records stay readable."""
    require_reach(principal, employee_id)
    problems = []
    if membership is not None and not is_record_id(membership):
        problems.append(Problem("must be a membership id", ("filter[membership]",), "parameter"))
    if number > NUMBERED_PAGES:
        detail = (
            f"reaches the first {NUMBERED_PAGES} pages only: further pages are read by "
            f"cursor ({AFTER}, {BEFORE}), as the links give them"
        )
        problems.append(Problem(detail, (NUMBER,), "parameter"))
    if problems:
        raise MalformedRequest("The query string asks for what this trail cannot do", problems)
    trail = Trail(principal.company, employee_id, membership)
    found = repo.get_trail(
        principal.company,
        employee_id,
        now or datetime.now(UTC),
        size,
        after=None if after is None else trail.position(after, AFTER),
        before=None if before is None else trail.position(before, BEFORE),
        skip=(number - 1) * size,
        membership=membership,
    )
    if found is None:
        raise user_not_found(employee_id)
    return _changes(trail, found)


def _changes(trail: Trail, page: TrailPage) -> Changes:
    """A page with its cursors: a page that shows records links from its first and last;
    an empty one from the place it falls (its edge)."""
    first = page.records[0].revision if page.records else page.edge
    last = page.records[-1].revision if page.records else page.edge
    return Changes(
        records=tuple(r.record for r in page.records),
        cursors=tuple(trail.cursor(r.revision) for r in page.records),
        total=page.total,
        previous=trail.cursor(first) if page.newer else None,
        next=trail.cursor(last) if page.older else None,
    )


# -- the trail index of records written before it (admin tooling) ---------------------------


class TrailIndexStore(Protocol):
    def index_trail(self, company: str, employee_id: str) -> int:
        """Write the index entries the user's records lack; how many it wrote."""
        ...


@dataclass(frozen=True)
class Backfill:
    users: int
    entries: int


def backfill_index(store: TrailIndexStore, users: Iterable[tuple[str, str]]) -> Backfill:
    """Index the kept audit records of these users (company, employee id) by the
    memberships they touch: `filter[membership]` reads only the index, and records written
    before it have none. Idempotent: a second run writes none."""
    done = [store.index_trail(company, employee_id) for company, employee_id in users]
    return Backfill(len(done), sum(done))
