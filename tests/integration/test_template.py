"""template.yaml's shape: what neither linter checks (runtime, architecture, layer build,
table settings, least privilege), and that the tests' table is the template's."""

from __future__ import annotations

import json
import re
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


def statements(function: str) -> list[dict[str, Any]]:
    return [
        statement
        for policy in template.functions()[function].get("Policies", [])
        for statement in policy["Statement"]
    ]


def actions(function: str, table: str = "Table") -> set[str]:
    """The actions a function may take on a table (every statement names its resources:
    one table, or another resource of the stack, never "*"; an index is only read)."""
    found: set[str] = set()
    for statement in statements(function):
        resource = json.dumps(statement["Resource"])
        # a wildcard only as a bucket's key prefix's objects (".../jobs/*"), never wider
        assert "*" not in re.sub(r"\}/[a-z_]+/\*", "}", resource), statement
        if "/index/" in resource:
            assert statement["Action"] == ["dynamodb:Query"], statement
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
    from tests.conftest import membership_document
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
    adds = [
        {
            "op": "add",
            "href": memberships,
            "data": membership_document(
                "9c5b9246-2cce-11e8-87f9-0662bed6e7db", account_number=f"OPS{n}"
            )["data"],
        }
        for n in range(50)
    ]
    operations = {"atomic:operations": adds}
    json_body = {"Content-Type": "application/json"}
    by(
        "LoyaltyMembershipsFunction",
        lambda: api("POST", "/api/operations", body=operations, headers=json_body),
    )
    assert "BatchWriteItem" in sent


# -- the company import and export jobs (SPEC 14) ------------------------------------------


def test_the_jobs_bucket_is_encrypted_private_tls_only_and_forgets_in_seven_days() -> None:
    bucket = template.load()["Resources"]["BulkBucket"]["Properties"]
    (rule,) = bucket["BucketEncryption"]["ServerSideEncryptionConfiguration"]
    assert rule["ServerSideEncryptionByDefault"]["SSEAlgorithm"] in ("AES256", "aws:kms")
    assert all(bucket["PublicAccessBlockConfiguration"].values())
    assert len(bucket["PublicAccessBlockConfiguration"]) == 4
    (expiry,) = bucket["LifecycleConfiguration"]["Rules"]
    assert (expiry["Status"], expiry["ExpirationInDays"]) == ("Enabled", 7)
    assert "Prefix" not in expiry and "Filter" not in expiry  # every object
    policy = template.load()["Resources"]["BulkBucketPolicy"]["Properties"]["PolicyDocument"]
    (deny,) = policy["Statement"]
    assert deny["Effect"] == "Deny"
    assert deny["Condition"] == {"Bool": {"aws:SecureTransport": "false"}}


def s3_grants(function: str) -> dict[str, set[str]]:
    """The S3 actions a function may take, by the object prefix they are granted on."""
    found: dict[str, set[str]] = {}
    for statement in statements(function):
        if any(a.startswith("s3:") for a in statement["Action"]):
            where = statement["Resource"]["Fn::Sub"]
            assert where.startswith("${BulkBucket.Arn}/") and where.endswith("/*")
            found.setdefault(where.split("/")[1], set()).update(statement["Action"])
    return found


def test_the_jobs_functions_get_what_they_need_and_no_more() -> None:
    assert actions("MembershipJobsFunction") == {"dynamodb:GetItem"}  # authentication only
    assert s3_grants("MembershipJobsFunction") == {
        "jobs": {"s3:GetObject", "s3:PutObject"},
        "imports": {"s3:PutObject"},  # the upload form is signed with it
    }
    assert s3_grants("MembershipJobWorkerFunction") == {
        "jobs": {"s3:GetObject", "s3:PutObject"},
        "imports": {"s3:GetObject"},
    }
    assert "dynamodb:Scan" not in actions("MembershipJobWorkerFunction")
    index_reads = [
        s["Action"]
        for s in statements("MembershipJobWorkerFunction")
        if "Fn::Sub" in s["Resource"] and s["Resource"]["Fn::Sub"].startswith("${Table.Arn}/index/")
    ]
    assert index_reads == [["dynamodb:Query"]]  # a company's users, for an export
    for function in ("MembershipJobsFunction", "MembershipJobWorkerFunction"):
        sqs = [s for s in statements(function) if any(a.startswith("sqs:") for a in s["Action"])]
        assert [(s["Action"], s["Resource"]) for s in sqs] == [
            (["sqs:SendMessage"], {"Fn::GetAtt": "BulkQueue.Arn"})
        ]


def test_a_jobs_steps_go_one_at_a_time_and_a_failing_one_ends_in_a_dead_letter_queue() -> None:
    resources = template.load()["Resources"]
    queue = resources["BulkQueue"]["Properties"]
    assert queue["FifoQueue"] is True
    worker = template.functions()["MembershipJobWorkerFunction"]
    assert queue["VisibilityTimeout"] > worker["Timeout"] == 900
    assert queue["RedrivePolicy"]["deadLetterTargetArn"] == {
        "Fn::GetAtt": "BulkDeadLetterQueue.Arn"
    }
    assert resources["BulkDeadLetterQueue"]["Properties"]["FifoQueue"] is True
    steps = worker["Events"]["Steps"]["Properties"]
    assert steps["Queue"] == {"Fn::GetAtt": "BulkQueue.Arn"} and steps["BatchSize"] == 1
    uploaded = worker["Events"]["Uploaded"]["Properties"]["Pattern"]
    assert uploaded["detail"]["object"]["key"] == [{"prefix": "imports/"}]
