"""Locomote's answers: resources rendered (with sparse fieldsets and what `include` asks
for), one-resource documents, pages of a collection in the order asked, and their links."""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any
from urllib.parse import urlencode

from loyalty_core import models
from loyalty_core.interfaces.jsonapi import document
from loyalty_core.interfaces.locomote.parameters import CURSOR_PROFILE, ordered
from loyalty_core.interfaces.locomote.resources import (
    CHANGES,
    MEMBERSHIPS,
    PROVIDERS,
    USERS,
    changes_path,
    membership_path,
    provider_path,
)
from loyalty_core.models import Provider, VendorType

if TYPE_CHECKING:  # annotations only: the providers function never imports the history
    from loyalty_core.interfaces.links import PublicUrl
    from loyalty_core.interfaces.locomote.parameters import View
    from loyalty_core.models import (
        AuditRecord,
        Membership,
    )
    from loyalty_core.services.history import Changes

ProviderLookup = Callable[[str], Provider | None]


def membership_url(m: Membership, url: PublicUrl) -> str:
    """Where a membership is read: its `self` link, and a created one's Location."""
    return url.of(membership_path(m.employee_id, m.id))


def membership_resource(m: Membership, url: PublicUrl) -> dict[str, Any]:
    """A membership as a resource object. Its relationships link to what they name
    (`related`); no `self` link, as no relationship endpoint is served."""
    attributes = m.model_dump(mode="json", include=set(models.MEMBERSHIP_ATTRIBUTES))
    return {
        "id": m.id,
        "type": MEMBERSHIPS,
        "attributes": {name: attributes.get(name) for name in models.MEMBERSHIP_ATTRIBUTES},
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
        "links": {"self": membership_url(m, url)},
        "meta": {
            "created_at": m.created_at.isoformat(),
            "updated_at": m.updated_at.isoformat(),
            "version": m.version,
        },
    }


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
        "links": {"self": url.of(provider_path(p.id))},
    }


def change_resource(
    record: AuditRecord, employee_id: str, url: PublicUrl, cursor: str
) -> dict[str, Any]:
    """An audit record as a resource object (no `self` link: it is read in its list), with
    its cursor (the cursor pagination profile's `meta.page.cursor`)."""
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
        "meta": {"page": {"cursor": cursor}},
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


def changes_page(found: Changes, view: View, url: PublicUrl, employee_id: str) -> dict[str, Any]:
    """One page of a user's audit records, newest first, paged by cursor (the JSON:API
    cursor pagination profile): `links.prev` and `links.next` carry the cursors of the
    pages beside it (null at either end), `first` the first page; `meta.page.total` (and
    `meta.total`) how many records are kept, when the page's read knew it."""
    path = changes_path(employee_id)

    def link(query: dict[str, str]) -> str:
        return url.of(path, urlencode(query, safe=","))

    known = {} if found.total is None else {"total": found.total}
    records = zip(found.records, found.cursors, strict=True)
    doc = document(
        data=[_sparse(change_resource(r, employee_id, url, c), view) for r, c in records],
        links={
            "self": link(view.own_query()),
            "first": link(view.cursor_query()),
            "prev": link(view.cursor_query(before=found.previous)) if found.previous else None,
            "next": link(view.cursor_query(after=found.next)) if found.next else None,
        },
        meta={**known, "page": known},
    )
    doc["jsonapi"]["profile"] = [CURSOR_PROFILE]
    return doc


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


def page_links(view: View, url: PublicUrl, path: str, total: int) -> dict[str, str | None]:
    """A collection's links (self, first, last, prev, next), each with the same view."""
    page = view.page
    last = max(1, math.ceil(total / page.size))

    def link(number: int) -> str:
        return url.of(path, urlencode(view.link_query(number), safe=","))

    return {
        "self": link(page.number),
        "first": link(1),
        "last": link(last),
        "prev": link(page.number - 1) if 1 < page.number <= last + 1 else None,
        "next": link(page.number + 1) if page.number < last else None,
    }
