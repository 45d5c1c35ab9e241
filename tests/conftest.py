"""Shared fixtures: an embedded DynamoDB built from template.yaml, seeded with the demo data,
and an `api` that sends requests through the same in-process gateway as the local front."""

from __future__ import annotations

import copy
import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest
from hypothesis import settings as hypothesis_settings
from moto import mock_aws
from moto.core import DEFAULT_ACCOUNT_ID

from local import gateway, template
from local.admin import Admin
from local.demo import seed
from local.dynamo import ensure_tables, make_atomic
from loyalty_core import settings
from loyalty_core.models import AuditRecord, Change, Interface, Origin
from loyalty_core.repository import KeyAnswer, UserWrite
from tests.faults import Faults

# No time limit per generated example: a timed assertion in disguise, which a busy machine
# fails (performance is the bench's, never a test's).
hypothesis_settings.register_profile("project", deadline=None)
hypothesis_settings.load_profile("project")

TABLE = "loyalty-memberships-test"
# A write called on the services directly, as one Locomote request of the acme admin.
ORIGIN = Origin("user:acme_admin", Interface.LOCOMOTE, "test-request")


def new_user(company: str, employee_id: str, name: str, email: str, role: str = "traveller") -> Any:
    """A user created as the admin CLI creates them (on the tables of `dynamodb`)."""
    from loyalty_core.models import User
    from loyalty_core.services import directory

    admin = Admin(operator="tests")
    user = User(company=company, employee_id=employee_id, name=name, email=email, role=role)
    return directory.create_user(admin.repo, user, origin=admin.origin())


def commit(
    repo: Any, snapshot: Any, put: Any = (), delete: Any = (), key: KeyAnswer | None = None
) -> AuditRecord:
    """A write straight to the repository with its audit record, as the unit of work sends
    it (no rule checked); returns the record."""
    change = Change(put=tuple(put), delete=tuple(delete))
    audit = AuditRecord.of(ORIGIN, snapshot.entries(change))
    repo.commit(UserWrite(snapshot, audit, snapshot.count_after(change), put, delete, key))
    return audit


# name -> (X-USER-USERNAME, X-USER-TOKEN): the demo credentials of docs/local.md.
CREDENTIALS = {
    "admin": ("admin@acme.example", "acme-admin-token"),
    "arranger": ("arranger@acme.example", "acme-arranger-token"),
    "john": ("john.smith@acme.example", "john-token"),
    "jane": ("jane.doe@acme.example", "jane-token"),
    "globex": ("admin@globex.example", "globex-admin-token"),
    "globex_john": ("johan.schmidt@globex.example", "globex-john-token"),
}


# The membership's text attributes: what the text rule (SPEC 3) applies to.
TEXT_ATTRIBUTES = (
    "program",
    "account_number",
    "membership_name",
    "level",
    "status_benefits",
    "next_status",
)

ENVIRONMENT = {
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "AWS_SESSION_TOKEN": "testing",
    "AWS_DEFAULT_REGION": "us-east-1",
    "AWS_REGION": "us-east-1",
    **template.environment(TABLE),
    "POWERTOOLS_SERVICE_NAME": "loyalty-memberships-test",
    # An emulated store on a busy machine is no measure of DynamoDB: the production budget
    # (4 s) is held by tests/e2e/test_stalled_store.py and tests/unit/test_store_deadline.py.
    "STORE_BUDGET_SECONDS": "30",
}


@pytest.fixture
def aws_env(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """The functions' environment (template.yaml's, for the test table), no endpoint."""
    for name, value in ENVIRONMENT.items():
        monkeypatch.setenv(name, value)
    monkeypatch.delenv("DYNAMODB_ENDPOINT_URL", raising=False)
    settings.reset()
    yield
    settings.reset()


# DynamoDB's operations that change nothing: after a test that sent only these (and left
# moto's tables in place), the tables are still as seeded.
READ_ONLY = frozenset(
    {
        "GetItem",
        "BatchGetItem",
        "Query",
        "Scan",
        "TransactGetItems",
        "DescribeTable",
        "DescribeTimeToLive",
        "ListTables",
    }
)


class Tables:
    """moto's tables, put back as a snapshot held them before each test: copied only when
    they may have changed since they were last put back (a write reached moto, the tables
    were replaced, or another snapshot is asked for). Calling it puts back the seeded one."""

    def __init__(self, backend: Any, seeded: Any) -> None:
        self.backend = backend
        self.seeded = seeded
        self.written = True
        self._put: tuple[Any, Any] = (None, None)  # (snapshot, the tables made from it)

    def snapshot(self) -> Any:
        return copy.deepcopy(self.backend.tables)

    def put_back(self, snapshot: Any) -> None:
        put_snapshot, put_tables = self._put
        if self.written or put_snapshot is not snapshot or put_tables is not self.backend.tables:
            self.backend.tables = copy.deepcopy(snapshot)
            self._put = (snapshot, self.backend.tables)
            self.written = False

    def __call__(self) -> None:
        self.put_back(self.seeded)


@pytest.fixture(scope="session")
def seeded_tables() -> Iterator[Tables]:
    """The template's tables on moto, seeded with the demo data once per session; yields
    the `Tables` that put them back as seeded (in-process)."""
    from moto.dynamodb.models import dynamodb_backends
    from moto.dynamodb.responses import DynamoHandler

    make_atomic()  # DynamoDB's per-request isolation, which moto lacks (see make_atomic)
    with pytest.MonkeyPatch.context() as env, mock_aws():
        for name, value in ENVIRONMENT.items():
            env.setenv(name, value)
        env.delenv("DYNAMODB_ENDPOINT_URL", raising=False)
        settings.reset()
        client = settings.dynamodb_client()
        ensure_tables(client, TABLE)
        seed(Admin(client, TABLE))
        backend = dynamodb_backends[DEFAULT_ACCOUNT_ID][ENVIRONMENT["AWS_REGION"]]
        tables = Tables(backend, copy.deepcopy(backend.tables))
        moto_call_action = DynamoHandler.call_action

        def call_action(handler: Any) -> Any:
            if handler._get_action() not in READ_ONLY:
                tables.written = True
            return moto_call_action(handler)

        env.setattr(DynamoHandler, "call_action", call_action)
        yield tables
    settings.reset()


@pytest.fixture
def dynamodb(aws_env: None, seeded_tables: Tables) -> Iterator[Any]:
    """The DynamoDB client the handlers use, on moto, with the template's tables holding
    the demo data (as seeded: what a test writes is gone for the next)."""
    seeded_tables()
    yield settings.dynamodb_client()


@pytest.fixture
def bulk_environment(dynamodb: Any, monkeypatch: pytest.MonkeyPatch) -> Iterator[dict[str, str]]:
    """The company jobs' bucket and queues on moto, empty, named in the functions'
    environment as `make run` names them (local/jobs.py)."""
    import contextlib

    from local import jobs

    s3, sqs = settings.s3_client(), settings.sqs_client()
    for name in (jobs.QUEUE, jobs.UPLOADS_QUEUE):  # empty, as a fresh stack's
        with contextlib.suppress(sqs.exceptions.QueueDoesNotExist):
            sqs.delete_queue(QueueUrl=sqs.get_queue_url(QueueName=name)["QueueUrl"])
    environ = jobs.prepare(s3, sqs)
    for name in ("BULK_BUCKET", "BULK_QUEUE_URL"):
        monkeypatch.setenv(name, environ[name])
    settings.reset()
    yield environ
    settings.reset()


@dataclass
class ApiResponse:
    status: int
    headers: dict[str, str]
    body: bytes
    raw: dict[str, Any] = field(repr=False, default_factory=dict)

    @property
    def json(self) -> Any:
        return json.loads(self.body) if self.body else None

    @property
    def errors(self) -> list[dict[str, Any]]:
        errors: list[dict[str, Any]] = self.json["errors"]
        return errors

    def pointers(self) -> set[str]:
        return {e.get("source", {}).get("pointer") for e in self.errors} - {None}


class Api:
    """Requests through template.yaml's routes to the handlers, in-process."""

    def __call__(
        self,
        method: str,
        path: str,
        *,
        as_user: str | None = "admin",
        headers: dict[str, str] | None = None,
        body: Any = None,
        query: dict[str, str] | None = None,
    ) -> ApiResponse:
        sent: dict[str, list[str]] = {"Host": ["api.test"]}
        if as_user is not None:
            username, token = CREDENTIALS[as_user]
            sent.update({"X-USER-USERNAME": [username], "X-USER-TOKEN": [token]})
        if body is not None:
            sent["Content-Type"] = ["application/vnd.api+json"]
        for name, value in (headers or {}).items():
            sent.pop(name, None)
            if value is not None:
                sent[name] = [value]
        text = json.dumps(body) if isinstance(body, dict | list) else body
        raw_body = text.encode() if isinstance(text, str) else text
        answer = gateway.handle(
            method, path, sent, {k: [v] for k, v in (query or {}).items()}, raw_body or b""
        )
        return ApiResponse(answer.status, dict(answer.headers), answer.body)

    def create(self, employee_id: str = "098765", as_user: str = "admin", **attributes: Any) -> Any:
        """POST a valid membership (Hilton unless `provider` is given); returns its resource."""
        provider = attributes.pop("provider", "9c5b90ff-2cce-11e8-87f9-0662bed6e7db")
        response = self(
            "POST",
            f"/api/users/{employee_id}/loyalty_memberships",
            as_user=as_user,
            body=membership_document(provider, **attributes),
        )
        assert response.status == 201, response.body
        return response.json["data"]


def membership_document(
    provider: str = "9c5b90ff-2cce-11e8-87f9-0662bed6e7db", **attributes: Any
) -> dict[str, Any]:
    values = {
        "account_number": "H66590214",
        "membership_name": "John Smith",
        "level": "Gold",
        "expires_on": "2031-01-01",
        **attributes,
    }
    return {
        "data": {
            "type": "loyalty_memberships",
            "attributes": values,
            "relationships": {
                "loyalty_provider": {"data": {"id": provider, "type": "loyalty_providers"}}
            },
        }
    }


def patch_document(membership_id: str, **attributes: Any) -> dict[str, Any]:
    """A PATCH document for one membership, carrying `attributes` (None clears one)."""
    return {"data": {"id": membership_id, "type": "loyalty_memberships", "attributes": attributes}}


@pytest.fixture
def api(dynamodb: Any) -> Api:
    return Api()


def store_contents() -> list[str]:
    """Every item of every table, as sorted text, read from moto's memory (a Scan costs
    much more): compare two of them to know that a refused request wrote nothing."""
    from moto.dynamodb.models import dynamodb_backends

    tables = dynamodb_backends[DEFAULT_ACCOUNT_ID][ENVIRONMENT["AWS_REGION"]].tables
    return sorted(
        f"{name} {json.dumps(item.to_json(), sort_keys=True)}"
        for name, table in tables.items()
        for item in table.all_items()
    )


@pytest.fixture
def dynamodb_calls(dynamodb: Any) -> Iterator[list[str]]:
    """The DynamoDB operations the handlers send, in order."""
    calls: list[str] = []

    def record(model: Any, **_: Any) -> None:
        calls.append(model.name)

    dynamodb.meta.events.register("before-call.dynamodb", record)
    yield calls
    dynamodb.meta.events.unregister("before-call.dynamodb", record)


@pytest.fixture
def store_faults(dynamodb: Any) -> Iterator[Faults]:
    """Faults of the store on demand (tests/faults.py), for every DynamoDB call of the test."""
    faults = Faults()
    uninstall = faults.install()
    yield faults
    uninstall()
