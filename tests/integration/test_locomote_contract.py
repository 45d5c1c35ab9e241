"""The Locomote seed's examples, sent as written with the demo credentials (X-USER_TOKEN
spelling included): the answers have the seed's shape."""

from __future__ import annotations

import json

from local.events import MARRIOTT, SEED_CREATE, SEED_UPDATE
from tests.conftest import CREDENTIALS, Api

PATH = "/api/users/098765/loyalty_memberships"
SEED_HEADERS = {  # as in the seed's curl lines
    "X-USER_TOKEN": CREDENTIALS["admin"][1],
    "X-USER-USERNAME": CREDENTIALS["admin"][0],
    "Content-Type": "application/json",
}


def seed_call(api: Api, method: str, path: str, body: dict | None = None):  # type: ignore[no-untyped-def]
    return api(method, path, as_user=None, headers=SEED_HEADERS, body=body)


def assert_seed_shape(resource: dict, attributes: dict, provider: str) -> None:
    assert resource["type"] == "loyalty_memberships"
    assert len(resource["id"]) == 36
    for name, value in attributes.items():
        assert resource["attributes"][name] == value
    relationships = resource["relationships"]
    assert relationships["user"]["data"] == {"id": "098765", "type": "users"}
    assert relationships["loyalty_provider"]["data"] == {
        "id": provider,
        "type": "loyalty_providers",
    }


def test_create_example_answers_201_with_the_seed_resource(api: Api) -> None:
    response = seed_call(api, "POST", PATH, SEED_CREATE)
    assert response.status == 201
    assert response.headers["Content-Type"] == "application/vnd.api+json"
    resource = response.json["data"]
    sent = SEED_CREATE["data"]
    assert_seed_shape(resource, sent["attributes"], "9c5b90ff-2cce-11e8-87f9-0662bed6e7db")
    assert response.headers["Location"].endswith(f"{PATH}/{resource['id']}")


def test_list_example_answers_the_users_memberships_as_a_data_array(api: Api) -> None:
    first = api.create(account_number="V0845365", provider="9c5b8c96-2cce-11e8-87f9-0662bed6e7db")
    second = api.create(account_number="00987622", provider="9c5b9246-2cce-11e8-87f9-0662bed6e7db")
    response = seed_call(api, "GET", PATH)
    assert response.status == 200
    data = response.json["data"]
    assert [m["id"] for m in data] == [first["id"], second["id"]]
    assert_seed_shape(
        data[0],
        {"account_number": "V0845365"},
        first["relationships"]["loyalty_provider"]["data"]["id"],
    )
    assert response.json["meta"]["total"] == 2


def test_get_example_answers_the_single_resource(api: Api) -> None:
    created = api.create(account_number="00987622", provider="9c5b9246-2cce-11e8-87f9-0662bed6e7db")
    response = seed_call(api, "GET", f"{PATH}/{created['id']}")
    assert response.status == 200
    assert response.json["data"]["id"] == created["id"]
    assert_seed_shape(
        response.json["data"],
        {"account_number": "00987622", "level": "Gold"},
        "9c5b9246-2cce-11e8-87f9-0662bed6e7db",
    )


def test_update_example_moves_the_membership_to_marriott(api: Api) -> None:
    created = seed_call(api, "POST", PATH, SEED_CREATE).json["data"]
    body = json.loads(json.dumps(SEED_UPDATE).replace(SEED_UPDATE["data"]["id"], created["id"]))
    response = seed_call(api, "PATCH", f"{PATH}/{created['id']}", body)
    assert response.status == 200
    assert_seed_shape(response.json["data"], SEED_UPDATE["data"]["attributes"], MARRIOTT)
    again = seed_call(api, "GET", f"{PATH}/{created['id']}").json["data"]
    assert again["relationships"]["loyalty_provider"]["data"]["id"] == MARRIOTT


def test_delete_example_answers_204_without_body_and_the_record_is_gone(api: Api) -> None:
    created = seed_call(api, "POST", PATH, SEED_CREATE).json["data"]
    response = seed_call(api, "DELETE", f"{PATH}/{created['id']}")
    assert response.status == 204
    assert response.body == b""
    gone = seed_call(api, "GET", f"{PATH}/{created['id']}")
    assert gone.status == 404
    assert gone.errors[0]["code"] == "record_not_found"
