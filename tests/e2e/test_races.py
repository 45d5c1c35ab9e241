"""The promises of SPEC 7, 10 and 15 across containers and store faults: `make run` with
four workers (each like one Lambda container) on one faithful embedded store, whose
faults the tests set (tests/faults.py). A 2xx only for a write that is in the trail once;
the losers of a race answer as losers; an unknown outcome is 503 with Retry-After, never
500; an Idempotency-Key's answer survives a store lost between the commit and the answer.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from typing import Any

import pytest
import requests

from tests.conftest import membership_document
from tests.e2e.conftest import Containers
from tests.faults import RemoteFaults

pytestmark = pytest.mark.e2e

ADMIN = {"X-USER-USERNAME": "admin@acme.example", "X-USER-TOKEN": "acme-admin-token"}
JSON = {**ADMIN, "Content-Type": "application/vnd.api+json"}
TABLE = "loyalty-memberships-local"  # the front's table on the embedded store


def url(base: str, employee_id: str, *rest: str) -> str:
    return "/".join([f"{base}/api/users/{employee_id}/loyalty_memberships", *rest])


def create(base: str, employee_id: str, account: str) -> requests.Response:
    body = membership_document(account_number=account)
    return requests.post(url(base, employee_id), json=body, headers=JSON, timeout=30)


def parallel(calls: list[Any]) -> list[requests.Response]:
    with ThreadPoolExecutor(max_workers=len(calls)) as pool:
        return list(pool.map(lambda call: call(), calls))


def trail(base: str, employee_id: str) -> list[dict[str, Any]]:
    """The user's audit records, newest first (the first page of 100)."""
    changes = f"{base}/api/users/{employee_id}/loyalty_membership_changes"
    answer = requests.get(changes, params={"page[size]": "100"}, headers=ADMIN, timeout=30)
    assert answer.status_code == 200, answer.text
    return [record["attributes"] for record in answer.json()["data"]]


def touching(base: str, employee_id: str, membership_id: str) -> list[dict[str, Any]]:
    return [
        record
        for record in trail(base, employee_id)
        if any(c.get("membership_id") == membership_id for c in record["changes"])
    ]


def test_parallel_deletes_of_one_membership_answer_204_once(
    containers: Containers, faults: RemoteFaults
) -> None:
    base = containers.base
    created = create(base, "112233", "RACEDEL1").json()["data"]["id"]
    item = url(base, "112233", created)
    faults.gate("TransactWriteItems", count=4, timeout=2)  # four commits of one snapshot
    answers = parallel([lambda: requests.delete(item, headers=ADMIN, timeout=30)] * 12)
    statuses = sorted(a.status_code for a in answers)
    assert statuses == [204] + [404] * 11
    (deleted,) = [a for a in answers if a.status_code == 204]
    deletes = [
        r for r in touching(base, "112233", created) if r["changes"][0]["action"] == "delete"
    ]
    assert [r["request_id"] for r in deletes] == [deleted.headers["x-amzn-RequestId"]]


def test_an_if_match_race_lets_one_writer_win(containers: Containers, faults: RemoteFaults) -> None:
    base = containers.base
    created = create(base, "112233", "RACEIFM1").json()["data"]["id"]
    item = url(base, "112233", created)

    def patch(level: str) -> Any:
        body = {
            "data": {"id": created, "type": "loyalty_memberships", "attributes": {"level": level}}
        }
        headers = {**JSON, "If-Match": '"1"'}
        return lambda: requests.patch(item, json=body, headers=headers, timeout=30)

    faults.gate("TransactWriteItems", count=4, timeout=2)  # four commits of one snapshot
    answers = parallel([patch(f"Tier{n}") for n in range(8)])
    assert sorted(a.status_code for a in answers) == [200] + [412] * 7
    (won,) = [a for a in answers if a.status_code == 200]
    now = requests.get(item, headers=ADMIN, timeout=30).json()["data"]
    assert now["attributes"]["level"] == won.json()["data"]["attributes"]["level"]
    assert now["meta"]["version"] == 2
    assert len(touching(base, "112233", created)) == 2  # the create and the one update


@contextmanager
def on_the_store(containers: Containers) -> Iterator[None]:
    """The layer in this process pointed at the containers' store (as `make run` is)."""
    from loyalty_core import settings

    saved = dict(os.environ)
    os.environ.update(
        DYNAMODB_ENDPOINT_URL=containers.store.endpoint,
        TABLE_NAME=TABLE,
        AWS_ACCESS_KEY_ID="local",
        AWS_SECRET_ACCESS_KEY="local",
        AWS_DEFAULT_REGION="us-east-1",
        AWS_REGION="us-east-1",
    )
    settings.reset()
    try:
        yield
    finally:
        os.environ.clear()
        os.environ.update(saved)
        settings.reset()


def test_the_membership_cap_holds_with_eight_writers(
    containers: Containers, faults: RemoteFaults
) -> None:
    """Eight creates at once for a user holding 96: never more than 100, every 201 is
    held, and the rest are refused (422 too_many_memberships, or 409 for a writer that kept
    losing the race: retry)."""
    from local.demo import give_memberships

    base, user = containers.base, "acme_arranger"
    listed = requests.get(url(base, user), headers=ADMIN, timeout=30).json()
    with on_the_store(containers):
        give_memberships(user, 96 - listed["meta"]["total"])
    faults.gate("TransactWriteItems", count=4, timeout=2)  # four commits of one snapshot
    answers = parallel([lambda n=n: create(base, user, f"RACECAP{n}") for n in range(8)])
    statuses = [a.status_code for a in answers]
    assert set(statuses) <= {201, 422, 409}, [a.text for a in answers if a.status_code == 503]
    assert statuses.count(201) <= 4 and statuses.count(422) >= 1
    held = requests.get(url(base, user), headers=ADMIN, timeout=30).json()["meta"]["total"]
    assert held == 96 + statuses.count(201) <= 100
    refused = {a.json()["errors"][0]["code"] for a in answers if a.status_code == 422}
    assert refused == {"too_many_memberships"}


def test_a_key_replayed_after_the_store_was_lost_between_commit_and_answer(
    containers: Containers, faults: RemoteFaults
) -> None:
    """The commit lands; then the store answers nothing but 500 for a while, so the request
    cannot tell and answers 503. The retry with the same key gets the first answer; the
    membership was created once, with one record."""
    base = containers.base
    faults.fail_next("TransactWriteItems", applied=True, times=3)  # the SDK's three tries
    faults.fail_for(3, after="TransactWriteItems")
    headers = {**JSON, "Idempotency-Key": "lost-between"}
    body = membership_document(account_number="LOSTANSWER1")
    first = requests.post(url(base, "112233"), json=body, headers=headers, timeout=30)
    assert first.status_code == 503, first.text
    assert int(first.headers["Retry-After"]) >= 1
    faults.clear()
    again = requests.post(url(base, "112233"), json=body, headers=headers, timeout=30)
    assert again.status_code == 201, again.text
    created = again.json()["data"]["id"]
    assert again.headers["Location"].endswith(f"/loyalty_memberships/{created}")
    held = requests.get(url(base, "112233"), headers=ADMIN, timeout=30).json()["data"]
    assert [m["id"] for m in held if m["attributes"]["account_number"] == "LOSTANSWER1"] == [
        created
    ]
    assert len(touching(base, "112233", created)) == 1
    third = requests.post(url(base, "112233"), json=body, headers=headers, timeout=30)
    assert (third.status_code, third.text) == (201, again.text)


def test_a_bare_500_on_a_read_is_503_with_retry_after(
    containers: Containers, faults: RemoteFaults
) -> None:
    faults.fail_next("Query", times=3)
    answer = requests.get(url(containers.base, "112233"), headers=ADMIN, timeout=30)
    assert answer.status_code == 503, answer.text
    assert int(answer.headers["Retry-After"]) >= 1
    assert answer.json()["errors"][0]["code"] == "service_unavailable"


def test_a_bare_500_on_a_write_is_settled_by_its_token(
    containers: Containers, faults: RemoteFaults
) -> None:
    """The first try's three attempts are answered 500 without landing: the service finds
    its write did not land, tries again, and answers 201 once, with one record."""
    faults.fail_next("TransactWriteItems", times=3)
    created = create(containers.base, "112233", "BARE500W")
    assert created.status_code == 201, created.text
    membership_id = created.json()["data"]["id"]
    assert len(touching(containers.base, "112233", membership_id)) == 1


def test_a_write_whose_outcome_stays_unknown_is_503_and_never_500(
    containers: Containers, faults: RemoteFaults
) -> None:
    faults.fail_for(6, "TransactWriteItems")
    answer = create(containers.base, "112233", "NEVERLANDS")
    faults.clear()
    assert answer.status_code == 503, answer.text
    assert int(answer.headers["Retry-After"]) >= 1
    held = requests.get(url(containers.base, "112233"), headers=ADMIN, timeout=30).json()
    assert "NEVERLANDS" not in {m["attributes"]["account_number"] for m in held["data"]}


def test_a_bare_500_on_a_concur_write_is_never_a_500(
    containers: Containers, faults: RemoteFaults
) -> None:
    from local.events import CONCUR_SUPPLIER_UPDATE

    faults.fail_for(6, "TransactWriteItems")
    headers = {"Authorization": "OAuth concur-supplier-token", "Content-Type": "application/xml"}
    answer = requests.post(
        f"{containers.base}/api/travelprofile/v1.0/loyalty",
        data=CONCUR_SUPPLIER_UPDATE,
        headers=headers,
        timeout=30,
    )
    faults.clear()
    assert answer.status_code == 503, answer.text
    assert b"<Status>ERROR</Status>" in answer.content
    assert int(answer.headers["Retry-After"]) >= 1
