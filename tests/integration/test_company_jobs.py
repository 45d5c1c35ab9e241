"""Company imports as jobs, as deployed (on moto's S3 and SQS, the worker run by the local
pump): an upload form, the dry run on upload, a report of every refused row, the apply
with the dry run's deletions confirmed, steps that stop and resume, company admins only."""

from __future__ import annotations

import csv
import io
import json
from dataclasses import dataclass
from typing import Any

import pytest
import requests

from local import jobs as local_jobs
from local.demo import seed_memberships
from loyalty_core import settings
from loyalty_core.errors import StorageUnavailable
from loyalty_core.interfaces.bulk import worker
from loyalty_core.services import imports, jobs
from tests.conftest import Api, store_contents

IMPORTS = "/api/loyalty_membership_imports"
HEADER = "employee_id,provider_code,account_number,membership_name,level"
FILE = (
    f"{HEADER}\n"
    "098765,QF,0012345,John Smith,Gold\n"
    "098765,HH,H7777,John Smith,\n"
    "112233,AA,00AA1,Jane Doe,=1+1\n"
    "112233,QF,77,Jane Doe,Silver\n"
)


@dataclass
class Bulk:
    api: Api
    environ: dict[str, str]
    s3: Any
    sqs: Any

    def drain(self) -> int:
        return local_jobs.drain(self.sqs, self.environ)

    def start(self, mode: str = "merge", kind: str = "csv", as_user: str = "admin") -> Any:
        body = {
            "data": {
                "type": "loyalty_membership_imports",
                "attributes": {"format": kind, "mode": mode},
            }
        }
        return self.api("POST", IMPORTS, body=body, as_user=as_user)

    def upload(self, started: Any, content: bytes) -> None:
        form = started.json["data"]["meta"]["upload"]
        sent = requests.post(
            form["url"], data=form["fields"], files={form["file_field"]: ("f", content)}, timeout=10
        )
        assert sent.status_code == 204, sent.text

    def status(self, job_id: str, as_user: str = "admin") -> Any:
        return self.api("GET", f"{IMPORTS}/{job_id}", as_user=as_user)

    def apply(self, job_id: str, confirm: int | None = None) -> Any:
        attributes: dict[str, Any] = {"status": "applying"}
        if confirm is not None:
            attributes["confirm_deletions"] = confirm
        body = {
            "data": {"type": "loyalty_membership_imports", "id": job_id, "attributes": attributes}
        }
        return self.api("PATCH", f"{IMPORTS}/{job_id}", body=body)

    def validated(self, content: bytes = FILE.encode(), mode: str = "merge") -> str:
        started = self.start(mode)
        assert started.status == 201, started.body
        self.upload(started, content)
        self.drain()
        job_id: str = started.json["data"]["id"]
        return job_id


@pytest.fixture
def bulk(api: Api, bulk_environment: dict[str, str]) -> Bulk:
    return Bulk(api, bulk_environment, settings.s3_client(), settings.sqs_client())


def fetched(url: str) -> bytes:
    found = requests.get(url, timeout=10)
    assert found.status_code == 200
    return found.content


def accounts(api: Api, employee_id: str) -> set[str]:
    data = api("GET", f"/api/users/{employee_id}/loyalty_memberships").json["data"]
    return {m["attributes"]["account_number"] for m in data}


def test_an_upload_is_checked_and_dry_run_writing_nothing_then_applied(bulk: Bulk) -> None:
    before = store_contents()
    started = bulk.start()
    assert started.status == 201
    data = started.json["data"]
    assert started.headers["Location"] == data["links"]["self"]
    assert data["attributes"]["status"] == "awaiting_upload"
    upload = data["meta"]["upload"]
    assert upload["max_bytes"] == 100 * 1024 * 1024
    assert f"imports/acme/{data['id']}/source" in json.dumps(upload["fields"])
    bulk.upload(started, FILE.encode())
    bulk.drain()
    assert store_contents() == before  # the dry run wrote nothing (the state is in S3)
    found = bulk.status(data["id"]).json["data"]
    assert found["attributes"]["status"] == "validated"
    totals = found["attributes"]["totals"]
    assert (totals["rows"], totals["rows_refused"], totals["created"]) == (4, 2, 2)
    assert found["attributes"]["progress"] == {"users_done": 1, "users_total": 1}
    report = json.loads(fetched(found["links"]["report_json"]))
    assert [(r["line"], r["reason"]) for r in report["refused"]] == [
        (4, "formula"),
        (5, "not_applied"),
    ]
    assert report["refused"][0]["account_number"] == "00AA1"
    assert b"'=1+1" in fetched(found["links"]["report_csv"])
    applied = bulk.apply(data["id"])
    assert applied.status == 200
    assert applied.json["data"]["attributes"]["status"] == "applying"
    bulk.drain()
    done = bulk.status(data["id"]).json["data"]["attributes"]
    assert done["status"] == "completed"
    assert done["totals"]["users_applied"] == 1
    assert accounts(bulk.api, "098765") == {"0012345", "H7777"}
    trail = bulk.api("GET", "/api/users/098765/loyalty_membership_changes").json["data"]
    assert trail[0]["attributes"]["interface"] == "import"
    assert trail[0]["attributes"]["request_id"] == data["id"]
    assert trail[0]["attributes"]["actor"] == "user:acme_admin"


def test_the_same_file_again_writes_nothing(bulk: Bulk) -> None:
    first = bulk.validated()
    bulk.apply(first)
    bulk.drain()
    before = store_contents()
    again = bulk.validated()
    bulk.apply(again)
    bulk.drain()
    assert store_contents() == before
    totals = bulk.status(again).json["data"]["attributes"]["totals"]
    assert (totals["users_unchanged"], totals["users_applied"]) == (1, 0)


def test_a_replace_applies_only_with_the_dry_runs_deletion_count(bulk: Bulk) -> None:
    seed_memberships()
    job_id = bulk.validated(mode="replace")
    found = bulk.status(job_id).json["data"]["attributes"]
    assert found["deletions"] == 1
    assert bulk.apply(job_id).status == 409
    assert bulk.apply(job_id, confirm=2).status == 409
    assert bulk.status(job_id).json["data"]["attributes"]["status"] == "validated"
    assert bulk.apply(job_id, confirm=1).status == 200
    bulk.drain()
    assert accounts(bulk.api, "098765") == {"0012345", "H7777"}


def test_only_a_validated_import_is_applied(bulk: Bulk) -> None:
    started = bulk.start()
    job_id = started.json["data"]["id"]
    assert bulk.apply(job_id).status == 409  # awaiting its upload


@pytest.mark.parametrize(
    ("content", "says"),
    [
        (b"employee_id,colour\n1,red\n", "unknown columns"),
        (b"employee_id,provider_code,account_number\n1,QF,\xff\n", "not UTF-8"),
    ],
)
def test_a_file_refused_whole_fails_its_job_writing_nothing(
    bulk: Bulk, content: bytes, says: str
) -> None:
    before = store_contents()
    job_id = bulk.validated(content)
    found = bulk.status(job_id).json["data"]["attributes"]
    assert found["status"] == "failed"
    assert says in found["error"] and "nothing was written" in found["error"]
    assert store_contents() == before


def test_a_file_over_the_limit_fails_its_job(bulk: Bulk, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(imports, "MAX_FILE_BYTES", 50)  # (S3's form refuses it deployed)
    job_id = bulk.validated()
    found = bulk.status(job_id).json["data"]["attributes"]
    assert (found["status"], "over 50 bytes" in found["error"]) == ("failed", True)


def test_a_step_that_runs_out_of_time_queues_the_rest(bulk: Bulk) -> None:
    rows = "".join(f"098765,QF,Q{n},John Smith,\n112233,QF,Q{n},Jane Doe,\n" for n in range(3))
    job_id = bulk.validated(f"{HEADER}\n{rows}".encode())
    bulk.apply(job_id)
    files, repo = settings.get_bulk_files(), settings.get_repository()
    calls = iter([900_000, 900_000, 1_000])  # time for one user, then for no more
    step = jobs.Step("acme", job_id, jobs.APPLY)
    worker.run_step(files, repo, step, lambda: next(calls, 1_000))
    found = bulk.status(job_id).json["data"]["attributes"]
    assert (found["status"], found["progress"]["users_done"]) == ("applying", 1)
    assert bulk.drain() >= 1  # the queued rest (and the apply's own first message: a no-op)
    done = bulk.status(job_id).json["data"]["attributes"]
    assert (done["status"], done["totals"]["users_applied"]) == ("completed", 2)


def test_a_step_that_fails_resumes_and_writes_no_user_twice(
    bulk: Bulk, monkeypatch: pytest.MonkeyPatch
) -> None:
    job_id = bulk.validated()
    bulk.apply(job_id)
    files, repo = settings.get_bulk_files(), settings.get_repository()
    commit = repo.commit

    def commit_then_lose_the_answer(write: Any) -> None:
        commit(write)
        raise StorageUnavailable("the answer was lost")

    monkeypatch.setattr(repo, "commit", commit_then_lose_the_answer)
    step = jobs.Step("acme", job_id, jobs.APPLY)
    with pytest.raises(StorageUnavailable):  # it committed, then lost the answer
        worker.run_step(files, repo, step, lambda: 900_000)
    monkeypatch.setattr(repo, "commit", commit)
    worker.run_step(files, repo, step, lambda: 900_000)  # delivered again
    done = bulk.status(job_id).json["data"]["attributes"]
    assert done["status"] == "completed"
    assert done["totals"]["users_applied"] + done["totals"]["users_unchanged"] == 1
    trail = bulk.api("GET", "/api/users/098765/loyalty_membership_changes").json["data"]
    assert [r["attributes"]["request_id"] for r in trail].count(job_id) == 1


@pytest.mark.parametrize("caller", ["john", "arranger"])
def test_only_a_company_admin_starts_or_reads_an_import(bulk: Bulk, caller: str) -> None:
    assert bulk.start(as_user=caller).status == 403
    job_id = bulk.start().json["data"]["id"]
    assert bulk.status(job_id, as_user=caller).status == 403


def test_another_companys_import_is_not_found(bulk: Bulk) -> None:
    job_id = bulk.start().json["data"]["id"]
    assert bulk.status(job_id, as_user="globex").status == 404
    assert bulk.status("not-a-job").status == 404


@pytest.mark.parametrize(
    ("body", "status"),
    [
        ({"data": {"type": "loyalty_membership_imports", "attributes": {"format": "xls"}}}, 422),
        ({"data": {"type": "loyalty_membership_imports", "attributes": {"mode": "wipe"}}}, 422),
        ({"data": {"type": "loyalty_membership_imports", "attributes": {"x": 1}}}, 422),
        ({"data": {"type": "loyalty_membership_exports", "attributes": {}}}, 409),
        ({"data": {"type": "loyalty_membership_imports", "id": "x", "attributes": {}}}, 403),
        ("not json", 400),
    ],
)
def test_a_bad_import_request_is_refused(bulk: Bulk, body: Any, status: int) -> None:
    assert bulk.api("POST", IMPORTS, body=body).status == status


def test_the_worker_ignores_what_is_not_a_step(bulk: Bulk) -> None:
    test_event = {"Service": "Amazon S3", "Event": "s3:TestEvent", "Bucket": "b"}
    record = {"eventSource": "aws:sqs", "body": json.dumps(test_event)}
    assert list(worker.steps({"Records": [record, {"eventSource": "aws:sns"}]})) == []
    assert list(worker.steps({"source": "aws.s3", "detail-type": "Object Created"})) == []
    uploaded = {
        "source": "aws.s3",
        "detail-type": "Object Created",
        "detail": {"bucket": {"name": "b"}, "object": {"key": "imports/acme/j1/source"}},
    }
    assert list(worker.steps(uploaded)) == [jobs.Step("acme", "j1", worker.UPLOADED)]


def test_a_file_uploaded_again_after_its_dry_run_is_not_applied(bulk: Bulk) -> None:
    started = bulk.start()
    bulk.upload(started, FILE.encode())
    bulk.drain()
    job_id = started.json["data"]["id"]
    before = store_contents()
    bulk.upload(started, FILE.replace("Gold", "Silver").encode())  # the form, used again
    bulk.drain()
    assert bulk.status(job_id).json["data"]["attributes"]["status"] == "validated"
    assert bulk.apply(job_id).status == 200
    bulk.drain()
    found = bulk.status(job_id).json["data"]["attributes"]
    assert found["status"] == "failed" and "uploaded again" in found["error"]
    assert store_contents() == before


def test_a_step_that_can_never_succeed_fails_its_job(
    bulk: Bulk, monkeypatch: pytest.MonkeyPatch
) -> None:
    job_id = bulk.validated()
    bulk.apply(job_id)

    def broken(*_: Any, **__: Any) -> Any:
        raise KeyError("a bug")

    monkeypatch.setattr(imports, "import_user", broken)
    bulk.drain()
    found = bulk.status(job_id).json["data"]["attributes"]
    assert found["status"] == "failed" and "unexpected error" in found["error"]


# -- exports ---------------------------------------------------------------------------------------

EXPORTS = "/api/loyalty_membership_exports"


def start_export(bulk: Bulk, kind: str = "csv", as_user: str = "admin") -> Any:
    body = {"data": {"type": "loyalty_membership_exports", "attributes": {"format": kind}}}
    return bulk.api("POST", EXPORTS, body=body, as_user=as_user)


def test_an_export_job_writes_the_company_and_links_it_for_a_while(bulk: Bulk) -> None:
    seed_memberships()
    bulk.api.create("098765", as_user="globex", account_number="GLOBEX1")
    started = start_export(bulk)
    assert started.status == 201
    job = started.json["data"]
    assert job["attributes"]["status"] == "queued" and "download" not in job["links"]
    bulk.drain()
    found = bulk.api("GET", f"{EXPORTS}/{job['id']}").json["data"]
    assert found["attributes"]["status"] == "completed"
    link = found["links"]["download"]
    assert "Expires=900" in link or "X-Amz-Expires=900" in link  # 15 minutes
    rows = list(csv.DictReader(io.StringIO(fetched(link).decode())))
    assert {r["employee_id"] for r in rows} == {"098765", "112233"}
    assert "GLOBEX1" not in {r["account_number"] for r in rows}
    assert found["attributes"]["totals"]["rows"] == len(rows)


def test_an_export_that_runs_out_of_time_continues_and_joins_its_parts(bulk: Bulk) -> None:
    seed_memberships()
    job_id = start_export(bulk, "jsonl").json["data"]["id"]
    files, repo = settings.get_bulk_files(), settings.get_repository()
    calls = iter([900_000, 900_000])  # time for one user (its check, its deadline), no more
    worker.run_step(files, repo, jobs.Step("acme", job_id, jobs.EXPORT), lambda: next(calls, 1))
    assert bulk.api("GET", f"{EXPORTS}/{job_id}").json["data"]["attributes"]["status"] == (
        "exporting"
    )
    bulk.drain()
    found = bulk.api("GET", f"{EXPORTS}/{job_id}").json["data"]
    lines = fetched(found["links"]["download"]).decode().splitlines()
    users = [json.loads(line)["employee_id"] for line in lines]
    assert users == sorted(users) and set(users) == {"098765", "112233"}
    assert len(lines) == found["attributes"]["totals"]["rows"]


@pytest.mark.parametrize("caller", ["john", "arranger"])
def test_only_a_company_admin_exports(bulk: Bulk, caller: str) -> None:
    assert start_export(bulk, as_user=caller).status == 403
    job_id = start_export(bulk).json["data"]["id"]
    assert bulk.api("GET", f"{EXPORTS}/{job_id}", as_user=caller).status == 403
    assert bulk.api("GET", f"{EXPORTS}/{job_id}", as_user="globex").status == 404


def test_the_worker_sends_only_what_its_policy_allows(bulk: Bulk) -> None:
    """An import of a user with 60 memberships (their trail index entries past the
    transaction), then an export: every operation in the worker's policy (deployed, any
    other would be AccessDenied); the index it reads by, read only."""
    from tests.integration.test_template import actions, statements

    sent: list[str] = []
    client = settings.dynamodb_client()
    client.meta.events.register("before-call.dynamodb", lambda model, **_: sent.append(model.name))
    rows = "".join(f"098765,QF,Q{n:03d},John Smith,\n" for n in range(60))
    job_id = bulk.validated(f"{HEADER}\n{rows}".encode())
    bulk.apply(job_id)
    bulk.drain()
    assert bulk.status(job_id).json["data"]["attributes"]["totals"]["created"] == 60
    start_export(bulk)
    bulk.drain()
    assert "BatchWriteItem" in sent and "TransactWriteItems" in sent
    needs = {f"dynamodb:{name}" for name in sent if name != "TransactWriteItems"}
    index = [s for s in statements("MembershipJobWorkerFunction") if "Fn::Sub" in s["Resource"]]
    assert needs <= actions("MembershipJobWorkerFunction") | {a for s in index for a in s["Action"]}


def test_s3s_test_event_is_dropped_without_running_the_worker(bulk: Bulk) -> None:
    """Configuring the bucket's notification sent S3's test event to the uploads queue (the
    fixture configured it): the pump drops it, invoking nothing; an upload still reaches
    the worker."""
    invoked: list[dict[str, Any]] = []
    uploads = bulk.environ["BULK_UPLOADS_QUEUE_URL"]
    bulk.sqs.send_message(
        QueueUrl=uploads, MessageBody='{"Service": "Amazon S3", "Event": "s3:TestEvent"}'
    )
    while local_jobs.deliver(bulk.sqs, uploads, invoked.append):
        pass
    assert invoked == []
    bulk.sqs.send_message(QueueUrl=uploads, MessageBody='{"Records": []}')
    assert local_jobs.deliver(bulk.sqs, uploads, invoked.append)
    assert [json.loads(e["Records"][0]["body"]) for e in invoked] == [{"Records": []}]
