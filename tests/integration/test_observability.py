"""Structured logs with correlation ids and the caller, metrics as EMF, no secret in any log,
and the X-Ray SDK out of the process unless tracing is on."""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
from collections.abc import Iterator
from typing import Any

import pytest

from local.events import CONCUR_SUPPLIER_UPDATE, CONCUR_TMC_UPDATE
from local.template import ROOT
from loyalty_core.observability import logger
from loyalty_core.validators import mask
from tests.conftest import CREDENTIALS, Api, membership_document, patch_document

PATH = "/api/users/098765/loyalty_memberships"
SECRETS = [token for _, token in CREDENTIALS.values()] + [
    "concur-supplier-token",
    "concur-tmc-token",
    "concur-uncertified-token",
]
ACCOUNTS = ["H66590214", "1234567890", "0987654321", "991823728", "SECRET9876"]


@pytest.fixture
def log_lines() -> Iterator[list[dict[str, Any]]]:
    """Every line the Powertools logger writes during the test, parsed."""
    buffer = io.StringIO()
    handler = logger.registered_handler
    previous = handler.setStream(buffer)  # type: ignore[attr-defined]
    lines: list[dict[str, Any]] = []
    yield lines
    handler.setStream(previous)  # type: ignore[attr-defined]


def parsed(buffer_lines: list[dict[str, Any]]) -> list[dict[str, Any]]:
    stream = logger.registered_handler.stream  # type: ignore[attr-defined]
    buffer_lines.extend(json.loads(line) for line in stream.getvalue().splitlines() if line)
    return buffer_lines


def crud_and_concur(api: Api) -> None:
    created = api("POST", PATH, body=membership_document(account_number="H66590214")).json
    item = f"{PATH}/{created['data']['id']}"
    api("GET", item)
    api(
        "PATCH",
        item,
        body=patch_document(created["data"]["id"], account_number="SECRET9876"),
    )
    api("POST", PATH, body=membership_document(account_number="SECRET9876"))  # duplicate: 409
    api("DELETE", item)
    api("GET", PATH, headers={"X-USER-TOKEN": "wrong-token"})  # 401
    for token, body in (
        ("concur-supplier-token", CONCUR_SUPPLIER_UPDATE),
        ("concur-tmc-token", CONCUR_TMC_UPDATE),
        ("concur-uncertified-token", CONCUR_SUPPLIER_UPDATE),
    ):
        api(
            "POST",
            "/api/travelprofile/v1.0/loyalty",
            as_user=None,
            body=body,
            headers={"Authorization": f"OAuth {token}", "Content-Type": "application/xml"},
        )


def test_logs_hold_no_token_and_no_full_account_number(
    api: Api, log_lines: list[dict[str, Any]], capsys: pytest.CaptureFixture[str]
) -> None:
    crud_and_concur(api)
    lines = parsed(log_lines)
    text = json.dumps(lines) + capsys.readouterr().out
    assert lines, "the handlers logged nothing"
    for secret in SECRETS:
        assert secret not in text
    for account in ACCOUNTS:
        assert account not in text
    assert mask("SECRET9876") in text  # the masked form is what is logged


def test_every_line_carries_the_correlation_id_and_the_caller(
    api: Api, log_lines: list[dict[str, Any]]
) -> None:
    crud_and_concur(api)
    lines = parsed(log_lines)
    outcomes = [line for line in lines if line.get("outcome")]
    assert {line["outcome"] for line in outcomes} >= {
        "MembershipsCreated",
        "MembershipsUpdated",
        "MembershipsDeleted",
        "ConcurUpdatesApplied",
    }
    for line in lines:
        assert line["correlation_id"]
        assert line["interface"] in ("locomote", "concur")
    for line in outcomes:
        assert line["company"] == "acme"
        assert line["partner"] in ("user:acme_admin", "app:demo-supplier", "app:demo-tmc")


def test_metrics_are_emitted_in_embedded_metric_format(
    api: Api, capsys: pytest.CaptureFixture[str]
) -> None:
    crud_and_concur(api)
    documents = [
        json.loads(line)
        for line in capsys.readouterr().out.splitlines()
        if line.startswith("{") and '"_aws"' in line
    ]
    names: dict[str, set[str]] = {}
    for doc in documents:
        directive = doc["_aws"]["CloudWatchMetrics"][0]
        assert directive["Namespace"] == "LoyaltyMemberships"
        for metric in directive["Metrics"]:
            names.setdefault(metric["Name"], set()).add(doc.get("interface", ""))
    assert names["MembershipsCreated"] == {"locomote"}
    assert {"MembershipsUpdated", "MembershipsDeleted", "RequestsRefused"} <= set(names)
    assert names["ConcurUpdatesApplied"] == {"concur"}
    assert names["ConcurUpdatesRejected"] == {"concur"}


def test_hotel_metrics_count_cards(api: Api, capsys: pytest.CaptureFixture[str]) -> None:
    api.create(provider="9c5b9246-2cce-11e8-87f9-0662bed6e7db", account_number="QF1")
    body = (ROOT / "examples/hotel_search_request.xml").read_text()
    api(
        "POST",
        "/api/hotel/loyalty_cards/enrich",
        body=body,
        query={"employee_id": "098765"},
        headers={"Content-Type": "application/xml"},
    )
    out = capsys.readouterr().out
    emf = [json.loads(line) for line in out.splitlines() if '"LoyaltyCardsAdded"' in line]
    assert emf and emf[0]["LoyaltyCardsAdded"] in (1, [1.0]) and emf[0]["interface"] == "uapi"


def test_mask_keeps_only_the_last_four() -> None:
    assert mask("1234567890") == "******7890"
    assert mask("12345") == "****2345"
    assert mask("1234") == "****"
    assert mask(None) == ""


@pytest.mark.parametrize(("disabled", "imported"), [("true", False), ("false", True)])
def test_the_xray_sdk_is_imported_only_when_tracing_is_on(disabled: str, imported: bool) -> None:
    code = (
        "import sys; sys.path.insert(0, 'functions/loyalty_memberships'); import handler; "
        "print('aws_xray_sdk' in sys.modules)"
    )
    env = {**os.environ, "POWERTOOLS_TRACE_DISABLED": disabled, "AWS_DEFAULT_REGION": "us-east-1"}
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True, check=True
    )
    assert result.stdout.strip() == str(imported)
