"""template.yaml's shape: what neither linter checks (runtime, architecture, layer build,
table settings, least privilege), and that the tests' table is the template's."""

from __future__ import annotations

import json
from typing import Any

from local import template


def resources(kind: str) -> dict[str, dict[str, Any]]:
    return {n: r for n, r in template.load()["Resources"].items() if r["Type"] == kind}


def test_functions_run_python312_on_arm64_with_the_layer() -> None:
    globals_ = template.load()["Globals"]["Function"]
    assert globals_["Runtime"] == "python3.12"
    assert globals_["Architectures"] == ["arm64"]
    assert globals_["Layers"] == [
        {"Ref": "CoreLayer"},
        {"Fn::If": ["TracingActive", {"Ref": "TracingLayer"}, {"Ref": "AWS::NoValue"}]},
    ]
    for props in template.functions().values():
        assert (template.ROOT / props["CodeUri"] / "handler.py").is_file()


def test_layer_builds_for_arm64_with_the_package_directly_under_its_content_uri() -> None:
    layer = template.load()["Resources"]["CoreLayer"]
    assert layer["Metadata"] == {
        "BuildMethod": "makefile",
        "BuildArchitecture": "arm64",
        "ContextPath": "deploy",
    }
    content = template.ROOT / layer["Properties"]["ContentUri"]
    assert (content / "loyalty_core" / "__init__.py").is_file()
    assert (content / "requirements.txt").is_file()
    assert not (content / "python").exists()


def test_the_xray_sdk_layer_exists_and_is_attached_only_when_tracing_is_active() -> None:
    resources = template.load()["Resources"]
    layer = resources["TracingLayer"]
    assert layer["Condition"] == "TracingActive"
    assert (template.ROOT / layer["Properties"]["ContentUri"] / "requirements.txt").is_file()
    assert template.load()["Conditions"]["TracingActive"] == {
        "Fn::Equals": [{"Ref": "Tracing"}, "Active"]
    }
    assert template.load()["Parameters"]["Tracing"]["Default"] == "Disabled"


def test_every_function_and_layer_is_built_by_the_deploy_makefile() -> None:
    resources = template.load()["Resources"]
    built = {
        name: r
        for name, r in resources.items()
        if r["Type"] in ("AWS::Serverless::Function", "AWS::Serverless::LayerVersion")
    }
    makefile = (template.ROOT / "deploy" / "Makefile").read_text()
    for name, resource in built.items():
        assert resource["Metadata"]["BuildMethod"] == "makefile", name
        assert resource["Metadata"]["ContextPath"] == "deploy", name
        kind = "Layer" if name.endswith("Layer") else "Function"
        assert name.endswith(kind) and f"build-%{kind}:" in makefile, name


def test_table_is_on_demand_recoverable_protected_and_encrypted() -> None:
    table = template.load()["Resources"]["Table"]
    props = table["Properties"]
    assert props["BillingMode"] == "PAY_PER_REQUEST"
    assert props["PointInTimeRecoverySpecification"]["PointInTimeRecoveryEnabled"] is True
    assert props["DeletionProtectionEnabled"] is True
    assert props["SSESpecification"]["SSEEnabled"] is True
    assert table["DeletionPolicy"] == "Retain"


def actions(function: str, table: str = "Table") -> set[str]:
    """The actions a function may take on a table (every statement names its resources:
    one table, or another resource of the stack, never "*")."""
    found: set[str] = set()
    for policy in template.functions()[function].get("Policies", []):
        for statement in policy["Statement"]:
            assert "*" not in json.dumps(statement["Resource"]), statement
            if statement["Resource"] == {"Fn::GetAtt": f"{table}.Arn"}:
                found.update(statement["Action"])
    return found


READS = {"dynamodb:GetItem", "dynamodb:Query", "dynamodb:BatchGetItem"}


def test_read_only_routes_get_read_only_access() -> None:
    assert actions("LoyaltyProvidersFunction") <= READS
    assert actions("LoyaltyCardEnrichmentFunction") <= READS


def test_the_api_reference_reaches_no_table() -> None:
    docs = template.functions()["ApiDocsFunction"]
    assert "Policies" not in docs
    assert actions("ApiDocsFunction") == set()


def test_no_function_may_scan() -> None:
    for name in template.functions():
        assert "dynamodb:Scan" not in actions(name)


def test_the_tests_build_the_table_from_the_template(dynamodb: Any) -> None:
    from tests.conftest import TABLE

    described = dynamodb.describe_table(TableName=TABLE)["Table"]
    definition = template.table_definition()
    assert described["KeySchema"] == definition["KeySchema"]
    assert described["BillingModeSummary"]["BillingMode"] == definition["BillingMode"]


def test_each_function_may_send_what_its_routes_send(api: Any, dynamodb: Any) -> None:
    """The operations each function sends on its routes, the audit trail's filter and a
    50-membership Concur batch included, are all in its policy (deployed, any other would
    be AccessDenied). A transaction is authorized by its actions', not an action itself."""
    from tests.integration.test_audit_trail import fifty
    from tests.integration.test_concur import concur

    sent: list[str] = []
    dynamodb.meta.events.register(
        "before-call.dynamodb", lambda model, **_: sent.append(model.name)
    )

    def by(function: str, call: Any) -> None:
        sent.clear()
        call()
        needs = {f"dynamodb:{name}" for name in sent if name != "TransactWriteItems"}
        assert needs <= actions(function), (function, sent)

    memberships = "/api/users/098765/loyalty_memberships"
    created = api.create(account_number="POLICY1")
    trail = "/api/users/098765/loyalty_membership_changes"
    by(
        "LoyaltyMembershipsFunction",
        lambda: api("GET", trail, query={"filter[membership]": created["id"]}),
    )
    by("LoyaltyMembershipsFunction", lambda: api("DELETE", f"{memberships}/{created['id']}"))
    by("ConcurLoyaltyFunction", lambda: concur(api, fifty(), token="concur-tmc-token"))
    assert "BatchWriteItem" in sent
