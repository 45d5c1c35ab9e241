"""Section 2b of `make bench`: what a page of the audit trail reads, by depth. A user whose
trail holds 100, then 1,500 records (a traveller toggling a membership's level, one
write each, through the same unit of work as the API); the pages of 10 at depths 1, 10
and the last, followed by their `links.next` as a client pages, plain and under
`filter[membership]`: DynamoDB items read and requests for each page, against the
embedded DynamoDB. Flat: a page costs the same at any depth."""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import parse_qs, urlsplit

from bench.calls import add_traveller, call
from local.events import load_event

SIZES = (100, 1_500)
PAGE = 10
DEPTHS = (1, 10)  # and the last


def _grow(employee_id: str, records: int) -> str:
    """A new user of acme whose trail holds `records` records: their creation, a
    membership's (both through their own writes), then that membership's level toggled,
    each record with its index entry and counted on the profile, as the unit of work's
    commits leave them, written in batches (the bench's moto copies its tables for every
    transaction: 1,500 of them would take minutes). Returns the membership's id."""
    from local.demo import demo_origin
    from loyalty_core.models import (
        AuditRecord,
        Change,
        MembershipChanges,
        MembershipDraft,
        apply_changes,
        new_membership,
    )
    from loyalty_core.models.audit import membership_entry
    from loyalty_core.repository import items as i
    from loyalty_core.repository import keys as k
    from loyalty_core.repository.codec import values
    from loyalty_core.repository.retention import expiring_with, purge_at
    from loyalty_core.services.writes import write
    from loyalty_core.settings import get_repository

    repo = get_repository()
    client, table, days = repo.client, repo.table, repo.audit_retention_days
    add_traveller(client, table, employee_id, "Bench Traveller")
    draft = MembershipDraft(
        provider_id="9c5b90ff-2cce-11e8-87f9-0662bed6e7db",
        account_number="TOGGLE1",
        membership_name="Bench Traveller",
        expires_on="2031-01-01",
    )
    held = new_membership(draft, "acme", employee_id)
    write(repo, "acme", employee_id, lambda _: (Change(put=(held,)), None), demo_origin())
    snapshot = repo.get_user_memberships("acme", employee_id)
    assert snapshot is not None
    expiring, items = dict(snapshot.audit_expiring), []
    before = held
    for revision in range(snapshot.revision + 1, records + 1):
        after = apply_changes(before, MembershipChanges(level=f"L{revision % 2}"))
        audit = AuditRecord.of(demo_origin(), [membership_entry(before, after)])
        items.append(i.change_item(audit, "acme", employee_id, revision, days))
        purge = purge_at(audit.occurred_at, days)
        items += i.trail_items(audit, "acme", employee_id, revision, purge)
        expiring = expiring_with(expiring, audit, days)
        before = after
    for start in range(0, len(items), 25):
        batch = [{"PutRequest": {"Item": item}} for item in items[start : start + 25]]
        client.batch_write_item(RequestItems={table: batch})
    client.update_item(
        TableName=table,
        Key=k.profile_key("acme", employee_id),
        UpdateExpression="SET revision = :revision, audit_expiring = :expiring",
        ExpressionAttributeValues=values({":revision": records, ":expiring": expiring}),
    )
    return held.id


def _page(employee_id: str, query: dict[str, str]) -> dict[str, Any]:
    event = load_event("list_membership_changes", path_parameters={"employee_id": employee_id})
    event["path"] = f"/api/users/{employee_id}/loyalty_membership_changes"
    event["queryStringParameters"] = query
    event["multiValueQueryStringParameters"] = {k: [v] for k, v in query.items()}
    answer = call(event)
    assert answer["statusCode"] == 200, answer["body"]
    page: dict[str, Any] = json.loads(answer["body"])
    return page


def trail_pages(client: Any) -> list[tuple[str, int, str, int, list[str]]]:
    """(trail, records, depth, items read, requests) of each page measured."""
    read: list[int] = []
    requests: list[str] = []

    def count(parsed: dict[str, Any], model: Any, **_: Any) -> None:
        if model.name in ("Query", "BatchGetItem"):
            found = parsed.get("Items") or [
                item for items in parsed.get("Responses", {}).values() for item in items
            ]
            read.append(len(found))
            requests.append(model.name)

    client.meta.events.register("after-call.dynamodb", count)
    rows = []
    try:
        for size in SIZES:
            employee_id = f"bench_trail_{size}"
            membership = _grow(employee_id, size)
            for name, filters in (("trail", {}), ("filter", {"filter[membership]": membership})):
                query: dict[str, str] | None = {"page[size]": str(PAGE), **filters}
                depth = 0
                while query is not None:
                    depth += 1
                    read.clear()
                    requests.clear()
                    page = _page(employee_id, query)
                    link = page["links"]["next"]
                    last = link is None
                    if depth in DEPTHS or last:
                        label = f"{depth}{' (last)' if last else ''}"
                        rows.append((name, size, label, sum(read), list(requests)))
                    if not last:
                        query = {k: v[0] for k, v in parse_qs(urlsplit(link).query).items()}
                    else:
                        query = None
    finally:
        client.meta.events.unregister("after-call.dynamodb", count)
    return rows


def print_trail_pages(client: Any) -> None:
    print(f"\n2b. Audit trail pages of {PAGE}, followed by links.next (embedded DynamoDB)")
    print("   trail     records  page        items read  requests (after auth)")
    for name, size, depth, items, requests in trail_pages(client):
        print(f"   {name:8} {size:>8}  {depth:<10}  {items:>10}  {' + '.join(requests)}")
    print(f"   budget: one Query of at most page size + 1 ({PAGE + 1}) items at any depth;")
    print("   under filter[membership], that Query on the trail index + 1 BatchGetItem of its")
    print("   records (up to page size + page size items)")
