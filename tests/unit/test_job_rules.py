"""Company imports and exports as jobs (SPEC 14): what a company admin may ask, what a job's
status links to, and how its steps are queued; on the jobs' bucket and queue as a small
fake of S3 and SQS."""

from __future__ import annotations

import io
import json
from datetime import timedelta
from typing import Any

import pytest
from botocore.exceptions import ClientError

from loyalty_core.errors import AccessDenied, Conflict, NotFound
from loyalty_core.models import Principal, Role
from loyalty_core.models.bulk import ImportMode, Job, JobKind, JobStatus
from loyalty_core.repository import bulk_files as keys
from loyalty_core.repository.bulk_files import BulkFiles
from loyalty_core.services import imports, jobs

ADMIN = Principal(company="acme", employee_id="boss", role=Role.ADMIN)
OTHER_ADMIN = Principal(company="globex", employee_id="boss", role=Role.ADMIN)
TRAVELLER = Principal(company="acme", employee_id="098765", role=Role.TRAVELLER)


class FakeS3:
    def __init__(self) -> None:
        self.objects: dict[str, bytes] = {}
        self.forms: list[dict[str, Any]] = []

    def get_object(self, Bucket: str, Key: str) -> dict[str, Any]:
        if Key not in self.objects:
            raise ClientError({"Error": {"Code": "NoSuchKey"}}, "GetObject")
        return {"Body": io.BytesIO(self.objects[Key])}

    def put_object(self, Bucket: str, Key: str, Body: Any, ContentType: str) -> None:
        self.objects[Key] = Body if isinstance(Body, bytes) else Body.read()

    def generate_presigned_post(self, bucket: str, key: str, **options: Any) -> dict[str, Any]:
        form = {"url": f"https://{bucket}.s3.example/", "fields": {"key": key}, **options}
        self.forms.append(form)
        return form

    def generate_presigned_url(self, method: str, Params: Any, ExpiresIn: int) -> str:
        disposition = Params["ResponseContentDisposition"]
        return f"https://s3.example/{Params['Key']}?expires={ExpiresIn}&cd={disposition}"


class FakeSqs:
    def __init__(self) -> None:
        self.sent: list[dict[str, Any]] = []

    def send_message(self, **message: Any) -> None:
        if any(m["MessageDeduplicationId"] == message["MessageDeduplicationId"] for m in self.sent):
            return  # FIFO deduplication: the same step queued again is a no-op
        self.sent.append(message)


@pytest.fixture
def files() -> BulkFiles:
    return BulkFiles(FakeS3(), "jobs-bucket", FakeSqs(), "https://sqs.example/jobs.fifo")


def steps(files: BulkFiles) -> list[dict[str, Any]]:
    return [json.loads(m["MessageBody"]) for m in files.sqs.sent]


def validated(files: BulkFiles, mode: ImportMode, deletions: int | None) -> Job:
    job, _ = jobs.start_import(files, ADMIN, "csv", mode)
    changed = job.model_copy(
        update={"status": JobStatus.VALIDATED, "deletions": deletions, "cursor": 7, "parts": 2}
    )
    return jobs.save(files, changed)


@pytest.mark.parametrize(
    "ask",
    [
        lambda files: jobs.start_import(files, TRAVELLER, "csv", ImportMode.MERGE),
        lambda files: jobs.start_export(files, TRAVELLER, "csv"),
        lambda files: jobs.find(files, TRAVELLER, JobKind.IMPORT, "x"),
    ],
)
def test_only_a_company_admin_imports_or_exports(files: BulkFiles, ask: Any) -> None:
    with pytest.raises(AccessDenied, match="Only a company admin"):
        ask(files)
    assert files.s3.objects == {} and steps(files) == []


def test_an_import_awaits_its_upload_through_a_form_of_100_mb_for_15_minutes(
    files: BulkFiles,
) -> None:
    job, form = jobs.start_import(files, ADMIN, "jsonl", ImportMode.REPLACE)
    assert job.kind is JobKind.IMPORT and job.status is JobStatus.AWAITING_UPLOAD
    assert (job.company, job.created_by) == ("acme", ADMIN.actor)
    assert (job.format, job.mode) == ("jsonl", ImportMode.REPLACE)
    assert job.expires_at - job.created_at == timedelta(days=7)
    assert form["fields"]["key"] == keys.source_key("acme", job.id)
    assert form["Conditions"] == [["content-length-range", 1, 100 * 1024 * 1024]]
    assert imports.MAX_FILE_BYTES == 100 * 1024 * 1024
    assert form["ExpiresIn"] == 15 * 60
    assert jobs.load(files, "acme", job.id) == job  # saved as it is answered
    assert steps(files) == []  # the upload starts it


def test_a_job_is_found_only_by_its_own_company_and_kind(files: BulkFiles) -> None:
    job, _ = jobs.start_import(files, ADMIN, "csv", ImportMode.MERGE)
    assert jobs.find(files, ADMIN, JobKind.IMPORT, job.id) == job
    for caller, kind, job_id in [
        (OTHER_ADMIN, JobKind.IMPORT, job.id),  # another company's: as if none
        (ADMIN, JobKind.EXPORT, job.id),  # an import is no export
        (ADMIN, JobKind.IMPORT, "00000000-0000-4000-8000-000000000000"),
        (ADMIN, JobKind.IMPORT, "../" + job.id),  # not an id at all
    ]:
        with pytest.raises(NotFound) as error:
            jobs.find(files, caller, kind, job_id)
        assert str(error.value).startswith(f"No {kind.value} ")
        assert str(error.value).endswith(" in your company")


def test_only_a_validated_import_is_applied(files: BulkFiles) -> None:
    job, _ = jobs.start_import(files, ADMIN, "csv", ImportMode.MERGE)
    with pytest.raises(Conflict) as error:
        jobs.apply_import(files, ADMIN, job.id, None)
    assert str(error.value) == ("The import is awaiting_upload: only a validated import is applied")
    assert steps(files) == []


def test_applying_starts_over_from_the_first_user_and_queues_the_apply_step(
    files: BulkFiles,
) -> None:
    job = validated(files, ImportMode.MERGE, None)
    applying = jobs.apply_import(files, ADMIN, job.id, None)
    assert applying.status is JobStatus.APPLYING
    assert (applying.cursor, applying.parts, applying.totals) == (0, 0, {})
    assert jobs.load(files, "acme", job.id) == applying
    assert steps(files) == [{"company": "acme", "job": job.id, "phase": "apply"}]
    assert files.sqs.sent[0]["MessageGroupId"] == job.id  # one step of a job at a time


def test_a_replace_that_deletes_is_applied_only_with_its_dry_runs_count_confirmed(
    files: BulkFiles,
) -> None:
    job = validated(files, ImportMode.REPLACE, 3)
    for confirm in (None, 2, 4):
        with pytest.raises(Conflict) as error:
            jobs.apply_import(files, ADMIN, job.id, confirm)
        assert str(error.value) == (
            "This replace deletes 3 memberships (its dry run's count): send "
            "confirm_deletions 3 to apply it"
        )
    assert jobs.load(files, "acme", job.id).status is JobStatus.VALIDATED
    assert jobs.apply_import(files, ADMIN, job.id, 3).status is JobStatus.APPLYING


def test_a_replace_that_deletes_nothing_needs_no_confirmation(files: BulkFiles) -> None:
    job = validated(files, ImportMode.REPLACE, 0)
    assert jobs.apply_import(files, ADMIN, job.id, None).status is JobStatus.APPLYING


def test_a_merge_deletes_nothing_so_its_confirmation_is_not_asked(files: BulkFiles) -> None:
    job = validated(files, ImportMode.MERGE, None)
    assert jobs.apply_import(files, ADMIN, job.id, 5).status is JobStatus.APPLYING


def test_an_export_is_queued_at_once(files: BulkFiles) -> None:
    job = jobs.start_export(files, ADMIN, "jsonl")
    assert job.kind is JobKind.EXPORT and job.status is JobStatus.QUEUED
    assert job.format == "jsonl" and job.mode is None
    assert jobs.load(files, "acme", job.id) == job
    assert steps(files) == [{"company": "acme", "job": job.id, "phase": "export"}]


def test_an_import_links_its_reports_once_validated(files: BulkFiles) -> None:
    job, _ = jobs.start_import(files, ADMIN, "csv", ImportMode.MERGE)
    for status in (JobStatus.AWAITING_UPLOAD, JobStatus.VALIDATING, JobStatus.FAILED):
        assert jobs.links(files, job.model_copy(update={"status": status})) == {}
    for status in (JobStatus.VALIDATED, JobStatus.APPLYING, JobStatus.COMPLETED):
        found = jobs.links(files, job.model_copy(update={"status": status}))
        assert sorted(found) == ["report_csv", "report_json"]
        for name in ("csv", "json"):
            key = keys.file_key("acme", job.id, f"report.{name}")
            assert found[f"report_{name}"] == (
                f"https://s3.example/{key}?expires=900"
                f'&cd=attachment; filename="{job.id}-report.{name}"'
            )


def test_an_export_links_its_file_once_completed(files: BulkFiles) -> None:
    job = jobs.start_export(files, ADMIN, "csv")
    for status in (JobStatus.QUEUED, JobStatus.EXPORTING, JobStatus.FAILED):
        assert jobs.links(files, job.model_copy(update={"status": status})) == {}
    done = jobs.links(files, job.model_copy(update={"status": JobStatus.COMPLETED}))
    key = keys.file_key("acme", job.id, "memberships.csv")
    saved_as = 'attachment; filename="acme-memberships.csv"'
    assert done == {"download": f"https://s3.example/{key}?expires=900&cd={saved_as}"}


def test_a_step_is_queued_once_for_where_the_job_is(files: BulkFiles) -> None:
    job = jobs.start_export(files, ADMIN, "csv")  # queued: export from the start
    jobs.queue(files, job, jobs.EXPORT)  # the same step again: a no-op
    assert len(steps(files)) == 1
    moved = job.model_copy(update={"after": "u0100", "parts": 1})
    jobs.proceed(files, moved, jobs.EXPORT)
    jobs.proceed(files, moved.model_copy(update={"cursor": 3}), jobs.EXPORT)
    assert len(steps(files)) == 3
    assert jobs.load(files, "acme", job.id).cursor == 3  # where it got to, saved


def test_a_failed_job_keeps_its_error(files: BulkFiles) -> None:
    job, _ = jobs.start_import(files, ADMIN, "csv", ImportMode.MERGE)
    jobs.fail(files, job, "The file is not UTF-8")
    failed = jobs.load(files, "acme", job.id)
    assert failed is not None
    assert failed.status is JobStatus.FAILED and failed.error == "The file is not UTF-8"
    assert failed.updated_at >= job.updated_at
