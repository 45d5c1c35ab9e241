"""The Concur loyalty update: the seed examples as contracts, who may write what, hostile XML,
atomicity; and the records it writes are the ones the JSON:API routes read."""

from __future__ import annotations

from typing import Any

import pytest
from lxml import etree

from local.events import CONCUR_SUPPLIER_UPDATE, CONCUR_TMC_UPDATE
from tests.conftest import TABLE, Api, ApiResponse, patch_document

ROUTE = "/api/travelprofile/v1.0/loyalty"
MEMBERSHIPS = "/api/users/098765/loyalty_memberships"
AA = "0bf926d4-f236-5a5f-afc7-f40ea0b4950a"


def concur(
    api: Api,
    body: str | bytes,
    token: str | None = "concur-supplier-token",
    content_type: str | None = "application/xml",
    scheme: str = "OAuth",
) -> ApiResponse:
    headers = {
        "Content-Type": content_type,
        "Authorization": f"{scheme} {token}" if token else None,
    }
    return api("POST", ROUTE, as_user=None, headers=headers, body=body)


def outcome(response: ApiResponse) -> tuple[str, str]:
    assert response.headers["Content-Type"] == "application/xml"
    root = etree.fromstring(response.body)
    assert root.tag == "LoyaltyMembershipResponse"
    assert [c.tag for c in root] == ["Status", "ErrorDescription"]
    return root.findtext("Status") or "", root.findtext("ErrorDescription") or ""


def held(api: Api) -> list[dict[str, Any]]:
    data: list[dict[str, Any]] = api("GET", MEMBERSHIPS).json["data"]
    return data


def by_program(api: Api) -> dict[tuple[str, str], dict[str, Any]]:
    return {
        (m["relationships"]["loyalty_provider"]["data"]["id"], m["attributes"]["program"]): m
        for m in held(api)
    }


# -- the seed examples -------------------------------------------------------------------


def test_supplier_example_answers_ok_and_json_api_shows_the_memberships(api: Api) -> None:
    response = concur(api, CONCUR_SUPPLIER_UPDATE)
    assert response.status == 200
    assert outcome(response) == ("OK", "")
    assert b"<ErrorDescription/>" in response.body
    memberships = by_program(api)
    assert set(memberships) == {(AA, "Frequent Flier"), (AA, "Business Traveler")}
    flier = memberships[(AA, "Frequent Flier")]["attributes"]
    assert flier == {
        "program": "Frequent Flier",
        "account_number": "1234567890",
        "membership_name": "John Smith",  # Concur sends none: the user's profile name
        "level": "Gold",
        "expires_on": None,
        "status_benefits": "Early flight check-in.",
        "point_total": 123456,
        "segment_total": 150,
        "next_status": "Platinum",
        "points_until_next_status": 100000,
        "segments_until_next_status": 100,
    }
    business = memberships[(AA, "Business Traveler")]["attributes"]
    assert (business["account_number"], business["point_total"]) == ("0987654321", 334002)


def test_sending_the_same_document_again_changes_nothing(api: Api) -> None:
    """A resend is not a write: no new version (so no ETag a client holds goes stale)."""
    concur(api, CONCUR_SUPPLIER_UPDATE)
    first = {m["id"]: m for m in held(api)}
    assert outcome(concur(api, CONCUR_SUPPLIER_UPDATE)) == ("OK", "")
    assert {m["id"]: m for m in held(api)} == first


def test_tmc_example_answers_ok_and_writes_both_programs(api: Api) -> None:
    response = concur(api, CONCUR_TMC_UPDATE, token="concur-tmc-token")
    assert response.status == 200
    assert outcome(response) == ("OK", "")
    providers = api("GET", "/api/loyalty_providers", query={"page[size]": "100"}).json["data"]
    codes = {p["id"]: p["attributes"]["code"] for p in providers}
    memberships = held(api)
    assert sorted(
        (
            codes[m["relationships"]["loyalty_provider"]["data"]["id"]],
            m["attributes"]["program"],
            m["attributes"]["account_number"],
        )
        for m in memberships
    ) == [("AA", "Frequent Flier", "1234567890"), ("TR", "Business Traveler", "991823728")]


def test_tmc_updates_the_membership_the_supplier_created(api: Api) -> None:
    concur(api, CONCUR_SUPPLIER_UPDATE)
    before = by_program(api)[(AA, "Frequent Flier")]
    concur(api, CONCUR_TMC_UPDATE.replace("123456", "999"), token="concur-tmc-token")
    after = by_program(api)[(AA, "Frequent Flier")]
    assert after["id"] == before["id"]
    assert after["attributes"]["point_total"] == 999
    assert len(held(api)) == 3


def test_bearer_scheme_is_accepted(api: Api) -> None:
    assert outcome(concur(api, CONCUR_SUPPLIER_UPDATE, scheme="Bearer")) == ("OK", "")


# -- one record, three interfaces ------------------------------------------------------------


def test_json_api_patches_and_deletes_what_concur_wrote(api: Api) -> None:
    concur(api, CONCUR_SUPPLIER_UPDATE)
    flier = by_program(api)[(AA, "Frequent Flier")]
    item = f"{MEMBERSHIPS}/{flier['id']}"
    body = patch_document(flier["id"], membership_name="J. Smith")
    assert api("PATCH", item, body=body).status == 200
    concur(api, CONCUR_SUPPLIER_UPDATE)  # Concur's next update keeps the name it does not send
    assert api("GET", item).json["data"]["attributes"]["membership_name"] == "J. Smith"
    assert api("DELETE", item).status == 204
    assert (AA, "Frequent Flier") not in by_program(api)


# -- who may write what ----------------------------------------------------------------------


def test_supplier_body_vendor_fields_are_ignored(api: Api) -> None:
    body = CONCUR_SUPPLIER_UPDATE.replace(
        "<AccountNo>1234567890</AccountNo>",
        "<VendorCode>QF</VendorCode><VendorType>H</VendorType><AccountNo>1234567890</AccountNo>",
    )
    assert outcome(concur(api, body)) == ("OK", "")
    assert {provider for provider, _ in by_program(api)} == {AA}


def test_supplier_cannot_touch_another_vendors_membership(api: Api) -> None:
    qantas = api.create(
        provider="9c5b9246-2cce-11e8-87f9-0662bed6e7db",
        account_number="QF1",
        program="Frequent Flier",
    )
    assert outcome(concur(api, CONCUR_SUPPLIER_UPDATE)) == ("OK", "")
    unchanged = api("GET", f"{MEMBERSHIPS}/{qantas['id']}").json["data"]
    assert unchanged["attributes"] == qantas["attributes"]
    assert len(held(api)) == 3


def test_uncertified_supplier_is_403_and_writes_nothing(api: Api) -> None:
    response = concur(api, CONCUR_SUPPLIER_UPDATE, token="concur-uncertified-token")
    assert response.status == 403
    status, description = outcome(response)
    assert status == "ERROR" and "review process" in description
    assert held(api) == []


@pytest.mark.parametrize("token", [None, "", "not-a-token", "acme-admin-token"])
def test_missing_or_unknown_token_is_401(api: Api, token: str | None) -> None:
    response = concur(api, CONCUR_SUPPLIER_UPDATE, token=token)
    assert response.status == 401
    assert outcome(response)[0] == "ERROR"
    assert held(api) == []


def test_a_revoked_token_is_401(api: Api, dynamodb: Any) -> None:
    from local.admin import Admin
    from loyalty_core.auth import hash_token, token_id
    from loyalty_core.services.directory import revoke_concur_token

    admin = Admin(operator="tests")
    tid = token_id(hash_token("concur-tmc-token"))
    revoke_concur_token(admin.repo, "demo-tmc", tid, origin=admin.origin())
    assert concur(api, CONCUR_TMC_UPDATE, token="concur-tmc-token").status == 401


def test_certifying_an_application_takes_effect_on_its_tokens(api: Api, dynamodb: Any) -> None:
    from local.admin import Admin
    from loyalty_core.services.directory import certify_application

    admin = Admin(operator="tests")
    certify_application(admin.repo, "demo-uncertified", True, origin=admin.origin())
    body = CONCUR_SUPPLIER_UPDATE.replace("Frequent Flier", "Car Club")
    assert outcome(concur(api, body, token="concur-uncertified-token")) == ("OK", "")


@pytest.mark.parametrize(
    ("change", "element"),
    [
        (("<VendorCode>AA</VendorCode>", ""), "VendorCode"),
        (("<VendorType>A</VendorType>", ""), "VendorType"),
        (("<VendorType>A</VendorType>", "<VendorType>X</VendorType>"), "VendorType"),
        (("<VendorCode>AA</VendorCode>", "<VendorCode>ZZ</VendorCode>"), "VendorCode"),
    ],
)
def test_tmc_membership_needs_a_known_vendor(
    api: Api, change: tuple[str, str], element: str
) -> None:
    response = concur(api, CONCUR_TMC_UPDATE.replace(*change), token="concur-tmc-token")
    assert response.status == 400
    status, description = outcome(response)
    assert status == "ERROR"
    assert f'Membership 1 (UniqueID "Frequent Flier"): {element}' in description
    assert held(api) == []


# -- bad and hostile XML ---------------------------------------------------------------------

ONE = '<LoyaltyMembershipUpdate><Membership UniqueID="P">{}</Membership></LoyaltyMembershipUpdate>'
BAD = {
    "not well-formed": ("<LoyaltyMembershipUpdate><Membership>", "not well-formed"),
    "wrong root": ("<LoyaltyUpdate/>", "root element must be LoyaltyMembershipUpdate"),
    "no membership": ("<LoyaltyMembershipUpdate/>", "no Membership"),
    "stranger child": ("<LoyaltyMembershipUpdate><Other/></LoyaltyMembershipUpdate>", "Other"),
    "unknown element": (
        ONE.format("<AccountNo>1</AccountNo><Miles>5</Miles>"),
        'Membership 1 (UniqueID "P"): Miles is not a known element',
    ),
    "negative points": (
        ONE.format("<AccountNo>1</AccountNo><PointTotal>-5</PointTotal>"),
        "PointTotal must be a non-negative whole number",
    ),
    "non-numeric points": (
        ONE.format("<AccountNo>1</AccountNo><PointTotal>lots</PointTotal>"),
        "PointTotal must be a non-negative whole number",
    ),
    "huge points": (
        ONE.format(f"<AccountNo>1</AccountNo><PointTotal>{2**53}</PointTotal>"),
        "PointTotal",
    ),
    "thousands of digits": (
        ONE.format(f"<AccountNo>1</AccountNo><PointTotal>{'9' * 4401}</PointTotal>"),
        "PointTotal must be a non-negative whole number up to 2^53 - 1",
    ),
    "bad account number": (
        ONE.format("<AccountNo>12.34/56</AccountNo>"),
        'Membership 1 (UniqueID "P"): AccountNo must be',
    ),
    "missing account number": (
        ONE.format("<Status>Gold</Status>"),
        "AccountNo is required to add a new membership",
    ),
    "missing UniqueID": (
        "<LoyaltyMembershipUpdate><Membership><AccountNo>1</AccountNo>"
        "</Membership></LoyaltyMembershipUpdate>",
        "UniqueID attribute is required",
    ),
    "repeated element": (
        ONE.format("<AccountNo>1</AccountNo><AccountNo>2</AccountNo>"),
        "AccountNo is repeated",
    ),
    "empty body": ("", "empty"),
    "too many memberships": (
        "<LoyaltyMembershipUpdate>"
        + "".join(
            f'<Membership UniqueID="P{i}"><AccountNo>{i}</AccountNo></Membership>'
            for i in range(51)
        )
        + "</LoyaltyMembershipUpdate>",
        "at most 50",
    ),
    "external entity (file)": (
        '<?xml version="1.0"?><!DOCTYPE r [<!ENTITY x SYSTEM "file:///etc/passwd">]>'
        + ONE.format("<AccountNo>&x;</AccountNo>"),
        "DOCTYPE",
    ),
    "external entity (network)": (
        '<!DOCTYPE r [<!ENTITY x SYSTEM "http://127.0.0.1:9/x">]>'
        + ONE.format("<AccountNo>&x;</AccountNo>"),
        "DOCTYPE",
    ),
    "billion laughs": (
        '<!DOCTYPE r [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">'
        '<!ENTITY c "&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;"><!ENTITY d "&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;">]>'
        + ONE.format("<AccountNo>&d;</AccountNo>"),
        "DOCTYPE",
    ),
    "deep nesting": (
        "<LoyaltyMembershipUpdate>" + "<a>" * 100 + "</a>" * 100 + "</LoyaltyMembershipUpdate>",
        "nested deeper",
    ),
}


@pytest.mark.parametrize("case", sorted(BAD))
def test_bad_xml_is_400_with_a_clear_error_and_nothing_written(api: Api, case: str) -> None:
    body, expected = BAD[case]
    response = concur(api, body)
    assert response.status == 400, response.body
    status, description = outcome(response)
    assert status == "ERROR"
    assert expected in description
    assert held(api) == []


def test_a_body_over_one_mebibyte_is_413(api: Api) -> None:
    body = ONE.format("<AccountNo>1</AccountNo><!--" + "x" * (1024 * 1024) + "-->")
    response = concur(api, body)
    assert response.status == 413
    assert outcome(response)[0] == "ERROR"
    assert held(api) == []


@pytest.mark.parametrize("content_type", [None, "application/json", "text/plain"])
def test_a_non_xml_content_type_is_415(api: Api, content_type: str | None) -> None:
    response = concur(api, CONCUR_SUPPLIER_UPDATE, content_type=content_type)
    assert response.status == 415
    assert outcome(response)[0] == "ERROR"


def test_text_xml_with_charset_is_accepted(api: Api) -> None:
    response = concur(api, CONCUR_SUPPLIER_UPDATE, content_type="text/xml; charset=utf-8")
    assert outcome(response) == ("OK", "")


def test_a_request_whose_third_membership_is_bad_writes_none(api: Api) -> None:
    good = CONCUR_SUPPLIER_UPDATE.replace("</LoyaltyMembershipUpdate>", "")
    third = '<Membership UniqueID="Third"><Status>Gold</Status></Membership>'  # no AccountNo
    response = concur(api, good + third + "</LoyaltyMembershipUpdate>")
    assert response.status == 400
    assert 'Membership 3 (UniqueID "Third"): AccountNo' in outcome(response)[1]
    assert held(api) == []


def test_the_same_program_twice_in_one_request_is_refused(api: Api) -> None:
    body = CONCUR_SUPPLIER_UPDATE.replace("Business Traveler", "Frequent Flier")
    response = concur(api, body)
    assert response.status == 400
    assert 'Membership 2 (UniqueID "Frequent Flier"): UniqueID' in outcome(response)[1]
    assert held(api) == []


def test_other_methods_are_405_in_concur_format(api: Api) -> None:
    response = api("GET", ROUTE, as_user=None)
    assert response.status == 405
    assert response.headers["Allow"] == "POST"
    assert outcome(response)[0] == "ERROR"


def test_a_storage_fault_is_503_and_writes_nothing(
    api: Api, dynamodb: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    from botocore.exceptions import ClientError

    def throttled(**_: Any) -> Any:
        raise ClientError(
            {"Error": {"Code": "ThrottlingException", "Message": "slow down"}}, "TransactWriteItems"
        )

    monkeypatch.setattr(dynamodb, "transact_write_items", throttled)
    response = concur(api, CONCUR_SUPPLIER_UPDATE)
    assert response.status == 503
    assert response.headers["Retry-After"] == "1"
    assert outcome(response)[0] == "ERROR"
    monkeypatch.undo()
    assert held(api) == []


def test_what_is_left_of_a_removed_token_is_no_token(api: Api, dynamodb: Any) -> None:
    """An item holding only the application snapshot (certify-app rewrote it after an
    interrupted erasure removed the token): 401, as for any unknown token."""
    from loyalty_core.auth import hash_token
    from loyalty_core.repository import keys

    key = keys.access_token_key(hash_token("half-gone-token"))
    dynamodb.put_item(
        TableName=TABLE, Item={**key, "application": {"M": {"id": {"S": "demo-supplier"}}}}
    )
    response = concur(api, CONCUR_SUPPLIER_UPDATE, token="half-gone-token")
    assert response.status == 401
    assert outcome(response)[0] == "ERROR"
