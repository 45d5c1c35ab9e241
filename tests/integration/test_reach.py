"""Who may touch which user's memberships: each role, allowed and refused, read and write."""

from __future__ import annotations

import pytest

from tests.conftest import Api, membership_document, patch_document

HILTON = "9c5b90ff-2cce-11e8-87f9-0662bed6e7db"


def path(employee_id: str) -> str:
    return f"/api/users/{employee_id}/loyalty_memberships"


# (caller, target employee id, may reach)
MATRIX = [
    ("john", "098765", True),  # a traveller: their own
    ("john", "112233", False),  # ... not a colleague's
    ("jane", "112233", True),
    ("jane", "098765", False),
    ("arranger", "098765", True),  # an arranger: assigned travellers
    ("arranger", "acme_arranger", True),  # ... and their own
    ("arranger", "112233", False),  # ... not the others
    ("admin", "098765", True),  # an admin: every user of the company
    ("admin", "112233", True),
    ("admin", "acme_arranger", True),
    ("globex", "112233", False),  # another company's admin: never acme's users
]


@pytest.mark.parametrize(("caller", "target", "allowed"), MATRIX)
def test_read_reach(api: Api, caller: str, target: str, allowed: bool) -> None:
    api.create(target, account_number="SEEN")
    response = api("GET", path(target), as_user=caller)
    if allowed:
        assert response.status == 200
        assert response.json["data"][0]["attributes"]["account_number"] == "SEEN"
    else:
        assert response.status == 404
        assert response.errors[0]["code"] == "record_not_found"
        assert b"SEEN" not in response.body


@pytest.mark.parametrize(("caller", "target", "allowed"), MATRIX)
def test_write_reach(api: Api, caller: str, target: str, allowed: bool) -> None:
    existing = api.create(target, account_number="KEEP")
    item = f"{path(target)}/{existing['id']}"
    created = api(
        "POST", path(target), as_user=caller, body=membership_document(account_number="NEW")
    )
    patch = patch_document(existing["id"], level="Changed")
    patched = api("PATCH", item, as_user=caller, body=patch)
    deleted = api("DELETE", item, as_user=caller)
    if allowed:
        assert (created.status, patched.status, deleted.status) == (201, 200, 204)
    else:
        assert (created.status, patched.status, deleted.status) == (404, 404, 404)
        still = api("GET", path(target)).json["data"]
        assert [m["attributes"]["account_number"] for m in still] == ["KEEP"]
        assert still[0]["attributes"]["level"] == "Gold"


def test_single_membership_of_an_unreachable_user_is_404(api: Api) -> None:
    created = api.create("112233")
    response = api("GET", f"{path('112233')}/{created['id']}", as_user="john")
    assert response.status == 404


def test_a_membership_id_under_another_user_is_404(api: Api) -> None:
    janes = api.create("112233")
    assert api("GET", f"{path('098765')}/{janes['id']}").status == 404


def test_other_company_same_employee_id_is_a_different_person(api: Api) -> None:
    acme = api.create("098765", account_number="ACME098765")
    globex = api("GET", path("098765"), as_user="globex")
    assert globex.status == 200
    assert globex.json["data"] == []
    assert b"ACME098765" not in globex.body
    assert api("GET", f"{path('098765')}/{acme['id']}", as_user="globex").status == 404
    assert api("DELETE", f"{path('098765')}/{acme['id']}", as_user="globex").status == 404
    mine = api("POST", path("098765"), as_user="globex_john", body=membership_document())
    assert mine.status == 201
    acme_view = api("GET", path("098765")).json["data"]
    assert [m["id"] for m in acme_view] == [acme["id"]]


@pytest.mark.parametrize(
    "headers",
    [
        {"X-USER-USERNAME": None, "X-USER-TOKEN": None},
        {"X-USER-TOKEN": None},
        {"X-USER-USERNAME": None},
        {"X-USER-TOKEN": "wrong-token"},
        {"X-USER-TOKEN": "jane-token"},  # a real token of another user
        {"X-USER-USERNAME": "nobody@acme.example"},
    ],
)
def test_missing_or_bad_credentials_are_401_on_read_and_write(
    api: Api, headers: dict[str, str | None]
) -> None:
    read = api("GET", path("098765"), headers=headers)
    write = api("POST", path("098765"), headers=headers, body=membership_document())
    providers = api("GET", "/api/loyalty_providers", headers=headers)
    for response in (read, write, providers):
        assert response.status == 401
        assert response.errors[0]["code"] == "authentication_failed"
    assert api("GET", path("098765")).json["meta"]["total"] == 0


def test_username_is_case_insensitive(api: Api) -> None:
    response = api("GET", path("098765"), headers={"X-USER-USERNAME": "Admin@ACME.example"})
    assert response.status == 200


def test_revoked_token_no_longer_authenticates(api: Api, dynamodb: object) -> None:
    from local.admin import Admin
    from loyalty_core.auth import hash_token, token_id
    from loyalty_core.services.directory import revoke_token

    assert api("GET", path("098765"), as_user="john").status == 200
    admin = Admin(operator="tests")
    tid = token_id(hash_token("john-token"))
    revoke_token(admin.repo, "john.smith@acme.example", tid, origin=admin.origin())
    assert api("GET", path("098765"), as_user="john").status == 401


def test_expired_token_is_refused(api: Api, dynamodb: object) -> None:
    from datetime import UTC, datetime, timedelta

    from local.admin import Admin
    from loyalty_core.services.directory import issue_token

    yesterday = datetime.now(UTC) - timedelta(days=1)
    admin = Admin(operator="tests")
    token, _ = issue_token(
        admin.repo, "jane.doe@acme.example", origin=admin.origin(), expires_at=yesterday
    )
    response = api(
        "GET",
        path("112233"),
        as_user=None,
        headers={"X-USER-USERNAME": "jane.doe@acme.example", "X-USER-TOKEN": token},
    )
    assert response.status == 401
