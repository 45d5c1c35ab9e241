"""The JSON:API codec: reading request documents, rendering errors."""

from __future__ import annotations

import json
from typing import Any

import pytest

from local.events import SEED_CREATE
from loyalty_core import errors as e
from loyalty_core.interfaces import jsonapi
from loyalty_core.interfaces.links import public_url
from loyalty_core.interfaces.locomote import api, documents

JSON = "application/json"


def read(doc: Any, content_type: str = JSON, **event: Any) -> Any:
    body = json.dumps(doc) if not isinstance(doc, str) else doc
    return api.read_resource({"body": body, "headers": {"Content-Type": content_type}, **event})


def test_the_seed_create_document_becomes_a_draft() -> None:
    draft = documents.membership_draft(read(SEED_CREATE), "098765")
    assert draft.provider_id == "9c5b90ff-2cce-11e8-87f9-0662bed6e7db"
    assert draft.account_number == "H66590214"
    assert str(draft.expires_on) == "2021-01-01"


@pytest.mark.parametrize(
    ("content_type", "accepted"),
    [
        ("application/json", True),
        ("application/json; charset=utf-8", True),
        ("application/json; charset=UTF-8", True),
        ("application/json; charset=utf-16", False),
        ("application/json; charset=iso-8859-1", False),
        ("application/vnd.api+json", True),
        ('application/vnd.api+json; ext="https://example.com/ext"', False),  # no extension
        ('application/vnd.api+json; profile="https://example.com/profile"', True),
        ("application/vnd.api+json; charset=utf-8", False),
        ("application/xml", False),
        ("", False),
    ],
)
def test_media_types(content_type: str, accepted: bool) -> None:
    if accepted:
        assert read(SEED_CREATE, content_type).type == "loyalty_memberships"
    else:
        with pytest.raises(e.UnsupportedMediaType):
            read(SEED_CREATE, content_type)


def test_body_over_the_limit_is_refused_before_parsing() -> None:
    with pytest.raises(e.PayloadTooLarge):
        read("x" * (api.MAX_BODY_BYTES + 1))


def test_invalid_utf8_is_malformed() -> None:
    import base64

    with pytest.raises(e.MalformedRequest):
        read(base64.b64encode(b"\xff\xfe").decode(), isBase64Encoded=True)


def test_malformed_base64_is_malformed() -> None:
    with pytest.raises(e.MalformedRequest):
        read("not base64!", isBase64Encoded=True)


def test_errors_render_with_string_status_code_title_and_pointer() -> None:
    error = e.InvalidInput("bad", [e.Problem("must be x", ("data", "attributes", "level"))])
    status, body, headers = jsonapi.error_document(error)
    assert status == 422
    assert headers == {}
    assert body["errors"] == [
        {
            "status": "422",
            "code": "validation_failed",
            "title": "Invalid input",
            "detail": "level must be x",
            "source": {"pointer": "/data/attributes/level"},
        }
    ]


@pytest.mark.parametrize(
    ("error", "status", "code"),
    [
        (e.Unauthenticated(), 401, "authentication_failed"),
        (e.AccessDenied(), 403, "access_denied"),
        (e.NotFound(), 404, "record_not_found"),
        (e.Duplicate(), 409, "duplicate_record"),
        (e.PreconditionFailed(), 412, "precondition_failed"),
        (e.StorageUnavailable(), 503, "service_unavailable"),
    ],
)
def test_each_domain_error_has_one_status_and_code(
    error: e.DomainError, status: int, code: str
) -> None:
    got, body, headers = jsonapi.error_document(error)
    assert (got, body["errors"][0]["code"], body["errors"][0]["status"]) == (
        status,
        code,
        str(status),
    )
    if status == 503:
        assert headers["Retry-After"] == "1"


def test_domain_field_names_map_to_document_pointers() -> None:
    assert documents.pointer(("account_number",)) == "/data/attributes/account_number"
    assert documents.pointer(("provider_id",)) == "/data/relationships/loyalty_provider/data/id"
    assert documents.pointer(("data", "a/b")) == "/data/a~1b"


def test_only_locomote_errors_point_into_the_membership_document() -> None:
    error = e.Duplicate("taken", [e.Problem("already used", ("account_number",))])

    def pointers(body: str | None) -> list[str]:
        return [item["source"]["pointer"] for item in json.loads(body or "")["errors"]]

    assert pointers(api.error_response(error).body) == ["/data/attributes/account_number"]
    assert pointers(jsonapi.error_response(error).body) == ["/account_number"]


def test_public_url_keeps_the_stage_prefix() -> None:
    event = {
        "path": "/api/x",
        "headers": {"Host": "abc.execute-api.aws", "X-Forwarded-Proto": "https"},
        "requestContext": {"path": "/v1/api/x"},
    }
    assert public_url(event).of("/api/y") == "https://abc.execute-api.aws/v1/api/y"


# -- JSON edge cases (SPEC 7) -----------------------------------------------------------


@pytest.mark.parametrize(
    "body",
    [
        '{"data": {"type": "loyalty_memberships", "type": "users"}}',
        '{"data": {"type": "loyalty_memberships", "attributes": {"level": "a", "level": "b"}}}',
        '{"data": {"type": "loyalty_memberships"}, "data": {"type": "loyalty_memberships"}}',
    ],
)
def test_a_key_sent_twice_in_one_object_is_malformed(body: str) -> None:
    with pytest.raises(e.MalformedRequest, match="twice"):
        read(body)


def test_the_same_key_in_two_objects_is_fine() -> None:
    doc = '{"data": {"type": "loyalty_memberships", "meta": {"type": "x"}}}'
    assert read(doc).type == "loyalty_memberships"


@pytest.mark.parametrize("digits", ["9" * 21, "9" * 4301, "-" + "9" * 5000, "1" + "0" * 60000])
def test_integers_too_long_for_any_field_are_read_as_out_of_range(digits: str) -> None:
    resource = read('{"data": {"type": "x", "attributes": {"point_total": ' + digits + "}}}")
    value = resource.attributes["point_total"]
    assert value in (float("inf"), float("-inf"))


def test_integers_of_twenty_digits_are_read_exactly() -> None:
    resource = read('{"data": {"type": "x", "attributes": {"point_total": 18446744073709551615}}}')
    assert resource.attributes["point_total"] == 2**64 - 1


@pytest.mark.parametrize("constant", ["NaN", "Infinity", "-Infinity"])
def test_nan_and_infinity_are_not_json(constant: str) -> None:
    with pytest.raises(e.MalformedRequest, match="not JSON"):
        read('{"data": {"type": "x", "attributes": {"point_total": ' + constant + "}}}")
