"""The jobs' worker (SPEC 14): what starts a step (an upload to the jobs' bucket, which
queues its validation, or a step on the jobs' FIFO queue: one step of a job at a time, in
order), and each step of an import or an export (`services.jobs`), with the company file
codec.

A step works from where its job's state says until its Lambda has `STEP_MARGIN_MS` left,
saves where it got to (and the refused rows it found, in a part file of its own) every
`CHECKPOINT_USERS` users and at its end, and queues the next step: a file of any length
is processed in 15-minute invocations. A step delivered again (a retry after a failure,
a message delivered twice) starts from the last saved place: the users it applied since
are found done by their done marks (`services.imports`) and counted as this job's own.
"""

from __future__ import annotations

import io
import json
import tempfile
from collections.abc import Callable, Iterator, Mapping
from typing import TYPE_CHECKING, Any
from urllib.parse import unquote_plus

from loyalty_core.errors import MalformedRequest, StorageUnavailable
from loyalty_core.interfaces.bulk import files as codec
from loyalty_core.models import Interface, Origin
from loyalty_core.models.bulk import ImportMode, ImportTotals, JobStatus
from loyalty_core.observability import logger
from loyalty_core.repository import bulk_files as keys
from loyalty_core.services import exports, imports
from loyalty_core.services.jobs import (
    APPLY,
    CHECKPOINT_USERS,
    EXPORT,
    STEP_MARGIN_MS,
    VALIDATE,
    Step,
    fail,
    load,
    proceed,
    queue,
    save,
)
from loyalty_core.settings import store_deadline

if TYPE_CHECKING:
    from loyalty_core.models.bulk import Job, RowRefusal
    from loyalty_core.repository.bulk_files import BulkFiles

MEDIA = {"csv": "text/csv; charset=utf-8", "jsonl": "application/x-ndjson; charset=utf-8"}
UPLOADED = "uploaded"  # an upload's notification: it queues the validation, nothing more
RemainingMs = Callable[[], int]


# -- what starts a step ----------------------------------------------------------------------


def _upload(record: Mapping[str, Any]) -> Step | None:
    """An S3 notification's record of an upload: its job's validation is queued."""
    key = unquote_plus(str(record.get("s3", {}).get("object", {}).get("key", "")))
    found = keys.upload_of(key)
    return None if found is None else Step(found[0], found[1], UPLOADED)


def steps(event: Mapping[str, Any]) -> Iterator[Step]:
    """The steps an invocation asks: an upload (EventBridge's "Object Created", or S3's own
    notification, direct or as the body of a queued message), and steps queued on the jobs'
    queue. Anything else (S3's test event) is logged and left."""
    if event.get("source") == "aws.s3" and event.get("detail-type") == "Object Created":
        key = str(event.get("detail", {}).get("object", {}).get("key", ""))
        found = keys.upload_of(key)  # (EventBridge's keys are not URL-encoded)
        if found is not None:
            yield Step(found[0], found[1], UPLOADED)
        return
    for record in event.get("Records") or []:
        if record.get("eventSource") == "aws:s3":
            step = _upload(record)
        elif record.get("eventSource") == "aws:sqs":
            try:
                body = json.loads(record.get("body") or "")
            except ValueError:
                body = None
            if isinstance(body, dict) and "Records" in body:
                yield from steps(body)
                continue
            fields = body if isinstance(body, dict) else {}
            phase = fields.get("phase")
            named = all(isinstance(fields.get(k), str) for k in ("company", "job"))
            step = Step(fields["company"], fields["job"], phase) if named and phase else None
        else:
            step = None
        if step is None:
            logger.info("Nothing to do for a record", source=str(record.get("eventSource")))
            continue
        yield step


# -- the steps ----------------------------------------------------------------------------------


def run_step(files: BulkFiles, repo: Any, step: Step, remaining_ms: RemainingMs) -> None:
    """Do one step of a job, if the job is at that step (a step delivered twice, or for a
    job gone, does nothing)."""
    job = load(files, step.company, step.job)
    if job is None:
        logger.warning("No such job", job=step.job)
        return
    if step.phase == UPLOADED:  # S3's notification: the steps themselves go through the queue
        if job.status is JobStatus.AWAITING_UPLOAD:
            queue(files, job, VALIDATE)
        return
    expected = {
        VALIDATE: (JobStatus.AWAITING_UPLOAD, JobStatus.VALIDATING),
        APPLY: (JobStatus.APPLYING,),
        EXPORT: (JobStatus.QUEUED, JobStatus.EXPORTING),
    }
    if job.status not in expected.get(step.phase, ()):
        logger.info("Step already done", job=job.id, phase=step.phase, status=job.status.value)
        return
    try:
        if step.phase == EXPORT:
            _export_step(files, repo, job, remaining_ms)
        else:
            _import_step(files, repo, job, step.phase, remaining_ms)
    except StorageUnavailable:
        raise  # the store or the bucket is busy: the step is delivered again, and resumes
    except Exception:  # a step that can never succeed ends its job rather than loop
        logger.exception("Job step failed", job=job.id, phase=step.phase)
        fail(
            files,
            job,
            "The job stopped on an unexpected error (logged); what it applied stays "
            "applied: run the same file again to finish it",
        )


def _import_step(
    files: BulkFiles, repo: Any, job: Job, phase: str, remaining_ms: RemainingMs
) -> None:
    source = keys.source_key(job.company, job.id)
    found = files.head(source)
    if found is None:
        return fail(files, job, "No file was uploaded")
    size, tag = found
    if size > imports.MAX_FILE_BYTES:
        return fail(
            files, job, f"The file is over {imports.MAX_FILE_BYTES} bytes; nothing was written"
        )
    if phase == APPLY and tag != job.source_tag:
        return fail(
            files, job, "The file was uploaded again after its dry run; nothing more was written"
        )
    job = job.model_copy(update={"source_tag": tag})
    rows = codec.Rows(files.open(source), job.format)
    try:
        checked = imports.check(rows, repo.providers())
    except MalformedRequest as err:
        return fail(files, job, f"{err.detail}; nothing was written")
    users = list(checked.users.items())
    totals = ImportTotals.from_json(job.totals) if job.cursor else checked.totals
    dry_run = phase == VALIDATE
    origin = Origin(job.created_by, Interface.IMPORT, job.id)
    status = JobStatus.VALIDATING if dry_run else JobStatus.APPLYING
    index, parts = job.cursor, job.parts
    refused: list[RowRefusal] = []

    def checkpoint() -> Job:
        nonlocal parts, refused
        if refused:
            listed = [codec.refusal_json(r, rows.columns) for r in refused]
            files.put_json(keys.part_key(job.company, job.id, phase, parts), listed)
            parts, refused = parts + 1, []
        return job.model_copy(
            update={
                "status": status,
                "cursor": index,
                "parts": parts,
                "users_total": len(users),
                "totals": totals.as_json(),
            }
        )

    while index < len(users):
        if remaining_ms() < STEP_MARGIN_MS:
            return proceed(files, checkpoint(), phase)
        employee_id, user_rows = users[index]
        mode = job.mode or ImportMode.MERGE
        with store_deadline(remaining_ms()):  # each user's DynamoDB budget, as a request's
            outcome = imports.import_user(
                repo, job.company, employee_id, user_rows, mode, origin, dry_run=dry_run
            )
        imports.count(totals, outcome, refused)
        index += 1
        if index % CHECKPOINT_USERS == 0:
            save(files, checkpoint())
    done = checkpoint()
    listed = [codec.refusal_json(r, rows.columns) for r in checked.refused]
    for number in range(done.parts):
        listed += files.get_json(keys.part_key(job.company, job.id, phase, number)) or []
    listed.sort(key=lambda row: int(row["line"]))
    _report(files, done, listed, rows.columns, dry_run)
    finished = JobStatus.VALIDATED if dry_run else JobStatus.COMPLETED
    deletions = totals.deleted if dry_run else done.deletions
    save(files, done.model_copy(update={"status": finished, "deletions": deletions}))
    return None


def _report(
    files: BulkFiles,
    job: Job,
    listed: list[dict[str, Any]],
    columns: tuple[str, ...],
    dry_run: bool,
) -> None:
    document = {
        "job": job.id,
        "company": job.company,
        "mode": job.mode.value if job.mode else None,
        "dry_run": dry_run,
        "totals": job.totals,
        "refused": listed,
    }
    body = json.dumps(document, ensure_ascii=False, indent=1).encode()
    files.put_bytes(keys.file_key(job.company, job.id, "report.json"), body, "application/json")
    out = io.StringIO()
    codec.write_report_csv(out, listed, columns)
    files.put_bytes(
        keys.file_key(job.company, job.id, "report.csv"), out.getvalue().encode(), MEDIA["csv"]
    )


def _export_step(files: BulkFiles, repo: Any, job: Job, remaining_ms: RemainingMs) -> None:
    """Users after the job's last, a part at a time, until the step's time is up; the last
    step joins the parts into the file."""
    after, parts, rows = job.after, job.parts, int(job.totals.get("rows", 0))
    users = int(job.totals.get("users", 0))
    out = io.StringIO()
    for user in exports.users(repo, job.company, after):
        if remaining_ms() < STEP_MARGIN_MS:
            break
        with store_deadline(remaining_ms()):
            found = exports.user_rows(repo, job.company, user.employee_id)
        rows += codec.write_rows(out, job.format, found, header=False)
        after, users = user.employee_id, users + 1
    else:
        user = None
    if out.tell():
        files.put_bytes(
            keys.part_key(job.company, job.id, EXPORT, parts),
            out.getvalue().encode(),
            MEDIA[job.format],
        )
        parts += 1
    progress = job.model_copy(
        update={
            "status": JobStatus.EXPORTING,
            "after": after,
            "parts": parts,
            "totals": {"rows": rows, "users": users},
        }
    )
    if user is not None:  # the time ran out before the last user
        return proceed(files, progress, EXPORT)
    with tempfile.SpooledTemporaryFile(max_size=32 * 1024 * 1024) as joined:
        if job.format == "csv":
            header = io.StringIO()
            codec.write_rows(header, "csv", [])
            joined.write(header.getvalue().encode())
        for number in range(parts):
            with files.open(keys.part_key(job.company, job.id, EXPORT, number)) as part:
                joined.write(part.read())
        joined.seek(0)
        name = f"memberships.{job.format}"
        files.put_file(keys.file_key(job.company, job.id, name), joined, MEDIA[job.format])
    save(files, progress.model_copy(update={"status": JobStatus.COMPLETED}))
    logger.info("Company exported", job=job.id, rows=rows, users=users, by=job.created_by)
    return None


# -- the Lambda entry -------------------------------------------------------------------------


def handle(event: Mapping[str, Any], context: Any, files: BulkFiles, repo: Any) -> None:
    """Every step an invocation asks, in order, each with the invocation's remaining time."""

    def remaining_ms() -> int:
        return int(context.get_remaining_time_in_millis())

    for step in steps(event):
        logger.append_keys(company=step.company, job=step.job, phase=step.phase)
        run_step(files, repo, step, remaining_ms)
