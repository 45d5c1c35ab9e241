"""Company imports and exports as jobs (SPEC 14), deployed: what a company admin asks
through the API, and the worker's steps.

An import: the admin asks for an upload form (a presigned S3 POST, up to 100 MB, for 15
minutes); the upload starts the job; the worker checks the file whole and decides every
user on their memberships as read, writing nothing (the dry run: `validated`, with its
counts and report); the admin then applies it (a `replace` with the dry run's deletion
count confirmed), and the worker applies it user by user (`services.imports`: one
transaction each, with its done mark). An export: the worker writes every membership of
the company to one file, read user by user through the company's index of users; its
download link lasts 15 minutes.

Each worker invocation is a step: it works from where the job's state says until its
Lambda has `STEP_MARGIN_MS` left, saves where it got to (with the refused rows it found, in
a part file of its own), and queues the next step. A step that fails is delivered again and
starts from the last saved place: users it applied meanwhile are found done by their done
marks (and recognised as this job's own), so nothing is written twice.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

from loyalty_core.errors import AccessDenied, Conflict, NotFound, quote
from loyalty_core.imports import deferred
from loyalty_core.models import Role
from loyalty_core.models.bulk import ImportMode, Job, JobKind, JobStatus
from loyalty_core.observability import logger
from loyalty_core.repository import bulk_files as keys
from loyalty_core.validators import is_record_id

if TYPE_CHECKING:
    from loyalty_core.models import Principal
    from loyalty_core.repository.bulk_files import BulkFiles
    from loyalty_core.services import imports
else:  # the import's rules: a new import's upload names its size limit
    (imports,) = deferred("loyalty_core.services.imports")

UPLOAD_SECONDS = 15 * 60  # an upload form's life
DOWNLOAD_SECONDS = 15 * 60  # a report's or an export's link
KEPT = timedelta(days=7)  # a job and its files (the bucket's lifecycle deletes them)
STEP_MARGIN_MS = 60_000  # a step stops with this much of its Lambda's time left
CHECKPOINT_USERS = 200  # a step saves its progress this often (the status shows it)
VALIDATE, APPLY, EXPORT = "validate", "apply", "export"


def _now() -> datetime:
    return datetime.now(UTC)


def _admin(principal: Principal) -> None:
    if principal.role is not Role.ADMIN:
        raise AccessDenied("Only a company admin imports or exports the company's memberships")


def save(files: BulkFiles, job: Job) -> Job:
    saved = job.model_copy(update={"updated_at": _now()})
    files.put_json(keys.state_key(job.company, job.id), saved.model_dump(mode="json"))
    return saved


def load(files: BulkFiles, company: str, job_id: str) -> Job | None:
    found = files.get_json(keys.state_key(company, job_id))
    return None if found is None else Job.model_validate(found)


def _new(principal: Principal, kind: JobKind, status: JobStatus, **fields: Any) -> Job:
    now = _now()
    return Job(
        id=str(uuid.uuid4()),
        kind=kind,
        company=principal.company,
        created_by=principal.actor,
        created_at=now,
        updated_at=now,
        expires_at=now + KEPT,
        status=status,
        **fields,
    )


# -- what an admin asks ----------------------------------------------------------------------


def start_import(
    files: BulkFiles, principal: Principal, kind: str, mode: ImportMode
) -> tuple[Job, dict[str, Any]]:
    """A new import awaiting its file, and the form that uploads it."""
    _admin(principal)
    job = save(
        files, _new(principal, JobKind.IMPORT, JobStatus.AWAITING_UPLOAD, format=kind, mode=mode)
    )
    form = files.upload_form(
        keys.source_key(job.company, job.id), imports.MAX_FILE_BYTES, UPLOAD_SECONDS
    )
    return job, form


def find(files: BulkFiles, principal: Principal, kind: JobKind, job_id: str) -> Job:
    """One of the caller's company's jobs (404 for any other id, as for a user out of
    reach)."""
    _admin(principal)
    job = load(files, principal.company, job_id) if is_record_id(job_id) else None
    if job is None or job.kind is not kind:
        raise NotFound(f"No {kind.value} {quote(job_id)} in your company")
    return job


def apply_import(
    files: BulkFiles, principal: Principal, job_id: str, confirm_deletions: int | None
) -> Job:
    """Apply a validated import: 409 unless it is validated, or, for a replace that
    deletes memberships, unless `confirm_deletions` is the dry run's count."""
    job = find(files, principal, JobKind.IMPORT, job_id)
    if job.status is not JobStatus.VALIDATED:
        raise Conflict(f"The import is {job.status.value}: only a validated import is applied")
    confirmed = confirm_deletions if confirm_deletions is not None else 0
    if job.mode is ImportMode.REPLACE and confirmed != job.deletions:
        raise Conflict(
            f"This replace deletes {job.deletions} memberships (its dry run's count): send "
            f"confirm_deletions {job.deletions} to apply it"
        )
    job = save(
        files,
        job.model_copy(
            update={"status": JobStatus.APPLYING, "cursor": 0, "parts": 0, "totals": {}}
        ),
    )
    queue(files, job, APPLY)
    return job


def start_export(files: BulkFiles, principal: Principal, kind: str) -> Job:
    _admin(principal)
    job = save(files, _new(principal, JobKind.EXPORT, JobStatus.QUEUED, format=kind))
    queue(files, job, EXPORT)
    return job


def links(files: BulkFiles, job: Job) -> dict[str, str]:
    """What a job's status links to, each for DOWNLOAD_SECONDS: an import's report (once
    validated), an export's file (once completed)."""
    found: dict[str, str] = {}
    if job.kind is JobKind.IMPORT and job.status in (
        JobStatus.VALIDATED,
        JobStatus.APPLYING,
        JobStatus.COMPLETED,
    ):
        for name in ("report.csv", "report.json"):
            key = keys.file_key(job.company, job.id, name)
            label = "report_" + name.split(".")[1]
            found[label] = files.download_url(key, DOWNLOAD_SECONDS, f"{job.id}-{name}")
    if job.kind is JobKind.EXPORT and job.status is JobStatus.COMPLETED:
        name = f"memberships.{job.format}"
        key = keys.file_key(job.company, job.id, name)
        found["download"] = files.download_url(key, DOWNLOAD_SECONDS, f"{job.company}-{name}")
    return found


# -- the worker's steps --------------------------------------------------------------------


@dataclass(frozen=True)
class Step:
    """One step of a job: a queued message, or an upload (which starts validation)."""

    company: str
    job: str
    phase: str


def fail(files: BulkFiles, job: Job, error: str) -> None:
    save(files, job.model_copy(update={"status": JobStatus.FAILED, "error": error}))
    logger.info("Job failed", job=job.id, error=error)


def queue(files: BulkFiles, job: Job, phase: str) -> None:
    """Queue the job's next step, once for where the job is."""
    where = f"{job.id}-{phase}-{job.cursor}-{job.after or ''}-{job.parts}"
    files.send(job.id, {"company": job.company, "job": job.id, "phase": phase}, where)


def proceed(files: BulkFiles, job: Job, phase: str) -> None:
    """Save where a step got to and queue the next."""
    queue(files, save(files, job), phase)
