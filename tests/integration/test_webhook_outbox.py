"""The audit record is the outbox (SPEC 13): over random writes through every interface,
exactly one event per audit record that touches a membership, and one per erasure; none
for reads, refused writes, idempotent replays or writes that change nothing; nothing for
another company. Read from moto's stream by the fan-out function's own handler."""

from __future__ import annotations

import json
import random
import tempfile
from collections import Counter
from pathlib import Path
from typing import Any

import boto3
import pytest

from local.admin import main
from local.events import CONCUR_SUPPLIER_UPDATE, CONCUR_TMC_UPDATE, HOTEL, HOTEL_SEARCH
from tests.conftest import TABLE, Api, membership_document, patch_document
from tests.integration.test_concur import concur
from tests.webhook_aws import AwsWebhooks

MEMBERSHIPS = "/api/users/098765/loyalty_memberships"
BOTH = ["loyalty_memberships.changed", "user.erased"]


def subscribe(api: Api, as_user: str = "admin", **attributes: Any) -> dict[str, Any]:
    values = {"url": "https://hooks.example.com/in", "events": BOTH, **attributes}
    made = api(
        "POST",
        "/api/webhook_subscriptions",
        as_user=as_user,
        body={"data": {"type": "webhook_subscriptions", "attributes": values}},
    )
    assert made.status == 201, made.body
    data: dict[str, Any] = made.json["data"]
    return data


def audit_ids(company: str) -> set[str]:
    """The ids of every user audit record of the company that touches a membership (read
    from the table itself: a Scan, in a test)."""
    items = boto3.client("dynamodb", region_name="us-east-1").scan(TableName=TABLE)["Items"]
    found = set()
    for item in items:
        pk, sk = item["pk"]["S"], item["sk"]["S"]
        if pk.startswith(f"USER#{company}#") and sk.startswith("PROFILE#CHANGE#"):
            changes = item["changes"]["L"]
            if any("membership_id" in c["M"] for c in changes):
                found.add(item["id"]["S"])
    return found


class Traffic:
    """Writes and reads through every interface, chosen at random."""

    def __init__(self, api: Api, rng: random.Random) -> None:
        self.api, self.rng = api, rng
        self.held: list[str] = []
        self.keys: list[str] = []

    def create(self) -> None:
        n = self.rng.randint(0, 10**6)
        made = self.api("POST", MEMBERSHIPS, body=membership_document(account_number=f"H{n}"))
        if made.status == 201:
            self.held.append(made.json["data"]["id"])

    def update(self) -> None:
        if self.held:
            level = self.rng.choice(["Gold", "Silver"])
            target = self.rng.choice(self.held)
            self.api("PATCH", f"{MEMBERSHIPS}/{target}", body=patch_document(target, level=level))

    def no_op(self) -> None:
        if self.held:
            target = self.rng.choice(self.held)
            current = self.api("GET", f"{MEMBERSHIPS}/{target}").json["data"]["attributes"]
            self.api(
                "PATCH",
                f"{MEMBERSHIPS}/{target}",
                body=patch_document(target, level=current["level"]),
            )

    def delete(self) -> None:
        if self.held:
            self.api("DELETE", f"{MEMBERSHIPS}/{self.held.pop()}")

    def refused(self) -> None:
        bad = self.api("POST", MEMBERSHIPS, body=membership_document(account_number="no spaces!"))
        assert bad.status == 422

    def replayed(self) -> None:
        key = self.rng.choice(self.keys) if self.keys and self.rng.random() < 0.5 else None
        if key is None:
            key = f"k{self.rng.randint(0, 10**9)}"
            self.keys.append(key)
        body = membership_document(account_number=f"I{key[1:]}")
        self.api("POST", MEMBERSHIPS, body=body, headers={"Idempotency-Key": key})

    def concur(self) -> None:
        body, token = self.rng.choice(
            [
                (CONCUR_SUPPLIER_UPDATE, "concur-supplier-token"),
                (CONCUR_TMC_UPDATE, "concur-tmc-token"),
            ]
        )
        if self.rng.random() < 0.5:  # a new point total: a write; else a repeat: no write
            body = body.replace("<PointTotal>", f"<PointTotal>{self.rng.randint(1, 9)}", 1)
        concur(self.api, body, token)

    def read(self) -> None:
        self.api("GET", MEMBERSHIPS)
        self.api("GET", "/api/users/098765/loyalty_membership_changes")
        headers = {"Content-Type": "application/xml"}
        self.api("POST", HOTEL, headers=headers, body=HOTEL_SEARCH, query={"employee_id": "098765"})

    def admin_token(self) -> None:
        assert main(["issue-token", "jane.doe@acme.example", "--by", "ops"]) == 0

    def atomic(self) -> None:
        """Atomic operations: two adds and a level change in one request (one record), or
        a request whose second operation is refused (none)."""
        n = self.rng.randint(0, 10**6)
        adds = [
            {"op": "add", "href": MEMBERSHIPS, "data": membership_document(**a)["data"]}
            for a in ({"account_number": f"A{n}"}, {"account_number": f"B{n}"})
        ]
        if self.rng.random() < 0.3:
            adds[1]["data"]["attributes"]["account_number"] = "no spaces!"
        answer = self.api(
            "POST",
            "/api/operations",
            body={"atomic:operations": adds},
            headers={"Content-Type": "application/json"},
        )
        assert answer.status in (200, 422), answer.body
        if answer.status == 200:
            self.held.extend(r["data"]["id"] for r in answer.json["atomic:results"])

    def imported(self) -> None:
        """A company import of John Smith's rows through the admin CLI: one record for him
        if it changes something; a second run of the same file none."""
        level = self.rng.choice(["Gold", "Silver"])
        rows = f"employee_id,provider_code,account_number,level\n098765,QF,Q777,{level}\n"
        with tempfile.TemporaryDirectory() as folder:
            path = Path(folder) / "acme.csv"
            path.write_text(rows, "utf-8")
            assert main(["import-memberships", str(path), "--company", "acme"]) == 0

    def steps(self, extra: int) -> list[Any]:
        """Every kind of traffic once, then `extra` more at random, in a random order (a
        create first: the others need a membership)."""
        kinds = [
            self.update,
            self.no_op,
            self.delete,
            self.refused,
            self.replayed,
            self.replayed,
            self.concur,
            self.read,
            self.admin_token,
            self.atomic,
            self.imported,
            self.imported,
        ]
        chosen = kinds + [self.rng.choice([self.create, *kinds]) for _ in range(extra)]
        self.rng.shuffle(chosen)
        return [self.create, *chosen]


def test_exactly_one_event_per_audit_record_over_random_writes_on_every_interface(
    api: Api, aws_webhooks: AwsWebhooks, capsys: pytest.CaptureFixture[str]
) -> None:
    acme = subscribe(api)
    subscribe(api, as_user="globex")
    seed = random.randrange(10**6)
    traffic = Traffic(api, random.Random(seed))
    for step in traffic.steps(extra=6):
        step()
        if traffic.rng.random() < 0.2:
            assert aws_webhooks.fan_out() == {"batchItemFailures": []}
    expected = audit_ids("acme")
    capsys.readouterr()
    assert main(["erase-user", "acme", "098765", "--by", "ops", "--json"]) == 0
    erasure = json.loads(capsys.readouterr().out)["record"]
    aws_webhooks.fan_out()
    messages = aws_webhooks.drained()
    per_subscription = Counter((m["subscription_id"], m["event_id"]) for m in messages)
    assert set(per_subscription.values()) == {1}  # each event once per subscription
    events = {json.loads(m["body"])["id"]: json.loads(m["body"]) for m in messages}
    changed = {i for i, e in events.items() if e["type"] == "loyalty_memberships.changed"}
    assert changed == expected and len(expected) >= 3, f"seed {seed}"
    interfaces = {events[i]["data"]["interface"] for i in changed}
    assert {"locomote", "concur", "import"} <= interfaces, f"seed {seed}"
    erased = [e for e in events.values() if e["type"] == "user.erased"]
    assert [(e["id"], e["subject"]) for e in erased] == [(erasure["id"], "users/098765")]
    assert {m["subscription_id"] for m in messages} == {acme["id"]}  # nothing to globex
    assert {e["source"] for e in events.values()} == {"/companies/acme"}


def test_a_change_of_another_company_goes_to_its_own_subscriptions_only(
    api: Api, aws_webhooks: AwsWebhooks
) -> None:
    subscribe(api)
    globex = subscribe(api, as_user="globex")
    api.create(employee_id="098765", as_user="globex")  # Globex's own 098765
    aws_webhooks.fan_out()
    (message,) = aws_webhooks.drained()
    assert message["subscription_id"] == globex["id"]
    assert json.loads(message["body"])["source"] == "/companies/globex"


def test_a_full_event_shows_the_membership_as_the_admin_reads_it_through_the_api(
    api: Api, aws_webhooks: AwsWebhooks
) -> None:
    made = subscribe(api)
    aws_webhooks.endpoint.secrets = [made["attributes"]["secret"]]
    created = api.create(account_number="H66590214")
    aws_webhooks.fan_out()
    aws_webhooks.deliver()
    (event,) = aws_webhooks.endpoint.delivered()
    read = api("GET", f"{MEMBERSHIPS}/{created['id']}").json["data"]
    assert event["data"]["changes"][0]["membership"] == read
    assert read["attributes"]["account_number"] == "H66590214"


def test_the_erasure_event_follows_the_users_last_change_in_the_same_order(
    api: Api, aws_webhooks: AwsWebhooks, capsys: pytest.CaptureFixture[str]
) -> None:
    made = subscribe(api)
    aws_webhooks.endpoint.secrets = [made["attributes"]["secret"]]
    api.create()
    assert main(["erase-user", "acme", "098765", "--by", "ops"]) == 0
    aws_webhooks.fan_out()
    aws_webhooks.deliver()
    kinds = [(e["type"], e["sequence"]) for e in aws_webhooks.endpoint.delivered()]
    assert kinds[0][0] == "loyalty_memberships.changed"
    assert kinds[-1][0] == "user.erased"
    assert [s for _, s in kinds] == sorted(s for _, s in kinds)
