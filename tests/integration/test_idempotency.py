"""Safe retries: Idempotency-Key on the JSON:API POST and the Concur POST."""

from __future__ import annotations

import json
import time
from typing import Any

import pytest

from local.events import CONCUR_SUPPLIER_UPDATE
from tests.conftest import TABLE, Api, membership_document

PATH = "/api/users/098765/loyalty_memberships"
CONCUR = "/api/travelprofile/v1.0/loyalty"


def key_items(dynamodb: Any, employee_id: str, company: str = "acme") -> list[dict[str, Any]]:
    """The Idempotency-Keys a user holds, as stored in their partition."""
    found = dynamodb.query(
        TableName=TABLE,
        KeyConditionExpression="pk = :pk AND begins_with(sk, :sk)",
        ExpressionAttributeValues={
            ":pk": {"S": f"USER#{company}#{employee_id}"},
            ":sk": {"S": "IDEMPOTENCY#"},
        },
    )
    items: list[dict[str, Any]] = found["Items"]
    return items


def post(api: Api, key: str | None, **attributes: Any) -> Any:
    return api(
        "POST", PATH, body=membership_document(**attributes), headers={"Idempotency-Key": key}
    )


def concur(api: Api, key: str | None, body: str = CONCUR_SUPPLIER_UPDATE) -> Any:
    headers = {
        "Authorization": "OAuth concur-supplier-token",
        "Content-Type": "application/xml",
        "Idempotency-Key": key,
    }
    return api("POST", CONCUR, as_user=None, headers=headers, body=body)


def total(api: Api) -> int:
    count: int = api("GET", PATH).json["meta"]["total"]
    return count


def test_a_replayed_post_returns_the_first_response_and_writes_nothing(api: Api) -> None:
    first = post(api, "create-1")
    again = post(api, "create-1")
    assert (first.status, again.status) == (201, 201)
    assert again.body == first.body
    assert again.headers["Location"] == first.headers["Location"]
    assert again.headers["ETag"] == first.headers["ETag"]
    assert total(api) == 1


def test_without_a_key_a_repeat_is_a_duplicate(api: Api) -> None:
    assert post(api, None).status == 201
    assert post(api, None).status == 409


def test_the_same_key_with_another_body_is_refused(api: Api) -> None:
    assert post(api, "create-2", account_number="FIRST").status == 201
    reused = post(api, "create-2", account_number="SECOND")
    assert reused.status == 409
    assert "different request body" in reused.errors[0]["detail"]
    assert total(api) == 1


def test_keys_are_per_caller(api: Api) -> None:
    assert post(api, "shared-key", account_number="ADMIN1").status == 201
    johns = api(
        "POST",
        PATH,
        as_user="john",
        headers={"Idempotency-Key": "shared-key"},
        body=membership_document(account_number="JOHN1"),
    )
    assert johns.status == 201
    assert total(api) == 2


def test_a_key_is_scoped_to_the_url(api: Api) -> None:
    assert post(api, "per-url", account_number="SAMEBODY").status == 201
    other = api(
        "POST",
        "/api/users/112233/loyalty_memberships",
        headers={"Idempotency-Key": "per-url"},
        body=membership_document(account_number="SAMEBODY"),
    )
    assert other.status == 201
    assert "/api/users/112233/" in other.headers["Location"]
    assert total(api) == 1


def test_a_failed_request_is_not_stored_and_may_be_retried(api: Api) -> None:
    assert post(api, "retry-me", account_number="bad/number").status == 422
    assert post(api, "retry-me", account_number="GOOD").status == 201


def test_a_malformed_key_is_400(api: Api) -> None:
    assert post(api, "no spaces allowed").status == 400
    assert post(api, "k" * 256).status == 400
    assert total(api) == 0


def test_keys_are_kept_in_the_callers_own_record_and_expire(api: Api, dynamodb: Any) -> None:
    assert post(api, "expiring").status == 201
    (item,) = key_items(dynamodb, "acme_admin")  # the caller's, not the path's user
    assert key_items(dynamodb, "098765") == []
    remembered = int(item["purge_at"]["N"]) - time.time()
    assert 23 * 3600 < remembered <= 24 * 3600
    dynamodb.update_item(
        TableName=TABLE,
        Key={"pk": item["pk"], "sk": item["sk"]},
        UpdateExpression="SET purge_at = :past",
        ExpressionAttributeValues={":past": {"N": "1"}},
    )
    assert post(api, "expiring").status == 409  # executed again: now a duplicate membership


def test_a_replayed_concur_update_answers_ok_and_writes_nothing(api: Api) -> None:
    first = concur(api, "concur-1")
    written = {m["id"]: m["meta"]["updated_at"] for m in api("GET", PATH).json["data"]}
    again = concur(api, "concur-1")
    assert (first.status, again.status) == (200, 200)
    assert again.body == first.body
    assert again.headers["Content-Type"] == "application/xml"
    after = {m["id"]: m["meta"]["updated_at"] for m in api("GET", PATH).json["data"]}
    assert after == written


def test_a_concur_key_reused_with_another_body_is_refused(api: Api) -> None:
    assert concur(api, "concur-2").status == 200
    reused = concur(api, "concur-2", CONCUR_SUPPLIER_UPDATE.replace("123456", "7"))
    assert reused.status == 400
    assert b"<Status>ERROR</Status>" in reused.body
    assert b"different request body" in reused.body


def held_while_running(api: Api, dynamodb: Any, monkeypatch: pytest.MonkeyPatch) -> list[Any]:
    """The key items of John Smith's partition as they are while a Concur update runs."""
    from loyalty_core.services import loyalty_updates

    seen: list[Any] = []
    apply = loyalty_updates.apply_updates

    def while_running(*args: Any, **kwargs: Any) -> Any:
        seen.extend(key_items(dynamodb, "098765"))
        return apply(*args, **kwargs)

    monkeypatch.setattr(loyalty_updates, "apply_updates", while_running)
    return seen


def test_a_key_held_by_a_running_request_is_409_with_retry_after(
    api: Api, dynamodb: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A repeat while the first request runs (its key held, no answer, lease not over)
    never runs a second time."""
    seen = held_while_running(api, dynamodb, monkeypatch)
    first = concur(api, "concur-running")
    assert first.status == 200
    (held,) = seen
    assert "answer" not in held
    done = key_items(dynamodb, "098765")
    dynamodb.put_item(TableName=TABLE, Item=held)  # as it was while the first one ran
    replay = concur(api, "concur-running")
    assert replay.status == 409
    assert b"still in progress" in replay.body
    assert 1 <= int(replay.headers["Retry-After"]) <= 10
    dynamodb.put_item(TableName=TABLE, Item=done[0])
    assert concur(api, "concur-running").body == first.body  # then: the first answer


def test_a_key_whose_request_died_before_committing_runs_again(api: Api, dynamodb: Any) -> None:
    """A key whose lease ran out without an answer: its request wrote nothing (the answer is
    written with the commit), so the repeat runs."""
    assert post(api, "died", account_number="DIED1").status == 201
    (item,) = key_items(dynamodb, "acme_admin")
    dynamodb.update_item(  # as it was before the commit: held, no answer, lease over
        TableName=TABLE,
        Key={"pk": item["pk"], "sk": item["sk"]},
        UpdateExpression="REMOVE answer SET lease_until = :past",
        ExpressionAttributeValues={":past": {"N": "1"}},
    )
    again = post(api, "died", account_number="DIED1")
    assert again.status == 409  # it ran: the same account again is a duplicate
    assert again.errors[0]["code"] == "duplicate_record"


def test_a_key_replays_only_to_the_same_url_query_included(api: Api) -> None:
    """The same key and body to another query string is another request (not a replay)."""
    headers = {"Idempotency-Key": "query-too"}
    path = "/api/users/098765/loyalty_memberships"
    first = api("POST", path, body=membership_document(account_number="QRY1"), headers=headers)
    assert first.status == 201
    included = api(
        "POST",
        path,
        body=membership_document(account_number="QRY1"),
        headers=headers,
        query={"include": "loyalty_provider"},
    )
    assert included.status == 409  # run, not replayed: the same account again is a duplicate
    assert included.errors[0]["code"] == "duplicate_record"


def test_a_bad_key_is_named_once_in_the_concur_answer(api: Api) -> None:
    response = concur(api, "has space")
    assert response.status == 400
    description = response.body.decode()
    assert description.count("Idempotency-Key") == 2  # the header refused, then its rule
    assert "Idempotency-Key must be 1-255 printable ASCII characters" in description


def test_an_erased_callers_keys_go_with_them(
    api: Api, dynamodb: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    """Keys belong to the caller's own record: a new holder of an erased person's employee
    id sends the same key and body, and runs (their own membership is created)."""
    from local.admin import main

    own = "/api/users/098765/loyalty_memberships"
    headers = {"Idempotency-Key": "mine"}
    first = api("POST", own, as_user="john", headers=headers, body=membership_document())
    assert first.status == 201
    assert key_items(dynamodb, "098765")
    assert main(["erase-user", "acme", "098765", "--by", "test"]) == 0
    assert key_items(dynamodb, "098765") == []
    new = ["create-user", "acme", "098765", "--name", "Joan Smyth", "--email", "joan@acme.example"]
    assert main([*new, "--by", "test"]) == 0
    capsys.readouterr()
    assert main(["issue-token", "joan@acme.example", "--by", "test", "--json"]) == 0
    token = json.loads(capsys.readouterr().out)["token"]
    joan = {"X-USER-USERNAME": "joan@acme.example", "X-USER-TOKEN": token, **headers}
    again = api("POST", own, as_user=None, headers=joan, body=membership_document())
    assert again.status == 201
    assert again.json["data"]["id"] != first.json["data"]["id"]
