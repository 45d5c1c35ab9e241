"""Locomote's company import and export jobs as JSON:API resources (SPEC 14): the job
resources the answers carry (the request documents that start an import or an export and
apply a validated import: `job_requests`).

    POST  /api/loyalty_membership_imports        {format, mode}   201, meta.upload: the form
    GET   /api/loyalty_membership_imports/{id}                    status, progress, totals
    PATCH /api/loyalty_membership_imports/{id}   {status: "applying", confirm_deletions}
    POST  /api/loyalty_membership_exports        {format}         201
    GET   /api/loyalty_membership_exports/{id}                    links.download when done
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from loyalty_core.imports import deferred
from loyalty_core.interfaces.jsonapi import document
from loyalty_core.interfaces.locomote.resources import EXPORTS, IMPORTS, job_path
from loyalty_core.models.bulk import JobKind

if TYPE_CHECKING:
    from loyalty_core.interfaces.links import PublicUrl
    from loyalty_core.models.bulk import Job
    from loyalty_core.services import imports as company_imports
else:  # the import's rules: the upload form of a new import names its size limit
    (company_imports,) = deferred("loyalty_core.services.imports")

TYPES = {JobKind.IMPORT: IMPORTS, JobKind.EXPORT: EXPORTS}


def job_resource(job: Job, links: dict[str, str], url: PublicUrl) -> dict[str, Any]:
    """A job as a resource: where it is (status, progress), what it did (totals; an import's
    deletions to confirm, a refusal of its file), and links to its report or file."""
    attributes: dict[str, Any] = {
        "status": job.status.value,
        "format": job.format,
        "created_at": job.created_at.isoformat(),
        "updated_at": job.updated_at.isoformat(),
        "expires_at": job.expires_at.isoformat(),
    }
    if job.kind is JobKind.IMPORT:
        attributes.update(
            mode=job.mode.value if job.mode else None,
            progress={"users_done": job.cursor, "users_total": job.users_total},
            totals=job.totals or None,
            deletions=job.deletions,
        )
    else:
        attributes.update(totals=job.totals or None)
    attributes["error"] = job.error
    return {
        "id": job.id,
        "type": TYPES[job.kind],
        "attributes": attributes,
        "links": {"self": url.of(job_path(TYPES[job.kind], job.id)), **links},
    }


def job_document(
    job: Job,
    links: dict[str, str],
    url: PublicUrl,
    upload: dict[str, Any] | None = None,
    upload_seconds: int = 0,
) -> dict[str, Any]:
    """A job's document; a new import's carries its upload form (`meta.upload`): POST the
    file as `file`, after the form's `fields`, to its `url`, before `expires_at`."""
    resource = job_resource(job, links, url)
    if upload is not None:
        expires: datetime = job.created_at + timedelta(seconds=upload_seconds)
        resource["meta"] = {
            "upload": {
                "url": upload["url"],
                "fields": upload["fields"],
                "file_field": "file",
                "max_bytes": company_imports.MAX_FILE_BYTES,
                "expires_at": expires.isoformat(),
            }
        }
    return document(data=resource)
