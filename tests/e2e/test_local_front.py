"""Through the local HTTP front over real HTTP, started as `make run` starts it."""

from __future__ import annotations

import json
import re
import shutil
import socket
import subprocess

import pytest
import requests

from local.events import SEED_CREATE
from local.template import ROOT
from tests.e2e.conftest import LocalFront

pytestmark = pytest.mark.e2e
ADMIN = {"X-USER-USERNAME": "admin@acme.example", "X-USER_TOKEN": "acme-admin-token"}


@pytest.fixture
def front(local_front: LocalFront) -> tuple[str, str]:
    return local_front.base, local_front.printed


def test_the_whole_crud_cycle(front: tuple[str, str]) -> None:
    base, _ = front
    collection = f"{base}/api/users/098765/loyalty_memberships"
    created = requests.post(collection, json=SEED_CREATE, headers=ADMIN, timeout=10)
    assert created.status_code == 201
    assert created.headers["Content-Type"] == "application/vnd.api+json"
    location = created.headers["Location"]
    assert location.startswith(collection + "/")
    assert (
        requests.get(location, headers=ADMIN, timeout=10).json()["data"]["attributes"][
            "account_number"
        ]
        == "H66590214"
    )
    listed = requests.get(collection, headers=ADMIN, timeout=10).json()
    assert location.rsplit("/", 1)[1] in [m["id"] for m in listed["data"]]
    etag = requests.get(location, headers=ADMIN, timeout=10).headers["ETag"]
    membership_id = location.rsplit("/", 1)[1]
    patch = {
        "data": {
            "id": membership_id,
            "type": "loyalty_memberships",
            "attributes": {"level": "Platinum"},
        }
    }
    patched = requests.patch(location, json=patch, headers={**ADMIN, "If-Match": etag}, timeout=10)
    assert patched.status_code == 200
    assert patched.json()["data"]["attributes"]["level"] == "Platinum"
    stale = requests.delete(location, headers={**ADMIN, "If-Match": etag}, timeout=10)
    assert stale.status_code == 412
    assert requests.delete(location, headers=ADMIN, timeout=10).status_code == 204
    assert requests.get(location, headers=ADMIN, timeout=10).status_code == 404


def test_errors_over_http(front: tuple[str, str]) -> None:
    base, _ = front
    collection = f"{base}/api/users/098765/loyalty_memberships"
    assert requests.get(collection, timeout=10).status_code == 401
    assert requests.get(f"{base}/api/unknown", timeout=10).status_code == 404
    assert requests.put(collection, headers=ADMIN, timeout=10).status_code == 405
    bad = requests.post(collection, data="{", headers={**ADMIN, "Content-Type": JSON}, timeout=10)
    assert bad.status_code == 400
    assert bad.json()["errors"][0]["status"] == "400"


JSON = "application/json"


@pytest.mark.skipif(shutil.which("curl") is None, reason="curl is not installed")
def test_the_printed_curl_examples_work_as_pasted(front: tuple[str, str]) -> None:
    _, printed = front
    commands = [line.strip() for line in printed.splitlines() if line.strip().startswith("curl")]
    assert len(commands) >= 6
    for command in commands:
        result = subprocess.run(  # noqa: S602 - the examples are shell lines by design
            command + " -o /dev/null -w '%{http_code}'",
            shell=True,
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=30,
            check=False,
        )
        assert re.fullmatch(r"20[01]", result.stdout), (command, result.stdout, result.stderr)


# -- what the front mirrors of API Gateway ---------------------------------------------------


def test_location_names_the_front_never_the_callers_host(front: tuple[str, str]) -> None:
    base, _ = front
    collection = f"{base}/api/users/098765/loyalty_memberships"
    body = json.dumps(SEED_CREATE).replace("H66590214", "HOSTCHECK")
    created = requests.post(
        collection,
        data=body,
        headers={**ADMIN, "Content-Type": JSON, "Host": "attacker.example"},
        timeout=10,
    )
    assert created.status_code == 201
    assert created.headers["Location"].startswith(collection + "/")
    assert "attacker" not in created.text


def raw_request(base: str, head: bytes) -> bytes:
    """Send `head` (request line and headers, as bytes) and read the whole answer."""
    host, port = base.removeprefix("http://").split(":")
    with socket.create_connection((host, int(port)), timeout=10) as connection:
        connection.sendall(head)
        answer = b""
        while chunk := connection.recv(65536):
            answer += chunk
    return answer


@pytest.mark.parametrize("separator", [b"\r", b"\n"])
def test_a_bare_cr_or_lf_in_a_header_value_is_refused_not_split(
    front: tuple[str, str], separator: bytes
) -> None:
    base, _ = front
    # Split at the bare CR or LF, the second half would be a header of its own: the token.
    head = (
        b"GET /api/users/098765/loyalty_memberships HTTP/1.1\r\nHost: x\r\n"
        b"X-USER-USERNAME: admin@acme.example\r\n"
        b"X-Note: hello" + separator + b"X-USER-TOKEN: acme-admin-token\r\n"
        b"Connection: close\r\n\r\n"
    )
    answer = raw_request(base, head)
    assert answer.startswith(b"HTTP/1.1 400 ") or answer.startswith(b"HTTP/1.0 400 ")
    assert b'"data"' not in answer


def test_a_folded_header_is_refused(front: tuple[str, str]) -> None:
    base, _ = front
    head = (
        b"GET /api/loyalty_providers HTTP/1.1\r\nHost: x\r\n"
        b"X-USER-USERNAME: admin@acme.example\r\n X-USER-TOKEN: acme-admin-token\r\n"
        b"Connection: close\r\n\r\n"
    )
    assert b" 400 " in raw_request(base, head).split(b"\r\n", 1)[0]


def test_a_body_over_ten_mebibytes_gets_api_gateways_answer(front: tuple[str, str]) -> None:
    base, _ = front
    response = requests.post(
        f"{base}/api/travelprofile/v1.0/loyalty",
        data=b"x" * (10 * 1024 * 1024 + 1),
        headers={"Content-Type": "application/xml"},
        timeout=30,
    )
    assert response.status_code == 413
    assert response.headers["Content-Type"] == "application/json"
    assert response.json() == {"message": "Request Too Long"}


@pytest.mark.parametrize("method", ["TRACE", "PROPFIND", "FOO"])
def test_any_method_a_route_does_not_have_is_405_over_http(
    front: tuple[str, str], method: str
) -> None:
    base, _ = front
    for path, allowed, kind in [
        ("/api/users/098765/loyalty_membership_changes", "GET", "application/vnd.api+json"),
        ("/api/travelprofile/v1.0/loyalty", "POST", "application/xml"),
        ("/api/hotel/loyalty_cards/enrich", "POST", "application/vnd.api+json"),
    ]:
        response = requests.request(method, base + path, headers=ADMIN, timeout=10)
        assert (response.status_code, response.headers["Allow"]) == (405, allowed), path
        assert response.headers["Content-Type"] == kind
