"""The hotel LoyaltyCard enrichment call: placement by the v52 schema (validated with the
real XSD), any schema version, travellers, hostile input, and the round trip from the
JSON:API and Concur interfaces to cards."""

from __future__ import annotations

import json
from functools import cache
from typing import Any

import pytest
from lxml import etree

from local.events import CONCUR_SUPPLIER_UPDATE
from local.template import ROOT
from tests import travelport
from tests.conftest import Api, ApiResponse

ROUTE = "/api/hotel/loyalty_cards/enrich"
FIXTURES = ROOT / "tests/fixtures/uapi"
HILTON = "9c5b90ff-2cce-11e8-87f9-0662bed6e7db"
MARRIOTT = "9c5b9176-2cce-11e8-87f9-0662bed6e7db"
QANTAS = "9c5b9246-2cce-11e8-87f9-0662bed6e7db"
HERTZ = "cd3b6861-7b63-543e-a2f3-48784549c7c8"
COMMON52 = "http://www.travelport.com/schema/common_v52_0"
RESPONSE_ONLY = {
    "ElStat",
    "KeyOverride",
    "AllianceLevel",
    "MembershipStatus",
    "Level",
    "PriorityCode",
    "Status",
    "MembershipProgram",
}


@cache
def schema(universal: bool) -> etree.XMLSchema:
    path = (
        "universal_v52_0/UniversalRecordReqRsp.xsd" if universal else "hotel_v52_0/HotelReqRsp.xsd"
    )
    return etree.XMLSchema(etree.parse(str(travelport.schema(path))))


def request_element(document: bytes) -> etree._Element:
    root = etree.fromstring(document)
    if etree.QName(root).localname == "Envelope":
        root = next(iter(root.find("{*}Body")))
    return root


def assert_valid(document: bytes) -> None:
    element = request_element(document)
    xsd = schema("universal_v52_0" in element.tag)
    assert xsd.validate(etree.ElementTree(element)), xsd.error_log


def fixture(name: str, **replace: str) -> str:
    text = (FIXTURES / name).read_text("utf-8")
    for old, new in replace.items():
        text = text.replace(old, new)
    return text


def enrich(
    api: Api,
    body: str | bytes,
    as_user: str = "admin",
    accept: str | None = None,
    content_type: str = "application/xml",
    **query: str,
) -> ApiResponse:
    headers = {"Content-Type": content_type, "Accept": accept}
    return api("POST", ROUTE, as_user=as_user, headers=headers, body=body, query=query)


def cards(document: bytes) -> list[etree._Element]:
    return list(etree.fromstring(document).iter("{*}LoyaltyCard"))


def without_cards(document: bytes) -> bytes:
    """The canonical form (C14N) of `document` with its LoyaltyCards taken out again, the
    whitespace of their insertion included."""
    enriched = etree.fromstring(document)
    for card in list(enriched.iter("{*}LoyaltyCard")):
        previous = card.getprevious()
        if previous is not None:
            previous.tail = card.tail
        card.getparent().remove(card)
    return etree.tostring(enriched, method="c14n")


def canonical(document: bytes) -> bytes:
    return etree.tostring(etree.fromstring(document), method="c14n")


def report(api: Api, body: str, **query: str) -> dict[str, Any]:
    response = enrich(api, body, accept="application/json", **query)
    assert response.status == 200, response.body
    data: dict[str, Any] = response.json["data"]
    return data


def give(api: Api, employee_id: str, provider: str, account: str, **attributes: Any) -> str:
    created = api.create(employee_id, provider=provider, account_number=account, **attributes)
    return str(created["id"])


@pytest.fixture
def john(api: Api) -> Api:
    """John Smith (098765) holds a Hilton, a Qantas and a Hertz membership."""
    give(api, "098765", HILTON, "HH111")
    give(api, "098765", QANTAS, "QF222")
    give(api, "098765", HERTZ, "ZE333")
    return api


# -- each request kind validates against the real v52 schema, for each provider ---------------

KINDS = [
    "search_v52.xml",
    "supershopper_v52.xml",
    "details_v52.xml",
    "reservation_v52.xml",
    "modify_v52.xml",
]


@pytest.mark.parametrize("provider", ["1G", "1V", "1P"])
@pytest.mark.parametrize("name", KINDS)
def test_enriched_requests_validate_against_the_v52_schema(
    john: Api, name: str, provider: str
) -> None:
    body = fixture(
        name,
        **{
            'ProviderCode="1P"': f'ProviderCode="{provider}"',
            '<com:Provider Code="1G"/>': f'<com:Provider Code="{provider}"/>',
            '<com:Provider Code="1V"/>': f'<com:Provider Code="{provider}"/>',
            'ProviderCode="1G"': f'ProviderCode="{provider}"',
        },
    )
    assert_valid(body.encode())
    response = enrich(john, body, employee_id="098765", provider=provider)
    assert response.status == 200, response.body
    added = cards(response.body)
    assert {(c.get("SupplierCode"), c.get("SupplierType")) for c in added} >= {("QF", "Air")}
    for card in added:
        assert etree.QName(card).namespace == COMMON52
        assert not set(card.attrib) & RESPONSE_ONLY
        assert len(card.get("Key", "")) == 36
    assert_valid(response.body)
    assert int(response.headers["Loyalty-Cards-Added"]) == len(added)


def test_search_cards_go_after_permitted_providers_and_before_hotel_name(john: Api) -> None:
    response = enrich(john, fixture("search_v52.xml"), employee_id="098765")
    modifiers = request_element(response.body).find("{*}HotelSearchModifiers")
    names = [etree.QName(c).localname for c in modifiers]
    assert names == ["PermittedProviders", "LoyaltyCard", "LoyaltyCard", "HotelName"]
    assert b'<com:LoyaltyCard Key="' in response.body  # the document's own prefix


def test_missing_search_modifiers_are_created_in_their_place(john: Api) -> None:
    response = enrich(john, fixture("supershopper_v52.xml"), employee_id="098765", provider="1G")
    request = request_element(response.body)
    names = [etree.QName(c).localname for c in request]
    assert names == [
        "BillingPointOfSaleInfo",
        "HotelSearchLocation",
        "HotelSearchModifiers",
        "HotelStay",
    ]
    assert_valid(response.body)


def test_details_without_modifiers_takes_no_card_and_says_why(john: Api) -> None:
    body = fixture("details_v52.xml")
    start, end = (
        body.index("<hot:HotelDetailsModifiers"),
        body.index("</hot:HotelDetailsModifiers>"),
    )
    body = body[:start] + body[end + len("</hot:HotelDetailsModifiers>") :]
    data = report(john, body, employee_id="098765", provider="1V")
    assert data["added"] == []
    assert [left["reason"] for left in data["left_out"]] == ["no_place"]
    assert_valid(data["document"].encode())


def test_nothing_else_in_the_document_changes(john: Api) -> None:
    body = fixture("reservation_v52.xml").encode()
    response = enrich(john, body, content_type="text/xml")
    assert response.headers["Content-Type"] == "text/xml"
    assert cards(response.body)
    assert without_cards(response.body) == canonical(body)


def test_the_xml_declaration_is_kept_and_cards_are_indented_like_their_siblings(
    john: Api,
) -> None:
    response = enrich(john, fixture("search_v52.xml"), employee_id="098765")
    assert response.body.startswith(b'<?xml version="1.0" encoding="UTF-8"?>\n<hot:')
    assert b'\n    <com:LoyaltyCard Key="' in response.body
    assert b"/>\n    <hot:HotelName>" in response.body


# -- travellers ---------------------------------------------------------------------------------


def test_each_booking_traveler_gets_their_own_cards(john: Api) -> None:
    give(john, "112233", MARRIOTT, "MJANE1")
    response = enrich(john, fixture("reservation_v52.xml"))
    request = request_element(response.body)
    travellers = request.findall("{*}BookingTraveler")
    johns = [
        (c.get("SupplierCode"), c.get("CardNumber")) for c in travellers[0].iter("{*}LoyaltyCard")
    ]
    janes = [
        (c.get("SupplierCode"), c.get("CardNumber")) for c in travellers[1].iter("{*}LoyaltyCard")
    ]
    # The reservation is at a Marriott (HotelChain MC): John has no Marriott card, so no hotel
    # card; his Qantas card goes; his Hilton card is left out as another chain, Hertz as a car.
    assert johns == [("QF", "QF222")]
    assert janes == [("MC", "MJANE1")]
    names = [etree.QName(c).localname for c in travellers[0]]
    assert names.index("LoyaltyCard") == names.index("Email") + 1
    assert_valid(response.body)


def test_a_traveller_without_email_beside_others_is_not_found(john: Api) -> None:
    body = fixture("reservation_v52.xml").replace(
        '<com:Email EmailID="jane.doe@acme.example"/>', ""
    )
    data = report(john, body)
    assert {a["employee_id"] for a in data["added"]} == {"098765"}
    unmatched = [left for left in data["left_out"] if left["place"].startswith("BookingTraveler 2")]
    assert [left["reason"] for left in unmatched] == ["traveller_not_found"]
    assert "no_place" not in {left["reason"] for left in data["left_out"]}


def test_a_traveller_of_another_company_is_never_matched(api: Api) -> None:
    give(api, "098765", QANTAS, "QFACME")
    body = fixture("reservation_v52.xml")
    response = enrich(api, body, as_user="globex", accept="application/json")
    assert response.status == 200
    data = response.json["data"]
    assert data["added"] == []
    assert {left["reason"] for left in data["left_out"]} == {"traveller_not_found"}
    assert b"QFACME" not in response.body


def test_a_traveller_outside_the_callers_reach_is_not_matched(john: Api) -> None:
    response = enrich(
        john, fixture("reservation_v52.xml"), as_user="jane", accept="application/json"
    )
    data = response.json["data"]
    assert {a["employee_id"] for a in data["added"]} <= {"112233"}
    assert "traveller_not_found" in {left["reason"] for left in data["left_out"]}


def test_search_needs_an_employee_id_in_reach(john: Api) -> None:
    body = fixture("search_v52.xml")
    assert enrich(john, body).status == 422
    assert enrich(john, body, employee_id="098765", as_user="jane").status == 404
    assert enrich(john, body, employee_id="098765", as_user="john").status == 200


# -- provider -----------------------------------------------------------------------------------


def test_provider_comes_from_the_query_or_the_document(john: Api) -> None:
    body = fixture("search_v52.xml")
    assert report(john, body, employee_id="098765")["provider"] == "1G"
    no_provider = (
        body.replace('<com:Provider Code="1G"/>', "")
        .replace("<com:PermittedProviders>", "")
        .replace("</com:PermittedProviders>", "")
    )
    assert enrich(john, no_provider, employee_id="098765").status == 400
    assert report(john, no_provider, employee_id="098765", provider="1P")["provider"] == "1P"
    assert enrich(john, body, employee_id="098765", provider="1P").status == 400  # disagree
    assert enrich(john, body, employee_id="098765", provider="2X").status == 400


def test_an_aggregator_code_in_the_document_is_ignored(john: Api) -> None:
    trm = fixture("search_v52.xml").replace(
        '<com:Provider Code="1G"/>', '<com:Provider Code="TRM"/>'
    )
    assert report(john, trm, employee_id="098765", provider="1G")["provider"] == "1G"
    refused = enrich(john, trm, employee_id="098765")
    assert refused.status == 400
    assert "names no single GDS" in refused.errors[0]["detail"]
    assert "PermittedProviders TRM" in refused.errors[0]["detail"]


def test_point_of_sale_names_the_provider_and_a_query_that_disagrees_is_refused(
    john: Api,
) -> None:
    body = (
        fixture("search_v52.xml")
        .replace('<com:Provider Code="1G"/>', '<com:Provider Code="TRM"/>')
        .replace(
            "</hot:HotelStay>",
            '</hot:HotelStay>\n  <com:PointOfSale ProviderCode="1V" PseudoCityCode="ZZ9"/>',
        )
    )
    assert report(john, body, employee_id="098765")["provider"] == "1V"
    refused = enrich(john, body, employee_id="098765", provider="1G")
    assert refused.status == 400
    assert refused.errors[0]["detail"] == (
        "provider=1G disagrees with the document, which names 1V (PointOfSale)"
    )
    both = body.replace('<com:Provider Code="TRM"/>', '<com:Provider Code="1G"/>')
    refused = enrich(john, both, employee_id="098765")
    assert refused.status == 400
    assert "1G (PermittedProviders) and 1V (PointOfSale)" in refused.errors[0]["detail"]


def test_1p_never_gets_dollar_dollar(john: Api) -> None:
    body = fixture("reservation_v52.xml")  # ProviderCode="1P"
    response = enrich(john, body)
    assert all(c.get("SupplierCode") != "$$" for c in cards(response.body))


# -- any schema version ---------------------------------------------------------------------------


def test_an_older_schema_version_comes_back_in_its_own_namespaces(john: Api) -> None:
    body = travelport.reference("examples/HotelSearchAvailabilityReq_v26_tutorial.xml").read_bytes()
    response = enrich(john, body, employee_id="098765", content_type="text/xml")
    assert response.status == 200, response.body
    added = cards(response.body)
    assert added
    assert {etree.QName(c).namespace for c in added} == {
        "http://www.travelport.com/schema/common_v26_0"
    }
    assert b"v52" not in response.body
    assert response.body.count(b"soapenv:Envelope") == 2  # the envelope is kept


def test_existing_cards_are_kept_and_not_duplicated(john: Api) -> None:
    body = fixture("search_v52.xml").replace(
        "</com:PermittedProviders>",
        '</com:PermittedProviders>\n    <com:LoyaltyCard SupplierCode="QF" CardNumber="QF222" '
        'SupplierType="Air"/>',
    )
    data = report(john, body, employee_id="098765")
    document = data["document"].encode()
    assert [(c.get("SupplierCode"), c.get("CardNumber")) for c in cards(document)] == [
        ("QF", "QF222"),
        ("HH", "HH111"),
    ]
    assert_valid(document)


def test_rules_requests_take_none(john: Api) -> None:
    data = report(john, fixture("rules_v52.xml"), employee_id="098765", provider="1G")
    assert data["added"] == []
    assert data["left_out"][0]["reason"] == "no_place"


def test_modify_needs_a_booking_traveler_ref(john: Api) -> None:
    body = fixture("modify_v52.xml").replace(' BookingTravelerRef="bt1"', "")
    refused = report(john, body, employee_id="098765")
    assert refused["added"] == [] and refused["left_out"][0]["reason"] == "no_place"
    nothing = report(john, body, employee_id="112233", booking_traveler_ref="bt7")
    assert nothing["added"] == []  # Jane holds nothing here: the document stays as it was
    assert b"BookingTravelerRef" not in nothing["document"].encode()
    given = report(john, body, employee_id="098765", booking_traveler_ref="bt7")
    assert b'BookingTravelerRef="bt7"' in given["document"].encode()
    assert len(given["added"]) == 2
    assert_valid(given["document"].encode())


# -- the report -----------------------------------------------------------------------------------


def test_every_card_left_out_is_reported_with_its_reason(john: Api) -> None:
    give(john, "098765", MARRIOTT, "MCOLD", expires_on="2020-01-01")
    give(john, "098765", MARRIOTT, "M" * 40)
    data = report(john, fixture("search_v52.xml"), employee_id="098765")
    assert {a["supplier_code"] for a in data["added"]} == {"HH", "QF"}
    assert sorted(left["reason"] for left in data["left_out"]) == [
        "card_number_too_long",
        "expired",
        "vehicle_program",
    ]
    assert all(left["membership_id"] for left in data["left_out"])
    json.dumps(data)  # machine-readable


@pytest.mark.parametrize(
    ("content_type", "accept", "answer"),
    [
        ("application/xml", None, "application/xml"),
        ("text/xml", "*/*", "text/xml"),
        ("text/xml", "text/xml, application/json;q=0.5", "text/xml"),
        ("application/xml", "application/json;q=0.5, application/xml", "application/xml"),
        ("application/xml", "application/json", "application/json"),
        ("application/xml", "application/xml;q=0.4, application/json;q=0.5", "application/json"),
        ("application/xml", "application/json, application/xml", "application/xml"),
        ("text/xml", "application/xml", "application/xml"),
        ("application/xml", "text/xml;q=1, application/xml;q=0", "text/xml"),
        ("application/xml", "application/json;q=0, */*", "application/xml"),
    ],
)
def test_accept_is_read_with_its_q_values(
    john: Api, content_type: str, accept: str | None, answer: str
) -> None:
    body = fixture("search_v52.xml")
    response = enrich(john, body, accept=accept, content_type=content_type, employee_id="098765")
    assert response.status == 200
    assert response.headers["Content-Type"] == answer
    if answer == "application/json":
        assert cards(response.json["data"]["document"].encode())
    else:
        assert cards(response.body)


def test_xml_answers_carry_the_counts_in_headers(john: Api) -> None:
    response = enrich(john, fixture("search_v52.xml"), employee_id="098765")
    assert response.headers["Loyalty-Cards-Added"] == "2"
    assert response.headers["Loyalty-Cards-Left-Out"] == "1"


# -- one record, three interfaces -----------------------------------------------------------------


def test_memberships_from_json_api_and_concur_show_up_as_cards(api: Api) -> None:
    give(api, "098765", HILTON, "HHJSONAPI")
    headers = {"Authorization": "OAuth concur-supplier-token", "Content-Type": "application/xml"}
    assert (
        api(
            "POST",
            "/api/travelprofile/v1.0/loyalty",
            as_user=None,
            headers=headers,
            body=CONCUR_SUPPLIER_UPDATE,
        ).status
        == 200
    )
    data = report(api, fixture("search_v52.xml"), employee_id="098765")
    added = {(a["supplier_code"], a["supplier_type"]) for a in data["added"]}
    assert added == {("HH", "Hotel"), ("AA", "Air")}
    numbers = [c.get("CardNumber") for c in cards(data["document"].encode())]
    assert "HHJSONAPI" in numbers and "1234567890" in numbers


# -- bad input ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("body", "status"),
    [
        ("<HotelSearchAvailabilityReq>", 400),
        ("", 400),
        ('<!DOCTYPE r [<!ENTITY x SYSTEM "file:///etc/passwd">]><r>&x;</r>', 400),
        ('<!DOCTYPE r [<!ENTITY a "aaaa"><!ENTITY b "&a;&a;&a;&a;">]><r>&b;</r>', 400),
        ("<a>" * 100 + "</a>" * 100, 400),
        ("<LoyaltyMembershipUpdate/>", 422),
        ('<air:LowFareSearchReq xmlns:air="http://www.travelport.com/schema/air_v52_0"/>', 422),
    ],
)
def test_bad_and_hostile_xml_is_refused_clearly(john: Api, body: str, status: int) -> None:
    response = enrich(john, body, employee_id="098765", provider="1G")
    assert response.status == status
    assert response.errors[0]["detail"]


def test_other_media_types_and_sizes(john: Api) -> None:
    body = fixture("search_v52.xml")
    assert enrich(john, body, employee_id="098765", content_type="application/json").status == 415
    huge = body.replace("<hot:HotelName>", "<!--" + "x" * (1024 * 1024) + "--><hot:HotelName>")
    assert enrich(john, huge, employee_id="098765").status == 413


def test_authentication_is_required(john: Api) -> None:
    body = fixture("search_v52.xml")
    response = john(
        "POST",
        ROUTE,
        as_user=None,
        body=body,
        query={"employee_id": "098765"},
        headers={"Content-Type": "application/xml"},
    )
    assert response.status == 401


# -- brand families (SPEC 6a) ---------------------------------------------------------------------

STASH = "270ef4ae-157d-42ce-bb7c-0b87879b10a7"  # an alliance with no chain code of its own


def at_provider(body: str, provider: str) -> str:
    """A fixture's document for another GDS (its ProviderCode and PermittedProviders)."""
    for old in ('ProviderCode="1P"', 'ProviderCode="1G"', 'ProviderCode="1V"'):
        body = body.replace(old, f'ProviderCode="{provider}"')
    for old in ('<com:Provider Code="1G"/>', '<com:Provider Code="1V"/>'):
        body = body.replace(old, f'<com:Provider Code="{provider}"/>')
    return body


def search_with(chains: str = "", provider: str = "1G") -> str:
    """The search fixture with PermittedChains / ProhibitedChains before PermittedProviders."""
    body = fixture("search_v52.xml").replace(
        "<com:PermittedProviders>", chains + "<com:PermittedProviders>"
    )
    return at_provider(body, provider)


def chain_list(element: str, codes: Any) -> str:
    inner = "".join(f'<hot:HotelChain Code="{code}"/>' for code in codes)
    return f"<hot:{element}>{inner}</hot:{element}>"


def hotel_cards(data: dict[str, Any]) -> list[tuple[str, str, str]]:
    return [
        (a["supplier_code"], a["membership_id"], a["supplier_code_from"])
        for a in data["added"]
        if a["supplier_type"] == "Hotel"
    ]


@pytest.fixture
def families(api: Api) -> dict[str, str]:
    """John Smith holds Hilton Honors, Marriott Bonvoy (in that order) and Qantas."""
    return {
        "hilton": give(api, "098765", HILTON, "HH111"),
        "marriott": give(api, "098765", MARRIOTT, "MC222"),
        "qantas": give(api, "098765", QANTAS, "QF333"),
    }


@pytest.mark.parametrize("provider", ["1G", "1V", "1P"])
@pytest.mark.parametrize(
    ("brand", "program"),
    [
        ("CY", "marriott"),
        ("RZ", "marriott"),
        ("SI", "marriott"),
        ("HX", "hilton"),
        ("DT", "hilton"),
        ("ES", "hilton"),
    ],
)
def test_a_reservation_at_a_brand_gets_its_programs_card_under_the_brands_code(
    api: Api, families: dict[str, str], provider: str, brand: str, program: str
) -> None:
    body = at_provider(fixture("reservation_v52.xml"), provider).replace(
        'HotelChain="MC"', f'HotelChain="{brand}"'
    )
    assert_valid(body.encode())
    data = report(api, body)
    assert data["provider"] == provider
    assert hotel_cards(data) == [(brand, families[program], "requested_chain")]
    other = "hilton" if program == "marriott" else "marriott"
    assert {
        (left["membership_id"], left["reason"])
        for left in data["left_out"]
        if left.get("membership_id")
    } == {(families[other], "other_chain")}
    document = data["document"].encode()
    john = request_element(document).findall("{*}BookingTraveler")[0]
    assert [
        (c.get("SupplierCode"), c.get("SupplierType")) for c in john.iter("{*}LoyaltyCard")
    ] == [
        (brand, "Hotel"),
        ("QF", "Air"),
    ]
    assert_valid(document)


def test_permitted_chains_name_a_brand_of_the_family(api: Api, families: dict[str, str]) -> None:
    data = report(api, search_with(chain_list("PermittedChains", ["HX"])), employee_id="098765")
    assert hotel_cards(data) == [("HX", families["hilton"], "requested_chain")]
    assert_valid(data["document"].encode())


def test_no_chain_named_takes_the_primary_code(api: Api, families: dict[str, str]) -> None:
    data = report(api, search_with(), employee_id="098765")
    assert hotel_cards(data) == [("HH", families["hilton"], "primary_code")]
    [air] = [a for a in data["added"] if a["supplier_type"] == "Air"]
    assert (air["supplier_code"], air["supplier_code_from"]) == ("QF", "airline_code")


@pytest.mark.parametrize(("provider", "generic"), [("1G", "$$"), ("1V", "$$"), ("1P", "XX")])
def test_an_alliance_without_a_chain_code_gets_the_generic_code(
    api: Api, provider: str, generic: str
) -> None:
    membership = give(api, "098765", STASH, "ST-1234 56")
    data = report(api, search_with(provider=provider), employee_id="098765")
    assert hotel_cards(data) == [(generic, membership, "generic_code")]
    [card] = cards(data["document"].encode())
    assert (card.get("SupplierCode"), card.get("CardNumber")) == (generic, "ST123456")
    assert_valid(data["document"].encode())
    named = report(
        api, search_with(chain_list("PermittedChains", ["HH"]), provider), employee_id="098765"
    )
    assert named["added"] == [] and named["left_out"][0]["reason"] == "other_chain"


def hilton_family(api: Api) -> list[str]:
    codes: list[str] = api("GET", f"/api/loyalty_providers/{HILTON}").json["data"]["attributes"][
        "chain_codes"
    ]
    return codes


def test_prohibiting_a_whole_family_leaves_it_out_and_frees_its_place(
    api: Api, families: dict[str, str]
) -> None:
    body = search_with(chain_list("ProhibitedChains", hilton_family(api)))
    data = report(api, body, employee_id="098765")
    # Hilton, created first, would be the hotel card; prohibited, Marriott takes the place.
    assert hotel_cards(data) == [("MC", families["marriott"], "primary_code")]
    left = {(x["membership_id"], x["reason"]) for x in data["left_out"]}
    assert (families["hilton"], "prohibited_chain") in left
    assert_valid(data["document"].encode())


def test_prohibiting_part_of_a_family_keeps_it(api: Api, families: dict[str, str]) -> None:
    body = search_with(chain_list("ProhibitedChains", ["HX", "DT", "ES"]))
    data = report(api, body, employee_id="098765")
    assert hotel_cards(data) == [("HH", families["hilton"], "primary_code")]
    assert "prohibited_chain" not in {x["reason"] for x in data["left_out"]}
