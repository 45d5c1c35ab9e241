"""The audit record's rules, without any store: which fields an entry keeps, masking, and how
records are counted by the day they expire."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st
from pydantic import ValidationError

from loyalty_core.models import (
    MEMBERSHIP_ATTRIBUTES,
    Application,
    ApplicationKind,
    AuditRecord,
    Entry,
    Interface,
    Membership,
    Origin,
    Role,
    User,
    VendorType,
)
from loyalty_core.models.audit import (
    Action,
    application_fields,
    entry,
    membership_entry,
    membership_fields,
    user_fields,
)
from loyalty_core.repository.retention import expiring_with, live_changes, purge_at

ORIGIN = Origin("user:098765", Interface.LOCOMOTE, "req-1")
values = st.one_of(st.none(), st.integers(0, 9), st.sampled_from(["Gold", "Silver", "AB1234"]))
fields = st.dictionaries(st.sampled_from(["level", "point_total", "program"]), values)


@given(fields, fields)
def test_an_update_keeps_exactly_the_fields_that_differ(
    before: dict[str, object], after: dict[str, object]
) -> None:
    found = entry("membership_id", "m1", before, after)
    differ = {n for n in {*before, *after} if before.get(n) != after.get(n)}
    assert found.action is Action.UPDATE
    assert set(found.before or {}) == set(found.after or {}) == differ
    for name in differ:
        assert (found.before or {})[name] == before.get(name)
        assert (found.after or {})[name] == after.get(name)


def test_a_create_and_a_delete_keep_the_fields_held_and_mask_account_numbers() -> None:
    held = {"account_number": "H66590214", "level": None, "program": "P"}
    created = entry("membership_id", "m1", None, held)
    assert (created.action, created.before) == (Action.CREATE, None)
    assert created.after == {"account_number": "*****0214", "program": "P"}
    deleted = entry("membership_id", "m1", held, None)
    assert (deleted.action, deleted.after) == (Action.DELETE, None)
    assert deleted.before == {"account_number": "*****0214", "program": "P"}


def test_a_changed_number_with_the_same_last_four_is_still_a_change() -> None:
    found = entry("membership_id", "m1", {"account_number": "AA1234"}, {"account_number": "BB1234"})
    assert found.before == {"account_number": "****1234"} and found.after == found.before


def test_an_entry_names_one_subject_and_the_sides_its_action_has() -> None:
    with pytest.raises(
        ValueError, match=r"^an entry needs the record before or after the request$"
    ):
        entry("membership_id", "m1", None, None)
    for bad in (
        {"action": "create", "before": None, "after": {}},  # no subject
        {"membership_id": "m", "user_id": "u", "action": "create", "before": None, "after": {}},
        {"membership_id": "m", "action": "create", "before": {}, "after": {}},
        {"membership_id": "m", "action": "delete", "before": {}, "after": {}},
        {"membership_id": "m", "action": "update", "before": None, "after": {}},
    ):
        with pytest.raises(ValidationError):
            Entry.model_validate(bad)


def test_a_record_touches_the_memberships_it_names() -> None:
    record = AuditRecord.of(
        ORIGIN,
        [entry("membership_id", "m1", None, {"level": "Gold"}), entry("user_id", "u", {}, {})],
    )
    assert record.touches("m1") and not record.touches("u") and not record.touches("m2")
    assert record.as_json()["changes"][1] == {
        "user_id": "u",
        "action": "update",
        "before": {},
        "after": {},
    }
    assert record.occurred_at.tzinfo is UTC


def test_records_expire_at_the_midnight_after_their_retention() -> None:
    written = datetime(2026, 12, 2, 23, 59, tzinfo=UTC)
    assert purge_at(written, 400) == int(datetime(2028, 1, 7, tzinfo=UTC).timestamp())
    assert purge_at(written.replace(hour=0, minute=0), 1) == int(
        datetime(2026, 12, 4, tzinfo=UTC).timestamp()
    )


def test_records_are_counted_by_the_day_they_expire() -> None:
    first = AuditRecord.of(ORIGIN, [], datetime(2026, 1, 1, 12, tzinfo=UTC))
    counts = expiring_with({}, first, 10)
    counts = expiring_with(counts, first, 10)
    later = AuditRecord.of(ORIGIN, [], datetime(2026, 1, 5, 12, tzinfo=UTC))
    counts = expiring_with(counts, later, 10)
    assert counts == {"2026-01-12": 2, "2026-01-16": 1}
    assert live_changes(counts, datetime(2026, 1, 11, 23, 59, tzinfo=UTC)) == 3
    assert live_changes(counts, datetime(2026, 1, 12, tzinfo=UTC)) == 1  # two purged
    assert live_changes(counts, datetime(2026, 1, 16, tzinfo=UTC)) == 0
    much_later = AuditRecord.of(ORIGIN, [], datetime(2026, 1, 20, tzinfo=UTC))
    assert expiring_with(counts, much_later, 10) == {"2026-01-31": 1}  # past days dropped


def test_a_shorter_retention_later_still_counts_exactly() -> None:
    """Counting by expiry day, not by writing day, stays right when the retention changes."""
    long = AuditRecord.of(ORIGIN, [], datetime(2026, 1, 1, tzinfo=UTC))
    short = AuditRecord.of(ORIGIN, [], datetime(2026, 1, 2, tzinfo=UTC))
    counts = expiring_with(expiring_with({}, long, 400), short, 5)
    assert live_changes(counts, datetime(2026, 1, 9, tzinfo=UTC)) == 1
    assert live_changes(counts, datetime(2026, 1, 2, tzinfo=UTC) + timedelta(days=3)) == 2


def test_a_record_as_stored_and_answered() -> None:
    """SPEC 10's shape: when, who, through which interface, under which request id, and
    one entry per record touched (a membership's with its version after the change)."""
    held = Membership(
        id="m1",
        company="acme",
        employee_id="098765",
        provider_id="qf",
        account_number="AB123456",
        expires_on="2031-01-31",
        point_total=5,
        created_at=datetime(2026, 1, 1, tzinfo=UTC),
        updated_at=datetime(2026, 1, 1, tzinfo=UTC),
        version=3,
    )
    at = datetime(2026, 12, 7, 9, 30, tzinfo=UTC)
    record = AuditRecord.of(ORIGIN, [membership_entry(None, held)], at)
    assert record.as_json() == {
        "occurred_at": "2026-12-07T09:30:00+00:00",
        "actor": "user:098765",
        "interface": "locomote",
        "request_id": "req-1",
        "changes": [
            {
                "membership_id": "m1",
                "action": "create",
                "version": 3,
                "before": None,
                "after": {
                    "account_number": "****3456",
                    "expires_on": "2031-01-31",
                    "point_total": 5,
                    "loyalty_provider": "qf",
                },
            }
        ],
    }


def test_the_trail_records_a_memberships_attributes_and_provider_as_json_values() -> None:
    held = Membership(
        id="m1",
        company="acme",
        employee_id="098765",
        provider_id="qf",
        account_number="A1",
        level="Gold",
        expires_on="2031-01-31",
        created_at=datetime(2026, 1, 1, tzinfo=UTC),
        updated_at=datetime(2026, 1, 1, tzinfo=UTC),
    )
    fields = membership_fields(held)
    assert list(fields) == [*MEMBERSHIP_ATTRIBUTES, "loyalty_provider"]
    assert (fields["expires_on"], fields["level"], fields["loyalty_provider"]) == (
        "2031-01-31",
        "Gold",
        "qf",
    )
    assert fields["program"] is None and "id" not in fields and "version" not in fields


def test_a_user_and_an_application_as_the_trail_records_them() -> None:
    user = User(
        company="acme",
        employee_id="a1",
        name="Ann",
        email="ann@acme.example",
        role=Role.ARRANGER,
        arranges=frozenset({"t2", "t1"}),
    )
    assert user_fields(user) == {
        "name": "Ann",
        "email": "ann@acme.example",
        "role": "arranger",
        "arranges": ["t1", "t2"],
    }
    app = Application(
        id="qf-app",
        name="Qantas",
        kind=ApplicationKind.SUPPLIER,
        vendor_type=VendorType.AIR,
        vendor_code="QF",
    )
    fields = application_fields(app)
    assert fields == {
        "name": "Qantas",
        "kind": "supplier",
        "vendor_type": "air",
        "vendor_code": "QF",
        "certified": False,
    }
    assert {type(v) for v in fields.values()} == {str, bool}  # JSON values, not enums


def test_an_entry_carries_a_version_only_when_it_has_one() -> None:
    versioned = entry("membership_id", "m1", None, {"level": "Gold"}, version=4)
    assert versioned.as_json() == {
        "membership_id": "m1",
        "action": "create",
        "version": 4,
        "before": None,
        "after": {"level": "Gold"},
    }
    assert "version" not in entry("user_id", "u", None, {"name": "x"}).as_json()
