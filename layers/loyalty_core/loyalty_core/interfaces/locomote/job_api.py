"""The HTTP edge of Locomote's company import and export jobs (`jobs` and `job_requests` are
their codec): what each route reads and each answer. Apart from `api`, so that the
memberships function never imports the jobs."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from aws_lambda_powertools.event_handler.api_gateway import APIGatewayRestResolver, Response

from loyalty_core.imports import deferred
from loyalty_core.interfaces import jsonapi
from loyalty_core.interfaces.links import public_url
from loyalty_core.interfaces.locomote import jobs
from loyalty_core.interfaces.locomote.api import document_body
from loyalty_core.services.jobs import UPLOAD_SECONDS

if TYPE_CHECKING:
    from loyalty_core.interfaces.locomote import job_requests
    from loyalty_core.models.bulk import ImportMode, Job
else:  # the request documents: imported by the first route that reads one
    (job_requests,) = deferred("loyalty_core.interfaces.locomote.job_requests")


def import_request(app: APIGatewayRestResolver) -> tuple[str, ImportMode]:
    """A new company import's format and mode."""
    return job_requests.import_request(document_body(app.current_event.raw_event))


def apply_request(app: APIGatewayRestResolver, job_id: str) -> int | None:
    """An import set to applying: the deletions it confirms."""
    return job_requests.apply_request(document_body(app.current_event.raw_event), job_id)


def export_request(app: APIGatewayRestResolver) -> str:
    """A new company export's format."""
    return job_requests.export_request(document_body(app.current_event.raw_event))


def job(
    app: APIGatewayRestResolver,
    found: Job,
    links: dict[str, str],
    upload: dict[str, Any] | None = None,
    created: bool = False,
) -> Response[str]:
    """A company import or export: 201 with its Location when just started (an import with
    its upload form), else 200."""
    url = public_url(app.current_event.raw_event)
    doc = jobs.job_document(found, links, url, upload, UPLOAD_SECONDS)
    if created:
        return jsonapi.respond(201, doc, Location=doc["data"]["links"]["self"])
    return jsonapi.respond(200, doc)
