"""The provider catalog: read-only, paged, filterable, Locomote-shaped."""

from __future__ import annotations

import json

import pytest

from local.admin import CATALOG
from tests.conftest import Api

HILTON = "9c5b90ff-2cce-11e8-87f9-0662bed6e7db"


def test_a_provider_looks_like_locomotes(api: Api) -> None:
    response = api("GET", f"/api/loyalty_providers/{HILTON}", as_user="john")
    assert response.status == 200
    data = response.json["data"]
    assert data["type"] == "loyalty_providers"
    attributes = data["attributes"]
    assert {k: v for k, v in attributes.items() if k != "chain_codes"} == {
        "name": "Hilton Honors",
        "category": "hotel",
        "code": "HH",
    }
    assert attributes["chain_codes"][0] == "HH"
    assert {"HX", "DT", "ES", "GI", "WA"} <= set(attributes["chain_codes"])


def test_the_whole_catalog_is_listed_with_total(api: Api) -> None:
    shipped = json.loads(CATALOG.read_text("utf-8"))
    response = api("GET", "/api/loyalty_providers", query={"page[size]": "100"})
    assert response.json["meta"]["total"] == len(shipped) + 1  # + the demo-only TR car program
    names = {p["attributes"]["name"] for p in response.json["data"]}
    assert {
        "Virgin Australia Velocity",
        "Qantas Frequent Flyer",
        "Marriott Bonvoy",
        "American Airlines AAdvantage",
    } <= names


@pytest.mark.parametrize(("category", "code"), [("airline", "QF"), ("hotel", "MC"), ("car", "ZE")])
def test_filters_by_category_and_code(api: Api, category: str, code: str) -> None:
    response = api(
        "GET", "/api/loyalty_providers", query={"filter[category]": category, "filter[code]": code}
    )
    data = response.json["data"]
    assert len(data) == 1
    assert data[0]["attributes"]["category"] == category
    assert data[0]["attributes"]["code"] == code
    assert "filter%5Bcategory%5D=" + category in response.json["links"]["self"]


def test_filter_by_category_returns_only_that_category(api: Api) -> None:
    data = api(
        "GET", "/api/loyalty_providers", query={"filter[category]": "hotel", "page[size]": "100"}
    ).json["data"]
    assert len(data) >= 10
    assert {p["attributes"]["category"] for p in data} == {"hotel"}


def test_unknown_provider_is_404(api: Api) -> None:
    response = api("GET", "/api/loyalty_providers/00000000-0000-0000-0000-000000000000")
    assert response.status == 404
    assert response.errors[0]["code"] == "record_not_found"


@pytest.mark.parametrize("method", ["POST", "PATCH", "DELETE", "PUT"])
def test_nobody_writes_the_catalog(api: Api, method: str) -> None:
    for who in ("john", "admin"):
        assert api(method, "/api/loyalty_providers", as_user=who).status == 405
        assert api(method, f"/api/loyalty_providers/{HILTON}", as_user=who).status == 405


def test_an_unknown_category_is_400(api: Api) -> None:
    response = api("GET", "/api/loyalty_providers", query={"filter[category]": "boats"})
    assert response.status == 400
    assert response.errors[0]["source"] == {"parameter": "filter[category]"}


def test_catalog_paging_is_validated(api: Api) -> None:
    assert api("GET", "/api/loyalty_providers", query={"page[size]": "1000"}).status == 400
    assert api("GET", "/api/loyalty_providers", query={"filter[name]": "x"}).status == 400


@pytest.mark.parametrize(
    ("code", "name"),
    [
        ("CY", "Marriott Bonvoy"),
        ("rz", "Marriott Bonvoy"),
        ("EM", "Marriott Bonvoy"),
        ("HX", "Hilton Honors"),
        ("es", "Hilton Honors"),
        ("YZ", "IHG One Rewards"),
        ("SB", "ALL - Accor Live Limitless"),
        ("DI", "Wyndham Rewards"),
        ("CI", "Choice Privileges"),
    ],
)
def test_filter_by_code_finds_a_hotel_program_by_any_of_its_brands(
    api: Api, code: str, name: str
) -> None:
    data = api("GET", "/api/loyalty_providers", query={"filter[code]": code}).json["data"]
    assert [(p["attributes"]["name"], p["attributes"]["category"]) for p in data] == [
        (name, "hotel")
    ]
    assert code.upper() in data[0]["attributes"]["chain_codes"]


def test_a_brand_code_is_not_an_airline_code(api: Api) -> None:
    query = {"filter[category]": "airline", "filter[code]": "CY"}
    assert api("GET", "/api/loyalty_providers", query=query).json["data"] == []


def test_air_and_car_programs_have_no_chain_codes(api: Api) -> None:
    data = api("GET", "/api/loyalty_providers", query={"page[size]": "100"}).json["data"]
    for provider in data:
        attributes = provider["attributes"]
        if attributes["category"] == "hotel":
            assert isinstance(attributes["chain_codes"], list)
        else:
            assert attributes["chain_codes"] is None and attributes["code"]


def test_an_alliance_has_no_code_and_an_empty_family(api: Api) -> None:
    stash = "270ef4ae-157d-42ce-bb7c-0b87879b10a7"
    attributes = api("GET", f"/api/loyalty_providers/{stash}").json["data"]["attributes"]
    assert attributes == {
        "name": "Stash Hotel Rewards",
        "category": "hotel",
        "code": None,
        "chain_codes": [],
    }
