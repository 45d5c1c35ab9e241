"""openapi.json: a valid OpenAPI 3 document, in step with template.yaml and the code, whose
every example is valid: JSON ones against their schemas, XML ones against the Universal API
XSD of their namespace (hotel, air, vehicle, universal) or the Concur codec, and equal to the
documents in examples/."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from functools import cache
from typing import Any

import pytest
from lxml import etree
from openapi_schema_validator import OAS30Validator
from openapi_spec_validator import validate
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT4

from local import template
from loyalty_core import errors as e
from loyalty_core.interfaces import xml
from loyalty_core.interfaces.concur import xml as concur
from loyalty_core.interfaces.locomote import documents, parameters
from loyalty_core.interfaces.locomote.resources import CHANGES, MEMBERSHIPS, PROVIDERS
from loyalty_core.interfaces.uapi import codec
from loyalty_core.models import MEMBERSHIP_ATTRIBUTES
from tests import travelport
from tests.openapi_rules import LENGTHS, RULES, resolve

SPEC = template.ROOT / "openapi.json"
EXAMPLES = template.ROOT / "examples"
CONCUR_ROUTE = "/api/travelprofile/v1.0/loyalty"
HOTEL_ROUTE = "/api/hotel/loyalty_cards/enrich"
ENRICH_ROUTE = "/api/loyalty_cards/enrich"
HTTP_METHODS = {"get", "put", "post", "delete", "options", "head", "patch", "trace"}
ALL_KINDS = list(codec.KINDS)  # every kind the general route takes
HOTEL_KINDS = [*(k.name for k in codec.PRODUCTS["hotel"].kinds), codec.MODIFY]
XSD_OF = {
    "hotel": "hotel_v52_0/HotelReqRsp.xsd",
    "air": "air_v52_0/AirReqRsp.xsd",
    "vehicle": "vehicle_v52_0/VehicleReqRsp.xsd",
    "universal": "universal_v52_0/UniversalRecordReqRsp.xsd",
}


@pytest.fixture(scope="module")
def spec() -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads(SPEC.read_text("utf-8"))
    return loaded


def operations(spec: dict[str, Any]) -> dict[tuple[str, str], dict[str, Any]]:
    return {
        (path, method.upper()): operation
        for path, item in spec["paths"].items()
        for method, operation in item.items()
        if method in HTTP_METHODS
    }


def schema(spec: dict[str, Any], name: str) -> dict[str, Any]:
    found: dict[str, Any] = spec["components"]["schemas"][name]
    return found


def test_the_document_is_valid_openapi_3(spec: dict[str, Any]) -> None:
    assert spec["openapi"].startswith("3.")
    validate(spec)


def test_routes_and_methods_are_those_of_the_template(spec: dict[str, Any]) -> None:
    # ANY events only route the other methods to the handler, which answers 405.
    in_template = {(r.path, r.method) for r in template.routes() if r.method != "ANY"}
    assert set(operations(spec)) == in_template


def test_every_operation_documents_its_refusals(spec: dict[str, Any]) -> None:
    open_paths = {"/docs", "/docs/{asset}", "/openapi.json"}  # the reference: no credentials
    for (path, method), operation in operations(spec).items():
        statuses = set(operation["responses"])
        assert {"405", "429"} <= statuses, (method, path)
        assert any(s.startswith("2") for s in statuses), (method, path)
        if path in open_paths:
            assert operation["security"] == [], (method, path)
            continue
        assert {"401", "503"} <= statuses, (method, path)
        assert operation.get("security"), (method, path)


def test_membership_attributes_are_those_of_the_model(spec: dict[str, Any]) -> None:
    for name in (
        "MembershipAttributes",
        "MembershipCreateAttributes",
        "MembershipUpdateAttributes",
    ):
        assert list(schema(spec, name)["properties"]) == list(MEMBERSHIP_ATTRIBUTES), name
    required = schema(spec, "MembershipCreateAttributes")["required"]
    assert required == list(documents.LOCOMOTE_REQUIRED)


def test_paging_limits_are_those_of_the_code(spec: dict[str, Any]) -> None:
    size = spec["components"]["parameters"]["PageSize"]["schema"]
    assert (size["minimum"], size["maximum"], size["default"]) == (
        1,
        parameters.MAX_PAGE_SIZE,
        parameters.DEFAULT_PAGE_SIZE,
    )
    number = spec["components"]["parameters"]["PageNumber"]["schema"]
    assert (number["minimum"], number["maximum"]) == (1, parameters.MAX_PAGE_NUMBER)
    collection = parameters.Parameters(primary=MEMBERSHIPS, collection=True)
    last = parameters.read_query({"page[number]": str(parameters.MAX_PAGE_NUMBER)}, collection)
    assert last.page.number == parameters.MAX_PAGE_NUMBER
    with pytest.raises(e.MalformedRequest):
        parameters.read_query({"page[number]": str(parameters.MAX_PAGE_NUMBER + 1)}, collection)


def test_the_trails_paging_is_that_of_the_code(spec: dict[str, Any]) -> None:
    """page[number] up to the pages the service numbers; cursors as the service writes them;
    filter[code] as the catalog's rule."""
    from loyalty_core.services import history, providers

    known = spec["components"]["parameters"]
    assert known["ChangePageNumber"]["schema"]["maximum"] == history.NUMBERED_PAGES
    cursor = history.Trail("acme", "098765").cursor(10**12 - 2)
    for name in ("PageAfter", "PageBefore"):
        assert re.fullmatch(known[name]["schema"]["pattern"], cursor)
        assert len(cursor) == known[name]["schema"]["maxLength"]
    code = known["FilterCode"]["schema"]["pattern"]
    for value in ("QF", "hh", "ZZZ", "A", "ABCD", "H-"):
        assert bool(re.fullmatch(code, value)) == bool(providers.CODE.fullmatch(value)), value


def test_concur_elements_are_those_of_the_codec(spec: dict[str, Any]) -> None:
    membership = schema(spec, "ConcurMembership")["properties"]
    assert set(membership) == {"UniqueID", *concur.ELEMENTS, *concur.VENDOR}
    update = schema(spec, "LoyaltyMembershipUpdate")["properties"]["Membership"]
    assert update["maxItems"] == concur.MAX_MEMBERSHIPS
    body = spec["paths"]["/api/travelprofile/v1.0/loyalty"]["post"]["requestBody"]
    assert set(body["content"]) == set(xml.MEDIA_TYPES)


def _names(alternatives: Any) -> str:
    return "(" + "|".join(alternatives) + ")"


@pytest.mark.parametrize(
    ("parameter", "pattern"),
    [
        ("Include", "^({0}(,{0})*)?$".format(_names(parameters.INCLUDES))),
        (
            "MembershipFields",
            "^({0}(,{0})*)?$".format(_names(parameters.FIELDS[MEMBERSHIPS])),
        ),
        (
            "ProviderFields",
            "^({0}(,{0})*)?$".format(_names(parameters.FIELDS[PROVIDERS])),
        ),
        (
            "MembershipChangeFields",
            "^({0}(,{0})*)?$".format(_names(parameters.FIELDS[CHANGES])),
        ),
        (
            "MembershipSort",
            "^-?{0}(,-?{0})*$".format(_names(parameters.SORTS[MEMBERSHIPS])),
        ),
        ("ProviderSort", "^-?{0}(,-?{0})*$".format(_names(parameters.SORTS[PROVIDERS]))),
    ],
)
def test_view_parameters_take_what_the_codec_serves(
    spec: dict[str, Any], parameter: str, pattern: str
) -> None:
    schema = spec["components"]["parameters"][parameter]["schema"]
    assert schema["pattern"] == pattern
    assert re.fullmatch(pattern, schema["example"])


@pytest.mark.parametrize("pointer", RULES)
def test_each_pattern_is_the_services_own_rule(spec: dict[str, Any], pointer: str) -> None:
    """The document states each rule as the very pattern the service checks, so that a
    client generated from it refuses what the service refuses (`python -m
    tests.openapi_rules` writes them in after a rule changes)."""
    schema = resolve(spec, pointer)
    assert schema["pattern"] == RULES[pointer]
    assert not set(LENGTHS) & set(schema), "the pattern states the length"


# Strings a client sends whose rule is not a pattern, an enum or a format, and why.
UNPATTERNED = {
    "/components/parameters/IfMatch/schema": "ETags are compared, never refused (412)",
    "/components/parameters/FilterCode/schema": "a filter: a code no provider has finds none",
    "/components/schemas/MembershipUpdateResource/properties/id": "the URL's id or 409",
    "/components/schemas/ProviderIdentifier/properties/id": "a catalog provider's id or 404",
    "/components/schemas/ConcurMembership/properties/VendorCode": "a catalog code or 400",
}


def sent_strings(
    spec: dict[str, Any], node: dict[str, Any], at: str, seen: frozenset[str] = frozenset()
) -> Iterator[tuple[str, dict[str, Any]]]:
    """(pointer, schema) of every string schema within `node`, references followed."""
    if "$ref" in node:
        target = node["$ref"].removeprefix("#")
        if target not in seen:
            yield from sent_strings(spec, resolve(spec, target), target, seen | {target})
        return
    if node.get("type") == "string":
        yield at, node
    for name, member in (node.get("properties") or {}).items():
        yield from sent_strings(spec, member, f"{at}/properties/{name}", seen)
    if isinstance(node.get("items"), dict):
        yield from sent_strings(spec, node["items"], f"{at}/items", seen)
    for combinator in ("allOf", "anyOf", "oneOf"):
        for index, member in enumerate(node.get(combinator) or []):
            yield from sent_strings(spec, member, f"{at}/{combinator}/{index}", seen)


def test_every_string_a_client_sends_states_its_rule(spec: dict[str, Any]) -> None:
    """Every parameter and every string of a JSON or Concur body carries its rule: a
    pattern, an enum or a format (the enrichment routes' bodies are Universal API
    documents, whose rules are Travelport's XSDs)."""
    found: dict[str, dict[str, Any]] = {}
    for (path, _), operation in operations(spec).items():
        shared = spec["paths"][path].get("parameters", [])
        for parameter in [*shared, *operation.get("parameters", [])]:
            target = parameter["$ref"].removeprefix("#") if "$ref" in parameter else None
            schema = resolve(spec, target)["schema"] if target else parameter["schema"]
            where = f"{target}/schema" if target else f"{path} {parameter['name']}"
            found.update(sent_strings(spec, schema, where))
        if path in (HOTEL_ROUTE, ENRICH_ROUTE):
            continue
        for media in operation.get("requestBody", {}).get("content", {}).values():
            found.update(sent_strings(spec, media["schema"], "body"))
    assert {
        "/components/parameters/EmployeeId/schema",
        "/components/schemas/MembershipCreateAttributes/properties/program",
        "/components/schemas/ConcurMembership/properties/UniqueID",
    } <= set(found)
    unstated = {
        where
        for where, schema in found.items()
        if not {"pattern", "enum", "format"} & set(schema) and where not in UNPATTERNED
    }
    assert not unstated


def test_relationships_document_their_related_links(spec: dict[str, Any]) -> None:
    relationships = schema(spec, "Membership")["properties"]["relationships"]["properties"]
    assert set(relationships) == set(parameters.FIELDS[MEMBERSHIPS]) - set(MEMBERSHIP_ATTRIBUTES)
    for relationship in relationships.values():
        assert relationship["properties"]["links"] == {"$ref": "#/components/schemas/RelatedLinks"}
    assert list(schema(spec, "RelatedLinks")["properties"]) == ["related"]


# -- examples ------------------------------------------------------------------------------


def pointer(*parts: str | int) -> str:
    return "/".join(str(p).replace("~", "~0").replace("/", "~1") for p in parts)


def json_examples(node: Any, at: tuple[str | int, ...] = ()) -> Iterator[tuple[str, Any, str]]:
    """(where, example, pointer to its schema) of every example outside XML media types."""
    if isinstance(node, list):
        for index, item in enumerate(node):
            yield from json_examples(item, (*at, index))
        return
    if not isinstance(node, dict):
        return
    xml = len(at) >= 2 and at[-2] == "content" and "xml" in str(at[-1])
    if "schema" in node and not xml:  # a media type, parameter or header
        schema = pointer(*at, "schema")
        if "example" in node:
            yield pointer(*at, "example"), node["example"], schema
        for name, example in (node.get("examples") or {}).items():
            yield pointer(*at, "examples", name), example["value"], schema
    elif "example" in node and "schema" not in node and at and at[-1] != "examples":
        yield pointer(*at, "example"), node["example"], pointer(*at)  # a schema's own
    for key, value in node.items():
        if key not in ("example", "examples"):
            yield from json_examples(value, (*at, key))


def test_every_json_example_is_valid_against_its_schema(spec: dict[str, Any]) -> None:
    registry: Registry[Any] = Registry().with_resource(
        "urn:openapi", Resource.from_contents(spec, default_specification=DRAFT4)
    )
    checked = 0
    for where, example, schema in json_examples(spec):
        validator = OAS30Validator({"$ref": f"urn:openapi#/{schema}"}, registry=registry)
        errors = [error.message for error in validator.iter_errors(example)]
        assert not errors, (where, errors)
        checked += 1
    assert checked > 30


def xml_examples(spec: dict[str, Any], route: str) -> dict[str, dict[str, Any]]:
    content = spec["paths"][route]["post"]["requestBody"]["content"]
    assert set(content) == {"application/xml", "text/xml"}
    assert content["application/xml"]["examples"] == content["text/xml"]["examples"]
    found: dict[str, dict[str, Any]] = content["application/xml"]["examples"]
    return found


def example_file(example: dict[str, Any]) -> str:
    """The examples/ file an XML example is (its description names it)."""
    name = next(w for w in example["description"].split("`") if w.startswith("examples/"))
    return name.removeprefix("examples/")


def test_the_concur_examples_are_the_seed_documents_the_codec_reads(spec: dict[str, Any]) -> None:
    examples = xml_examples(spec, CONCUR_ROUTE)
    assert set(examples) == {"supplier", "tmc"}
    for name, example in examples.items():
        assert example["value"] == (EXAMPLES / f"concur_{name}_update.xml").read_text("utf-8")
        updates = concur.read_update(example["value"].encode())
        assert [u.program for u in updates] == ["Frequent Flier", "Business Traveler"]
        assert all((u.vendor_code is None) == (name == "supplier") for u in updates)


@cache
def xsd(path: str) -> etree.XMLSchema:
    return etree.XMLSchema(etree.parse(str(travelport.schema(path))))


def request_element(document: str) -> etree._Element:
    root = etree.fromstring(document.encode())
    return next(iter(root.find("{*}Body"))) if etree.QName(root).localname == "Envelope" else root


def documented_kinds(spec: dict[str, Any], document: str) -> list[str]:
    return [ref["$ref"].rsplit("/", 1)[1] for ref in schema(spec, document)["anyOf"]]


def checked_examples(spec: dict[str, Any], route: str) -> list[str]:
    """The kinds of a route's examples, each the examples/ file it names, valid against the
    v52 XSD of its namespace (a kind older versions only have, renamed to v52's like one)."""
    seen = []
    for example in xml_examples(spec, route).values():
        assert example["value"] == (EXAMPLES / example_file(example)).read_text("utf-8")
        element = request_element(example["value"])
        kind = etree.QName(element).localname
        declared = schema(spec, kind)["xml"]
        namespace = etree.QName(element).namespace
        if kind == "LowFareSearchAsynchReq":  # up to air_v49_0; on LowFareSearchReq's base
            assert namespace == "http://www.travelport.com/schema/air_v48_0"
            renamed = re.sub(r"_v48_0\b", "_v52_0", example["value"])
            element = request_element(renamed.replace(kind, "LowFareSearchReq"))
            namespace = declared["namespace"]
        assert (declared["name"], declared["namespace"]) == (kind, namespace)
        family = namespace.rsplit("/", 1)[1].split("_")[0]
        checker = xsd(XSD_OF[family])
        assert checker.validate(etree.ElementTree(element)), (kind, checker.error_log)
        seen.append(kind)
    return seen


def test_there_is_a_hotel_example_of_every_request_kind_valid_against_the_xsd(
    spec: dict[str, Any],
) -> None:
    assert sorted(documented_kinds(spec, "HotelRequestDocument")) == sorted(HOTEL_KINDS)
    assert sorted(checked_examples(spec, HOTEL_ROUTE)) == sorted(HOTEL_KINDS)


def test_there_is_an_example_of_every_kind_the_general_route_takes_valid_against_the_xsd(
    spec: dict[str, Any],
) -> None:
    assert sorted(documented_kinds(spec, "UapiRequestDocument")) == sorted(ALL_KINDS)
    seen = checked_examples(spec, ENRICH_ROUTE)
    assert set(seen) == set(ALL_KINDS)
    modify = [e for e in xml_examples(spec, ENRICH_ROUTE).values() if codec.MODIFY in e["value"]]
    assert {
        name for e in modify for name in ("HotelAdd", "AirAdd", "VehicleAdd") if name in e["value"]
    } == {
        "HotelAdd",
        "AirAdd",
        "VehicleAdd",
    }


def test_every_example_file_is_an_example_of_the_reference(spec: dict[str, Any]) -> None:
    named = {
        example_file(example)
        for route in (HOTEL_ROUTE, ENRICH_ROUTE, CONCUR_ROUTE)
        for example in xml_examples(spec, route).values()
        if "examples/" in example.get("description", "")
    }
    named |= {"concur_supplier_update.xml", "concur_tmc_update.xml"}
    assert {p.name for p in EXAMPLES.glob("*.xml")} == named


def test_the_report_states_every_reason_and_supplier_type(spec: dict[str, Any]) -> None:
    data = schema(spec, "EnrichmentReport")["properties"]["data"]["properties"]
    reasons = data["left_out"]["items"]["properties"]["reason"]["description"]
    for reason in (
        "hotel_program",
        "air_program",
        "vehicle_program",
        "partner_carrier",
        "other_carrier",
        "other_vendor",
        "not_on_provider",
        "traveller_limit",
    ):
        assert f"`{reason}`" in reasons
    added = data["added"]["items"]["properties"]
    assert added["supplier_type"]["enum"] == ["Hotel", "Air", "Vehicle"]
    assert data["product"]["enum"] == list(codec.PRODUCTS)


def test_xml_request_bodies_are_described_as_xml_documents(spec: dict[str, Any]) -> None:
    """No JSON `type` (which made tools wrap the document in a string element); an `xml`
    name on each document, so generated samples are the document itself."""
    for name in ("LoyaltyMembershipUpdate", *ALL_KINDS):
        described = schema(spec, name)
        assert "type" not in described and described["xml"]["name"] == name, name
    assert "type" not in schema(spec, "HotelRequestDocument")
    assert "type" not in schema(spec, "UapiRequestDocument")
