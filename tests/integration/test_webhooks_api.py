"""The webhook subscriptions JSON:API routes (SPEC 13) through the gateway, on moto (SQS,
KMS, the table): admins only, nothing across companies, secrets shown once and sealed by
KMS, refusals in JSON:API's own form."""

from __future__ import annotations

import base64
from typing import Any

import boto3
import pytest

from tests.conftest import Api, store_contents
from tests.webhook_aws import AwsWebhooks

ROUTE = "/api/webhook_subscriptions"


def document(**attributes: Any) -> dict[str, Any]:
    values = {"url": "https://hooks.example.com/in", "events": ["loyalty_memberships.changed"]}
    return {"data": {"type": "webhook_subscriptions", "attributes": {**values, **attributes}}}


def create(api: Api, as_user: str = "admin", **attributes: Any) -> dict[str, Any]:
    made = api("POST", ROUTE, as_user=as_user, body=document(**attributes))
    assert made.status == 201, made.body
    data: dict[str, Any] = made.json["data"]
    return data


def test_an_admin_creates_reads_updates_and_deletes_a_subscription(
    api: Api, aws_webhooks: AwsWebhooks
) -> None:
    made = api("POST", ROUTE, body=document(filter={"vendor_types": ["hotel"]}, payload="thin"))
    assert made.status == 201
    data = made.json["data"]
    sub = data["id"]
    assert made.headers["Location"] == f"https://api.test{ROUTE}/{sub}"
    assert made.headers["ETag"] == '"1"'
    assert data["attributes"]["secret"].startswith("whsec_")
    assert data["attributes"]["filter"] == {"vendor_types": ["hotel"]}
    assert data["attributes"]["payload"] == "thin" and data["attributes"]["enabled"] is True
    read = api("GET", f"{ROUTE}/{sub}")
    assert read.status == 200 and "secret" not in read.json["data"]["attributes"]
    listed = api("GET", ROUTE)
    assert [d["id"] for d in listed.json["data"]] == [sub] and listed.json["meta"]["total"] == 1
    assert "whsec_" not in listed.body.decode()
    patched = api(
        "PATCH",
        f"{ROUTE}/{sub}",
        body={
            "data": {
                "type": "webhook_subscriptions",
                "id": sub,
                "attributes": {"enabled": False, "filter": None},
            }
        },
        headers={"If-Match": '"1"'},
    )
    assert patched.status == 200, patched.body
    attributes = patched.json["data"]["attributes"]
    assert attributes["enabled"] is False and attributes["disabled_reason"] == "disabled_by_admin"
    assert attributes["filter"] is None and patched.headers["ETag"] == '"2"'
    stale = api("DELETE", f"{ROUTE}/{sub}", headers={"If-Match": '"1"'})
    assert stale.status == 412
    assert api("DELETE", f"{ROUTE}/{sub}").status == 204
    assert api("GET", f"{ROUTE}/{sub}").status == 404


def test_the_secret_is_sealed_by_kms_for_its_subscription_only(
    api: Api, aws_webhooks: AwsWebhooks
) -> None:
    data = create(api)
    secret = data["attributes"]["secret"].removeprefix("whsec_")
    assert not [line for line in store_contents() if secret in line]
    item = boto3.client("dynamodb", region_name="us-east-1").get_item(
        TableName="loyalty-memberships-test",
        Key={"pk": {"S": "COMPANY#acme"}, "sk": {"S": f"WEBHOOK#SUB#{data['id']}"}},
    )["Item"]
    sealed = base64.b64decode(item["secrets"]["L"][0]["M"]["sealed"]["S"])
    kms = boto3.client("kms", region_name="us-east-1")
    context = {"company": "acme", "subscription": data["id"]}
    opened = kms.decrypt(CiphertextBlob=sealed, EncryptionContext=context)["Plaintext"]
    assert base64.b64encode(opened).decode() == secret
    with pytest.raises(kms.exceptions.InvalidCiphertextException):
        kms.decrypt(CiphertextBlob=sealed, EncryptionContext={**context, "company": "globex"})


@pytest.mark.parametrize("who", ["john", "arranger"])
def test_only_admins_reach_the_routes(api: Api, aws_webhooks: AwsWebhooks, who: str) -> None:
    sub = create(api)["id"]
    for method, path, body in [
        ("GET", ROUTE, None),
        ("POST", ROUTE, document()),
        ("GET", f"{ROUTE}/{sub}", None),
        ("DELETE", f"{ROUTE}/{sub}", None),
        ("GET", f"{ROUTE}/{sub}/deliveries", None),
    ]:
        refused = api(method, path, as_user=who, body=body)
        assert refused.status == 403, (method, path)
        assert refused.errors[0]["code"] == "access_denied"
    assert api("GET", ROUTE, as_user=None).status == 401
    assert api("GET", f"{ROUTE}/{sub}").status == 200  # untouched


def test_another_companys_subscription_is_not_found(api: Api, aws_webhooks: AwsWebhooks) -> None:
    sub = create(api)["id"]
    before = store_contents()
    rotation = {"data": {"type": "webhook_secret_rotations"}}
    replay = {
        "data": {
            "type": "webhook_replays",
            "attributes": {"since": "2026-12-01T00:00:00Z", "until": "2026-12-02T00:00:00Z"},
        }
    }
    for method, path, body in [
        ("GET", f"{ROUTE}/{sub}", None),
        (
            "PATCH",
            f"{ROUTE}/{sub}",
            {
                "data": {
                    "type": "webhook_subscriptions",
                    "id": sub,
                    "attributes": {"enabled": False},
                }
            },
        ),
        ("DELETE", f"{ROUTE}/{sub}", None),
        ("GET", f"{ROUTE}/{sub}/deliveries", None),
        ("POST", f"{ROUTE}/{sub}/secret_rotations", rotation),
        ("POST", f"{ROUTE}/{sub}/replays", replay),
    ]:
        answer = api(method, path, as_user="globex", body=body)
        assert answer.status == 404, (method, path, answer.body)
        assert answer.errors[0]["code"] == "record_not_found"
    assert api("GET", ROUTE, as_user="globex").json["data"] == []
    assert store_contents() == before


@pytest.mark.parametrize(
    ("attributes", "pointer"),
    [
        ({"url": "http://hooks.example.com/in"}, "/data/attributes/url"),
        ({"url": "https://10.0.0.8/in"}, "/data/attributes/url"),
        ({"url": "https://user:pw@hooks.example.com/"}, "/data/attributes/url"),
        ({"events": ["memberships.changed"]}, "/data/attributes/events/0"),
        ({"events": []}, "/data/attributes/events"),
        ({"payload": "everything"}, "/data/attributes/payload"),
        ({"filter": {"vendor_types": ["boat"]}}, "/data/attributes/filter/vendor_types/0"),
        ({"filter": "hotel"}, "/data/attributes/filter"),
        ({"secret": "whsec_x"}, "/data/attributes/secret"),
        ({"colour": "blue"}, "/data/attributes/colour"),
        ({"url": None}, "/data/attributes/url"),
    ],
)
def test_a_bad_subscription_is_refused_with_a_pointer_and_nothing_written(
    api: Api, aws_webhooks: AwsWebhooks, attributes: dict[str, Any], pointer: str
) -> None:
    before = store_contents()
    refused = api("POST", ROUTE, body=document(**attributes))
    assert refused.status == 422, refused.body
    assert pointer in refused.pointers()
    assert store_contents() == before


def test_documents_of_the_wrong_shape_are_refused(api: Api, aws_webhooks: AwsWebhooks) -> None:
    wrong_type = {"data": {"type": "loyalty_memberships", "attributes": {}}}
    assert api("POST", ROUTE, body=wrong_type).status == 409
    with_id = document()
    with_id["data"]["id"] = "mine"
    assert api("POST", ROUTE, body=with_id).status == 403
    assert api("POST", ROUTE, body="{not json").status == 400
    assert api("PUT", ROUTE, body=document()).status == 405
    sub = create(api)["id"]
    other_id = {"data": {"type": "webhook_subscriptions", "id": "other", "attributes": {}}}
    assert api("PATCH", f"{ROUTE}/{sub}", body=other_id).status == 409
    assert api("GET", ROUTE, query={"page[size]": "500"}).status == 400
    assert api("GET", f"{ROUTE}/{sub}/deliveries", query={"page[after]": "bogus"}).status == 400
    assert api("GET", f"{ROUTE}/not-a-subscription").status == 404


def test_a_company_holds_a_bounded_number_of_subscriptions(
    api: Api, aws_webhooks: AwsWebhooks, monkeypatch: pytest.MonkeyPatch
) -> None:
    from loyalty_core.repository import webhooks as stored

    monkeypatch.setattr(stored, "MAX_SUBSCRIPTIONS_PER_COMPANY", 2)  # the store's guard
    create(api)
    create(api)
    before = store_contents()
    refused = api("POST", ROUTE, body=document())
    assert refused.status == 422 and refused.errors[0]["title"] == "Too many webhook subscriptions"
    assert store_contents() == before
    create(api, as_user="globex")  # another company has its own room


def test_a_rotation_answers_the_new_secret_once_and_both_sign_for_the_overlap(
    api: Api, aws_webhooks: AwsWebhooks
) -> None:
    first = create(api)
    sub = first["id"]
    rotated = api(
        "POST",
        f"{ROUTE}/{sub}/secret_rotations",
        body={"data": {"type": "webhook_secret_rotations", "attributes": {"overlap_hours": 2}}},
    )
    assert rotated.status == 201, rotated.body
    secret = rotated.json["data"]["attributes"]["secret"]
    assert secret.startswith("whsec_") and secret != first["attributes"]["secret"]
    shown = api("GET", f"{ROUTE}/{sub}").json["data"]["attributes"]
    assert (
        shown["previous_secret_expires_at"]
        == rotated.json["data"]["attributes"]["previous_secret_expires_at"]
    )
    aws_webhooks.endpoint.secrets = [first["attributes"]["secret"]]
    api.create(membership_name="John Smith")
    aws_webhooks.fan_out()
    aws_webhooks.deliver()
    (received,) = aws_webhooks.endpoint.received  # verified with the old secret alone
    assert len(received.headers["webhook-signature"].split(" ")) == 2
    bad = api(
        "POST",
        f"{ROUTE}/{sub}/secret_rotations",
        body={"data": {"type": "webhook_secret_rotations", "attributes": {"overlap_hours": 1000}}},
    )
    assert bad.status == 422 and "/data/attributes/overlap_hours" in bad.pointers()


def test_deliveries_are_listed_newest_first_a_page_at_a_time(
    api: Api, aws_webhooks: AwsWebhooks
) -> None:
    made = create(api)
    aws_webhooks.endpoint.secrets = [made["attributes"]["secret"]]
    for n in range(3):
        api.create(account_number=f"H{n}", program=f"P{n}")
    aws_webhooks.fan_out()
    aws_webhooks.deliver()
    path = f"{ROUTE}/{made['id']}/deliveries"
    first = api("GET", path, query={"page[size]": "2"})
    assert first.status == 200, first.body
    page = first.json
    assert len(page["data"]) == 2 and page["links"]["next"]
    records = [d["attributes"] for d in page["data"]]
    assert all(r["status"] == "delivered" and r["attempts"][0]["status"] == 200 for r in records)
    after = page["links"]["next"].split("page%5Bafter%5D=")[1]
    second = api("GET", path, query={"page[size]": "2", "page[after]": after})
    assert len(second.json["data"]) == 1 and second.json["links"]["next"] is None
    seen = [d["attributes"]["event_id"] for d in page["data"] + second.json["data"]]
    sent = [e["id"] for e in aws_webhooks.endpoint.delivered()]
    assert seen == list(reversed(sent))
