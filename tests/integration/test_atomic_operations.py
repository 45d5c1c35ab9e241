"""POST /api/operations: the JSON:API Atomic Operations extension on one user's
memberships (SPEC 14): in order, all or nothing, one transaction and one audit record,
`lid`, a version per operation, Idempotency-Key, errors pointing into the operation."""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from local.demo import give_memberships, seed_memberships
from local.events import QANTAS, SEED_MEMBERSHIP_ID, SEED_OPERATIONS
from loyalty_core.errors import MAX_ERROR_BYTES
from tests.conftest import Api, ApiResponse, membership_document, store_contents
from tests.integration.test_properties import PROPERTIES, TEXT

ROUTE = "/api/operations"
ATOMIC = 'application/vnd.api+json; ext="https://jsonapi.org/ext/atomic"'
JOHN = "/api/users/098765/loyalty_memberships"
HILTON = "9c5b90ff-2cce-11e8-87f9-0662bed6e7db"
MARRIOTT = "9c5b9176-2cce-11e8-87f9-0662bed6e7db"


def send(
    api: Api, operations: list[Any] | None = None, *, body: Any = None, **kwargs: Any
) -> ApiResponse:
    headers = {"Content-Type": ATOMIC, "Accept": ATOMIC, **kwargs.pop("headers", {})}
    sent = body if body is not None else {"atomic:operations": operations}
    return api("POST", ROUTE, body=sent, headers=headers, **kwargs)


def add(account: str, provider: str = HILTON, lid: str | None = None, user: str = "098765") -> Any:
    data = membership_document(provider, account_number=account)["data"]
    if lid is not None:
        data["lid"] = lid
    return {"op": "add", "href": f"/api/users/{user}/loyalty_memberships", "data": data}


def update(membership_id: str, version: int | None = None, **attributes: Any) -> Any:
    operation: dict[str, Any] = {
        "op": "update",
        "href": f"{JOHN}/{membership_id}",
        "data": {"type": "loyalty_memberships", "id": membership_id, "attributes": attributes},
    }
    if version is not None:
        operation["meta"] = {"version": version}
    return operation


def remove(ref: dict[str, str], version: int | None = None) -> Any:
    """A remove by `ref` ({"id"} or {"lid"}), or by href ({"href"})."""
    operation: dict[str, Any] = {"op": "remove"}
    if "href" in ref:
        operation["href"] = ref["href"]
    else:
        operation["ref"] = {"type": "loyalty_memberships", **ref}
    if version is not None:
        operation["meta"] = {"version": version}
    return operation


def changes(api: Api, employee_id: str = "098765") -> list[Any]:
    answer = api("GET", f"/api/users/{employee_id}/loyalty_membership_changes")
    records: list[Any] = answer.json["data"]
    return records


def held(api: Api, employee_id: str = "098765") -> list[Any]:
    found: list[Any] = api(
        "GET", f"/api/users/{employee_id}/loyalty_memberships", query={"page[size]": "100"}
    ).json["data"]
    return found


@pytest.fixture
def john(api: Api) -> Api:
    """John Smith holding his demo membership (version 1)."""
    seed_memberships()
    return api


# -- all or nothing, in order, one write --------------------------------------------------


def test_the_seed_request_adds_names_by_lid_and_updates_in_one_write(john: Api) -> None:
    before = len(changes(john))
    answer = send(john, body=SEED_OPERATIONS)
    assert answer.status == 200, answer.body
    assert answer.headers["Content-Type"] == ATOMIC
    assert "Accept" in answer.headers["Vary"]
    results = answer.json["atomic:results"]
    assert len(results) == 3
    added, leveled, demo = (r["data"] for r in results)
    assert added["id"] == leveled["id"]  # the lid named the membership the add created
    assert added["relationships"]["loyalty_provider"]["data"]["id"] == QANTAS
    assert (added["attributes"]["level"], leveled["attributes"]["level"]) == (None, "Gold")
    assert (demo["id"], demo["attributes"]["level"], demo["meta"]["version"]) == (
        SEED_MEMBERSHIP_ID,
        "Platinum",
        2,
    )
    records = changes(john)
    assert len(records) == before + 1  # one audit record for the request
    entries = records[0]["attributes"]["changes"]
    assert sorted(e["action"] for e in entries) == ["create", "update"]  # one per membership
    stored = {m["id"]: m for m in held(john)}
    assert stored[added["id"]]["attributes"]["level"] == "Gold"


def test_fifty_operations_are_one_transaction_with_results_in_order(
    john: Api, dynamodb_calls: list[str]
) -> None:
    operations = [add(f"A{n:04d}") for n in range(50)]
    answer = send(john, operations)
    assert answer.status == 200, answer.body
    results = answer.json["atomic:results"]
    assert [r["data"]["attributes"]["account_number"] for r in results] == [
        f"A{n:04d}" for n in range(50)
    ]
    assert dynamodb_calls.count("TransactWriteItems") == 1
    # the 2 trail index entries the transaction has no room for are written just before it
    writes = [c for c in dynamodb_calls if c not in ("GetItem", "Query")]
    assert writes == ["BatchWriteItem", "TransactWriteItems"]
    assert len(held(john)) == 51


def test_fifty_one_operations_are_refused_naming_the_limit(john: Api) -> None:
    before = store_contents()
    answer = send(john, [add(f"A{n:04d}") for n in range(51)])
    assert answer.status == 422
    (error,) = answer.errors
    assert error["code"] == "too_many_operations"
    assert error["source"]["pointer"] == "/atomic:operations"
    assert "50" in error["detail"]
    assert store_contents() == before


def test_every_broken_operation_is_reported_at_its_pointer_and_nothing_is_written(
    john: Api,
) -> None:
    before = store_contents()
    operations = [add("GOOD1"), add("bad number!"), add("GOOD2"), update(SEED_MEMBERSHIP_ID)]
    operations[3]["data"]["attributes"] = {"expires_on": "2031-02-30", "level": "\u202eGold"}
    answer = send(john, operations)
    assert answer.status == 422
    assert answer.pointers() == {
        "/atomic:operations/1/data/attributes/account_number",
        "/atomic:operations/3/data/attributes/expires_on",
        "/atomic:operations/3/data/attributes/level",
    }
    assert store_contents() == before


def test_a_later_failure_undoes_the_earlier_operations(john: Api) -> None:
    before = store_contents()
    answer = send(john, [add("FRESH1"), remove({"id": SEED_MEMBERSHIP_ID}), add("H66590214")])
    assert answer.status == 200  # the duplicate is gone before the add: in order
    answer = send(john, [add("FRESH2"), update("no-such-membership", level="Gold")])
    assert answer.status == 404
    assert answer.pointers() == {"/atomic:operations/1"}
    assert not any(m["attributes"]["account_number"] == "FRESH2" for m in held(john))
    assert store_contents() != before  # (the first request did write)


def test_a_duplicate_is_refused_at_the_operation_that_makes_it(john: Api) -> None:
    before = store_contents()
    answer = send(john, [add("NEW1", lid="a"), add("NEW1")])
    assert answer.status == 409
    assert answer.errors[0]["code"] == "duplicate_record"
    assert answer.pointers() == {"/atomic:operations/1/data/attributes/account_number"}
    assert store_contents() == before


def test_an_add_then_a_remove_by_lid_writes_nothing(john: Api) -> None:
    before = store_contents()
    answer = send(john, [add("TEMP1", lid="t"), remove({"lid": "t"})])
    assert answer.status == 200
    first, second = answer.json["atomic:results"]
    assert first["data"]["attributes"]["account_number"] == "TEMP1"
    assert second == {}
    assert store_contents() == before


def test_removes_only_answer_204(john: Api) -> None:
    answer = send(john, [remove({"href": f"{JOHN}/{SEED_MEMBERSHIP_ID}"}, version=1)])
    assert answer.status == 204
    assert answer.body == b""
    assert held(john) == []


def test_a_stale_version_refuses_the_whole_request(john: Api) -> None:
    before = store_contents()
    answer = send(john, [add("OK1"), update(SEED_MEMBERSHIP_ID, version=2, level="Gold")])
    assert answer.status == 412
    assert answer.pointers() == {"/atomic:operations/1"}
    answer = send(john, [remove({"href": f"{JOHN}/{SEED_MEMBERSHIP_ID}"}, version=7)])
    assert answer.status == 412
    assert store_contents() == before
    assert send(john, [update(SEED_MEMBERSHIP_ID, version=1, level="Gold")]).status == 200


def test_the_membership_limit_holds_per_operation(john: Api) -> None:
    give_memberships("098765", 98)  # and his demo one: 99 held
    before = store_contents()
    answer = send(john, [add("D0001"), add("D0002")])
    assert answer.status == 422
    (error,) = answer.errors
    assert error["code"] == "too_many_memberships"
    assert error["source"]["pointer"] == "/atomic:operations/1/data"
    assert store_contents() == before
    # Operations apply in order: a remove first leaves room, a remove last does not.
    some = held(john)[0]["id"]
    answer = send(john, [add("D0001"), add("D0002"), remove({"id": some})])
    assert answer.pointers() == {"/atomic:operations/1/data"}
    assert send(john, [remove({"id": some}), add("D0001"), add("D0002")]).status == 200
    assert len(held(john)) == 100


def test_one_user_per_request(john: Api) -> None:
    before = store_contents()
    answer = send(john, [add("X1"), add("X2", user="112233")])
    assert answer.status == 422
    assert answer.pointers() == {"/atomic:operations/1/href"}
    assert "one user per request" in answer.errors[0]["detail"]
    assert store_contents() == before


def test_a_request_naming_no_user_is_refused(john: Api) -> None:
    answer = send(john, [remove({"id": SEED_MEMBERSHIP_ID})])
    assert answer.status == 422
    assert answer.pointers() == {"/atomic:operations"}


@pytest.mark.parametrize(
    ("operation", "status", "pointer"),
    [
        ({"op": "copy", "href": JOHN}, 422, "/atomic:operations/0/op"),
        ({"op": "remove", "href": JOHN}, 422, "/atomic:operations/0/href"),
        ({"op": "add", "href": f"{JOHN}/x", "data": {}}, 422, "/atomic:operations/0/href"),
        (
            {"op": "update", "href": JOHN + "/x", "ref": {"type": "loyalty_memberships"}},
            422,
            "/atomic:operations/0/ref",
        ),
        (
            {
                "op": "update",
                "href": JOHN + "/x",
                "data": {"type": "loyalty_memberships", "lid": "nowhere", "attributes": {}},
            },
            422,
            "/atomic:operations/0/data/lid",
        ),
        (
            {"op": "remove", "href": JOHN + "/x", "meta": {"version": 0}},
            422,
            "/atomic:operations/0/meta/version",
        ),
        (
            {"op": "add", "href": JOHN, "data": {"type": "users"}},
            409,
            "/atomic:operations/0/data/type",
        ),
        (
            {"op": "add", "href": JOHN, "data": {"type": "loyalty_memberships", "id": "x"}},
            403,
            "/atomic:operations/0/data/id",
        ),
        ({"op": "add", "href": JOHN, "data": "x"}, 422, "/atomic:operations/0/data"),
        ({"op": "add", "href": JOHN, "data": {}, "extra": 1}, 422, "/atomic:operations/0/extra"),
        ("not an object", 422, "/atomic:operations/0"),
    ],
)
def test_a_broken_operation_is_refused_where_it_is(
    john: Api, operation: Any, status: int, pointer: str
) -> None:
    before = store_contents()
    answer = send(john, [operation])
    assert answer.status == status, answer.body
    assert pointer in answer.pointers()
    assert store_contents() == before


def test_a_relationship_operation_is_not_served(john: Api) -> None:
    operation = {
        "op": "update",
        "href": f"{JOHN}/{SEED_MEMBERSHIP_ID}",
        "ref": {"type": "loyalty_memberships", "id": SEED_MEMBERSHIP_ID, "relationship": "user"},
    }
    answer = send(john, [operation])
    assert answer.status == 422


@pytest.mark.parametrize(
    "body",
    [
        "not json",
        "[]",
        '{"data": {}}',
        '{"atomic:operations": {}}',
        '{"atomic:operations": [], "data": null}',
        '{"atomic:operations": [{"op": "add"}], "atomic:operations": []}',
    ],
)
def test_a_body_that_is_no_operations_document_is_400(john: Api, body: str) -> None:
    assert send(john, body=body).status == 400


def test_no_operation_at_all_is_refused(john: Api) -> None:
    answer = send(john, [])
    assert answer.status == 422
    assert answer.pointers() == {"/atomic:operations"}


def test_a_body_over_one_mebibyte_is_413(john: Api) -> None:
    padding = "x" * (1024 * 1024)
    answer = send(john, body=json.dumps({"atomic:operations": [], "meta": {"pad": padding}}))
    assert answer.status == 413


def test_update_by_ref_id_targets_the_requests_user(john: Api) -> None:
    operations = [
        add("Z1", lid="z"),
        {
            "op": "update",
            "ref": {"type": "loyalty_memberships", "id": SEED_MEMBERSHIP_ID},
            "data": {
                "type": "loyalty_memberships",
                "id": SEED_MEMBERSHIP_ID,
                "attributes": {"level": "Gold"},
                "relationships": {
                    "loyalty_provider": {"data": {"type": "loyalty_providers", "id": MARRIOTT}}
                },
            },
        },
    ]
    answer = send(john, operations)
    assert answer.status == 200, answer.body
    moved = answer.json["atomic:results"][1]["data"]
    assert moved["relationships"]["loyalty_provider"]["data"]["id"] == MARRIOTT


def test_an_unknown_provider_is_404_at_its_operation(john: Api) -> None:
    answer = send(john, [add("Y1"), add("Y2", provider="9c5b0000-0000-0000-0000-000000000000")])
    assert answer.status == 404
    assert answer.pointers() == {"/atomic:operations/1/data/relationships/loyalty_provider/data/id"}


# -- who may ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("caller", "user", "status"),
    [
        ("john", "098765", 200),  # a traveller writes their own
        ("jane", "098765", 404),  # not another's
        ("arranger", "098765", 200),  # an arranger their traveller's
        ("arranger", "112233", 404),
        ("globex", "112233", 404),  # nothing crosses companies
        (None, "098765", 401),
    ],
)
def test_reach_is_that_of_the_single_routes(
    john: Api, caller: str | None, user: str, status: int
) -> None:
    before = store_contents()
    answer = send(john, [add("R1", user=user)], as_user=caller)
    assert answer.status == status, answer.body
    if status != 200:
        assert store_contents() == before


def test_another_companys_user_of_the_same_id_is_theirs(john: Api) -> None:
    acme_before = held(john)
    answer = send(john, [add("G1")], as_user="globex")
    assert answer.status == 200
    assert held(john) == acme_before
    globex = john("GET", JOHN, as_user="globex").json["data"]
    assert [m["attributes"]["account_number"] for m in globex] == ["G1"]


# -- Idempotency-Key ---------------------------------------------------------------------------


def test_an_idempotency_key_replays_the_first_answer_and_writes_nothing(john: Api) -> None:
    first = send(john, [add("K1")], headers={"Idempotency-Key": "ops-1"})
    assert first.status == 200
    before = store_contents()
    again = send(john, [add("K1")], headers={"Idempotency-Key": "ops-1"})
    assert (again.status, again.body) == (first.status, first.body)
    assert store_contents() == before
    other = send(john, [add("K2")], headers={"Idempotency-Key": "ops-1"})
    assert other.status == 409


# -- content negotiation ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("content_type", "status"),
    [
        (ATOMIC, 200),
        ("application/json", 200),
        ("application/vnd.api+json", 415),
        ('application/vnd.api+json; ext="https://example.com/ext/other"', 415),
        (
            'application/vnd.api+json; ext="https://jsonapi.org/ext/atomic https://example.com/x"',
            415,
        ),
        ("application/vnd.api+json; charset=utf-8", 415),
        ("text/plain", 415),
    ],
)
def test_the_body_is_sent_in_the_extension_or_as_json(
    john: Api, content_type: str, status: int
) -> None:
    answer = send(john, [add("CT1")], headers={"Content-Type": content_type})
    assert answer.status == status, answer.body


@pytest.mark.parametrize(
    ("accept", "status"),
    [
        (ATOMIC, 200),
        (None, 200),
        ("*/*", 200),
        ("application/json", 200),
        # JSON:API: every instance naming an extension not served is 406, whatever else.
        ('application/vnd.api+json; ext="https://example.com/ext/other", */*', 406),
        ("application/vnd.api+json", 406),
        ('application/vnd.api+json; ext="https://example.com/ext/other"', 406),
        ('application/vnd.api+json; ext="https://jsonapi.org/ext/atomic"; x=1', 406),
    ],
)
def test_the_answer_is_in_the_extension(john: Api, accept: str | None, status: int) -> None:
    answer = send(john, [add("AC1")], headers={"Accept": accept})
    assert answer.status == status, answer.body
    if status == 200:
        assert answer.headers["Content-Type"] == ATOMIC


def test_other_routes_still_refuse_every_extension(john: Api) -> None:
    listed = john("GET", JOHN, headers={"Accept": ATOMIC})
    assert listed.status == 406
    created = john("POST", JOHN, body=membership_document(), headers={"Content-Type": ATOMIC})
    assert created.status == 415
    plain = john("GET", JOHN, headers={"Accept": "application/vnd.api+json"})
    assert plain.status == 200


def test_the_route_answers_other_methods_405(john: Api) -> None:
    answer = john("GET", ROUTE)
    assert answer.status == 405
    assert answer.headers["Allow"] == "POST"


# -- whatever is sent ----------------------------------------------------------------------------

OPERATION_VALUES = st.one_of(
    TEXT,
    st.integers(),
    st.none(),
    st.sampled_from(["add", "update", "remove", JOHN, f"{JOHN}/{SEED_MEMBERSHIP_ID}"]),
)
ATTRIBUTES = st.dictionaries(
    st.sampled_from(["account_number", "membership_name", "expires_on", "level", "point_total"]),
    st.one_of(TEXT, st.integers(-5, 2**60), st.none()),
    max_size=4,
)


@st.composite
def operations(draw: Any) -> list[Any]:
    found = []
    for _ in range(draw(st.integers(1, 4))):
        operation: dict[str, Any] = {
            "op": draw(st.sampled_from(["add", "update", "remove", "nope"])),
            "href": draw(st.sampled_from([JOHN, f"{JOHN}/{SEED_MEMBERSHIP_ID}", "/x"])),
        }
        if draw(st.booleans()):
            operation["data"] = {
                "type": "loyalty_memberships",
                "attributes": draw(ATTRIBUTES),
                "relationships": {
                    "loyalty_provider": {"data": {"type": "loyalty_providers", "id": HILTON}}
                },
            }
        if draw(st.booleans()):
            operation["meta"] = {"version": draw(OPERATION_VALUES)}
        found.append(operation)
    return found


@PROPERTIES
@given(sent=operations())
def test_whatever_is_sent_the_answer_is_2xx_or_a_bounded_4xx_and_never_partial(
    john: Api, sent: list[Any]
) -> None:
    before = store_contents()  # as the examples before it left the store
    answer = send(john, sent)
    assert answer.status < 500, answer.body
    if answer.status >= 400:
        assert len(answer.body) <= MAX_ERROR_BYTES
        assert answer.errors
        assert store_contents() == before
