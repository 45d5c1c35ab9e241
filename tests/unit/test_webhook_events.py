"""The events (SPEC 13): CloudEvents 1.0 built from the audit trail, full or thin, the
subscription's filter, and the 64 KB bound proved on the largest event there can be."""

from __future__ import annotations

import json
from datetime import date
from typing import Any

from cloudevents.http import from_json

from loyalty_core.interfaces.links import PublicUrl
from loyalty_core.interfaces.locomote.views import membership_resource
from loyalty_core.models import (
    AccessToken,
    Application,
    ApplicationKind,
    AuditRecord,
    Company,
    Interface,
    Membership,
    MembershipChanges,
    MembershipDraft,
    Origin,
    Principal,
    ProgramUpdate,
    Role,
    User,
)
from loyalty_core.models.webhooks import PayloadKind, SubscriptionSettings
from loyalty_core.repository.codec import serialize
from loyalty_core.services import loyalty_updates
from loyalty_core.services import memberships as svc
from loyalty_core.services.webhooks import events, fanout, subscriptions
from loyalty_core.validators import MAX_SAFE_INTEGER
from tests.webhook_fakes import World, world

HILTON = "9c5b90ff-2cce-11e8-87f9-0662bed6e7db"
QANTAS = "9c5b9246-2cce-11e8-87f9-0662bed6e7db"
ORIGIN = Origin("user:acme_admin", Interface.LOCOMOTE, "req-1")
ADMIN = Principal(company="acme", employee_id="acme_admin", role=Role.ADMIN)


def subscribe(w: World, company: str = "acme", **settings: Any) -> Any:
    values = {"url": "https://hooks.example.com/in", "events": ["loyalty_memberships.changed"]}
    made = subscriptions.create(
        w.webhooks, company, SubscriptionSettings.model_validate({**values, **settings}), ORIGIN
    )
    return made.subscription


def queued_events(w: World) -> list[dict[str, Any]]:
    w.fan_out()
    return [json.loads(d.body or "") for d in w.queue.sent]


def create(w: World, employee: str = "098765", provider: str = HILTON, **fields: Any) -> Membership:
    values = {
        "provider_id": provider,
        "account_number": "H66590214",
        "membership_name": "John Smith",
        "expires_on": "2031-01-01",
        **fields,
    }
    draft = MembershipDraft.model_validate(values)
    return svc.create_membership(w.repo, ADMIN, employee, draft, origin=ORIGIN)


def test_a_change_is_a_cloudevent_with_the_records_id_and_the_users_sequence() -> None:
    w = world()
    subscribe(w)
    made = create(w)
    svc.update_membership(
        w.repo, ADMIN, "098765", made.id, MembershipChanges(level="Gold"), origin=ORIGIN
    )
    first, second = queued_events(w)
    (_, audit_one, _), (_, audit_two, _) = w.repo.audits[("acme", "098765")]
    parsed = from_json(json.dumps(second))  # the CloudEvents SDK reads it
    assert parsed["specversion"] == "1.0" and parsed["id"] == audit_two.id
    assert second["source"] == "/companies/acme" and second["subject"] == "users/098765"
    assert second["type"] == "loyalty_memberships.changed"
    assert second["time"] == audit_two.occurred_at.isoformat()
    assert (first["sequence"], second["sequence"]) == ("000000000001", "000000000002")
    assert first["id"] == audit_one.id
    data = second["data"]
    assert (data["actor"], data["interface"], data["request_id"]) == (
        "user:acme_admin",
        "locomote",
        "req-1",
    )
    (change,) = data["changes"]
    assert change["membership_id"] == made.id and change["action"] == "update"
    assert change["version"] == 2 and change["changed"] == ["level"]
    assert change["membership"]["attributes"]["level"] == "Gold"
    assert change["membership"]["meta"]["version"] == 2


def test_a_full_payload_shows_the_membership_as_an_admin_reads_it() -> None:
    w = world()
    subscribe(w)
    made = create(w, account_number="H66590214")
    (event,) = queued_events(w)
    shown = event["data"]["changes"][0]["membership"]
    assert shown == membership_resource(made, PublicUrl("https://api.test"))
    assert shown["attributes"]["account_number"] == "H66590214"  # whole, as an admin reads it


def test_a_thin_payload_holds_ids_versions_and_field_names_only() -> None:
    w = world()
    subscribe(w, payload="thin")
    create(w)
    (event,) = queued_events(w)
    (change,) = event["data"]["changes"]
    assert set(change) == {"membership_id", "action", "version", "changed"}
    assert "account_number" in change["changed"]
    assert "H66590214" not in json.dumps(event)


def test_a_delete_and_a_membership_deleted_since_carry_no_membership() -> None:
    w = world()
    subscribe(w)
    made = create(w)
    svc.update_membership(
        w.repo, ADMIN, "098765", made.id, MembershipChanges(level="Gold"), origin=ORIGIN
    )
    svc.delete_membership(w.repo, ADMIN, "098765", made.id, origin=ORIGIN)
    created, updated, deleted = (e["data"]["changes"][0] for e in queued_events(w))
    assert created["membership_omitted"] == updated["membership_omitted"] == "deleted"
    assert "membership" not in deleted and "membership_omitted" not in deleted
    assert deleted["version"] == 1 + 1  # the version it had when deleted


def test_the_filter_keeps_changes_of_its_vendor_types_and_sends_nothing_else() -> None:
    w = world()
    hotels = subscribe(w, vendor_types=["hotel"])
    airlines = subscribe(w, vendor_types=["air"], payload=PayloadKind.THIN)
    create(w, provider=HILTON)
    create(w, provider=QANTAS, account_number="Q1")
    sent = [(d.subscription_id, json.loads(d.body or "")) for d in (w.fan_out(), w.queue.sent)[1]]
    by_subscription = {
        s: [e["data"]["changes"][0]["membership_id"] for _, e in sent if _ == s] for s, _ in sent
    }
    hotel_ids = [
        m.id for m in w.repo.memberships[("acme", "098765")].values() if m.provider_id == HILTON
    ]
    air_ids = [
        m.id for m in w.repo.memberships[("acme", "098765")].values() if m.provider_id == QANTAS
    ]
    assert by_subscription == {hotels.id: hotel_ids, airlines.id: air_ids}


def test_no_company_gets_another_companys_events() -> None:
    w = world()
    acme = subscribe(w, "acme")
    globex = subscribe(w, "globex")
    create(w, "098765")  # acme's John
    globex_john = Principal(company="globex", employee_id="globex_admin", role=Role.ADMIN)
    draft = MembershipDraft.model_validate(
        {
            "provider_id": HILTON,
            "account_number": "G1",
            "membership_name": "Johan",
            "expires_on": "2031-01-01",
        }
    )
    svc.create_membership(w.repo, globex_john, "098765", draft, origin=ORIGIN)
    w.fan_out()
    sources = {(d.subscription_id, json.loads(d.body or "")["source"]) for d in w.queue.sent}
    assert sources == {(acme.id, "/companies/acme"), (globex.id, "/companies/globex")}


def test_an_admins_token_change_is_no_event() -> None:
    """Audit records of other subjects (users, tokens) in a user's trail make no event."""
    from loyalty_core.models.audit import entry

    record = AuditRecord.of(ORIGIN, [entry("api_token_id", "abc", None, {"expires_at": None})])
    from tests.webhook_fakes import stream_insert

    assert fanout.read(stream_insert(record, "acme", "098765", 3)) is None


def test_the_erasure_event_names_the_erased_user_and_nothing_personal() -> None:
    from loyalty_core.repository import items as i
    from loyalty_core.services.webhooks import fanout as f

    w = world()
    subscribe(w, events=["user.erased"])
    mark = AuditRecord.of(Origin("admin:ops", Interface.ADMIN, "req-9"), [])
    profile = removed_profile()
    profile["revision"] = {"N": "41"}
    profile[i.ERASURE_MARK] = serialize(i.erasure_mark(mark))
    removed = {
        "eventName": "REMOVE",
        "dynamodb": {"Keys": {"pk": profile["pk"], "sk": profile["sk"]}, "OldImage": profile},
    }
    reads: list[str] = []
    real = w.repo.get_user_memberships
    w.repo.get_user_memberships = lambda c, e: reads.append(e) or real(c, e)  # type: ignore[method-assign]
    f.process_batch(w.webhooks, {"Records": [removed]}, None)
    assert reads == []  # an erasure's event needs no membership read
    (sent,) = w.queue.sent
    event = json.loads(sent.body or "")
    assert event["type"] == "user.erased" and event["id"] == mark.id
    assert event["source"] == "/companies/acme"
    assert event["subject"] == "users/098765" and event["sequence"] == "000000000042"
    assert event["data"] == {"actor": "admin:ops", "interface": "admin", "request_id": "req-9"}
    assert "John" not in sent.body and "john@" not in (sent.body or "")


def removed_profile() -> dict[str, Any]:
    """John's profile as the stream's old image of its removal shows it."""
    from loyalty_core.repository import items as i

    john = User(company="acme", employee_id="098765", name="John Smith", email="john@acme.example")
    return i.profile_item(john, AuditRecord.of(ORIGIN, []), 400)


def test_a_profile_removed_without_an_erasure_mark_is_no_event() -> None:
    profile = removed_profile()
    removed = {
        "eventName": "REMOVE",
        "dynamodb": {"Keys": {"pk": profile["pk"], "sk": profile["sk"]}, "OldImage": profile},
    }
    assert fanout.read(removed) is None


# -- the largest event -------------------------------------------------------------------

WIDE = "\U0001d400"  # MATHEMATICAL BOLD CAPITAL A: a letter of 4 bytes in UTF-8


def test_the_largest_event_a_50_membership_concur_batch_stays_within_64_kb() -> None:
    """Every field of 50 memberships at its longest, in 4-byte characters, the longest
    company, employee id and API base URL: one Concur batch changes them all."""
    w = world()
    company, employee = "c" * 40, "E" * 50
    w.repo.add_company(Company(id=company, name="C"))
    w.repo.seed_user(
        User(company=company, employee_id=employee, name=WIDE * 100, email="e@c.example")
    )
    admin = Principal(company=company, employee_id="boss", role=Role.ADMIN)
    full, thin = subscribe(w, company), subscribe(w, company, payload="thin")
    w.webhooks.render = lambda m: membership_resource(
        m, PublicUrl("https://abcdefghij.execute-api.ap-southeast-2.amazonaws.com/" + "s" * 60)
    )
    widest: dict[str, Any] = {
        "membership_name": WIDE * 50,
        "level": WIDE * 50,
        "expires_on": date(2099, 12, 31),
        "status_benefits": WIDE * 500,
        "next_status": WIDE * 50,
        "point_total": MAX_SAFE_INTEGER,
        "segment_total": MAX_SAFE_INTEGER,
        "points_until_next_status": MAX_SAFE_INTEGER,
        "segments_until_next_status": MAX_SAFE_INTEGER,
    }
    aadvantage = next(p for p in w.repo.providers() if p.vendor_code == "AA")
    for n in range(50):
        draft = MembershipDraft.model_validate(
            {
                **widest,
                "provider_id": aadvantage.id,
                "program": f"{n:02d}" + WIDE * 48,
                "account_number": f"{n:02d}" + "9" * 48,
            }
        )
        svc.create_membership(w.repo, admin, employee, draft, origin=ORIGIN)
    tmc = Application(id="t" * 64, name="TMC", kind=ApplicationKind.TMC)
    token = AccessToken("tok", "hash", tmc, company, employee)
    batch = [
        ProgramUpdate(
            n + 1, f"{n:02d}" + WIDE * 48, "AA", "A", MembershipChanges(level=WIDE * 49 + "B")
        )
        for n in range(50)
    ]
    origin = Origin("app:" + "t" * 64, Interface.CONCUR, "r" * 64)
    w.stream()  # the 50 creates: not the event measured
    written = loyalty_updates.apply_updates(w.repo, token, batch, origin=origin)
    assert len(written) == 50
    w.fan_out()
    by_subscription = {d.subscription_id: d.body or "" for d in w.queue.sent}
    largest = by_subscription[full.id]
    size = len(largest.encode("utf-8"))
    assert size <= events.MAX_EVENT_BYTES
    changes = json.loads(largest)["data"]["changes"]
    assert len(changes) == 50
    shown = [c for c in changes if "membership" in c]
    assert 0 < len(shown) < 50  # as many as fit, in the order of the changes
    assert changes[: len(shown)] == shown
    assert all(c["membership_omitted"] == "too_large" for c in changes[len(shown) :])
    # Room for one more membership it had not: the budget is used, not wasted.
    one_more = len(json.dumps({"membership": shown[0]["membership"]}, ensure_ascii=False).encode())
    assert size + one_more > events.MAX_EVENT_BYTES
    assert len(by_subscription[thin.id].encode("utf-8")) < events.MAX_EVENT_BYTES // 2
    assert from_json(largest)["id"] == w.repo.audits[(company, employee)][-1][1].id


def test_every_event_kind_is_valid_against_the_documents_schema() -> None:
    """openapi.json's WebhookEvent describes what is sent: full, thin, erased and test."""
    from openapi_schema_validator import OAS30Validator
    from referencing import Registry, Resource
    from referencing.jsonschema import DRAFT4

    from local.template import ROOT
    from loyalty_core.models import AuditRecord

    spec = json.loads((ROOT / "openapi.json").read_text("utf-8"))
    registry: Registry[Any] = Registry().with_resource(
        "urn:openapi", Resource.from_contents(spec, default_specification=DRAFT4)
    )
    validator = OAS30Validator(
        {"$ref": "urn:openapi#/components/schemas/WebhookEvent"}, registry=registry
    )
    w = world()
    full = subscribe(w)
    subscribe(w, payload="thin")
    made = create(w)
    queued_events(w)  # the create's, while the membership exists to be shown
    svc.update_membership(
        w.repo, ADMIN, "098765", made.id, MembershipChanges(level="Gold"), origin=ORIGIN
    )
    svc.delete_membership(w.repo, ADMIN, "098765", made.id, origin=ORIGIN)
    sent = queued_events(w)
    assert len(sent) == 6
    _, test = events.test_event(full, w.clock())
    erasure = AuditRecord.of(Origin("admin:ops", Interface.ADMIN, "r9"), [])
    erased = events.erased_event(erasure, "acme", "098765", 4)
    kinds = set()
    for event in [*sent, json.loads(test), json.loads(erased)]:
        errors = [e.message for e in validator.iter_errors(event)]
        assert not errors, (event["type"], errors)
        changes = event["data"].get("changes", [])
        kinds.add((event["type"], any("membership" in c for c in changes)))
    assert len(kinds) == 4  # full and thin changes, a test, an erasure
