"""At most 100 memberships a user (SPEC 3): a create or a Concur batch that would pass it is
refused whole and writes nothing, also under concurrent writers and for profiles written
before the count was kept."""

from __future__ import annotations

from typing import Any

import pytest

from local.demo import give_memberships
from loyalty_core.errors import ConcurrentChange, TooManyMemberships
from loyalty_core.models import MAX_MEMBERSHIPS_PER_USER, Membership
from loyalty_core.repository import keys as k
from loyalty_core.services import memberships
from tests.conftest import ORIGIN, TABLE, Api, commit, membership_document, patch_document
from tests.integration.test_concur import concur, outcome
from tests.integration.test_concurrency_and_faults import ADMIN, DRAFT, WORKERS, race

PATH = "/api/users/098765/loyalty_memberships"
LIMIT = MAX_MEMBERSHIPS_PER_USER


def stored_count(dynamodb: Any, employee_id: str = "098765") -> Any:
    profile = dynamodb.get_item(TableName=TABLE, Key=k.profile_key("acme", employee_id))["Item"]
    return int(profile["membership_count"]["N"]) if "membership_count" in profile else None


def total(api: Api) -> int:
    count: int = api("GET", PATH).json["meta"]["total"]
    return count


def test_the_limit_is_one_hundred() -> None:
    assert LIMIT == 100  # SPEC 3


def test_a_create_past_the_limit_is_422_and_writes_nothing(
    api: Api, dynamodb: Any, dynamodb_calls: list[str]
) -> None:
    give_memberships("098765", LIMIT - 1)
    assert api("POST", PATH, body=membership_document(account_number="LAST")).status == 201
    assert stored_count(dynamodb) == LIMIT
    dynamodb_calls.clear()
    refused = api("POST", PATH, body=membership_document(account_number="ONEMORE"))
    assert refused.status == 422
    (error,) = refused.errors
    assert error["code"] == "too_many_memberships"
    assert error["source"] == {"pointer": "/data"}
    assert "at most 100 memberships" in error["detail"]
    assert "TransactWriteItems" not in dynamodb_calls
    assert (total(api), stored_count(dynamodb)) == (LIMIT, LIMIT)


def test_at_the_limit_updates_and_deletes_still_work_and_free_a_place(
    api: Api, dynamodb: Any
) -> None:
    give_memberships("098765", LIMIT)
    first = api("GET", PATH).json["data"][0]
    item = f"{PATH}/{first['id']}"
    assert api("PATCH", item, body=patch_document(first["id"], level="Platinum")).status == 200
    assert stored_count(dynamodb) == LIMIT
    assert api("DELETE", item).status == 204
    assert stored_count(dynamodb) == LIMIT - 1
    assert api("POST", PATH, body=membership_document(account_number="AGAIN")).status == 201
    assert (total(api), stored_count(dynamodb)) == (LIMIT, LIMIT)


def test_a_concur_batch_past_the_limit_is_refused_whole(api: Api, dynamodb: Any) -> None:
    from local.events import CONCUR_SUPPLIER_UPDATE  # two new memberships

    give_memberships("098765", LIMIT - 1)
    response = concur(api, CONCUR_SUPPLIER_UPDATE)
    assert response.status == 400
    status, description = outcome(response)
    assert status == "ERROR"
    assert "at most 100 memberships" in description and "adds 2" in description
    assert (total(api), stored_count(dynamodb)) == (LIMIT - 1, LIMIT - 1)


def test_a_concur_batch_that_only_updates_passes_at_the_limit(api: Api, dynamodb: Any) -> None:
    from local.events import CONCUR_SUPPLIER_UPDATE

    assert outcome(concur(api, CONCUR_SUPPLIER_UPDATE))[0] == "OK"  # creates both programs
    give_memberships("098765", LIMIT - 2)
    assert outcome(concur(api, CONCUR_SUPPLIER_UPDATE)) == ("OK", "")  # updates both
    assert (total(api), stored_count(dynamodb)) == (LIMIT, LIMIT)


def test_parallel_creates_at_99_let_exactly_one_in(api: Api, dynamodb: Any) -> None:
    give_memberships("098765", LIMIT - 1)
    drafts = [DRAFT.model_copy(update={"account_number": f"RACE{i}"}) for i in range(WORKERS)]
    outcomes = race(
        [
            (
                lambda repo, d=d: memberships.create_membership(
                    repo, ADMIN, "098765", d, origin=ORIGIN
                )
            )
            for d in drafts
        ]
    )
    assert sum(isinstance(o, Membership) for o in outcomes) == 1
    assert sum(isinstance(o, TooManyMemberships) for o in outcomes) == WORKERS - 1
    assert (total(api), stored_count(dynamodb)) == (LIMIT, LIMIT)


def test_parallel_concur_batches_at_98_let_exactly_one_in(api: Api, dynamodb: Any) -> None:
    from loyalty_core.auth import authenticate_application
    from loyalty_core.interfaces.concur.xml import read_update
    from loyalty_core.services import loyalty_updates
    from loyalty_core.settings import get_repository

    give_memberships("098765", LIMIT - 2)
    token = authenticate_application(get_repository(), "OAuth concur-tmc-token")
    batches = [
        read_update(
            (
                "<LoyaltyMembershipUpdate>"
                + "".join(
                    f'<Membership UniqueID="W{w}P{n}"><VendorCode>AA</VendorCode>'
                    f"<VendorType>A</VendorType><AccountNo>W{w}N{n}</AccountNo></Membership>"
                    for n in range(2)
                )
                + "</LoyaltyMembershipUpdate>"
            ).encode()
        )
        for w in range(4)
    ]
    outcomes = race(
        [
            (lambda repo, b=b: loyalty_updates.apply_updates(repo, token, b, origin=ORIGIN))
            for b in batches
        ]
    )
    assert sum(isinstance(o, list) for o in outcomes) == 1
    assert sum(isinstance(o, TooManyMemberships) for o in outcomes) == 3
    assert (total(api), stored_count(dynamodb)) == (LIMIT, LIMIT)


def test_the_store_itself_refuses_a_write_past_the_limit(api: Api) -> None:
    """The profile's guard holds the limit even for a writer that skipped the check."""
    from loyalty_core.models import new_membership
    from loyalty_core.settings import get_repository

    give_memberships("098765", LIMIT)
    repo = get_repository()
    snapshot = repo.get_user_memberships("acme", "098765")
    with pytest.raises(ConcurrentChange):
        extra = [new_membership(DRAFT, "acme", "098765")]
        commit(repo, snapshot, put=extra)
    assert total(api) == LIMIT


def test_the_admin_cli_lists_each_users_count(
    api: Api, dynamodb: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    from local.admin import main

    give_memberships("098765", 3)
    give_memberships("112233", 2)
    assert main(["list-users", "acme"]) == 0
    lines = capsys.readouterr().out.splitlines()
    rows = {line.split()[0]: line.split() for line in lines[1:]}
    assert rows["098765"][1:3] == ["traveller", "3/100"]
    assert rows["112233"][1:3] == ["traveller", "2/100"]
    assert rows["acme_admin"][2] == "0/100"
    assert "globex" not in " ".join(lines) and len(rows) == 4  # acme's users only
    assert main(["list-users", "nowhere"]) == 1
