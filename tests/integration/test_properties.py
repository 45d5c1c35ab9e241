"""Property-based tests (hypothesis): arbitrary Unicode, numbers and structures in every
field of every interface. Whatever is sent, the answer is a 2xx or a 4xx in the
interface's own format; an error answer is at most 16 KiB; a refused request leaves the
store as it was. Derandomized, with few examples, so that `make test` stays fast;
PROPERTY_EXAMPLES=500 for a deeper run.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from lxml import etree

from loyalty_core.errors import MAX_ERROR_BYTES
from loyalty_core.interfaces.concur.xml import ELEMENTS, VENDOR
from loyalty_core.models import MEMBERSHIP_ATTRIBUTES
from loyalty_core.validators import is_text
from tests.conftest import TEXT_ATTRIBUTES, Api, ApiResponse, Tables, store_contents

EXAMPLES = int(os.environ.get("PROPERTY_EXAMPLES", "40"))
PROPERTIES = settings(
    max_examples=EXAMPLES,
    derandomize=True,  # the same examples on every run and in CI
    database=None,
    deadline=None,
    suppress_health_check=[
        HealthCheck.function_scoped_fixture,  # the store is put back by each example itself
        HealthCheck.too_slow,
        HealthCheck.data_too_large,
    ],
)
MEMBERSHIPS = "/api/users/098765/loyalty_memberships"
CONCUR = "/api/travelprofile/v1.0/loyalty"
HOTEL = "/api/hotel/loyalty_cards/enrich"
HILTON = "9c5b90ff-2cce-11e8-87f9-0662bed6e7db"

# -- values -----------------------------------------------------------------------------------

# What the text rule refuses, often, beside anything else Unicode holds (lone surrogates too).
NOT_TEXT = "\ud800\udfff\x00\x1f\x7f\x85\x9f\u200b\u200d\u2060\ufeff\u202a\u202e\u2066\u2069"
ANY_CHAR = st.one_of(st.characters(exclude_categories=()), st.sampled_from(NOT_TEXT))
TEXT = st.one_of(st.text(ANY_CHAR, max_size=60), st.sampled_from(["", "Gold", "A1", "x" * 600]))
# What XML can carry at all (no surrogates, no C0 but tab, newline and return).
XML_CHAR = st.one_of(
    st.characters(
        exclude_categories=("Cs",),
        exclude_characters="".join(chr(c) for c in range(32) if chr(c) not in "\t\n\r")
        + "\ufffe\uffff",
    ),
    st.sampled_from("\x85\x9f\u200b\u200d\u2060\ufeff\u202a\u202e\u2066\u2069\t\n"),
)
XML_TEXT = st.one_of(st.text(XML_CHAR, max_size=60), st.sampled_from(["", "Gold", "x" * 600]))
DIGITS = st.integers(1, 6000).map(lambda n: "9" * n)
NUMBER_TEXT = st.one_of(
    st.integers().map(str),
    st.integers(2**53 - 2, 2**53 + 2).map(str),
    DIGITS,
    DIGITS.map(lambda d: "-" + d),
    st.sampled_from(["1e999", "-1e999", "1.5", "0", "-0", "1E2"]),
)
XML_NAME = st.from_regex(r"[A-Za-z_][A-Za-z0-9_.\-]{0,40}", fullmatch=True)


def json_scalars() -> st.SearchStrategy[str]:
    """JSON fragments: strings (lone surrogates as \\ud800 escapes), any number, literals."""
    return st.one_of(
        TEXT.map(lambda t: json.dumps(t, ensure_ascii=True)),
        NUMBER_TEXT,
        st.sampled_from(["null", "true", "false", "[]", "{}"]),
    )


def json_object(keys: st.SearchStrategy[str], values: st.SearchStrategy[str]) -> Any:
    pairs = st.lists(st.tuples(keys, values), max_size=12)
    return pairs.map(
        lambda kv: "{" + ",".join(f"{json.dumps(k)}:{v}" for k, v in kv) + "}"
    )  # keys may repeat: a duplicate is one of the cases


JSON_VALUE = st.recursive(
    json_scalars(),
    lambda inner: st.one_of(
        st.lists(inner, max_size=4).map(lambda items: "[" + ",".join(items) + "]"),
        json_object(TEXT, inner),
    ),
    max_leaves=12,
)
ATTRIBUTE_NAMES = st.one_of(st.sampled_from(MEMBERSHIP_ATTRIBUTES), TEXT)
ATTRIBUTES = json_object(ATTRIBUTE_NAMES, st.one_of(json_scalars(), JSON_VALUE))


# -- what every answer must be ---------------------------------------------------------------


def jsonapi_answer(response: ApiResponse) -> None:
    assert 200 <= response.status < 500, response.body[:500]
    if response.status == 204:
        return
    assert response.headers["Content-Type"] == "application/vnd.api+json"
    document = response.json
    if response.status >= 400:
        assert len(response.body) <= MAX_ERROR_BYTES
        assert document["errors"]
        assert all(error["status"] == str(response.status) for error in document["errors"])
    else:
        assert "data" in document


def concur_answer(response: ApiResponse) -> None:
    assert 200 <= response.status < 500, response.body[:500]
    assert response.headers["Content-Type"] == "application/xml"
    assert len(response.body) <= MAX_ERROR_BYTES
    root = etree.fromstring(response.body)
    assert root.tag == "LoyaltyMembershipResponse"
    assert root.findtext("Status") == ("OK" if response.status == 200 else "ERROR")


def stored_strings(value: Any) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, dict):
        return [s for v in value.values() for s in stored_strings(v)]
    if isinstance(value, list):
        return [s for v in value for s in stored_strings(v)]
    return []


def refusal_writes_nothing(
    restore: Callable[[], None],
    send: Callable[[], ApiResponse],
    check: Callable[[ApiResponse], None],
) -> ApiResponse:
    """Send one request on the store as seeded; check its answer; a refusal wrote nothing,
    and whatever was written keeps the text rule."""
    restore()
    before = store_contents()
    response = send()
    check(response)
    after = store_contents()
    if response.status >= 400:
        assert after == before
    written = [json.loads(item.split(" ", 1)[1]) for item in set(after) - set(before)]
    assert all(is_text(text) for text in stored_strings(written))
    return response


@pytest.fixture
def restore(api: Api, seeded_tables: Tables) -> Callable[[], None]:
    return seeded_tables


# -- the JSON:API interface ------------------------------------------------------------------


def resource(attributes: str, relationships: str) -> str:
    return (
        '{"data":{"type":"loyalty_memberships","attributes":'
        + attributes
        + ',"relationships":'
        + relationships
        + "}}"
    )


PROVIDER = st.one_of(st.just(HILTON), TEXT)
RELATIONSHIP = '{"loyalty_provider":{"data":{"id":"' + HILTON + '","type":"loyalty_providers"}}}'
RELATIONSHIPS = st.one_of(
    st.just(RELATIONSHIP),
    PROVIDER.map(
        lambda p: (
            '{"loyalty_provider":{"data":{"id":' + json.dumps(p) + ',"type":"loyalty_providers"}}}'
        )
    ),
    JSON_VALUE,
)
VALID = {
    "account_number": '"PROP1"',
    "membership_name": '"John Smith"',
    "expires_on": '"2031-01-01"',
}


def attributes_with(field: str, value: str, extra: str) -> str:
    """Locomote's required attributes, `field` set to `value`, then `extra`'s members."""
    members = {**VALID, field: value}
    fixed = ",".join(f"{json.dumps(k)}:{v}" for k, v in members.items())
    return "{" + fixed + ("," + extra[1:] if extra != "{}" else "}")


FIELD = st.sampled_from(MEMBERSHIP_ATTRIBUTES)
FIELD_VALUE = st.one_of(json_scalars(), JSON_VALUE)
EXTRA = st.one_of(st.just("{}"), ATTRIBUTES)


@PROPERTIES
@given(field=FIELD, value=FIELD_VALUE, extra=EXTRA, relationships=RELATIONSHIPS)
def test_jsonapi_create_with_anything_in_any_field(
    api: Api,
    restore: Callable[[], None],
    field: str,
    value: str,
    extra: str,
    relationships: str,
) -> None:
    body = resource(attributes_with(field, value, extra), relationships)
    refusal_writes_nothing(
        restore,
        lambda: api("POST", MEMBERSHIPS, body=body),
        jsonapi_answer,
    )


@PROPERTIES
@given(field=st.sampled_from(TEXT_ATTRIBUTES), value=st.text(ANY_CHAR, max_size=50))
def test_jsonapi_text_fields_take_text_only(
    api: Api, restore: Callable[[], None], field: str, value: str
) -> None:
    """Any text in one field of an otherwise good membership: stored only if it keeps the
    text rule; refused naming that field otherwise."""
    attributes = attributes_with(field, json.dumps(value), "{}")
    body = resource(attributes, RELATIONSHIP)
    response = refusal_writes_nothing(
        restore, lambda: api("POST", MEMBERSHIPS, body=body), jsonapi_answer
    )
    if response.status == 201:
        assert is_text(value)
    else:
        assert response.status == 422
        assert response.pointers() == {f"/data/attributes/{field}"}


@PROPERTIES
@given(field=FIELD, value=FIELD_VALUE, extra=EXTRA)
def test_jsonapi_update_with_anything_in_any_field(
    api: Api, restore: Callable[[], None], field: str, value: str, extra: str
) -> None:
    restore()
    created = api.create(account_number="PATCHME")
    path = f"{MEMBERSHIPS}/{created['id']}"
    attributes = "{" + json.dumps(field) + ":" + value + ("," + extra[1:] if extra != "{}" else "}")
    body = (
        '{"data":{"id":"'
        + created["id"]
        + '","type":"loyalty_memberships","attributes":'
        + attributes
        + "}}"
    )
    refusal_writes_nothing(lambda: None, lambda: api("PATCH", path, body=body), jsonapi_answer)


@PROPERTIES
@given(
    body=st.one_of(JSON_VALUE, st.binary(max_size=200).map(lambda b: b.decode("latin-1"))),
    content_type=st.one_of(
        st.sampled_from(
            ["application/json", "application/vnd.api+json", "application/json; charset=utf-8"]
        ),
        TEXT,
    ),
)
def test_jsonapi_any_body_and_media_type(
    api: Api, restore: Callable[[], None], body: str, content_type: str
) -> None:
    refusal_writes_nothing(
        restore,
        lambda: api("POST", MEMBERSHIPS, body=body, headers={"Content-Type": content_type}),
        jsonapi_answer,
    )


QUERY_NAMES = st.one_of(
    st.sampled_from(["page[number]", "page[size]", "filter[category]", "filter[code]", "sort"]),
    TEXT,
)


@PROPERTIES
@given(
    route=st.sampled_from(
        [MEMBERSHIPS, "/api/loyalty_providers", "/api/users/{}/loyalty_memberships"]
    ),
    segment=TEXT.filter(lambda t: t and "/" not in t and t not in (".", "..")),
    query=st.dictionaries(QUERY_NAMES, TEXT, max_size=4),
    headers=st.dictionaries(
        st.sampled_from(["X-USER-USERNAME", "X-USER-TOKEN", "Accept", "If-Match"]),
        TEXT,
        max_size=2,
    ),
)
def test_jsonapi_reads_with_anything_in_the_path_query_and_headers(
    api: Api,
    route: str,
    segment: str,
    query: dict[str, str],
    headers: dict[str, str],
) -> None:
    response = api("GET", route.format(segment), query=query, headers=headers)
    jsonapi_answer(response)


# -- the Concur interface --------------------------------------------------------------------

CHILD_NAMES = st.one_of(st.sampled_from([*ELEMENTS, *VENDOR]), XML_NAME)
CHILD_TEXT = st.one_of(XML_TEXT, NUMBER_TEXT, st.sampled_from(["AA", "A", "H", "QF"]))
# A Membership whose AccountNo and Status are good, then anything: known elements (often
# again, with any text), unknown ones.
MEMBERSHIP = st.tuples(
    st.one_of(XML_TEXT, st.none()),  # UniqueID
    st.lists(st.tuples(CHILD_NAMES, CHILD_TEXT), max_size=10).map(
        lambda children: [("AccountNo", "1234"), ("Status", "Gold"), *children]
    ),
)


def update_document(memberships: list[tuple[str | None, list[tuple[str, str]]]]) -> bytes:
    root = etree.Element("LoyaltyMembershipUpdate")
    for unique_id, children in memberships:
        membership = etree.SubElement(root, "Membership")
        if unique_id is not None:
            membership.set("UniqueID", unique_id)
        for name, text in children:
            etree.SubElement(membership, name).text = text
    return etree.tostring(root, encoding="UTF-8")


@PROPERTIES
@given(
    memberships=st.lists(MEMBERSHIP, min_size=1, max_size=3),
    token=st.sampled_from(["concur-supplier-token", "concur-tmc-token"]),
)
def test_concur_update_with_anything_in_any_element(
    api: Api,
    restore: Callable[[], None],
    memberships: list[tuple[str | None, list[tuple[str, str]]]],
    token: str,
) -> None:
    body = update_document(memberships)
    headers = {"Content-Type": "application/xml", "Authorization": f"OAuth {token}"}
    refusal_writes_nothing(
        restore,
        lambda: api("POST", CONCUR, as_user=None, headers=headers, body=body),
        concur_answer,
    )


@PROPERTIES
@given(
    element=st.sampled_from(["UniqueID", "AccountNo", "Status", "StatusBenefits", "NextStatus"]),
    value=st.text(XML_CHAR, max_size=50),
)
def test_concur_text_elements_take_text_only(
    api: Api, restore: Callable[[], None], element: str, value: str
) -> None:
    """Any text in one element of a good Membership: applied only if it keeps the text
    rule; an ERROR naming that element otherwise."""
    children = {"AccountNo": "1234", "Status": "Gold"} | {element: value}
    unique_id = children.pop("UniqueID", "Frequent Flier")
    body = update_document([(unique_id, list(children.items()))])
    headers = {"Content-Type": "application/xml", "Authorization": "OAuth concur-supplier-token"}
    response = refusal_writes_nothing(
        restore,
        lambda: api("POST", CONCUR, as_user=None, headers=headers, body=body),
        concur_answer,
    )
    if response.status == 200:
        assert is_text(value if element == "UniqueID" else value.strip())  # text is trimmed
    else:
        assert response.status == 400
        assert f"): {element} " in (
            etree.fromstring(response.body).findtext("ErrorDescription") or ""
        )


@PROPERTIES
@given(
    body=st.one_of(st.binary(max_size=300), XML_TEXT.map(str.encode)),
    headers=st.dictionaries(
        st.sampled_from(["Authorization", "Content-Type", "Idempotency-Key"]), TEXT, max_size=3
    ),
)
def test_concur_any_body_and_headers(
    api: Api, restore: Callable[[], None], body: bytes, headers: dict[str, str]
) -> None:
    sent = {
        "Content-Type": "application/xml",
        "Authorization": "OAuth concur-tmc-token",
        **headers,
    }
    refusal_writes_nothing(
        restore,
        lambda: api("POST", CONCUR, as_user=None, headers=sent, body=body),
        concur_answer,
    )


# -- the hotel interface ---------------------------------------------------------------------

EMAILS = st.one_of(
    st.sampled_from(["john.smith@acme.example", "jane.doe@acme.example", "admin@globex.example"]),
    XML_TEXT,
)
TRAVELLER = st.tuples(XML_TEXT, XML_TEXT, st.lists(EMAILS, max_size=2))  # name, Key, emails


def reservation(travellers: list[tuple[str, str, list[str]]], chain: str) -> bytes:
    universal = "http://www.travelport.com/schema/universal_v52_0"
    common = "http://www.travelport.com/schema/common_v52_0"
    hotel = "http://www.travelport.com/schema/hotel_v52_0"
    root = etree.Element(
        f"{{{universal}}}HotelCreateReservationReq",
        nsmap={"univ": universal, "com": common, "hot": hotel},
        TargetBranch="P7000000",
        ProviderCode="1G",
    )
    for name, key, emails in travellers:
        traveller = etree.SubElement(root, f"{{{common}}}BookingTraveler", Key=key)
        etree.SubElement(traveller, f"{{{common}}}BookingTravelerName", First=name, Last="X")
        for email in emails:
            etree.SubElement(traveller, f"{{{common}}}Email", EmailID=email)
    etree.SubElement(root, f"{{{hotel}}}HotelProperty", HotelChain=chain, HotelCode="1")
    return etree.tostring(root, encoding="UTF-8")


@PROPERTIES
@given(
    travellers=st.lists(TRAVELLER, max_size=12),
    chain=st.one_of(st.sampled_from(["HH", "MC", ""]), XML_TEXT),
    query=st.dictionaries(
        st.sampled_from(["provider", "employee_id", "booking_traveler_ref"]), TEXT, max_size=3
    ),
    accept=st.sampled_from(["application/json", "application/xml", "*/*"]),
)
def test_hotel_enrichment_with_anything_in_travellers_and_query(
    api: Api,
    restore: Callable[[], None],
    travellers: list[tuple[str, str, list[str]]],
    chain: str,
    query: dict[str, str],
    accept: str,
) -> None:
    restore()
    api.create("112233", provider=HILTON, account_number="HHJANE")
    before = store_contents()
    body = reservation(travellers, chain)
    headers = {"Content-Type": "application/xml", "Accept": accept}
    response = api("POST", HOTEL, body=body, headers=headers, query=query)
    assert 200 <= response.status < 500, response.body[:500]
    if response.status >= 400:
        jsonapi_answer(response)
    else:  # the document and its cards, or the report around it: never much more
        assert len(response.body) <= 2 * len(body) + MAX_ERROR_BYTES
    assert store_contents() == before  # enrichment never writes
