"""Locomote's company import and export jobs as JSON:API resources (SPEC 14): the request
documents that start an import or an export and apply a validated import, and the job
resources the answers carry.

    POST  /api/loyalty_membership_imports        {format, mode}   201, meta.upload: the form
    GET   /api/loyalty_membership_imports/{id}                    status, progress, totals
    PATCH /api/loyalty_membership_imports/{id}   {status: "applying", confirm_deletions}
    POST  /api/loyalty_membership_exports        {format}         201
    GET   /api/loyalty_membership_exports/{id}                    links.download when done
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from loyalty_core import errors as e
from loyalty_core.interfaces.http import PublicUrl
from loyalty_core.interfaces.jsonapi import document
from loyalty_core.interfaces.locomote import documents
from loyalty_core.interfaces.locomote.resources import EXPORTS, IMPORTS, job_path
from loyalty_core.models.bulk import ImportMode, Job, JobKind
from loyalty_core.services.imports import MAX_FILE_BYTES
from loyalty_core.validators import problems_from

TYPES = {JobKind.IMPORT: IMPORTS, JobKind.EXPORT: EXPORTS}


class _ImportAttributes(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)
    format: Literal["csv", "jsonl"] = "csv"
    mode: Literal["merge", "replace"] = "merge"


class _ApplyAttributes(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)
    status: Literal["applying"]
    confirm_deletions: int | None = Field(None, ge=0, le=10**9)


class _ExportAttributes(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)
    format: Literal["csv", "jsonl"] = "csv"


def _resource(body: bytes, kind: str, job_id: str | None) -> dict[str, Any]:
    """A request's resource of `kind` (409 for another type or id, 403 for an id on a
    create): its attributes."""
    resource = documents.read_resource(body)
    documents.check_resource(resource, job_id, kind)
    if resource.relationships:
        raise e.InvalidInput(
            "A job has no relationships",
            [e.Problem("must not be sent", ("data", "relationships"))],
        )
    return resource.attributes


def _attributes(model: type[BaseModel], attributes: dict[str, Any]) -> Any:
    try:
        return model.model_validate(attributes)
    except ValidationError as err:
        raise e.InvalidInput(
            "The job is not valid", problems_from(err, ("data", "attributes"))
        ) from None


def import_request(body: bytes) -> tuple[str, ImportMode]:
    """A new import's format and mode (csv and merge unless given)."""
    found = _attributes(_ImportAttributes, _resource(body, IMPORTS, None))
    return found.format, ImportMode(found.mode)


def apply_request(body: bytes, job_id: str) -> int | None:
    """An import applied (its status set to applying): the deletions it confirms."""
    found = _attributes(_ApplyAttributes, _resource(body, IMPORTS, job_id))
    confirmed: int | None = found.confirm_deletions
    return confirmed


def export_request(body: bytes) -> str:
    """A new export's format (csv unless given)."""
    found: str = _attributes(_ExportAttributes, _resource(body, EXPORTS, None)).format
    return found


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
                "max_bytes": MAX_FILE_BYTES,
                "expires_at": expires.isoformat(),
            }
        }
    return document(data=resource)
