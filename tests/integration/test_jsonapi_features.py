"""The JSON:API features clients reach for, through the handlers on moto: relationship links,
`include=loyalty_provider` (compound documents), sparse fieldsets, `sort`, links that keep
the view, and a 400 naming the parameter for anything else of JSON:API's family."""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import pytest

from local import template
from local.events import CONCUR_SUPPLIER_UPDATE
from tests.conftest import Api, ApiResponse, membership_document, patch_document

PATH = "/api/users/098765/loyalty_memberships"
PROVIDERS = "/api/loyalty_providers"
HILTON = "9c5b90ff-2cce-11e8-87f9-0662bed6e7db"
QANTAS = "9c5b9246-2cce-11e8-87f9-0662bed6e7db"
MARRIOTT = "9c5b9176-2cce-11e8-87f9-0662bed6e7db"
INCLUDE = {"include": "loyalty_provider"}


def follow(api: Api, link: str) -> ApiResponse:
    """GET a link the service gave (an absolute URL), as a client would."""
    parts = urlsplit(link)
    return api("GET", parts.path, query=dict(parse_qsl(parts.query, keep_blank_values=True)))


def provider(api: Api, provider_id: str) -> dict[str, Any]:
    data: dict[str, Any] = api("GET", f"{PROVIDERS}/{provider_id}").json["data"]
    return data


def count(api: Api) -> int:
    total: int = api("GET", PATH).json["meta"]["total"]
    return total


def assert_refused(response: ApiResponse, parameter: str) -> None:
    assert response.status == 400, response.body
    assert response.errors[0]["code"] == "bad_request"
    assert [e["source"] for e in response.errors] == [{"parameter": parameter}]


# -- relationship links -----------------------------------------------------------------


def test_relationship_links_lead_to_the_provider_and_to_the_users_memberships(api: Api) -> None:
    created = api.create(provider=QANTAS)
    relationships = api("GET", f"{PATH}/{created['id']}").json["data"]["relationships"]
    assert set(relationships["loyalty_provider"]["links"]) == {"related"}  # no self: see docs
    related = follow(api, relationships["loyalty_provider"]["links"]["related"])
    assert related.status == 200
    assert related.json["data"]["id"] == QANTAS
    assert related.json["data"]["attributes"]["name"] == "Qantas Frequent Flyer"
    memberships = follow(api, relationships["user"]["links"]["related"])
    assert [m["id"] for m in memberships.json["data"]] == [created["id"]]


# -- include ----------------------------------------------------------------------------


def test_a_list_includes_each_provider_once_as_its_full_resource(api: Api) -> None:
    for account, named in (("A1", QANTAS), ("A2", HILTON), ("A3", QANTAS)):
        api.create(account_number=account, provider=named)
    doc = api("GET", PATH, query=INCLUDE).json
    assert [m["attributes"]["account_number"] for m in doc["data"]] == ["A1", "A2", "A3"]
    assert doc["included"] == [provider(api, QANTAS), provider(api, HILTON)]


def test_a_list_page_includes_only_the_providers_it_shows(api: Api) -> None:
    api.create(account_number="A1", provider=QANTAS)
    api.create(account_number="A2", provider=HILTON)
    doc = api("GET", PATH, query={**INCLUDE, "page[size]": "1", "page[number]": "2"}).json
    assert [p["id"] for p in doc["included"]] == [HILTON]


def test_read_create_and_update_answers_include_the_provider(api: Api) -> None:
    created = api("POST", PATH, body=membership_document(QANTAS), query=INCLUDE)
    assert created.status == 201
    assert created.json["included"] == [provider(api, QANTAS)]
    item = f"{PATH}/{created.json['data']['id']}"
    assert created.headers["Location"].endswith(item)
    read = api("GET", item, query=INCLUDE)
    assert read.json["included"] == [provider(api, QANTAS)]
    moved = patch_document(created.json["data"]["id"])
    moved["data"]["relationships"] = {
        "loyalty_provider": {"data": {"id": MARRIOTT, "type": "loyalty_providers"}}
    }
    updated = api("PATCH", item, body=moved, query=INCLUDE)
    assert updated.status == 200
    assert updated.json["included"] == [provider(api, MARRIOTT)]


def test_without_include_nothing_is_included(api: Api) -> None:
    created = api.create()
    assert "included" not in api("GET", PATH).json
    assert "included" not in api("GET", f"{PATH}/{created['id']}").json


@pytest.mark.parametrize("value", ["user", "loyalty_provider.foo", "loyalty_provider,user", "*"])
def test_an_include_path_not_served_is_400_naming_include(api: Api, value: str) -> None:
    created = api.create()
    assert_refused(api("GET", PATH, query={"include": value}), "include")
    assert_refused(api("GET", f"{PATH}/{created['id']}", query={"include": value}), "include")


def test_providers_have_nothing_to_include(api: Api) -> None:
    assert_refused(api("GET", PROVIDERS, query=INCLUDE), "include")
    assert_refused(api("GET", f"{PROVIDERS}/{HILTON}", query=INCLUDE), "include")


def test_a_refused_query_writes_nothing(api: Api) -> None:
    bad = {"include": "user"}
    assert_refused(api("POST", PATH, body=membership_document(), query=bad), "include")
    assert count(api) == 0
    created = api.create(level="Gold")
    item = f"{PATH}/{created['id']}"
    assert_refused(
        api("PATCH", item, body=patch_document(created["id"], level="X"), query=bad), "include"
    )
    assert api("GET", item).json["data"]["attributes"]["level"] == "Gold"
    assert_refused(api("DELETE", item, query=bad), "include")  # DELETE answers nothing to shape
    assert api("GET", item).status == 200


# -- sparse fieldsets ---------------------------------------------------------------------


def test_fieldsets_keep_what_they_name_on_data_and_included(api: Api) -> None:
    created = api.create(level="Gold")
    query = {
        **INCLUDE,
        "fields[loyalty_memberships]": "level,account_number,loyalty_provider",
        "fields[loyalty_providers]": "name",
    }
    for doc in (
        api("GET", PATH, query=query).json,
        api("GET", f"{PATH}/{created['id']}", query=query).json,
    ):
        data = doc["data"][0] if isinstance(doc["data"], list) else doc["data"]
        assert data["id"] == created["id"]
        assert data["type"] == "loyalty_memberships"
        assert data["attributes"] == {"account_number": "H66590214", "level": "Gold"}
        assert list(data["relationships"]) == ["loyalty_provider"]  # user not named: left out
        assert data["links"]["self"].endswith(f"{PATH}/{created['id']}")
        assert doc["included"] == [
            {**provider(api, HILTON), "attributes": {"name": "Hilton Honors"}}
        ]


def test_a_provider_fieldset_on_the_catalog(api: Api) -> None:
    query = {"fields[loyalty_providers]": "code", "filter[code]": "HH"}
    listed = api("GET", PROVIDERS, query=query).json["data"]
    assert [p["attributes"] for p in listed] == [{"code": "HH"}]
    one = api("GET", f"{PROVIDERS}/{HILTON}", query={"fields[loyalty_providers]": ""}).json["data"]
    assert set(one) == {"id", "type", "links"}


@pytest.mark.parametrize(
    ("path", "name", "value"),
    [
        (PATH, "fields[loyalty_memberships]", "acount_number"),
        (PATH, "fields[loyalty_providers]", "vendor_code"),
        (PATH, "fields[users]", "name"),
        (PROVIDERS, "fields[loyalty_memberships]", "level"),
        (PROVIDERS, "fields[loyalty_providers]", "id"),
    ],
)
def test_a_field_or_type_not_served_is_400_naming_the_parameter(
    api: Api, path: str, name: str, value: str
) -> None:
    assert_refused(api("GET", path, query={name: value}), name)


# -- sort -----------------------------------------------------------------------------------


def accounts(response: ApiResponse) -> list[str]:
    return [m["attributes"]["account_number"] for m in response.json["data"]]


def test_sort_by_each_field_both_ways_and_by_several(api: Api) -> None:
    api.create(account_number="B", expires_on="2031-01-01")
    api.create(account_number="C", expires_on="2030-01-01")
    api.create(account_number="A", expires_on="2031-01-01")
    assert accounts(api("GET", PATH)) == ["B", "C", "A"]  # default: creation order
    assert accounts(api("GET", PATH, query={"sort": "created_at"})) == ["B", "C", "A"]
    assert accounts(api("GET", PATH, query={"sort": "-created_at"})) == ["A", "C", "B"]
    assert accounts(api("GET", PATH, query={"sort": "account_number"})) == ["A", "B", "C"]
    assert accounts(api("GET", PATH, query={"sort": "-account_number"})) == ["C", "B", "A"]
    assert accounts(api("GET", PATH, query={"sort": "expires_on"})) == [
        "C",
        "B",
        "A",
    ]  # tie: B first
    assert accounts(api("GET", PATH, query={"sort": "-expires_on,-account_number"})) == [
        "B",
        "A",
        "C",
    ]


def test_a_membership_without_expiry_sorts_last_and_first_when_descending(api: Api) -> None:
    api.create(account_number="DATED", expires_on="2030-01-01")
    concur = api(  # Concur writes memberships without an expiry
        "POST",
        "/api/travelprofile/v1.0/loyalty",
        as_user=None,
        headers={"Authorization": "OAuth concur-supplier-token", "Content-Type": "application/xml"},
        body=CONCUR_SUPPLIER_UPDATE,
    )
    assert concur.status == 200
    undated = [a for a in accounts(api("GET", PATH)) if a != "DATED"]  # in creation order
    ascending = api("GET", PATH, query={"sort": "expires_on"})
    assert accounts(ascending) == ["DATED", *undated]
    expiries = [m["attributes"]["expires_on"] for m in ascending.json["data"]]
    assert expiries == ["2030-01-01", None, None]
    descending = api("GET", PATH, query={"sort": "-expires_on"})
    assert accounts(descending) == [*undated, "DATED"]  # the nulls tie: creation order


@pytest.mark.parametrize("value", ["", "id", "level", "created", "+created_at", "created_at,"])
def test_a_sort_not_served_is_400_naming_sort(api: Api, value: str) -> None:
    assert_refused(api("GET", PATH, query={"sort": value}), "sort")


def test_a_single_resource_takes_no_sort_and_no_paging(api: Api) -> None:
    created = api.create()
    item = f"{PATH}/{created['id']}"
    assert_refused(api("GET", item, query={"sort": "created_at"}), "sort")
    assert_refused(api("GET", item, query={"page[size]": "10"}), "page[size]")


def test_the_catalog_sorts_by_name_category_and_code(api: Api) -> None:
    query = {"filter[category]": "airline", "page[size]": "100"}
    by_name = api("GET", PROVIDERS, query=query).json["data"]
    names = [p["attributes"]["name"] for p in by_name]
    assert names == sorted(names)  # the default
    reverse = api("GET", PROVIDERS, query={**query, "sort": "-name"}).json["data"]
    assert [p["attributes"]["name"] for p in reverse] == names[::-1]
    by_code = api("GET", PROVIDERS, query={**query, "sort": "code"}).json["data"]
    codes = [p["attributes"]["code"] for p in by_code]
    assert codes == sorted(codes)
    mixed = api("GET", PROVIDERS, query={"sort": "-category,name", "page[size]": "100"}).json
    categories = [p["attributes"]["category"] for p in mixed["data"]]
    assert categories == sorted(categories, reverse=True)
    assert_refused(api("GET", PROVIDERS, query={"sort": "vendor_code"}), "sort")


# -- the links keep the view ---------------------------------------------------------------


def test_following_next_keeps_sort_include_and_fields(api: Api) -> None:
    for account, named in (
        ("D", QANTAS),
        ("B", HILTON),
        ("C", MARRIOTT),
        ("A", QANTAS),
        ("E", HILTON),
    ):
        api.create(account_number=account, provider=named)
    query = {
        "sort": "-account_number",
        **INCLUDE,
        "fields[loyalty_memberships]": "account_number,loyalty_provider",
        "page[size]": "2",
    }
    response = api("GET", PATH, query=query)
    seen: list[str] = []
    while True:
        doc = response.json
        seen += [m["attributes"]["account_number"] for m in doc["data"]]
        named = {m["relationships"]["loyalty_provider"]["data"]["id"] for m in doc["data"]}
        assert {p["id"] for p in doc["included"]} == named
        assert all(set(m["attributes"]) == {"account_number"} for m in doc["data"])
        if doc["links"]["next"] is None:
            break
        response = follow(api, doc["links"]["next"])
    assert seen == ["E", "D", "C", "B", "A"]
    assert follow(api, doc["links"]["first"]).json == api("GET", PATH, query=query).json


# -- anything else of JSON:API's family -------------------------------------------------------


@pytest.mark.parametrize("name", ["filter[level]", "page[offset]", "page[cursor]", "foo", "filter"])
def test_other_jsonapi_parameters_are_400_naming_them(api: Api, name: str) -> None:
    assert_refused(api("GET", PATH, query={name: "1"}), name)


def test_implementation_specific_parameters_are_ignored(api: Api) -> None:
    assert api("GET", PATH, query={"client_trace": "1", "_": "123"}).status == 200


def test_every_bad_parameter_is_reported_in_one_answer(api: Api) -> None:
    response = api("GET", PATH, query={"sort": "id", "include": "user", "page[size]": "0"})
    assert response.status == 400
    assert {e["source"]["parameter"] for e in response.errors} == {"sort", "include", "page[size]"}


# -- the OpenAPI document declares what each route reads ---------------------------------------

SPEC = json.loads((template.ROOT / "openapi.json").read_text("utf-8"))
JSON_API_PATHS = [p for p in SPEC["paths"] if p.startswith(("/api/users/", PROVIDERS))]


def query_parameters(operation: dict[str, Any]) -> dict[str, str]:
    """The query parameters an operation declares, each with a value it documents as valid."""
    found = {}
    for parameter in operation.get("parameters", []):
        if "$ref" in parameter:
            parameter = SPEC["components"]["parameters"][parameter["$ref"].rsplit("/", 1)[1]]
        if parameter["in"] == "query":
            schema = parameter["schema"]
            value = schema.get("example", schema.get("default", (schema.get("enum") or [""])[0]))
            found[parameter["name"]] = str(value)
    return found


OPERATIONS = {
    (path, method.upper()): operation
    for path in JSON_API_PATHS
    for method, operation in SPEC["paths"][path].items()
    if method != "parameters"
}
EVERY_QUERY_PARAMETER = {name for o in OPERATIONS.values() for name in query_parameters(o)}


@pytest.mark.parametrize(("path", "method"), list(OPERATIONS))
def test_each_route_reads_exactly_the_query_parameters_the_document_declares(
    api: Api, path: str, method: str
) -> None:
    created = api.create(account_number="SPEC0", provider=QANTAS)
    url = path.format(employee_id="098765", membership_id=created["id"], provider_id=HILTON)
    bodies = {
        "POST": lambda n: membership_document(account_number=f"SPEC{n}"),
        "PATCH": lambda n: patch_document(created["id"], level=f"L{n}"),
    }
    body = bodies.get(method, lambda n: None)
    declared = query_parameters(OPERATIONS[path, method])
    for n, (name, value) in enumerate(declared.items(), start=1):
        if name in ("page[after]", "page[before]"):  # a cursor is its trail's own
            value = api("GET", url).json["data"][0]["meta"]["page"]["cursor"]
        response = api(method, url, query={name: value}, body=body(n))
        assert response.status < 300, (name, value, response.body)
    for name in sorted(EVERY_QUERY_PARAMETER - set(declared)):
        assert_refused(api(method, url, query={name: "1"}, body=body(0)), name)
