"""openapi.json: a valid OpenAPI 3 document, in step with template.yaml and the code."""

from __future__ import annotations

import json
from typing import Any

import pytest
from openapi_spec_validator import validate
from werkzeug.test import Client

from local import template
from local.server import wsgi_app
from loyalty_core.interfaces import xml
from loyalty_core.interfaces.concur import xml as concur
from loyalty_core.interfaces.locomote import jsonapi
from loyalty_core.models import MEMBERSHIP_ATTRIBUTES

SPEC = template.ROOT / "openapi.json"
HTTP_METHODS = {"get", "put", "post", "delete", "options", "head", "patch", "trace"}


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
    for (path, method), operation in operations(spec).items():
        statuses = set(operation["responses"])
        assert {"401", "405", "429", "503"} <= statuses, (method, path)
        assert any(s.startswith("2") for s in statuses), (method, path)
        assert operation.get("security"), (method, path)


def test_membership_attributes_are_those_of_the_model(spec: dict[str, Any]) -> None:
    for name in (
        "MembershipAttributes",
        "MembershipCreateAttributes",
        "MembershipUpdateAttributes",
    ):
        assert list(schema(spec, name)["properties"]) == list(MEMBERSHIP_ATTRIBUTES), name
    assert schema(spec, "MembershipCreateAttributes")["required"] == list(jsonapi.LOCOMOTE_REQUIRED)


def test_paging_limits_are_those_of_the_code(spec: dict[str, Any]) -> None:
    size = spec["components"]["parameters"]["PageSize"]["schema"]
    assert (size["maximum"], size["default"]) == (jsonapi.MAX_PAGE_SIZE, jsonapi.DEFAULT_PAGE_SIZE)


def test_concur_elements_are_those_of_the_codec(spec: dict[str, Any]) -> None:
    membership = schema(spec, "ConcurMembership")["properties"]
    assert set(membership) == {"UniqueID", *concur.ELEMENTS, *concur.VENDOR}
    update = schema(spec, "LoyaltyMembershipUpdate")["properties"]["Membership"]
    assert update["maxItems"] == concur.MAX_MEMBERSHIPS
    body = spec["paths"]["/api/travelprofile/v1.0/loyalty"]["post"]["requestBody"]
    assert set(body["content"]) == set(xml.MEDIA_TYPES)


def test_the_local_front_serves_the_document() -> None:
    response = Client(wsgi_app).get("/openapi.json")
    assert response.status_code == 200
    assert response.mimetype == "application/json"
    assert response.get_data() == SPEC.read_bytes()
