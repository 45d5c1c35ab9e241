"""The request documents of Locomote's company import and export jobs (SPEC 14): what
starts an import or an export, and what applies a validated import. Imported by the first
route that reads one (`job_api`)."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from loyalty_core import errors as e
from loyalty_core.interfaces.locomote import documents
from loyalty_core.interfaces.locomote.resources import EXPORTS, IMPORTS
from loyalty_core.models.bulk import ImportMode
from loyalty_core.validators import problems_from


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
