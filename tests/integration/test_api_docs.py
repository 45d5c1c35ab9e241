"""The API reference routes (GET /docs, its assets, GET /openapi.json) through the docs
function as template.yaml wires it; and every XML example of the document, sent to its
route on the demo data, answered as documented."""

from __future__ import annotations

import json
from typing import Any

import pytest

from local.demo import seed_memberships
from local.events import load_event
from local.gateway import handle
from local.invoke import invoke_event
from local.template import ROOT
from loyalty_core.interfaces.docs import api as docs
from tests.conftest import Api

SPEC = ROOT / "openapi.json"


def get(path: str, **headers: str) -> Any:
    return handle(
        "GET", path, {"Host": ["api.test"], **{k: [v] for k, v in headers.items()}}, {}, b""
    )


def test_the_page_needs_no_credentials_and_loads_everything_from_the_service(
    dynamodb_calls: list[str],
) -> None:
    page = get("/docs")
    assert page.status == 200
    assert dict(page.headers)["Content-Type"] == "text/html; charset=utf-8"
    text = page.body.decode()
    version = docs.POWERTOOLS_VERSION
    assert f'href="/docs/swagger-ui.css?v={version}"' in text
    assert f'src="/docs/swagger-ui.js?v={version}"' in text
    assert 'url: "/openapi.json"' in text
    assert "http" not in text.replace("http-equiv", "")  # nothing from another site
    for name, (file, media_type) in docs.ASSETS.items():
        asset = get(f"/docs/{name}")
        assert asset.status == 200
        assert dict(asset.headers)["Content-Type"] == media_type
        assert dict(asset.headers)["Cache-Control"] == docs.ASSET_CACHE
        assert asset.body == (docs.SWAGGER_UI / file).read_bytes()
    assert dynamodb_calls == []  # no table: the function has no policy for one


def test_deployed_urls_carry_the_stage() -> None:
    event = load_event("list_providers", path="/docs", resource="/docs", queryStringParameters=None)
    event["multiValueQueryStringParameters"] = None
    event["requestContext"]["path"] = "/v1/docs"
    event["headers"] = {"Host": "abc.execute-api.eu-west-1.amazonaws.com"}
    _, page = invoke_event(event)
    assert (
        'src="/v1/docs/swagger-ui.js' in page["body"] and 'url: "/v1/openapi.json"' in page["body"]
    )
    event.update(path="/openapi.json", resource="/openapi.json")
    event["requestContext"]["path"] = "/v1/openapi.json"
    _, served = invoke_event(event)
    servers = json.loads(served["body"])["servers"]
    assert servers[0]["url"] == "https://abc.execute-api.eu-west-1.amazonaws.com/v1"


def test_the_document_is_the_repositorys_with_the_serving_origin_first() -> None:
    answer = get("/openapi.json")
    assert answer.status == 200 and dict(answer.headers)["Content-Type"] == "application/json"
    served, stored = json.loads(answer.body), json.loads(SPEC.read_text("utf-8"))
    assert served["servers"][0]["url"] == "https://api.test"
    assert served["servers"][1:] == stored["servers"]
    assert {k: v for k, v in served.items() if k != "servers"} == {
        k: v for k, v in stored.items() if k != "servers"
    }
    local = get("/openapi.json", Host="127.0.0.1:3000", **{"X-Forwarded-Proto": "http"})
    assert json.loads(local.body)["servers"] == stored["servers"]  # already first


def test_refusals_are_json_api_errors() -> None:
    missing = get("/docs/../../etc/passwd")
    assert missing.status == 404
    unknown = get("/docs/nothing.js")
    assert unknown.status == 404
    assert json.loads(unknown.body)["errors"][0]["code"] == "record_not_found"
    wrong = handle("POST", "/openapi.json", {}, {}, b"{}")
    assert wrong.status == 405 and dict(wrong.headers)["Allow"] == "GET"


def xml_examples(route: str) -> list[tuple[str, dict[str, Any]]]:
    spec = json.loads(SPEC.read_text("utf-8"))
    content = spec["paths"][route]["post"]["requestBody"]["content"]["application/xml"]
    return sorted(content["examples"].items())


def query_of(example: dict[str, Any]) -> dict[str, str]:
    """`?a=b&c=d` as the example's description says to send it."""
    text = example["description"]
    if "`?" not in text:
        return {}
    query = text.split("`?", 1)[1].split("`", 1)[0]
    return dict(pair.split("=", 1) for pair in query.split("&"))


@pytest.mark.parametrize(
    ("name", "example"), xml_examples("/api/hotel/loyalty_cards/enrich"), ids=lambda v: str(v)[:12]
)
def test_each_hotel_example_is_enriched_as_sent(api: Api, name: str, example: Any) -> None:
    seed_memberships()
    answer = api(
        "POST",
        "/api/hotel/loyalty_cards/enrich",
        headers={"Content-Type": "application/xml", "Accept": "application/json"},
        body=example["value"],
        query=query_of(example),
    )
    assert answer.status == 200, answer.body
    report = answer.json["data"]
    assert (len(report["added"]) > 0) == (name != "rules"), report


@pytest.mark.parametrize(
    ("name", "example"), xml_examples("/api/travelprofile/v1.0/loyalty"), ids=lambda v: str(v)[:12]
)
def test_each_concur_example_is_applied_with_its_token(api: Api, name: str, example: Any) -> None:
    token = {"supplier": "concur-supplier-token", "tmc": "concur-tmc-token"}[name]
    assert token in example["description"]
    answer = api(
        "POST",
        "/api/travelprofile/v1.0/loyalty",
        as_user=None,
        headers={"Authorization": f"OAuth {token}", "Content-Type": "application/xml"},
        body=example["value"],
    )
    assert answer.status == 200 and b"<Status>OK</Status>" in answer.body, answer.body


def concur_answer_example(response: str) -> str:
    spec = json.loads(SPEC.read_text("utf-8"))
    example: str = spec["components"]["responses"][response]["content"]["application/xml"][
        "example"
    ]
    return example


@pytest.mark.parametrize(
    ("response", "token", "change"),
    [
        ("ConcurOk", "concur-supplier-token", ("", "")),
        ("ConcurUnauthorized", "not-a-token", ("", "")),
        ("ConcurBadRequest", "concur-supplier-token", ("<PointTotal>334002", "<PointTotal>-1")),
    ],
)
def test_the_concur_answer_examples_are_the_answers_sent(
    api: Api, response: str, token: str, change: tuple[str, str]
) -> None:
    body = (ROOT / "examples/concur_supplier_update.xml").read_text("utf-8").replace(*change)
    answer = api(
        "POST",
        "/api/travelprofile/v1.0/loyalty",
        as_user=None,
        headers={"Authorization": f"OAuth {token}", "Content-Type": "application/xml"},
        body=body,
    )
    assert answer.body.decode() == concur_answer_example(response)
