"""Hostile input through every interface (SPEC 3 text rule, SPEC 7): bounded answers,
early refusals, JSON and XML edge cases, text that is not text; never a 5xx, never a
write. One regression test (or a few) per finding of issue 9."""

from __future__ import annotations

import json
from typing import Any

import pytest
from lxml import etree

from local import gateway
from local.events import CONCUR_SUPPLIER_UPDATE, CONCUR_TMC_UPDATE
from loyalty_core.errors import MAX_ERROR_BYTES, MAX_PROBLEMS, MAX_QUOTED
from tests.conftest import (
    TABLE,
    TEXT_ATTRIBUTES,
    Api,
    ApiResponse,
    membership_document,
    patch_document,
    store_contents,
)
from tests.integration.test_concur import concur, outcome
from tests.integration.test_hotel_enrichment import enrich, fixture, give, report

MEMBERSHIPS = "/api/users/098765/loyalty_memberships"
HILTON = "9c5b90ff-2cce-11e8-87f9-0662bed6e7db"
ONE = '<LoyaltyMembershipUpdate><Membership UniqueID="{}">{}</Membership></LoyaltyMembershipUpdate>'


@pytest.fixture
def before(api: Api) -> list[str]:
    """What the store held before the test's requests."""
    return store_contents()


def unchanged(before: list[str]) -> bool:
    return store_contents() == before


def post(api: Api, body: str, content_type: str = "application/vnd.api+json") -> ApiResponse:
    return api("POST", MEMBERSHIPS, body=body, headers={"Content-Type": content_type})


# -- 1. error answers that amplify ------------------------------------------------------------


def test_a_huge_unique_id_is_quoted_cut_in_a_bounded_concur_answer(
    api: Api, before: list[str]
) -> None:
    unique_id = "U" * 100_000
    unknown = "".join(f"<X{i}/>" for i in range(10))
    response = concur(api, ONE.format(unique_id, unknown), token="concur-tmc-token")
    assert response.status == 400
    assert len(response.body) <= MAX_ERROR_BYTES
    _, description = outcome(response)
    assert description.count(f'(UniqueID "{"U" * (MAX_QUOTED - 1)}…")') == 11  # X0-X9, UniqueID
    assert "U" * MAX_QUOTED not in description
    assert unchanged(before)


def test_a_concur_answer_lists_twenty_problems_then_counts_the_rest(api: Api) -> None:
    bad = "<AccountNo>bad number!</AccountNo><PointTotal>-1</PointTotal><Status>G*</Status>"
    body = "".join(f'<Membership UniqueID="P{i}">{bad}</Membership>' for i in range(50))
    response = concur(api, f"<LoyaltyMembershipUpdate>{body}</LoyaltyMembershipUpdate>")
    _, description = outcome(response)
    assert description.count("Membership ") == MAX_PROBLEMS
    assert description.endswith(f"and {150 - MAX_PROBLEMS} more problems")


def test_a_jsonapi_answer_lists_twenty_problems_then_counts_the_rest(api: Api) -> None:
    attributes = {f"unknown_{i}": i for i in range(1000)} | {"x" * 30_000: 1}
    response = api("POST", MEMBERSHIPS, body=membership_document(**attributes))
    assert response.status == 422
    assert len(response.body) <= MAX_ERROR_BYTES
    listed = [error for error in response.errors if "source" in error]
    assert len(listed) == MAX_PROBLEMS
    assert response.errors[-1]["detail"] == f"and {1001 - MAX_PROBLEMS} more problems"
    assert all(len(error["source"]["pointer"]) < 100 for error in listed)


def test_the_hotel_report_names_places_by_short_labels(api: Api) -> None:
    give(api, "098765", HILTON, "HH111")
    name, key = "N" * 500_000, "K" * 100_000
    body = (
        fixture("reservation_v52.xml")
        .replace('First="John"', f'First="{name}"')
        .replace('Key="bt1"', f'Key="{key}"')
        .replace('<com:Email EmailID="jane.doe@acme.example"/>', "")  # no email: not matched
    )
    response = enrich(api, body, accept="application/json")
    assert response.status == 200
    data = response.json["data"]
    places = {entry["place"] for entry in data["added"] + data["left_out"]}
    assert places == {"BookingTraveler 1", "BookingTraveler 2"}
    assert response.body.count(name.encode()) == 1  # in the document, and only there
    assert response.body.count(key.encode()) == 1
    assert len(response.body) < len(body.encode()) + 4096


def test_modify_places_are_labelled_by_position_and_at_most_nine_take_cards(api: Api) -> None:
    give(api, "098765", HILTON, "HH111")
    locator = "L" * 50_000
    adds = "".join(
        f'<univ:HotelAdd ReservationLocatorCode="{locator}" BookingTravelerRef="bt{i}"/>'
        for i in range(12)
    )
    body = fixture("modify_v52.xml").replace(
        '<univ:HotelAdd ReservationLocatorCode="HTL001" BookingTravelerRef="bt1"/>', adds
    )
    data = report(api, body, employee_id="098765")
    assert [a["place"] for a in data["added"]] == [f"HotelAdd {i}" for i in range(1, 10)]
    assert [n["place"] for n in data["left_out"]] == ["HotelAdd/HotelUpdate 10-12"]
    assert data["left_out"][0]["reason"] == "no_place"
    assert len(etree.fromstring(data["document"].encode()).findall(".//{*}LoyaltyCard")) == 9


def test_a_long_unknown_request_name_is_quoted_cut(api: Api) -> None:
    name = "Q" * 40_000  # lxml refuses names of 50,000 characters and more
    response = enrich(api, f"<{name}/>", employee_id="098765", provider="1G")
    assert response.status == 422
    assert len(response.body) <= MAX_ERROR_BYTES
    assert f'"{"Q" * (MAX_QUOTED - 1)}…"' in response.errors[0]["detail"]


# -- 2. unbounded work on XML -----------------------------------------------------------------


def test_a_membership_holds_at_most_its_ten_known_children(api: Api, before: list[str]) -> None:
    children = "<AccountNo>1</AccountNo>" + "<Status>Gold</Status>" * 10
    response = concur(api, ONE.format("Frequent Flier", children))
    assert response.status == 400
    assert "Membership holds 11 elements; at most 10" in outcome(response)[1]
    huge = concur(api, ONE.format("Frequent Flier", "<X/>" * 200_000))
    assert huge.status == 400
    assert "more than 10000 elements" in outcome(huge)[1]
    assert len(huge.body) < 1024
    assert unchanged(before)


def test_a_hotel_request_of_more_than_ten_thousand_elements_is_refused(api: Api) -> None:
    body = fixture("search_v52.xml").replace(
        "</hot:HotelSearchModifiers>", "<x/>" * 10_000 + "</hot:HotelSearchModifiers>"
    )
    response = enrich(api, body, employee_id="098765")
    assert response.status == 400
    assert "more than 10000 elements" in response.errors[0]["detail"]


# -- 3. JSON edge cases -----------------------------------------------------------------------


def test_a_key_sent_twice_is_400_and_writes_nothing(api: Api, before: list[str]) -> None:
    body = json.dumps(membership_document(account_number="bad value!")).replace(
        '"account_number": "bad value!"',
        '"account_number": "bad value!", "account_number": "DUPK9"',
    )
    response = post(api, body)
    assert response.status == 400
    assert '"account_number" twice' in response.errors[0]["detail"]
    assert unchanged(before)


@pytest.mark.parametrize(
    "field",
    ["point_total", "segment_total", "points_until_next_status", "segments_until_next_status"],
)
@pytest.mark.parametrize("number", ["9" * 5000, "-" + "9" * 5000, str(2**53), "1e999", "-1"])
def test_numbers_beyond_a_fields_range_are_422_with_a_pointer(
    api: Api, before: list[str], field: str, number: str
) -> None:
    body = json.dumps(membership_document(**{field: "NUMBER"})).replace('"NUMBER"', number)
    response = post(api, body)
    assert response.status == 422, response.body
    assert response.pointers() == {f"/data/attributes/{field}"}
    assert unchanged(before)


def test_the_largest_safe_integer_is_stored(api: Api) -> None:
    created = api.create(point_total=2**53 - 1)
    assert created["attributes"]["point_total"] == 2**53 - 1


@pytest.mark.parametrize(
    ("content_type", "status"),
    [
        ("application/json; charset=utf-16", 415),
        ("application/json; charset=latin1", 415),
        ("application/vnd.api+json; charset=utf-8", 415),
        ("application/json; charset=UTF-8", 201),
        ('application/json; charset="utf-8"', 201),
    ],
)
def test_only_utf8_json_is_read(api: Api, content_type: str, status: int) -> None:
    response = post(api, json.dumps(membership_document()), content_type)
    assert response.status == status, response.body


# -- 4. text that is not text -----------------------------------------------------------------

NOT_TEXT = ["\ud800", "\x85", "\u202e", "\u2066", "\u200d", "\ufeff", "\x07"]


@pytest.mark.parametrize("char", NOT_TEXT)
@pytest.mark.parametrize("field", TEXT_ATTRIBUTES)
def test_text_that_is_not_text_is_422_on_create_and_update(api: Api, field: str, char: str) -> None:
    existing = api.create()
    before = store_contents()
    value = f"Gold{char}"
    created = post(api, json.dumps(membership_document(**{field: value}), ensure_ascii=True))
    patched = api(
        "PATCH",
        f"{MEMBERSHIPS}/{existing['id']}",
        body=json.dumps(patch_document(existing["id"], **{field: value}), ensure_ascii=True),
    )
    for response in (created, patched):
        assert response.status == 422, response.body
        assert response.pointers() == {f"/data/attributes/{field}"}
        assert f"U+{ord(char):04X}" in response.errors[0]["detail"]
    assert unchanged(before)


@pytest.mark.parametrize("char", ["\x85", "\u202e", "\u200b", "\ufeff", "\t"])
@pytest.mark.parametrize("element", ["Status", "StatusBenefits", "NextStatus", "AccountNo"])
def test_concur_text_that_is_not_text_is_an_error_naming_the_element(
    api: Api, before: list[str], element: str, char: str
) -> None:
    body = CONCUR_TMC_UPDATE.replace(f"<{element}>", f"<{element}>x{char}", 1)
    assert body != CONCUR_TMC_UPDATE
    response = concur(api, body, token="concur-tmc-token")
    assert response.status == 400, response.body
    assert f"{element} must not contain U+{ord(char):04X}" in outcome(response)[1]
    assert unchanged(before)


def test_a_unique_id_that_is_not_text_is_refused(api: Api, before: list[str]) -> None:
    response = concur(api, CONCUR_SUPPLIER_UPDATE.replace("Frequent Flier", "Frequent\u202eFlier"))
    assert response.status == 400
    assert "UniqueID must not contain U+202E" in outcome(response)[1]
    assert '"Frequent\\u202eFlier"' in outcome(response)[1]  # shown escaped, never applied
    assert unchanged(before)


@pytest.mark.parametrize(
    "headers",
    [
        {"X-USER-USERNAME": "admin@acme.example", "X-USER-TOKEN": "acme-admin-token\ud800"},
        {"X-USER-USERNAME": "admin@acme.example", "X-USER-TOKEN": "acme-admin-token\u202e"},
        {"X-USER-USERNAME": "admin\u202e@acme.example", "X-USER-TOKEN": "acme-admin-token"},
        {"X-USER-USERNAME": "admin@acme.example\ud800", "X-USER-TOKEN": "acme-admin-token"},
        {"X-USER-USERNAME": "admin@acme.example", "X-USER-TOKEN": "\u00e9" * 600},
    ],
)
def test_credentials_that_are_not_text_are_401(api: Api, headers: dict[str, str]) -> None:
    assert api("GET", MEMBERSHIPS, as_user=None, headers=headers).status == 401


@pytest.mark.parametrize("token", ["concur-supplier-token\ud800", "concur\u202e", "tok\u00e9n"])
def test_an_oauth_token_that_is_not_text_is_401(api: Api, token: str) -> None:
    response = concur(api, CONCUR_SUPPLIER_UPDATE, token=token)
    assert response.status == 401
    assert outcome(response)[0] == "ERROR"


@pytest.mark.parametrize("request_id", ["\ud800", "\u202e\x00" * 1000, "x" * 100_000])
def test_a_request_id_that_is_not_text_never_fails_a_request(api: Api, request_id: str) -> None:
    found = gateway.match("GET", MEMBERSHIPS)
    assert found is not None
    headers = {"X-USER-USERNAME": ["admin@acme.example"], "X-USER-TOKEN": ["acme-admin-token"]}
    event = gateway.proxy_event(
        "GET", MEMBERSHIPS, found.route.path, found.path_parameters, headers
    )
    event["requestContext"]["requestId"] = request_id
    assert gateway.invoke(found.route, event)["statusCode"] == 200


@pytest.mark.parametrize("reference", ["bt\u202e1", "bt 1", "b" * 65, "\ud800"])
def test_a_booking_traveler_ref_that_is_not_a_key_is_400(api: Api, reference: str) -> None:
    body = fixture("modify_v52.xml").replace(' BookingTravelerRef="bt1"', "")
    response = enrich(api, body, employee_id="098765", booking_traveler_ref=reference)
    assert response.status == 400
    assert response.errors[0]["source"] == {"parameter": "booking_traveler_ref"}


# -- 5. XML encodings -------------------------------------------------------------------------

UTF7_DOCTYPE = '<?xml version="1.0" encoding="UTF-7"?>+ADw-!DOCTYPE a+AD4-'


def test_a_utf7_document_is_refused_by_both_xml_interfaces(api: Api) -> None:
    before = store_contents()
    refused = concur(api, UTF7_DOCTYPE + CONCUR_SUPPLIER_UPDATE)
    assert refused.status == 400
    assert 'declares encoding "UTF-7"' in outcome(refused)[1]
    hotel = enrich(api, UTF7_DOCTYPE + fixture("search_v52.xml"), employee_id="098765")
    assert hotel.status == 400
    assert 'declares encoding "UTF-7"' in hotel.errors[0]["detail"]
    assert unchanged(before)


def test_a_utf16_concur_update_is_applied(api: Api) -> None:
    body = ('<?xml version="1.0" encoding="UTF-16"?>' + CONCUR_SUPPLIER_UPDATE).encode("utf-16")
    response = concur(api, body)
    assert outcome(response) == ("OK", "")
    assert len(api("GET", MEMBERSHIPS).json["data"]) == 2


@pytest.mark.parametrize("charset", ["iso-8859-1", "utf-7", "utf-32"])
def test_an_xml_charset_other_than_utf8_utf16_or_ascii_is_415(api: Api, charset: str) -> None:
    response = concur(
        api, CONCUR_SUPPLIER_UPDATE, content_type=f"application/xml; charset={charset}"
    )
    assert response.status == 415
    assert outcome(response)[0] == "ERROR"
    hotel = enrich(
        api,
        fixture("search_v52.xml"),
        employee_id="098765",
        content_type=f"text/xml; charset={charset}",
    )
    assert hotel.status == 415


# -- 7. Concur answers an Idempotency-Key in progress as the JSON:API does -------------------


def test_a_concur_replay_of_a_key_still_in_progress_is_409(
    api: Api, dynamodb: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The key as it is while a first request runs, put back after it: its answer is
    unknown, as when the first request's function timed out."""
    from tests.integration.test_idempotency import held_while_running

    seen = held_while_running(api, dynamodb, monkeypatch)
    headers = {
        "Content-Type": "application/xml",
        "Authorization": "OAuth concur-supplier-token",
        "Idempotency-Key": "concur-running",
    }
    route = "/api/travelprofile/v1.0/loyalty"
    first = api("POST", route, as_user=None, headers=headers, body=CONCUR_SUPPLIER_UPDATE)
    assert first.status == 200
    dynamodb.put_item(TableName=TABLE, Item=seen[0])
    replay = api("POST", route, as_user=None, headers=headers, body=CONCUR_SUPPLIER_UPDATE)
    assert replay.status == 409
    assert replay.headers["Retry-After"]
    assert outcome(replay)[0] == "ERROR"
    assert "still in progress" in outcome(replay)[1]


# -- 8. strict edges (issue 26): methods, query parameters, the Concur root -----------------


def _routes() -> dict[str, list[str]]:
    """Each path of template.yaml with the methods it declares (beside its ANY route)."""
    from local.template import routes

    declared: dict[str, list[str]] = {}
    for route in routes():
        methods = declared.setdefault(route.path, [])
        if route.method != "ANY":
            methods.append(route.method)
    return declared


def _concrete(path: str) -> str:
    return (
        path.replace("{employee_id}", "098765")
        .replace("{membership_id}", "00000000-0000-0000-0000-000000000000")
        .replace("{provider_id}", HILTON)
        .replace("{asset}", "swagger-ui.css")
    )


@pytest.mark.parametrize("method", ["TRACE", "PROPFIND", "FOO", "PUT", "CONNECT"])
@pytest.mark.parametrize("path", sorted(_routes()))
def test_a_method_a_route_does_not_have_is_405_with_allow(
    api: Api, before: list[str], path: str, method: str
) -> None:
    """Any method at all, in the event as API Gateway (or a direct invocation) passes it to
    the function: 405 in the route's own error format, Allow naming what it serves."""
    response = api(method, _concrete(path), body="<x/>", headers={"Content-Type": "text/xml"})
    assert response.status == 405
    assert sorted(response.headers["Allow"].split(", ")) == sorted(_routes()[path])
    if path == "/api/travelprofile/v1.0/loyalty":
        assert outcome(response)[0] == "ERROR"
    else:
        assert response.errors[0]["code"] == "method_not_allowed"
    assert unchanged(before)


def test_an_unknown_path_is_still_404(api: Api) -> None:
    for method in ("GET", "PROPFIND"):
        response = api(method, "/api/users/098765/loyalty_memberships/x/y")
        assert (response.status, response.errors[0]["detail"]) == (404, "No such route")


@pytest.mark.parametrize(
    "code", ["", "A", "ABCD", "H" * 50_000, "H-", "HH ", "\u202eHH", "ÄÄ", "H\x00"]
)
def test_filter_code_takes_only_a_two_or_three_character_code(api: Api, code: str) -> None:
    response = api("GET", "/api/loyalty_providers", query={"filter[code]": code})
    assert response.status == 400
    [error] = response.errors
    assert error["source"] == {"parameter": "filter[code]"}
    assert "2-3 letters or digits" in error["detail"]
    assert len(response.body) < 1024  # the value is never echoed


@pytest.mark.parametrize(
    ("code", "named"),
    [("HH", "Hilton Honors"), ("hh", "Hilton Honors"), ("aa", "American Airlines AAdvantage")],
)
def test_filter_code_names_a_code_in_any_case_and_links_it_back(
    api: Api, code: str, named: str
) -> None:
    response = api("GET", "/api/loyalty_providers", query={"filter[code]": code})
    assert response.status == 200
    assert named in [p["attributes"]["name"] for p in response.json["data"]]
    for p in response.json["data"]:
        assert code.upper() in [p["attributes"]["code"], *(p["attributes"]["chain_codes"] or [])]
    for name in ("self", "first", "last"):
        assert f"filter%5Bcode%5D={code}" in response.json["links"][name]
    nobody = api("GET", "/api/loyalty_providers", query={"filter[code]": "1P"})
    assert (nobody.status, nobody.json["data"]) == (200, [])


def test_no_query_value_is_echoed_past_64_characters(api: Api) -> None:
    """Every parameter of every JSON:API route, 50,000 characters long: refused, or (where
    an unknown family is ignored) never copied into the answer."""
    long = "Z" * 50_000
    routes = {
        "/api/loyalty_providers": ["filter[code]", "filter[category]", "sort", "include"],
        MEMBERSHIPS: ["page[size]", "page[number]", "sort", "include", "fields[x]"],
        "/api/users/098765/loyalty_membership_changes": [
            "filter[membership]",
            "page[after]",
            "page[before]",
            "page[size]",
            "fields[loyalty_membership_changes]",
            "sort",
        ],
    }
    for path, names in routes.items():
        for name in names:
            response = api("GET", path, query={name: long, "ignoredName": long})
            assert response.status == 400, (path, name)
            assert "Z" * 65 not in response.body.decode(), (path, name)
            assert len(response.body) < 2048, (path, name)


ROOTS = {
    "a 1 MiB unknown attribute": '<LoyaltyMembershipUpdate evil="{}">'.format("e" * (2**20 - 999)),
    "an unknown attribute": '<LoyaltyMembershipUpdate version="2">',
    "a namespaced attribute": '<LoyaltyMembershipUpdate xmlns:x="urn:evil" x:a="1">',
    "xml:lang": '<LoyaltyMembershipUpdate xml:lang="en">',
    "a default foreign namespace": '<LoyaltyMembershipUpdate xmlns="urn:evil">',
    "a prefixed foreign namespace": '<x:LoyaltyMembershipUpdate xmlns:x="urn:evil">',
}


@pytest.mark.parametrize("root", ROOTS.values(), ids=list(ROOTS))
def test_the_concur_root_is_the_update_in_no_namespace_without_attributes(
    api: Api, before: list[str], root: str
) -> None:
    body = CONCUR_SUPPLIER_UPDATE.replace("<LoyaltyMembershipUpdate>", root, 1)
    if root.startswith("<x:"):
        body = body.replace("</LoyaltyMembershipUpdate>", "</x:LoyaltyMembershipUpdate>")
    assert body != CONCUR_SUPPLIER_UPDATE
    response = concur(api, body)
    assert response.status == 400
    status, description = outcome(response)
    assert status == "ERROR"
    assert "LoyaltyMembershipUpdate" in description
    assert len(response.body) <= MAX_ERROR_BYTES
    assert "e" * 65 not in description
    assert unchanged(before)


def test_namespace_declarations_alone_leave_the_root_concurs(api: Api) -> None:
    body = CONCUR_SUPPLIER_UPDATE.replace(
        "<LoyaltyMembershipUpdate>", '<LoyaltyMembershipUpdate xmlns:x="urn:unused">', 1
    )
    assert outcome(concur(api, body)) == ("OK", "")


def test_a_concur_element_in_a_foreign_namespace_is_not_concurs(
    api: Api, before: list[str]
) -> None:
    membership = CONCUR_SUPPLIER_UPDATE.replace(
        "<LoyaltyMembershipUpdate>", '<LoyaltyMembershipUpdate xmlns:x="urn:evil">', 1
    )
    for body in (
        membership.replace("<Membership ", "<x:Membership ", 1).replace(
            "</Membership>", "</x:Membership>", 1
        ),
        membership.replace("<AccountNo>", "<x:AccountNo>", 1).replace(
            "</AccountNo>", "</x:AccountNo>", 1
        ),
    ):
        response = concur(api, body)
        assert response.status == 400
        assert "{urn:evil}" in outcome(response)[1]
    assert unchanged(before)


# -- 9. the audit trail's cursors: read, never trusted (issue 26) -----------------------------

CHANGES = "/api/users/{}/loyalty_membership_changes"
PROFILE_ERRORS = "https://jsonapi.org/profiles/ethanresnick/cursor-pagination/"


def _cursor(api: Api, employee_id: str, **query: str) -> str:
    page = api("GET", CHANGES.format(employee_id), query=query).json
    cursor: str = page["data"][0]["meta"]["page"]["cursor"]
    return cursor


def _partitions_read(dynamodb: Any) -> tuple[list[str], Any]:
    """The partitions the work's Queries and BatchGetItems read (not authentication's)."""
    read: list[str] = []

    def record(params: dict[str, Any], model: Any, **_: Any) -> None:
        if model.name == "Query":
            read.append(params["ExpressionAttributeValues"][":pk"]["S"])
        elif model.name == "BatchGetItem":
            read.extend(k["pk"]["S"] for r in params["RequestItems"].values() for k in r["Keys"])

    dynamodb.meta.events.register("before-parameter-build.dynamodb", record)
    return read, record


def test_a_cursor_of_another_trail_is_400_and_reads_no_other_partition(
    api: Api, dynamodb: Any
) -> None:
    api.create(account_number="MINE1")
    api.create("112233", account_number="JANE1")
    johns, janes = _cursor(api, "098765"), _cursor(api, "112233")
    read, record = _partitions_read(dynamodb)
    try:
        for whose, cursor in [("098765", janes), ("112233", johns)]:
            for name in ("page[after]", "page[before]"):
                response = api("GET", CHANGES.format(whose), query={name: cursor})
                assert response.status == 400, (whose, name)
                [error] = response.errors
                assert error["source"] == {"parameter": name}
        filtered = {"page[after]": johns, "filter[membership]": HILTON}
        assert api("GET", CHANGES.format("098765"), query=filtered).status == 400
        theirs = api(
            "GET", CHANGES.format("098765"), as_user="globex", query={"page[after]": johns}
        )
        assert theirs.status == 400  # globex's 098765 is another trail
    finally:
        dynamodb.meta.events.unregister("before-parameter-build.dynamodb", record)
    assert read == []  # refused before any read of the work


@pytest.mark.parametrize(
    "cursor",
    [
        "",
        "x",
        "AQAAAAAAKj1-dBZq2wc3",  # the documentation's example: no trail's
        "A" * 20,
        "=" * 20,
        "AQAAAAAAKj1-dBZq2wc3" * 2500,
        "\u202e" * 20,
        "../../PROFILE",
        "AQAAAAAAKj1+dBZq2wc3",  # standard base64, not base64url
    ],
)
def test_a_made_up_cursor_is_400_bounded_and_not_echoed(
    api: Api, before: list[str], cursor: str
) -> None:
    for name in ("page[after]", "page[before]"):
        response = api("GET", CHANGES.format("098765"), query={name: cursor})
        assert response.status == 400
        assert response.errors[0]["source"] == {"parameter": name}
        assert len(response.body) < 1024
        assert cursor[:64] not in response.body.decode() or len(cursor) < 2
    assert unchanged(before)


def test_an_altered_cursor_is_400(api: Api) -> None:
    import base64

    api.create(account_number="ALTER1")
    cursor = _cursor(api, "098765")
    raw = base64.urlsafe_b64decode(cursor)
    for at in (1, 6, 7, 14):  # the revision's bytes and the digest's
        altered = bytearray(raw)
        altered[at] ^= 0x40
        forged = base64.urlsafe_b64encode(bytes(altered)).decode()
        response = api("GET", CHANGES.format("098765"), query={"page[after]": forged})
        assert response.status == 400, at


def test_the_cursor_profiles_refusals_carry_its_type_links(api: Api) -> None:
    path = CHANGES.format("098765")
    api.create(account_number="PROF1")
    cursor = _cursor(api, "098765")
    both = api("GET", path, query={"page[after]": cursor, "page[before]": cursor})
    assert both.status == 400
    [error] = both.errors
    assert error["links"] == {"type": PROFILE_ERRORS + "range-pagination-not-supported"}
    large = api("GET", path, query={"page[size]": "101"})
    [error] = large.errors
    assert (error["source"], error["meta"]) == (
        {"parameter": "page[size]"},
        {"page": {"maxSize": 100}},
    )
    assert error["links"] == {"type": PROFILE_ERRORS + "max-size-exceeded"}
    sort = api("GET", path, query={"sort": "-occurred_at"})
    [error] = sort.errors
    assert (error["source"], error["links"]) == (
        {"parameter": "sort"},
        {"type": PROFILE_ERRORS + "unsupported-sort"},
    )
    numbered = api("GET", path, query={"page[after]": cursor, "page[number]": "2"})
    assert numbered.errors[0]["source"] == {"parameter": "page[number]"}
    not_a_size = api("GET", path, query={"page[size]": "0"}).errors[0]
    assert "links" not in not_a_size  # a plain invalid value: the profile names no type
