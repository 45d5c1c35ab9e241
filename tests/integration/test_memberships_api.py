"""JSON:API memberships: every bad input gets its status and pointer, ETags, paging."""

from __future__ import annotations

import pytest

from tests.conftest import Api, membership_document, patch_document

PATH = "/api/users/098765/loyalty_memberships"
HILTON = "9c5b90ff-2cce-11e8-87f9-0662bed6e7db"


def count(api: Api) -> int:
    total: int = api("GET", PATH).json["meta"]["total"]
    return total


# -- bad input --------------------------------------------------------------------


def test_malformed_json_is_400_and_writes_nothing(api: Api) -> None:
    response = api("POST", PATH, body='{"data": {"type": ')
    assert response.status == 400
    assert response.errors[0]["code"] == "bad_request"
    assert "not valid JSON" in response.errors[0]["detail"]
    assert count(api) == 0


@pytest.mark.parametrize(
    "content_type",
    [None, "text/plain", "application/xml", "application/vnd.api+json; charset=utf-8"],
)
def test_wrong_media_type_is_415(api: Api, content_type: str | None) -> None:
    response = api("POST", PATH, body=membership_document(), headers={"Content-Type": content_type})
    assert response.status == 415
    assert response.errors[0]["code"] == "unsupported_media_type"
    assert count(api) == 0


def test_plain_json_and_jsonapi_media_types_are_both_accepted(api: Api) -> None:
    for i, media in enumerate(["application/json; charset=utf-8", "application/vnd.api+json"]):
        body = membership_document(account_number=f"A{i}")
        assert api("POST", PATH, body=body, headers={"Content-Type": media}).status == 201


def test_responses_use_the_jsonapi_media_type(api: Api) -> None:
    assert api("GET", PATH).headers["Content-Type"] == "application/vnd.api+json"


def test_wrong_type_is_409(api: Api) -> None:
    body = membership_document()
    body["data"]["type"] = "memberships"
    response = api("POST", PATH, body=body)
    assert response.status == 409
    assert response.pointers() == {"/data/type"}


def test_client_generated_id_is_refused_with_403(api: Api) -> None:
    body = membership_document()
    body["data"]["id"] = "4febbfe5-a4ac-4274-a251-f948d77d91a1"
    response = api("POST", PATH, body=body)
    assert response.status == 403
    assert response.pointers() == {"/data/id"}
    assert count(api) == 0


def test_user_relationship_must_match_the_path(api: Api) -> None:
    body = membership_document()
    body["data"]["relationships"]["user"] = {"data": {"id": "112233", "type": "users"}}
    response = api("POST", PATH, body=body)
    assert response.status == 409
    assert response.pointers() == {"/data/relationships/user/data/id"}
    assert count(api) == 0


def test_patch_body_id_must_match_the_path(api: Api) -> None:
    created = api.create()
    body = membership_document()
    body["data"]["id"] = "4febbfe5-a4ac-4274-a251-f948d77d91a1"
    response = api("PATCH", f"{PATH}/{created['id']}", body=body)
    assert response.status == 409
    assert response.pointers() == {"/data/id"}


def test_unknown_provider_is_404_pointing_at_the_relationship(api: Api) -> None:
    response = api("POST", PATH, body=membership_document("00000000-0000-0000-0000-000000000000"))
    assert response.status == 404
    assert response.pointers() == {"/data/relationships/loyalty_provider/data/id"}
    assert count(api) == 0


BAD_FIELDS = {
    "account_number": "H665/90214",
    "membership_name": "John <Smith>",
    "level": "Gold!",
    "expires_on": "2021-02-30",
    "program": "",
    "status_benefits": "x" * 501,
    "point_total": -1,
    "segment_total": "150",
    "next_status": "y" * 51,
    "points_until_next_status": 2**53,
    "segments_until_next_status": 1.5,
}


def test_every_bad_field_is_reported_at_once_with_422(api: Api) -> None:
    response = api("POST", PATH, body=membership_document(**BAD_FIELDS))
    assert response.status == 422
    assert response.pointers() == {f"/data/attributes/{name}" for name in BAD_FIELDS}
    assert all(e["status"] == "422" and e["code"] == "validation_failed" for e in response.errors)
    assert count(api) == 0


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("account_number", "A" * 51),
        ("account_number", ""),
        ("membership_name", "J" * 51),
        ("level", "L" * 51),
        ("expires_on", "2021-1-1"),
        ("expires_on", 20210101),
        ("point_total", True),
    ],
)
def test_each_field_rule_is_enforced(api: Api, field: str, value: object) -> None:
    response = api("POST", PATH, body=membership_document(**{field: value}))
    assert response.status == 422
    assert response.pointers() == {f"/data/attributes/{field}"}


def test_required_attributes_and_provider_are_reported_together(api: Api) -> None:
    body = {"data": {"type": "loyalty_memberships", "attributes": {"level": "Gold"}}}
    response = api("POST", PATH, body=body)
    assert response.status == 422
    assert response.pointers() == {
        "/data/attributes/account_number",
        "/data/attributes/membership_name",
        "/data/attributes/expires_on",
        "/data/relationships/loyalty_provider/data",
    }


def test_unknown_attribute_is_422(api: Api) -> None:
    response = api("POST", PATH, body=membership_document(acount_number="typo"))
    assert response.status == 422
    assert response.pointers() == {"/data/attributes/acount_number"}


@pytest.mark.parametrize("body", ["[]", '{"data": []}', '{"meta": {}}', '{"data": {"id": "x"}}'])
def test_a_body_that_is_not_a_resource_document_is_400(api: Api, body: str) -> None:
    response = api("POST", PATH, body=body)
    assert response.status == 400


def test_oversized_body_is_413(api: Api) -> None:
    body = membership_document(status_benefits="x" * 70_000)
    response = api("POST", PATH, body=body)
    assert response.status == 413
    assert response.errors[0]["code"] == "payload_too_large"


@pytest.mark.parametrize(
    ("query", "parameter"),
    [
        ({"page[size]": "0"}, "page[size]"),
        ({"page[size]": "101"}, "page[size]"),
        ({"page[size]": "ten"}, "page[size]"),
        ({"page[number]": "0"}, "page[number]"),
        ({"page[number]": "-1"}, "page[number]"),
        ({"page[number]": "1.5"}, "page[number]"),
    ],
)
def test_bad_paging_values_are_400_naming_the_parameter(
    api: Api, query: dict[str, str], parameter: str
) -> None:
    response = api("GET", PATH, query=query)
    assert response.status == 400
    assert response.errors[0]["source"] == {"parameter": parameter}


def test_unknown_route_is_404_and_wrong_method_is_405_with_allow(api: Api) -> None:
    assert api("GET", "/api/nothing/here").status == 404
    response = api("PUT", PATH)
    assert response.status == 405
    assert response.headers["Allow"] == "GET, POST"
    created = api.create()
    response = api("POST", f"{PATH}/{created['id']}", body=membership_document())
    assert response.status == 405
    assert response.headers["Allow"] == "GET, PATCH, DELETE"


def test_same_provider_and_account_twice_is_409(api: Api) -> None:
    api.create(account_number="H66590214")
    response = api("POST", PATH, body=membership_document(account_number="H66590214"))
    assert response.status == 409
    assert response.errors[0]["code"] == "duplicate_record"
    assert count(api) == 1


def test_patch_cannot_make_a_duplicate(api: Api) -> None:
    api.create(account_number="A1")
    second = api.create(account_number="A2")
    body = patch_document(second["id"], account_number="A1")
    response = api("PATCH", f"{PATH}/{second['id']}", body=body)
    assert response.status == 409
    assert api("GET", f"{PATH}/{second['id']}").json["data"]["attributes"]["account_number"] == "A2"


# -- updates, ETags, deletes --------------------------------------------------------


def test_patch_keeps_attributes_not_sent_and_null_clears_optional_ones(api: Api) -> None:
    created = api.create(level="Gold", point_total=10)
    body = patch_document(created["id"], level=None, segment_total=3)
    response = api("PATCH", f"{PATH}/{created['id']}", body=body)
    assert response.status == 200
    attributes = response.json["data"]["attributes"]
    assert attributes["level"] is None
    assert attributes["segment_total"] == 3
    assert attributes["point_total"] == 10
    assert attributes["account_number"] == created["attributes"]["account_number"]
    assert response.json["data"]["meta"]["version"] == 2


def test_patch_refuses_null_for_mandatory_attributes(api: Api) -> None:
    created = api.create()
    body = patch_document(created["id"], expires_on=None, membership_name=None)
    response = api("PATCH", f"{PATH}/{created['id']}", body=body)
    assert response.status == 422
    assert response.pointers() == {
        "/data/attributes/expires_on",
        "/data/attributes/membership_name",
    }


def test_single_resources_carry_an_etag_that_changes_on_update(api: Api) -> None:
    created = api.create()
    first = api("GET", f"{PATH}/{created['id']}")
    body = patch_document(created["id"], level="Platinum")
    updated = api(
        "PATCH", f"{PATH}/{created['id']}", body=body, headers={"If-Match": first.headers["ETag"]}
    )
    assert updated.status == 200
    assert updated.headers["ETag"] != first.headers["ETag"]
    assert api("GET", f"{PATH}/{created['id']}").headers["ETag"] == updated.headers["ETag"]


def test_stale_if_match_is_412_on_patch_and_delete(api: Api) -> None:
    created = api.create()
    item = f"{PATH}/{created['id']}"
    stale = api("GET", item).headers["ETag"]
    body = patch_document(created["id"], level="Silver")
    assert api("PATCH", item, body=body).status == 200
    refused = api("PATCH", item, body=body, headers={"If-Match": stale})
    assert refused.status == 412
    assert api("DELETE", item, headers={"If-Match": stale}).status == 412
    assert api("GET", item).status == 200
    current = api("GET", item).headers["ETag"]
    assert api("DELETE", item, headers={"If-Match": current}).status == 204


def test_delete_is_permanent(api: Api) -> None:
    created = api.create()
    assert api("DELETE", f"{PATH}/{created['id']}").status == 204
    assert api("GET", f"{PATH}/{created['id']}").status == 404
    assert api("DELETE", f"{PATH}/{created['id']}").status == 404
    assert count(api) == 0


# -- paging ---------------------------------------------------------------------------


def test_paging_links_and_total_in_creation_order(api: Api) -> None:
    ids = [api.create(account_number=f"ACC{i}")["id"] for i in range(5)]
    page = api("GET", PATH, query={"page[number]": "2", "page[size]": "2"}).json
    assert [m["id"] for m in page["data"]] == ids[2:4]
    assert page["meta"]["total"] == 5
    links = page["links"]
    assert links["self"].endswith("page%5Bnumber%5D=2&page%5Bsize%5D=2")
    assert links["first"].endswith("page%5Bnumber%5D=1&page%5Bsize%5D=2")
    assert links["last"].endswith("page%5Bnumber%5D=3&page%5Bsize%5D=2")
    assert links["prev"].endswith("page%5Bnumber%5D=1&page%5Bsize%5D=2")
    assert links["next"].endswith("page%5Bnumber%5D=3&page%5Bsize%5D=2")
    last = api("GET", PATH, query={"page[number]": "3", "page[size]": "2"}).json
    assert [m["id"] for m in last["data"]] == ids[4:]
    assert last["links"]["next"] is None


def test_default_page_size_is_25(api: Api) -> None:
    for i in range(27):
        api.create(account_number=f"N{i}")
    page = api("GET", PATH).json
    assert len(page["data"]) == 25
    assert page["meta"]["total"] == 27
    assert page["links"]["next"] is not None


def test_links_follow_the_host_the_caller_used(api: Api) -> None:
    created = api.create()
    response = api("GET", f"{PATH}/{created['id']}", headers={"Host": "loyalty.example.com"})
    assert response.json["data"]["links"]["self"] == (
        f"https://loyalty.example.com{PATH}/{created['id']}"
    )


def test_patch_cannot_unset_the_provider(api: Api) -> None:
    created = api.create()
    body = {
        "data": {
            "id": created["id"],
            "type": "loyalty_memberships",
            "relationships": {"loyalty_provider": {"data": None}},
        }
    }
    response = api("PATCH", f"{PATH}/{created['id']}", body=body)
    assert response.status == 422
    assert response.pointers() == {"/data/relationships/loyalty_provider/data"}


def test_deeply_nested_json_is_400_not_a_crash(api: Api) -> None:
    response = api("POST", PATH, body="[" * 5000 + "]" * 5000)
    assert response.status == 400
    assert "nested too deeply" in response.errors[0]["detail"]


def test_a_huge_page_number_is_400_not_a_crash(api: Api) -> None:
    response = api("GET", PATH, query={"page[number]": "9" * 5000})
    assert response.status == 400
    assert response.errors[0]["source"] == {"parameter": "page[number]"}


def test_oversized_ids_and_usernames_never_reach_the_store(
    api: Api, dynamodb_calls: list[str]
) -> None:
    dynamodb_calls.clear()
    assert api("GET", f"{PATH}/{'a' * 2000}").status == 404
    assert api("DELETE", f"{PATH}/{'a' * 2000}").status == 404
    long_name = api("GET", PATH, headers={"X-USER-USERNAME": "a" * 1000 + "@acme.example"})
    assert long_name.status == 401
    # Only the two authentications and DELETE's read of the user's partition: no key built
    # from the oversized id or name was sent.
    assert dynamodb_calls == ["GetItem", "GetItem", "Query"]


@pytest.mark.parametrize(
    ("accept", "status"),
    [
        ("application/vnd.api+json", 200),
        ("application/vnd.api+json; charset=utf-8", 406),
        ("application/vnd.api+json; charset=utf-8, application/vnd.api+json", 200),
        ('application/vnd.api+json; profile="https://example.com/p"', 200),
        ('application/vnd.api+json; ext="https://example.com/ext"', 406),  # no extension
        ("*/*", 200),
    ],
)
def test_accept_negotiation_follows_json_api(api: Api, accept: str, status: int) -> None:
    response = api("GET", PATH, headers={"Accept": accept})
    assert response.status == status
    if status == 406:
        assert response.errors[0]["code"] == "not_acceptable"


@pytest.mark.parametrize("body", ["[]", '{"data": []}', '{"data": 7}'])
def test_errors_never_name_our_classes(api: Api, body: str) -> None:
    response = api("POST", PATH, body=body)
    assert response.status == 400
    assert b"_Document" not in response.body and b"_Resource" not in response.body
    assert any("must be an object" in e["detail"] for e in response.errors)
