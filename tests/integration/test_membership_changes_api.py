"""GET /api/users/{employee_id}/loyalty_membership_changes: a user's audit trail as JSON:API,
newest first, paged, filterable by membership, with exactly the reach of the memberships."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import pytest

from loyalty_core.interfaces.locomote.parameters import CURSOR_PROFILE
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
    assert doc["jsonapi"]["profile"] == [CURSOR_PROFILE]
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
    total = len(doc["data"])  # the demo data's records and these three
    assert doc["meta"] == {"total": total, "page": {"total": total}}
    assert (doc["links"]["prev"], doc["links"]["next"]) == (None, None)
    assert query_of(doc["links"]["first"]) == {"page[size]": ["25"]}
    cursors = [d["meta"]["page"]["cursor"] for d in doc["data"]]
    assert len(set(cursors)) == total


def walk(api: Api, link: str | None, direction: str) -> list[list[str]]:
    """The ids of each page, following `direction` (next or prev) from `link`."""
    pages = []
    while link is not None:
        response = api(
            "GET", urlsplit(link).path, query={k: v[0] for k, v in query_of(link).items()}
        )
        assert response.status == 200
        pages.append([d["id"] for d in response.json["data"]])
        link = response.json["links"][direction]
    return pages


def test_pages_follow_their_cursors_both_ways(api: Api) -> None:
    for n in range(5):
        api.create(account_number=f"PAGE{n}")
    everything = api("GET", changes(), query={"page[size]": "100"}).json
    total = everything["meta"]["total"]
    assert total >= 7
    ids = [d["id"] for d in everything["data"]]
    first = api("GET", changes(), query={"page[size]": "2"}).json
    assert [d["id"] for d in first["data"]] == ids[:2]
    assert first["meta"]["page"]["total"] == total
    assert set(query_of(first["links"]["next"])) == {"page[size]", "page[after]"}
    forward = walk(api, first["links"]["first"], "next")
    assert [i for page in forward for i in page] == ids
    assert [len(page) for page in forward[:-1]] == [2] * (len(forward) - 1)
    last = api(
        "GET",
        changes(),
        query={"page[size]": "2", "page[after]": first["data"][-1]["meta"]["page"]["cursor"]},
    )
    assert [d["id"] for d in last.json["data"]] == ids[2:4]
    assert "total" not in last.json["meta"]["page"]  # read from the cursor on, not the profile
    backward = walk(api, last.json["links"]["prev"], "prev")
    assert backward == [ids[:2]]
    oldest = api(
        "GET",
        changes(),
        query={
            "page[size]": "2",
            "page[before]": last.json["data"][0]["meta"]["page"]["cursor"],
        },
    )
    assert [d["id"] for d in oldest.json["data"]] == ids[:2]
    assert oldest.json["links"]["prev"] is None  # it reached the newest record, and the total
    assert oldest.json["meta"]["page"]["total"] == total


def test_a_cursor_page_stays_put_while_the_trail_grows(api: Api) -> None:
    """A cursor names a record, not an offset: new records do not shift the pages after it."""
    for n in range(3):
        api.create(account_number=f"STAY{n}")
    first = api("GET", changes(), query={"page[size]": "2"}).json
    after = api(
        "GET",
        urlsplit(first["links"]["next"]).path,
        query={k: v[0] for k, v in query_of(first["links"]["next"]).items()},
    ).json
    api.create(account_number="NEWER")
    again = api(
        "GET",
        urlsplit(first["links"]["next"]).path,
        query={k: v[0] for k, v in query_of(first["links"]["next"]).items()},
    ).json
    assert [d["id"] for d in again["data"]] == [d["id"] for d in after["data"]]


def test_pages_by_number_reach_the_first_ten_and_link_by_cursor(api: Api) -> None:
    for n in range(5):
        api.create(account_number=f"NUM{n}")
    ids = [d["id"] for d in api("GET", changes(), query={"page[size]": "100"}).json["data"]]
    second = api("GET", changes(), query={"page[size]": "2", "page[number]": "2"}).json
    assert [d["id"] for d in second["data"]] == ids[2:4]
    assert query_of(second["links"]["self"])["page[number]"] == ["2"]
    assert "page[after]" in query_of(second["links"]["next"])
    assert "page[before]" in query_of(second["links"]["prev"])
    past = api("GET", changes(), query={"page[size]": "2", "page[number]": "10"})
    assert (past.status, past.json["data"]) == (200, [])
    assert past.json["links"]["next"] is None
    assert walk(api, past.json["links"]["prev"], "prev")[0] == ids[-2:]
    beyond = api("GET", changes(), query={"page[number]": "11"})
    assert beyond.status == 400
    [error] = beyond.errors
    assert error["source"] == {"parameter": "page[number]"}
    assert "page[after]" in error["detail"] and "page[before]" in error["detail"]


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
    assert found["meta"] == {"page": {}}  # a filtered page's total is not kept
    assert query_of(found["links"]["self"])["filter[membership]"] == [mine["id"]]
    assert (found["links"]["prev"], found["links"]["next"]) == (None, None)
    two = api("GET", changes(), query={"filter[membership]": mine["id"], "page[size]": "2"}).json
    assert [d["id"] for d in two["data"]] == [d["id"] for d in found["data"][:2]]
    rest = walk(api, two["links"]["next"], "next")
    assert rest == [[found["data"][2]["id"]]]
    assert query_of(two["links"]["next"])["filter[membership]"] == [mine["id"]]
    others = api("GET", changes(), query={"filter[membership]": other["id"]}).json
    assert len(others["data"]) == 1
    nothing = api(
        "GET", changes(), query={"filter[membership]": "00000000-0000-0000-0000-000000000000"}
    ).json
    assert (nothing["data"], nothing["links"]["next"]) == ([], None)
    nobody = api("GET", changes("nobody"), query={"filter[membership]": other["id"]})
    assert nobody.status == 404


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
    filtered = api("GET", changes(), as_user="globex", query={"filter[membership]": acme["id"]})
    assert (filtered.status, filtered.json["data"]) == (200, [])


def test_no_credentials_is_401(api: Api) -> None:
    assert api("GET", changes(), as_user=None).status == 401
