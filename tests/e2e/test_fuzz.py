"""Property-based fuzzing of the local front against openapi.json (schemathesis).

Every operation of the document gets a bounded number of generated requests, valid and
invalid, with the demo credentials; no answer may be a 5xx, every answer must be one the
document describes (status, media type, headers, body), and a request the document calls
valid is not refused for a rule it does not state (`schema_valid_data_is_accepted`).
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Iterator
from functools import partial
from typing import Any

import pytest
import requests
import schemathesis
from hypothesis import settings
from hypothesis import strategies as st
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    positive_data_acceptance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from local.template import ROOT
from tests.e2e.conftest import LocalFront

pytestmark = pytest.mark.e2e

SPEC = ROOT / "openapi.json"
ADMIN = {"X-USER-USERNAME": "admin@acme.example", "X-USER-TOKEN": "acme-admin-token"}
CONCUR_TMC = {"Authorization": "OAuth concur-tmc-token"}
ENRICH = ("/api/hotel/loyalty_cards/enrich", "/api/loyalty_cards/enrich")
CONCUR_UPDATE = "/api/travelprofile/v1.0/loyalty"
XML_ROUTES = (*ENRICH, CONCUR_UPDATE)

# Refusals of rules the document states in words, between fields or against stored data,
# which no schema-valid generator can keep: each answer names the rule it applies.
# JSON:API, by error code: the 100 memberships a user may hold; an atomic request's
# operations that do not hold together (their targets, lids, the request's one user).
CROSS_FIELD_CODES = {"too_many_memberships", "operations_not_valid"}
# Concur (every refusal is 400 there), by what each problem says: VendorCode and VendorType,
# required from a TMC only; a program the catalog holds; one program once per batch; an
# AccountNo to add a membership (an update needs none); an account held under another
# program of the vendor; the 100 memberships a user may hold; an Idempotency-Key sent
# before with another body (409 on the JSON:API routes).
CONCUR_CROSS_FIELD = (
    "This Idempotency-Key was used with a different request body",
    "is required when a TMC sends it",
    "is not a known program",
    "is sent twice for the same program",
    "is required to add a new membership",
    "is already held under another program of this vendor",
    "would pass the membership limit",
)
# The enrichment calls, by what the error says: the provider of the query and of the
# document together, an employee_id for a request that names no traveller by email, and
# no more employee ids than the request has passengers.
ENRICH_CROSS_FIELD = (
    "disagrees with the document",
    "The document names two GDS providers",
    "No provider:",
    "employee_id is required",
    "employee ids; this",
)
# The webhook routes, by what each problem says (their 422 and the `page[after]` parameter
# say them): an endpoint's URL, well-formed text without spaces, https (http under `make
# run`), no credentials or fragment, an ASCII host that resolves, to public addresses only
# (loopback under `make run`); a company's 25 subscriptions; a replay's window (since
# before until and not in the future, 31 days at most, 1000 changes at most) on an enabled
# subscription taking changes; a deliveries cursor taken from a `next` link.
WEBHOOKS = "/api/webhook_subscriptions"
WEBHOOK_STATED = (
    "must be a URL of at most",
    "must be a well-formed URL",
    "must be an https URL",
    "must not hold credentials",
    "must not have a #fragment",
    "must name a host",
    "must not resolve to a",
    "A company holds at most",
    "must be before until",
    "must not be in the future",
    "days after since",
    "split the window",
    "must be enabled and take",
    "must be a cursor from a next link",
)
# The audit trail's paging, by what each error says: one of page[after] and page[before],
# neither with page[number], and a cursor only of the trail (the user and filter) that gave
# it (the cursor parameters' descriptions state each).
TRAIL_CROSS_FIELD = (
    "cannot be sent with page[after]",
    "must be a cursor from this trail's own links",
)
# Concur's ErrorDescription lists its problems one Membership each.
CONCUR_PROBLEM = re.compile(r"(?:^|; )Membership \d+ \(UniqueID ")


def _refusals(response: Any, case: Any) -> list[str] | None:
    """What a 4xx answer says it refused, one entry a problem; None for other answers."""
    if not 400 <= response.status_code < 500:
        return None
    if case.operation.path == CONCUR_UPDATE:
        found = re.search(r"<ErrorDescription>(.*)</ErrorDescription>", response.text, re.S)
        description = found.group(1) if found else ""
        listed = description.partition(": ")[2]
        if not listed.startswith("Membership "):
            return [description]
        return [problem for problem in CONCUR_PROBLEM.split(listed) if problem]
    try:
        errors = response.json()["errors"]
    except (ValueError, KeyError, TypeError):
        return None
    return [f"{e.get('code')}: {e.get('detail')}" for e in errors]


def _names_a_cross_field_rule(response: Any, case: Any) -> bool:
    refused = _refusals(response, case)
    if not refused:
        return False
    if case.operation.path == CONCUR_UPDATE:
        return all(any(rule in problem for rule in CONCUR_CROSS_FIELD) for problem in refused)
    if case.operation.path in ENRICH:
        return all(any(rule in problem for rule in ENRICH_CROSS_FIELD) for problem in refused)
    if case.operation.path.startswith(WEBHOOKS):
        return all(any(rule in problem for rule in WEBHOOK_STATED) for problem in refused)
    return all(
        problem.split(":")[0] in CROSS_FIELD_CODES
        or any(rule in problem for rule in TRAIL_CROSS_FIELD)
        for problem in refused
    )


def schema_valid_data_is_accepted(ctx: Any, response: Any, case: Any) -> bool | None:
    """schemathesis's `positive_data_acceptance` (the statuses of CONFIG), less the refusals
    of cross-field rules the document names in words.

    Not judged: an XML body drawn as a JSON scalar (the XML schemas carry no JSON `type`, so
    that their examples, the documents as sent, are valid against them; a scalar, sent as the
    root's text, is no document they describe), and the enrichment routes' generated bodies
    (their schemas name a Universal API document's elements, whose rules are Travelport's
    XSDs, and the generator names the root after the schema, `HotelRequestDocument` or
    `UapiRequestDocument`, which no request kind is). Their documented examples, sent as
    they are, are judged."""
    if case.operation.path in XML_ROUTES and not isinstance(case.body, dict | bytes):
        return None
    if case.operation.path in ENRICH and isinstance(case.body, dict):
        return None
    if _names_a_cross_field_rule(response, case):
        return None
    return positive_data_acceptance(ctx, response, case)


CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    schema_valid_data_is_accepted,
]
# Bounded so that `make test` stays fast; FUZZ_EXAMPLES=500 FUZZ_SEED=7 for a deeper run.
MAX_EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "25"))
SEED = int(os.environ.get("FUZZ_SEED", "20260101"))
HILTON = "9c5b90ff-2cce-11e8-87f9-0662bed6e7db"
MARRIOTT = "9c5b9176-2cce-11e8-87f9-0662bed6e7db"
QANTAS = "9c5b9246-2cce-11e8-87f9-0662bed6e7db"

CONFIG = schemathesis.Config.from_dict(
    {
        "seed": SEED,
        "request-timeout": 5,
        "headers": {**ADMIN, **CONCUR_TMC},
        # Steer some of the generated values to ones that exist, so that requests get past
        # "not found" into the rules behind it.
        "dictionaries": {
            "users": {"values": ["098765", "112233"]},
            "providers": {"values": [HILTON, MARRIOTT, QANTAS]},
            "vendor_codes": {"values": ["AA", "QF", "HH", "TR"]},
        },
        "parameters": {
            "path.employee_id": {"dictionary": "users", "probability": 0.7},
            "body.data.relationships.loyalty_provider.data.id": {
                "dictionary": "providers",
                "probability": 0.7,
            },
            "body.data.relationships.user.data.id": {"dictionary": "users", "probability": 0.7},
            "body.Membership[*].VendorCode": {"dictionary": "vendor_codes", "probability": 0.7},
        },
        "generation": {
            "mode": "all",
            "max-examples": MAX_EXAMPLES,
            "no-shrink": True,
            "deterministic": True,
            "with-security-parameters": False,
        },
        "checks": {
            # schemathesis's defaults, and 412: an If-Match that names no current ETag (the
            # stored membership's, which no generator knows).
            "positive_data_acceptance": {
                "expected-statuses": ["2xx", "3xx", "401", "403", "404", "409", "412", "429", "5xx"]
            },
        },
        "phases": {
            "examples": {"enabled": True},
            "fuzzing": {"enabled": True},
            "coverage": {"enabled": False},
            "stateful": {"enabled": False},
        },
    }
)
schema = schemathesis.openapi.from_path(SPEC, config=CONFIG)

# Memberships of OWNER that exist (created by the fixture and by any 201 of the run): some
# cases of the routes that take a membership_id are aimed at one of them.
OWNER = "098765"
KNOWN_MEMBERSHIPS: list[str] = []


def _aim(case: Any, membership_id: str | None) -> Any:
    if membership_id is None:
        return case
    case.path_parameters = {"employee_id": OWNER, "membership_id": membership_id}
    if isinstance(case.body, dict) and isinstance(case.body.get("data"), dict):
        case.body = {**case.body, "data": {**case.body["data"], "id": membership_id}}
    return case


@schema.hook
def flatmap_case(context: Any, case: Any) -> st.SearchStrategy[Any]:
    if "membership_id" not in (case.path_parameters or {}) or not KNOWN_MEMBERSHIPS:
        return st.just(case)
    return st.sampled_from([None, *KNOWN_MEMBERSHIPS]).map(partial(_aim, case))


@schema.hook
def after_call(context: Any, case: Any, response: Any) -> None:
    created = response.status_code == 201 and case.path_parameters.get("employee_id") == OWNER
    if created:
        KNOWN_MEMBERSHIPS.append(response.json()["data"]["id"])


@pytest.fixture(scope="module")
def front(local_front: LocalFront) -> Iterator[str]:
    """The local front's base URL, with a few memberships for the fuzzer to aim at."""
    base = local_front.base
    for account in ("FUZZ1", "FUZZ2", "FUZZ3"):
        created = requests.post(
            f"{base}/api/users/{OWNER}/loyalty_memberships",
            json=membership(account),
            headers=ADMIN,
            timeout=10,
        )
        assert created.status_code == 201, created.text
        KNOWN_MEMBERSHIPS.append(created.json()["data"]["id"])
    yield base


def membership(account_number: str) -> dict[str, Any]:
    return {
        "data": {
            "type": "loyalty_memberships",
            "attributes": {
                "account_number": account_number,
                "membership_name": "John Smith",
                "expires_on": "2031-01-01",
            },
            "relationships": {
                "loyalty_provider": {"data": {"id": HILTON, "type": "loyalty_providers"}}
            },
        }
    }


def test_the_front_serves_the_document(front: str) -> None:
    response = requests.get(f"{front}/openapi.json", timeout=10)
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "application/json"
    served, stored = response.json(), json.loads(SPEC.read_text("utf-8"))
    assert served.pop("servers")[0]["url"] == front  # "Try it out" calls this front
    assert served == {k: v for k, v in stored.items() if k != "servers"}


@schema.parametrize()
# No per-example deadline: a handler's first call imports it (a cold start), which would make
# timings flaky; each request is bounded by request-timeout instead.
@settings(deadline=None)
def test_answers_conform_to_the_document(case: Any, front: str) -> None:
    if case.operation.path in XML_ROUTES and isinstance(case.body, str):
        # A documented example is the document itself: sent as it is, not wrapped.
        case.body = case.body.encode("utf-8")
    case.call_and_validate(base_url=front, checks=CHECKS)
