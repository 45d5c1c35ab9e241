"""GET /api/users/{employee_id}/loyalty_membership_changes: a user's audit trail as JSON:API,
newest first, paged, filterable by membership, with exactly the reach of the memberships."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import pytest

from tests.conftest import Api, membership_document, patch_document

PATH = "/api/users/098765/loyalty_memberships"


def changes(employee_id: str = "098765") -> str:
    return f"/api/users/{employee_id}/loyalty_membership_changes"


def query_of(link: str) -> dict[str, list[str]]:
    return parse_qs(urlsplit(link).query)


def test_the_trail_reads_newest_first_with_links_and_total(api: Api) -> None:
    created = api.create(account_number="HIST1")
    item = f"{PATH}/{created['id']}"
    updated = api("PATCH", item, body=patch_document(created["id"], level="Platinum"))
    deleted = api("DELETE", item)
    response = api("GET", changes())
    assert response.status == 200
    assert response.headers["Content-Type"] == "application/vnd.api+json"
    doc = response.json
    first = doc["data"][0]
    assert first["type"] == "loyalty_membership_changes"
    assert set(first["attributes"]) == {
        "occurred_at",
        "actor",
        "interface",
        "request_id",
        "changes",
    }
    assert first["relationships"]["user"]["data"] == {"id": "098765", "type": "users"}
    assert [d["attributes"]["request_id"] for d in doc["data"][:2]] == [
        deleted.headers["x-amzn-RequestId"],
        updated.headers["x-amzn-RequestId"],
    ]
    assert [d["attributes"]["changes"][0]["action"] for d in doc["data"][:3]] == [
        "delete",
        "update",
        "create",
    ]
    times = [d["attributes"]["occurred_at"] for d in doc["data"]]
    assert times == sorted(times, reverse=True)
    assert doc["meta"]["total"] == len(doc["data"])  # the demo data's records and these three
    assert doc["links"]["next"] is None


def test_pages_follow_the_memberships_paging(api: Api) -> None:
    for n in range(5):
        api.create(account_number=f"PAGE{n}")
    everything = api("GET", changes(), query={"page[size]": "100"}).json
    total = everything["meta"]["total"]
    assert total >= 5
    ids = [d["id"] for d in everything["data"]]
    first = api("GET", changes(), query={"page[size]": "2"}).json
    assert [d["id"] for d in first["data"]] == ids[:2]
    assert first["meta"]["total"] == total
    assert query_of(first["links"]["next"])["page[number]"] == ["2"]
    last_number = -(-total // 2)
    assert query_of(first["links"]["last"])["page[number]"] == [str(last_number)]
    second = api("GET", changes(), query={"page[size]": "2", "page[number]": "2"}).json
    assert [d["id"] for d in second["data"]] == ids[2:4]
    last = api("GET", changes(), query={"page[size]": "2", "page[number]": str(last_number)}).json
    assert [d["id"] for d in last["data"]] == ids[(last_number - 1) * 2 :]
    past = api("GET", changes(), query={"page[size]": "2", "page[number]": "999"})
    assert (past.status, past.json["data"], past.json["meta"]["total"]) == (200, [], total)


def test_filter_keeps_the_records_of_one_membership_even_after_its_deletion(api: Api) -> None:
    mine = api.create(account_number="FILT1")
    other = api.create(account_number="FILT2")
    api("PATCH", f"{PATH}/{mine['id']}", body=patch_document(mine["id"], level="Silver"))
    assert api("DELETE", f"{PATH}/{mine['id']}").status == 204
    assert api("GET", f"{PATH}/{mine['id']}").status == 404
    response = api("GET", changes(), query={"filter[membership]": mine["id"]})
    assert response.status == 200
    found = response.json
    assert [d["attributes"]["changes"][0]["action"] for d in found["data"]] == [
        "delete",
        "update",
        "create",
    ]
    assert all(
        c["membership_id"] == mine["id"] for d in found["data"] for c in d["attributes"]["changes"]
    )
    assert found["meta"]["total"] == 3
    assert found["meta"]["searched"] >= 5
    assert query_of(found["links"]["self"])["filter[membership]"] == [mine["id"]]
    others = api("GET", changes(), query={"filter[membership]": other["id"]}).json
    assert others["meta"]["total"] == 1
    nothing = api(
        "GET", changes(), query={"filter[membership]": "00000000-0000-0000-0000-000000000000"}
    ).json
    assert (nothing["data"], nothing["meta"]["total"]) == ([], 0)


def test_a_concur_record_is_found_by_each_membership_it_touched(api: Api) -> None:
    from local.events import CONCUR_SUPPLIER_UPDATE
    from tests.integration.test_concur import concur

    assert concur(api, CONCUR_SUPPLIER_UPDATE).status == 200
    for membership in api("GET", PATH).json["data"]:
        found = api("GET", changes(), query={"filter[membership]": membership["id"]}).json
        [record] = found["data"]
        assert record["attributes"]["actor"] == "app:demo-supplier"
        assert len(record["attributes"]["changes"]) == 2


@pytest.mark.parametrize(
    "query",
    [
        {"filter[membership]": "not an id!"},
        {"sort": "occurred_at"},
        {"filter[actor]": "x"},
        {"include": "user"},
        {"page[size]": "101"},
        {"page[number]": "0"},
        {"fields[loyalty_membership_changes]": "nope"},
    ],
    ids=lambda q: next(iter(q)),
)
def test_what_the_route_does_not_serve_is_400(api: Api, query: dict[str, str]) -> None:
    response = api("GET", changes(), query=query)
    assert response.status == 400
    assert response.errors[0]["source"]["parameter"] == next(iter(query))


def test_sparse_fieldsets_name_the_attributes_kept(api: Api) -> None:
    api.create()
    query = {"fields[loyalty_membership_changes]": "actor,interface"}
    [first, *_] = api("GET", changes(), query=query).json["data"]
    assert first["attributes"] == {"actor": "user:acme_admin", "interface": "locomote"}
    assert "relationships" not in first


def test_other_methods_are_405(api: Api) -> None:
    response = api("POST", changes(), body=membership_document())
    assert response.status == 405
    assert response.headers["Allow"] == "GET"


# -- reach: exactly the memberships' ------------------------------------------------------

REACH = [
    # (caller, whose trail, status)
    ("admin", "098765", 200),
    ("admin", "112233", 200),
    ("admin", "acme_arranger", 200),
    ("john", "098765", 200),
    ("john", "112233", 404),
    ("jane", "098765", 404),
    ("arranger", "098765", 200),  # assigned
    ("arranger", "acme_arranger", 200),  # self
    ("arranger", "112233", 404),  # not assigned
    ("admin", "nobody", 404),  # no such user
    ("admin", "bad id!", 404),
    ("globex", "112233", 404),  # another company's user
    ("globex_john", "112233", 404),
]


@pytest.mark.parametrize(("caller", "whose", "status"), REACH)
def test_the_trail_has_the_reach_of_the_memberships(
    api: Api, caller: str, whose: str, status: int
) -> None:
    trail = api("GET", changes(whose), as_user=caller)
    memberships = api("GET", f"/api/users/{whose}/loyalty_memberships", as_user=caller)
    assert (trail.status, memberships.status) == (status, status)
    if status == 404:
        assert trail.errors[0]["code"] == "record_not_found"


def test_nothing_crosses_companies(api: Api) -> None:
    """globex has its own 098765: its admin reads that user's trail, never acme's."""
    acme = api.create(account_number="ACME1")
    theirs = api("GET", changes(), as_user="globex").json
    assert theirs["data"]
    assert all(
        c.get("membership_id") != acme["id"]
        for d in theirs["data"]
        for c in d["attributes"]["changes"]
    )
    assert (
        api("GET", changes(), as_user="globex", query={"filter[membership]": acme["id"]}).json[
            "meta"
        ]["total"]
        == 0
    )


def test_no_credentials_is_401(api: Api) -> None:
    assert api("GET", changes(), as_user=None).status == 401
