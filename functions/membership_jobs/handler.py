"""Company import and export jobs (JSON:API, company admins): start an import (its upload
form), follow it, apply it once its dry run is read; start an export, follow it to its
download link. The work is the worker's (functions/membership_job_worker)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from loyalty_core import snapstart
from loyalty_core.interfaces import resolver
from loyalty_core.interfaces.locomote import api as locomote
from loyalty_core.interfaces.locomote import job_api, resources
from loyalty_core.interfaces.locomote.parameters import Parameters
from loyalty_core.models.bulk import JobKind
from loyalty_core.observability import instrument, record
from loyalty_core.services import jobs
from loyalty_core.settings import get_bulk_files, get_repository

if TYPE_CHECKING:  # annotations only: nothing more to import at run time
    from aws_lambda_powertools.event_handler.api_gateway import Response
    from aws_lambda_powertools.utilities.typing import LambdaContext

app = locomote.make_app()
snapstart.register()  # SnapStart: warm before the snapshot, renew after restore
IMPORTS = resources.job_path(resources.IMPORTS)
IMPORT = f"{IMPORTS}/<import_id>"
EXPORTS = resources.job_path(resources.EXPORTS)
EXPORT = f"{EXPORTS}/<export_id>"
resolver.allow(app, IMPORTS, ["POST"])
resolver.allow(app, IMPORT, ["GET", "PATCH"])
resolver.allow(app, EXPORTS, ["POST"])
resolver.allow(app, EXPORT, ["GET"])
NO_QUERY = Parameters()  # these routes read no query parameter (any JSON:API one: 400)


@app.post(IMPORTS)
def start_import() -> Response[str]:
    caller = locomote.caller(app, get_repository())
    locomote.view(app, NO_QUERY)
    kind, mode = job_api.import_request(app)
    job, form = jobs.start_import(get_bulk_files(), caller, kind, mode)
    record("ImportStarted", job=job.id, format=kind, mode=mode.value)
    return job_api.job(app, job, {}, upload=form, created=True)


def shown(kind: JobKind, job_id: str) -> Response[str]:
    """A job of the caller's company, with its links (an import's reports, an export's
    file)."""
    caller = locomote.caller(app, get_repository())
    locomote.view(app, NO_QUERY)
    files = get_bulk_files()
    job = jobs.find(files, caller, kind, job_id)
    return job_api.job(app, job, jobs.links(files, job))


@app.get(IMPORT)
def get_import(import_id: str) -> Response[str]:
    return shown(JobKind.IMPORT, import_id)


@app.patch(IMPORT)
def apply_import(import_id: str) -> Response[str]:
    caller = locomote.caller(app, get_repository())
    locomote.view(app, NO_QUERY)
    confirmed = job_api.apply_request(app, import_id)
    files = get_bulk_files()
    job = jobs.apply_import(files, caller, import_id, confirmed)
    record("ImportApplying", job=job.id)
    return job_api.job(app, job, jobs.links(files, job))


@app.post(EXPORTS)
def start_export() -> Response[str]:
    caller = locomote.caller(app, get_repository())
    locomote.view(app, NO_QUERY)
    kind = job_api.export_request(app)
    job = jobs.start_export(get_bulk_files(), caller, kind)
    record("ExportStarted", job=job.id, format=kind)
    return job_api.job(app, job, {}, created=True)


@app.get(EXPORT)
def get_export(export_id: str) -> Response[str]:
    return shown(JobKind.EXPORT, export_id)


@instrument("locomote")
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return app.resolve(event, context)
