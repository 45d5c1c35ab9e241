"""Through the local HTTP front over real HTTP, started as `make run` starts it."""

from __future__ import annotations

import re
import shutil
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
