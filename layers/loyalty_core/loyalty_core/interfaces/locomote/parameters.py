"""Locomote's query parameters: paging (the page size limit is here), sorting, inclusion,
sparse fieldsets and filters, read into the view a route's answer shows.

A collection pages by number; the audit trail also by cursor, as the JSON:API cursor
pagination profile (`CURSOR_PROFILE`) has it: `page[after]`, `page[before]`, its errors
(named by their `links.type`) and its `meta.page` members."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from loyalty_core import errors as e
from loyalty_core.interfaces.locomote.resources import CHANGES, MEMBERSHIPS, PROVIDERS

DEFAULT_PAGE_SIZE = 25
MAX_PAGE_SIZE = 100
MAX_PAGE_NUMBER = 999_999_999  # nine digits: a page number never grows with the input

# The fields of each type a client may name in `fields[TYPE]` (attributes, then
# relationships), the relationship paths `include` may name and the type they lead to,
# and what `sort` may name on a collection of each type. A membership's attributes are the
# model's MEMBERSHIP_ATTRIBUTES (tests/unit/test_jsonapi_views.py holds them to it), named
# here so that the query string is read without building the model.
FIELDS: dict[str, tuple[str, ...]] = {
    MEMBERSHIPS: (
        "program",
        "account_number",
        "membership_name",
        "level",
        "expires_on",
        "status_benefits",
        "point_total",
        "segment_total",
        "next_status",
        "points_until_next_status",
        "segments_until_next_status",
        "user",
        "loyalty_provider",
    ),
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
_PAGE_AFTER, _PAGE_BEFORE = "page[after]", "page[before]"
CURSOR_PROFILE = "https://jsonapi.org/profiles/ethanresnick/cursor-pagination"
_MAX_SIZE_EXCEEDED = f"{CURSOR_PROFILE}/max-size-exceeded"
_RANGE_NOT_SUPPORTED = f"{CURSOR_PROFILE}/range-pagination-not-supported"
_UNSUPPORTED_SORT = f"{CURSOR_PROFILE}/unsupported-sort"


@dataclass(frozen=True)
class Parameters:
    """The JSON:API query parameters one route reads; any other of JSON:API's family (a
    name of only a-z letters, or any name with brackets) is refused with 400."""

    primary: str | None = None  # the type of the answer's primary data; None: no answer
    collection: bool = False  # page[number], page[size] and sort
    cursor: bool = False  # a collection paged by cursor too: page[after], page[before]
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
    after: str | None = None  # cursors, as sent (read by the service that gave them)
    before: str | None = None

    @property
    def start(self) -> int:
        """The position (from 0) of the page's first item."""
        return (self.number - 1) * self.size

    def slice(self, items: Sequence[Any]) -> Sequence[Any]:
        return items[self.start : self.start + self.size]


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

    def link_query(self, number: int) -> dict[str, str]:
        """The parameters of a link to page `number`: the same view, another page."""
        query = {f"filter[{name}]": value for name, value in self.filters.items()}
        if self.include:
            query["include"] = ",".join(self.include)
        query.update({f"fields[{kind}]": ",".join(names) for kind, names in self.fields.items()})
        if self.sort:
            query["sort"] = ",".join(map(str, self.sort))
        return query | {_PAGE_NUMBER: str(number), _PAGE_SIZE: str(self.page.size)}

    def cursor_query(self, after: str | None = None, before: str | None = None) -> dict[str, str]:
        """The parameters of a link to the page after or before a cursor (neither: the
        first page): the same view, another page."""
        query = self.link_query(1)
        del query[_PAGE_NUMBER]
        cursors = {_PAGE_AFTER: after, _PAGE_BEFORE: before}
        return query | {name: value for name, value in cursors.items() if value is not None}

    def own_query(self) -> dict[str, str]:
        """The parameters of a link to this very page."""
        if self.page.after is None and self.page.before is None:
            return self.link_query(self.page.number)
        return self.cursor_query(self.page.after, self.page.before)


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
    query: Mapping[str, str],
    name: str,
    default: int,
    upper: int,
    problems: list[e.Problem],
    past_upper: e.Problem | None = None,
) -> int:
    """A page parameter's whole number, from 1 to `upper`; past it, `past_upper` when the
    route names that refusal."""
    raw = query.get(name)
    if raw is None:
        return default
    if raw.isascii() and raw.isdigit() and len(raw) <= 9:
        value = int(raw)
        if 1 <= value <= upper:
            return value
        if value > upper and past_upper is not None:
            problems.append(past_upper)
            return default
    problems.append(e.Problem(f"must be a whole number from 1 to {upper}", (name,), "parameter"))
    return default


def _cursor_page(query: Mapping[str, str], page: Page, problems: list[e.Problem]) -> Page:
    """The cursors a page of the trail is asked by: one of page[after] and page[before]
    (both at once, a range, is not served), never with page[number]."""
    after, before = query.get(_PAGE_AFTER), query.get(_PAGE_BEFORE)
    if after is not None and before is not None:
        detail = f"cannot be sent with {_PAGE_AFTER}: pages are read after or before a cursor"
        problems.append(e.Problem(detail, (_PAGE_BEFORE,), "parameter", _RANGE_NOT_SUPPORTED))
    elif (after is not None or before is not None) and _PAGE_NUMBER in query:
        detail = f"cannot be sent with {_PAGE_AFTER} or {_PAGE_BEFORE}: a page is named one way"
        problems.append(e.Problem(detail, (_PAGE_NUMBER,), "parameter"))
    return Page(page.number, page.size, after, before)


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
        elif name == "sort" and accepts.cursor:
            detail = "is not supported: the trail is read newest first"
            problems.append(e.Problem(detail, (name,), "parameter", _UNSUPPORTED_SORT))
        elif (kind := _member(name, "fields")) and kind in accepts.types:
            fields[kind] = tuple(_listed(name, value, FIELDS[kind], problems))
        elif (wanted := _member(name, "filter")) and wanted in accepts.filters:
            filters[wanted] = value
        elif name in (_PAGE_AFTER, _PAGE_BEFORE) and accepts.cursor:
            continue
        elif name not in (_PAGE_NUMBER, _PAGE_SIZE) or not accepts.collection:
            problems.append(e.Problem("is not supported on this route", (name,), "parameter"))
    page = Page()
    if accepts.collection:
        too_large = None
        if accepts.cursor:  # the profile's own refusal, naming the largest size
            detail = f"must be at most {MAX_PAGE_SIZE}"
            meta = {"page": {"maxSize": MAX_PAGE_SIZE}}
            too_large = e.Problem(detail, (_PAGE_SIZE,), "parameter", _MAX_SIZE_EXCEEDED, meta)
        page = Page(
            number=_page_value(query, _PAGE_NUMBER, 1, MAX_PAGE_NUMBER, problems),
            size=_page_value(
                query, _PAGE_SIZE, DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE, problems, too_large
            ),
        )
    if accepts.cursor:
        page = _cursor_page(query, page, problems)
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
