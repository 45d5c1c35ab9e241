"""One record, every interface: what Concur writes reads as a valid Locomote record, takes a
PATCH of any attribute, and becomes a hotel card; account numbers and tier names follow one
rule wherever they come from."""

from __future__ import annotations

from typing import Any

import pytest
from lxml import etree

from loyalty_core.models import MEMBERSHIP_ATTRIBUTES
from tests.conftest import Api, ApiResponse, membership_document, patch_document

CONCUR = "/api/travelprofile/v1.0/loyalty"
MEMBERSHIPS = "/api/users/098765/loyalty_memberships"
ENRICH = "/api/hotel/loyalty_cards/enrich"
MARRIOTT = "9c5b9176-2cce-11e8-87f9-0662bed6e7db"
HILTON = "9c5b90ff-2cce-11e8-87f9-0662bed6e7db"
RESERVATION = """<univ:HotelCreateReservationReq
    xmlns:univ="http://www.travelport.com/schema/universal_v52_0"
    xmlns:com="http://www.travelport.com/schema/common_v52_0"
    xmlns:hot="http://www.travelport.com/schema/hotel_v52_0"
    TargetBranch="P7000000" ProviderCode="{provider}">
  <com:BillingPointOfSaleInfo OriginApplication="UAPI"/>
  <com:BookingTraveler Key="bt1">
    <com:BookingTravelerName First="John" Last="Smith"/>
    <com:Email EmailID="john.smith@acme.example"/>{cards}
  </com:BookingTraveler>
  <hot:HotelRateDetail RatePlanType="NK1RAC"/>
  <hot:HotelProperty HotelChain="{chain}" HotelCode="46314"/>
  <hot:HotelStay><hot:CheckinDate>2027-06-20</hot:CheckinDate>
    <hot:CheckoutDate>2027-06-22</hot:CheckoutDate></hot:HotelStay>
  <hot:GuestInformation NumberOfRooms="1"/>
</univ:HotelCreateReservationReq>"""


def concur_tmc(api: Api, *memberships: str) -> ApiResponse:
    """A TMC's LoyaltyMembershipUpdate for John Smith (acme 098765)."""
    headers = {"Authorization": "OAuth concur-tmc-token", "Content-Type": "application/xml"}
    body = f"<LoyaltyMembershipUpdate>{''.join(memberships)}</LoyaltyMembershipUpdate>"
    return api("POST", CONCUR, as_user=None, headers=headers, body=body)


def membership(unique_id: str, vendor: str, vendor_type: str = "H", **elements: str) -> str:
    children = "".join(f"<{name}>{value}</{name}>" for name, value in elements.items())
    return (
        f'<Membership UniqueID="{unique_id}"><VendorCode>{vendor}</VendorCode>'
        f"<VendorType>{vendor_type}</VendorType>{children}</Membership>"
    )


def status(response: ApiResponse) -> tuple[int, str, str]:
    root = etree.fromstring(response.body)
    return response.status, root.findtext("Status") or "", root.findtext("ErrorDescription") or ""


def held(api: Api) -> dict[str, dict[str, Any]]:
    data = api("GET", MEMBERSHIPS).json["data"]
    return {m["attributes"]["program"]: m for m in data}


@pytest.fixture
def bonvoy(api: Api) -> dict[str, Any]:
    """A Marriott Bonvoy membership a TMC created through Concur, naming a brand (Courtyard)
    and sending the account number and tier as programs print them."""
    sent = membership("Bonvoy", "CY", AccountNo="MC-555 001", Status="Gold/Elite")
    assert status(concur_tmc(api, sent)) == (200, "OK", "")
    return held(api)["Bonvoy"]


def test_a_concur_created_membership_reads_as_a_valid_locomote_record(
    api: Api, bonvoy: dict[str, Any]
) -> None:
    assert bonvoy["relationships"]["loyalty_provider"]["data"]["id"] == MARRIOTT
    assert bonvoy["attributes"] == {
        "program": "Bonvoy",
        "account_number": "MC555001",
        "membership_name": "John Smith",  # the user's profile name
        "level": "Gold/Elite",
        "expires_on": None,  # Concur carries no expiry
        "status_benefits": None,
        "point_total": None,
        "segment_total": None,
        "next_status": None,
        "points_until_next_status": None,
        "segments_until_next_status": None,
    }
    one = api("GET", f"{MEMBERSHIPS}/{bonvoy['id']}").json["data"]
    assert one["attributes"] == bonvoy["attributes"]


PATCHES: dict[str, tuple[Any, Any]] = {  # attribute: (sent, answered)
    "program": ("Bonvoy Elite", "Bonvoy Elite"),
    "account_number": ("MC-999 000", "MC999000"),
    "membership_name": ("J. Smith", "J. Smith"),
    "level": ("Diamond-Plus", "Diamond-Plus"),
    "expires_on": ("2031-12-31", "2031-12-31"),
    "status_benefits": ("Late checkout.", "Late checkout."),
    "point_total": (5, 5),
    "segment_total": (6, 6),
    "next_status": ("Platinum Elite", "Platinum Elite"),
    "points_until_next_status": (7, 7),
    "segments_until_next_status": (8, 8),
}


def test_every_attribute_has_a_patch_case() -> None:
    assert set(PATCHES) == set(MEMBERSHIP_ATTRIBUTES)


@pytest.mark.parametrize("attribute", list(PATCHES))
def test_any_single_attribute_of_a_concur_created_membership_can_be_patched(
    api: Api, bonvoy: dict[str, Any], attribute: str
) -> None:
    sent, answered = PATCHES[attribute]
    item = f"{MEMBERSHIPS}/{bonvoy['id']}"
    response = api("PATCH", item, body=patch_document(bonvoy["id"], **{attribute: sent}))
    assert response.status == 200, response.body
    expected = {**bonvoy["attributes"], attribute: answered}
    assert response.json["data"]["attributes"] == expected
    assert api("GET", item).json["data"]["attributes"] == expected


def test_its_provider_can_be_patched_too(api: Api, bonvoy: dict[str, Any]) -> None:
    body = patch_document(bonvoy["id"])
    body["data"]["relationships"] = {
        "loyalty_provider": {"data": {"id": HILTON, "type": "loyalty_providers"}}
    }
    response = api("PATCH", f"{MEMBERSHIPS}/{bonvoy['id']}", body=body)
    assert response.status == 200, response.body
    assert response.json["data"]["relationships"]["loyalty_provider"]["data"]["id"] == HILTON


@pytest.mark.parametrize("provider", ["1G", "1V", "1P"])
def test_what_concur_wrote_is_the_card_of_a_booking_at_any_brand(
    api: Api, bonvoy: dict[str, Any], provider: str
) -> None:
    body = RESERVATION.format(provider=provider, chain="RZ", cards="")
    response = api(
        "POST",
        ENRICH,
        headers={"Content-Type": "application/xml", "Accept": "application/json"},
        body=body,
    )
    assert response.status == 200, response.body
    [added] = response.json["data"]["added"]
    assert (added["membership_id"], added["supplier_code"], added["supplier_code_from"]) == (
        bonvoy["id"],
        "RZ",
        "requested_chain",
    )
    [card] = etree.fromstring(response.json["data"]["document"].encode()).iter("{*}LoyaltyCard")
    assert (card.get("SupplierCode"), card.get("CardNumber")) == ("RZ", "MC555001")


def test_a_concur_update_names_the_program_by_any_brand_and_updates_it(
    api: Api, bonvoy: dict[str, Any]
) -> None:
    sent = membership("Bonvoy", "RZ", PointTotal="42")
    assert status(concur_tmc(api, sent)) == (200, "OK", "")
    again = held(api)["Bonvoy"]
    assert again["id"] == bonvoy["id"]
    assert again["attributes"]["point_total"] == 42


def test_an_alliance_without_a_code_cannot_be_named_by_concur(api: Api) -> None:
    code, outcome, description = status(concur_tmc(api, membership("S", "$$", AccountNo="1")))
    assert (code, outcome) == (400, "ERROR")
    assert 'VendorCode "$$" ("H") is not a known program' in description


# -- account numbers: one rule in every interface ---------------------------------------------


def test_formatting_is_removed_and_duplicates_are_seen_in_every_interface(api: Api) -> None:
    created = api.create(provider=MARRIOTT, account_number="AB-12 34")
    assert created["attributes"]["account_number"] == "AB1234"
    again = api("POST", MEMBERSHIPS, body=_document(MARRIOTT, "AB1234"))
    assert again.status == 409
    assert again.pointers() == {"/data/attributes/account_number"}
    # Concur's update of that account names the same membership (it had no program yet)
    through_concur = concur_tmc(api, membership("Bonvoy", "MC", AccountNo="AB 12-34"))
    assert status(through_concur) == (200, "OK", "")
    assert [(m["id"], m["attributes"]["program"]) for m in held(api).values()] == [
        (created["id"], "Bonvoy")
    ]
    # the hotel call: the same card already in the request, formatted, is not added again
    card = '\n    <com:LoyaltyCard SupplierCode="CY" CardNumber="AB-1234" SupplierType="Hotel"/>'
    body = RESERVATION.format(provider="1G", chain="CY", cards=card)
    response = api(
        "POST",
        ENRICH,
        headers={"Content-Type": "application/xml", "Accept": "application/json"},
        body=body,
    )
    data = response.json["data"]
    assert data["added"] == []
    assert [(x["membership_id"], x["reason"]) for x in data["left_out"]] == [
        (created["id"], "already_present")
    ]


def test_concur_stores_the_account_number_without_formatting(api: Api) -> None:
    sent = membership("Honors", "HH", AccountNo="1234 5678-90")
    assert status(concur_tmc(api, sent)) == (200, "OK", "")
    assert held(api)["Honors"]["attributes"]["account_number"] == "1234567890"


@pytest.mark.parametrize("value", ["Gold!", "Gold;", "<Gold>"])
def test_an_account_number_breaking_the_rule_is_refused_in_both_interfaces(
    api: Api, value: str
) -> None:
    response = api("POST", MEMBERSHIPS, body=_document(MARRIOTT, value))
    assert response.status == 422
    assert response.pointers() == {"/data/attributes/account_number"}
    escaped = value.replace("<", "&lt;").replace(">", "&gt;")
    code, outcome, _ = status(concur_tmc(api, membership("X", "MC", AccountNo=escaped)))
    assert (code, outcome) == (400, "ERROR")


# -- tier names ----------------------------------------------------------------------------------


@pytest.mark.parametrize("tier", ["Gold/Elite", "Diamond-Plus", "Platinum 75K", "A&B", "Sr. Exec."])
def test_real_tier_names_are_accepted_in_json_api_and_concur(api: Api, tier: str) -> None:
    created = api.create(provider=MARRIOTT, account_number="T1", level=tier)
    assert created["attributes"]["level"] == tier
    escaped = tier.replace("&", "&amp;")
    sent = membership("Honors", "HH", AccountNo="T2", Status=escaped)
    assert status(concur_tmc(api, sent)) == (200, "OK", "")
    assert held(api)["Honors"]["attributes"]["level"] == tier


@pytest.mark.parametrize("tier", ["Gold!", "Gold;", "Gold\u202e"])
def test_other_tier_names_are_refused_in_json_api_and_concur(api: Api, tier: str) -> None:
    response = api("POST", MEMBERSHIPS, body=_document(MARRIOTT, "T1", level=tier))
    assert response.status == 422
    assert response.pointers() == {"/data/attributes/level"}
    code, outcome, description = status(
        concur_tmc(api, membership("Honors", "HH", AccountNo="T2", Status=tier))
    )
    assert (code, outcome) == (400, "ERROR")
    assert "Status must" in description


# -- memberships stored without a name ------------------------------------------------------------


def _document(provider: str, account: str, **attributes: Any) -> dict[str, Any]:
    return membership_document(provider, account_number=account, **attributes)


def test_two_memberships_cannot_share_the_key_a_partner_update_upserts_by(api: Api) -> None:
    """(user, provider, program) names one membership: Concur's upsert key (UniqueID)."""
    aa = "0bf926d4-f236-5a5f-afc7-f40ea0b4950a"
    path = "/api/users/098765/loyalty_memberships"

    def document(account: str) -> dict[str, Any]:
        return membership_document(aa, account_number=account, program="Frequent Flier")

    first = api("POST", path, body=document("AA111"))
    assert first.status == 201
    second = api("POST", path, body=document("AA222"))
    assert second.status == 409
    assert second.pointers() == {"/data/attributes/program"}
    other = api("POST", path, body=membership_document(aa, account_number="AA333"))
    moved = api(
        "PATCH",
        f"{path}/{other.json['data']['id']}",
        body=patch_document(other.json["data"]["id"], program="Frequent Flier"),
    )
    assert moved.status == 409


def test_a_concur_update_names_a_membership_entered_through_json_api(api: Api) -> None:
    """A membership entered through the JSON:API has no program (Concur's UniqueID): an
    update of its account number names it, and it takes the program from then on."""
    created = api.create(provider=HILTON, account_number="HH1234567", level="Gold")
    sent = membership("Hilton Honors", "HH", AccountNo="HH-123 4567", Status="Diamond")
    assert status(concur_tmc(api, sent)) == (200, "OK", "")
    [entered] = held(api).values()
    assert entered["id"] == created["id"]
    assert (entered["attributes"]["program"], entered["attributes"]["level"]) == (
        "Hilton Honors",
        "Diamond",
    )


def test_a_new_number_for_the_only_membership_of_a_program_without_one_updates_it(
    api: Api,
) -> None:
    """A supplier may set a new account number: the user's only membership of its program
    that has no UniqueID yet is the one it names; with two such, a new one is created."""
    created = api.create(provider=HILTON, account_number="OLD111")
    sent = membership("Hilton Honors", "HH", AccountNo="NEW222")
    assert status(concur_tmc(api, sent)) == (200, "OK", "")
    [entered] = held(api).values()
    assert (entered["id"], entered["attributes"]["account_number"]) == (created["id"], "NEW222")
    api.create(provider=HILTON, account_number="TWO111")
    api.create(provider=HILTON, account_number="TWO222")
    assert status(concur_tmc(api, membership("Second", "HH", AccountNo="NEW333"))) == (
        200,
        "OK",
        "",
    )
    numbers = sorted(
        m["attributes"]["account_number"] for m in api("GET", MEMBERSHIPS).json["data"]
    )
    assert numbers == ["NEW222", "NEW333", "TWO111", "TWO222"]
