"""Signatures any Standard Webhooks library verifies (tampering and stale timestamps
refused, both keys during a rotation), secrets shown once and stored sealed, subscriptions
per company by admins only, and where a webhook may be sent (the SSRF guard)."""

from __future__ import annotations

import ipaddress
import json
from datetime import timedelta
from typing import Any

import pytest
import standardwebhooks
from hypothesis import given
from hypothesis import strategies as st

from loyalty_core.errors import (
    AccessDenied,
    ConcurrentChange,
    InvalidInput,
    NotFound,
    PreconditionFailed,
    TooManySubscriptions,
)
from loyalty_core.models import Interface, Origin, Principal, Role
from loyalty_core.models.webhooks import (
    MAX_SUBSCRIPTIONS_PER_COMPANY,
    DisabledReason,
    SubscriptionSettings,
)
from loyalty_core.services.webhooks import delivery, signing, subscriptions, targets
from loyalty_core.services.webhooks.sender import HttpSender, retry_after
from tests.webhook_fakes import World, at_time, world

ORIGIN = Origin("user:acme_admin", Interface.LOCOMOTE, "req-1")
SETTINGS = {"url": "https://hooks.example.com/in", "events": ["loyalty_memberships.changed"]}


def settings(**values: Any) -> SubscriptionSettings:
    return SubscriptionSettings.model_validate({**SETTINGS, **values})


def signed(w: World, subscription_id: str, body: bytes = b'{"id":"e1"}') -> dict[str, str]:
    found = w.store.get_subscription("acme", subscription_id)
    context = subscriptions.secret_context("acme", subscription_id)
    keys = [w.webhooks.box.open(s.sealed, context) for s in found.signing(w.clock())]
    return signing.headers(keys, "e1", int(w.clock().timestamp()), body)


def verifies(w: World, secret: str, headers: dict[str, str], body: bytes) -> bool:
    try:
        with at_time(w.clock):
            standardwebhooks.Webhook(secret).verify(body, headers)
        return True
    except standardwebhooks.WebhookVerificationError:
        return False


# -- signatures --------------------------------------------------------------------------


def test_a_delivery_verifies_with_standardwebhooks_and_a_tampered_one_does_not() -> None:
    w = world()
    made = subscriptions.create(w.webhooks, "acme", settings(), ORIGIN)
    body = b'{"id":"e1","data":{"level":"Gold"}}'
    headers = signed(w, made.subscription.id, body)
    assert verifies(w, made.secret, headers, body)
    assert not verifies(w, made.secret, headers, body.replace(b"Gold", b"Blue"))
    assert not verifies(w, made.secret, {**headers, "webhook-id": "e2"}, body)
    other = signing.new_secret()[0]
    assert not verifies(w, other, headers, body)


def test_a_stale_timestamp_is_refused() -> None:
    w = world()
    made = subscriptions.create(w.webhooks, "acme", settings(), ORIGIN)
    headers = signed(w, made.subscription.id)
    w.clock.advance(10 * 60)  # standardwebhooks tolerates 5 minutes
    assert not verifies(w, made.secret, headers, b'{"id":"e1"}')


def test_both_keys_sign_during_a_rotation_and_only_the_new_one_after() -> None:
    w = world()
    made = subscriptions.create(w.webhooks, "acme", settings(), ORIGIN)
    rotated = subscriptions.rotate(w.webhooks, "acme", made.subscription.id, ORIGIN)
    assert rotated.secret != made.secret
    assert rotated.subscription.rotation_ends == w.clock() + timedelta(hours=24)
    during = signed(w, made.subscription.id)
    assert len(during["webhook-signature"].split(" ")) == 2
    assert verifies(w, made.secret, during, b'{"id":"e1"}')
    assert verifies(w, rotated.secret, during, b'{"id":"e1"}')
    w.clock.advance(24 * 3600)
    after = signed(w, made.subscription.id)
    assert not verifies(w, made.secret, after, b'{"id":"e1"}')
    assert verifies(w, rotated.secret, after, b'{"id":"e1"}')


def test_a_rotation_with_no_overlap_stops_the_old_key_at_once() -> None:
    w = world()
    made = subscriptions.create(w.webhooks, "acme", settings(), ORIGIN)
    rotated = subscriptions.rotate(w.webhooks, "acme", made.subscription.id, ORIGIN, 0)
    now = signed(w, made.subscription.id)
    assert not verifies(w, made.secret, now, b'{"id":"e1"}')
    assert verifies(w, rotated.secret, now, b'{"id":"e1"}')
    assert len(rotated.subscription.secrets) == 1


@pytest.mark.parametrize("hours", [-1, 24 * 7 + 1])
def test_an_overlap_out_of_range_is_refused(hours: int) -> None:
    w = world()
    made = subscriptions.create(w.webhooks, "acme", settings(), ORIGIN)
    with pytest.raises(InvalidInput) as refused:
        subscriptions.rotate(w.webhooks, "acme", made.subscription.id, ORIGIN, hours)
    assert refused.value.problems[0].location == ("overlap_hours",)


def test_secrets_are_whsec_with_32_random_bytes_and_stored_only_sealed() -> None:
    w = world()
    made = subscriptions.create(w.webhooks, "acme", settings(), ORIGIN)
    assert made.secret.startswith("whsec_")
    import base64

    assert len(base64.b64decode(made.secret.removeprefix("whsec_"))) == 32
    stored = w.store.get_subscription("acme", made.subscription.id)
    assert made.secret.removeprefix("whsec_") not in stored.model_dump_json()
    assert "secret" not in json.dumps(w.store.subscription_changes("acme")[0].as_json())
    # Sealed for this subscription: it does not open as another's.
    with pytest.raises(AssertionError):
        w.webhooks.box.open(stored.secrets[0].sealed, subscriptions.secret_context("acme", "x"))


# -- subscriptions: admins, companies, limits, audit ---------------------------------------


def test_only_admins_manage_subscriptions() -> None:
    assert (
        subscriptions.admin_company(Principal(company="acme", employee_id="a", role=Role.ADMIN))
        == "acme"
    )
    for role in (Role.TRAVELLER, Role.ARRANGER):
        with pytest.raises(AccessDenied):
            subscriptions.admin_company(Principal(company="acme", employee_id="a", role=role))


def test_another_companys_subscription_is_not_found() -> None:
    w = world()
    made = subscriptions.create(w.webhooks, "acme", settings(), ORIGIN)
    sub = made.subscription.id
    with pytest.raises(NotFound):
        subscriptions.get(w.webhooks, "globex", sub)
    with pytest.raises(NotFound):
        subscriptions.update(w.webhooks, "globex", sub, settings(enabled=False), ORIGIN)
    with pytest.raises(NotFound):
        subscriptions.delete(w.webhooks, "globex", sub, ORIGIN)
    with pytest.raises(NotFound):
        subscriptions.rotate(w.webhooks, "globex", sub, ORIGIN)
    assert subscriptions.list_all(w.webhooks, "globex") == ()
    assert w.store.get_subscription("acme", sub).enabled


def test_every_change_of_a_subscription_is_audited_without_secrets() -> None:
    w = world()
    made = subscriptions.create(w.webhooks, "acme", settings(), ORIGIN)
    sub = made.subscription.id
    subscriptions.update(w.webhooks, "acme", sub, SubscriptionSettings(payload="thin"), ORIGIN)
    subscriptions.set_enabled(w.webhooks, "acme", sub, False, ORIGIN)
    w.clock.advance(60)
    subscriptions.rotate(w.webhooks, "acme", sub, ORIGIN)
    subscriptions.delete(w.webhooks, "acme", sub, ORIGIN)
    records = list(reversed(w.store.subscription_changes("acme")))
    assert [r.changes[0].action.value for r in records] == [
        "create",
        "update",
        "update",
        "update",
        "delete",
    ]
    assert all(
        r.changes[0].subscription_id == sub and r.actor == "user:acme_admin" for r in records
    )
    assert records[1].changes[0].after == {"payload": "thin"}
    assert records[2].changes[0].after == {"enabled": False, "disabled_reason": "disabled_by_admin"}
    assert set(records[3].changes[0].after) == {"secret_created_at", "previous_secret_expires_at"}
    assert made.secret not in json.dumps([r.as_json() for r in records])


def test_a_change_that_changes_nothing_is_no_write() -> None:
    w = world()
    made = subscriptions.create(w.webhooks, "acme", settings(), ORIGIN)
    same = subscriptions.update(
        w.webhooks, "acme", made.subscription.id, settings(payload="full"), ORIGIN
    )
    assert same == made.subscription
    assert len(w.store.subscription_changes("acme")) == 1


def test_enabling_again_clears_why_it_was_disabled() -> None:
    w = world()
    sub = subscriptions.create(w.webhooks, "acme", settings(), ORIGIN).subscription
    gone = sub.model_copy(
        update={"enabled": False, "disabled_reason": DisabledReason.GONE, "version": 2}
    )
    w.store.save_subscription(sub, gone, None)
    enabled = subscriptions.set_enabled(w.webhooks, "acme", sub.id, True, ORIGIN)
    assert enabled.enabled and enabled.disabled_reason is None


def test_if_match_and_concurrent_changes_are_refused() -> None:
    w = world()
    sub = subscriptions.create(w.webhooks, "acme", settings(), ORIGIN).subscription
    with pytest.raises(PreconditionFailed):
        subscriptions.update(w.webhooks, "acme", sub.id, settings(enabled=False), ORIGIN, '"7"')
    changed = subscriptions.update(
        w.webhooks, "acme", sub.id, settings(payload="thin"), ORIGIN, '"1"'
    )
    with pytest.raises(ConcurrentChange):
        w.store.save_subscription(sub, changed, None)  # decided on version 1, now 2


def test_a_company_holds_a_bounded_number_of_subscriptions() -> None:
    w = world()
    for _ in range(MAX_SUBSCRIPTIONS_PER_COMPANY):
        subscriptions.create(w.webhooks, "acme", settings(), ORIGIN)
    with pytest.raises(TooManySubscriptions):
        subscriptions.create(w.webhooks, "acme", settings(), ORIGIN)
    subscriptions.create(w.webhooks, "globex", settings(), ORIGIN)  # another company's own


@pytest.mark.parametrize(
    ("values", "where"),
    [
        ({"url": None}, ("url",)),
        ({"events": None}, ("events",)),
    ],
)
def test_url_and_events_are_required(values: dict[str, Any], where: tuple[str, ...]) -> None:
    w = world()
    with pytest.raises(InvalidInput) as refused:
        subscriptions.create(
            w.webhooks, "acme", SubscriptionSettings.model_validate({**SETTINGS, **values}), ORIGIN
        )
    assert refused.value.problems[0].location == where


@pytest.mark.parametrize(
    "values",
    [
        {"events": []},
        {"events": ["webhook.test"]},
        {"events": ["loyalty_memberships.changed", "loyalty_memberships.changed"]},
        {"events": ["memberships.changed"]},
        {"vendor_types": ["boat"]},
        {"vendor_types": []},
        {"payload": "fat"},
        {"enabled": "yes please"},
        {"secret": "whsec_mine"},
    ],
)
def test_bad_settings_are_refused(values: dict[str, Any]) -> None:
    from pydantic import ValidationError

    with pytest.raises(ValidationError):
        SubscriptionSettings.model_validate({**SETTINGS, **values})


# -- where a webhook may go ------------------------------------------------------------------


@pytest.mark.parametrize(
    "url",
    [
        "http://hooks.example.com/in",
        "ftp://hooks.example.com/in",
        "https://user:pass@hooks.example.com/in",
        "https://hooks.example.com/in#part",
        "https:///in",
        "https://hooks.example.com:99999/in",
        "https://hooks.example.com/a b",
        "https://hooks.ex\u200bample.com/in",
        "hooks.example.com/in",
    ],
)
def test_a_url_that_is_not_a_plain_https_one_is_refused(url: str) -> None:
    w = world()
    with pytest.raises(InvalidInput) as refused:
        subscriptions.create(w.webhooks, "acme", settings(url=url), ORIGIN)
    assert refused.value.problems[0].location == ("url",)


@pytest.mark.parametrize(
    "address",
    [
        "127.0.0.1",
        "10.1.2.3",
        "172.16.0.9",
        "192.168.1.1",
        "169.254.169.254",  # the instance metadata endpoint
        "100.64.0.1",
        "0.0.0.0",  # noqa: S104 - an address refused, not bound
        "224.0.0.1",
        "::1",
        "fe80::1",
        "fd00::1",
        "::ffff:127.0.0.1",
        "::ffff:169.254.169.254",
    ],
)
def test_a_host_resolving_to_a_non_public_address_is_refused(address: str) -> None:
    w = world()
    w.webhooks.resolve = lambda host, port: [address]
    with pytest.raises(InvalidInput):
        subscriptions.create(w.webhooks, "acme", settings(), ORIGIN)
    literal = f"https://[{address}]/in" if ":" in address else f"https://{address}/in"
    with pytest.raises(InvalidInput):
        subscriptions.create(w.webhooks, "acme", settings(url=literal), ORIGIN)


def test_one_private_address_among_public_ones_is_refused() -> None:
    w = world()
    w.webhooks.resolve = lambda host, port: ["93.184.215.14", "10.0.0.1"]
    with pytest.raises(InvalidInput):
        subscriptions.create(w.webhooks, "acme", settings(), ORIGIN)


def test_a_host_that_does_not_resolve_is_refused() -> None:
    w = world()

    def nowhere(host: str, port: int) -> list[str]:
        raise OSError("no such host")

    w.webhooks.resolve = nowhere
    with pytest.raises(InvalidInput):
        subscriptions.create(w.webhooks, "acme", settings(), ORIGIN)


def test_under_make_run_plain_http_and_loopback_are_allowed_but_nothing_else_private() -> None:
    w = world(local=True)
    w.webhooks.resolve = lambda host, port: ["127.0.0.1"]
    made = subscriptions.create(
        w.webhooks, "acme", settings(url="http://localhost:8765/in"), ORIGIN
    )
    assert made.subscription.url == "http://localhost:8765/in"
    w.webhooks.resolve = lambda host, port: ["192.168.1.20"]
    with pytest.raises(InvalidInput):
        subscriptions.create(w.webhooks, "acme", settings(url="http://printer.lan/in"), ORIGIN)


@given(st.ip_addresses())
def test_only_global_addresses_are_allowed_deployed(address: Any) -> None:
    ip = ipaddress.ip_address(address)
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped:
        ip = ip.ipv4_mapped
    expected = ip.is_global and not (ip.is_multicast or ip.is_reserved)
    assert targets.allowed(str(address), local=False) is expected
    if ip.is_loopback:
        assert targets.allowed(str(address), local=True)


def test_the_sender_checks_the_address_again_when_it_sends() -> None:
    """DNS rebinding: a name that resolved to a public address when the subscription was
    made resolves to the metadata endpoint at delivery time; nothing is sent there."""
    connected: list[Any] = []
    sender = HttpSender(resolve=lambda host, port: ["169.254.169.254"], timeout=1)
    import socket

    real = socket.create_connection
    socket.create_connection = lambda *a, **k: connected.append(a) or real(*a, **k)  # type: ignore[assignment]
    try:
        reply = sender("https://hooks.example.com/in", {}, b"{}")
    finally:
        socket.create_connection = real  # type: ignore[assignment]
    assert reply.status is None and "not sent" in (reply.error or "")
    assert connected == []


@pytest.mark.parametrize(
    ("header", "seconds"),
    [("120", 120.0), ("0", 0.0), ("soon", None), ("", None), ("-5", None)],
)
def test_retry_after_in_seconds(header: str, seconds: float | None) -> None:
    assert retry_after(header) == seconds


def test_retry_after_as_an_http_date() -> None:
    from email.utils import format_datetime

    from loyalty_core.services.webhooks.context import utc_now

    later = format_datetime(utc_now() + timedelta(seconds=90), usegmt=True)
    found = retry_after(later)
    assert found is not None and 80 <= found <= 91


def test_the_queue_groups_by_subscription_and_traveller_and_names_no_one() -> None:
    from datetime import UTC, datetime

    from loyalty_core.models.deliveries import Delivery
    from loyalty_core.models.webhooks import EventType

    def made(sub: str, employee: str, event: str = "e1") -> Any:
        return Delivery(
            subscription_id=sub,
            company="acme",
            event_id=event,
            event_type=EventType.CHANGED,
            employee_id=employee,
            enqueued_at=datetime.now(UTC),
        )

    one = made("s1", "098765")
    assert delivery.group_id(one) == delivery.group_id(made("s1", "098765", "e2"))
    assert delivery.group_id(one) != delivery.group_id(made("s1", "112233"))
    assert delivery.group_id(one) != delivery.group_id(made("s2", "098765"))
    assert "098765" not in delivery.group_id(one) and len(delivery.group_id(one)) <= 128
    assert delivery.dedup_id(one) != delivery.dedup_id(made("s2", "098765"))
