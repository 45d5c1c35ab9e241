"""A company's memberships as a file (SPEC 14): one membership a row, as an import reads
it and an export writes it, and what an import does with each row.

A row names its user by employee id and its provider by catalog id, or by code (with its
category where a code names programs of two categories); the membership it means is the
user's membership of that provider with that account number, else the one in the row's
program, else a new one.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel, ConfigDict

if TYPE_CHECKING:  # a row's changes: the import reads them with the membership models
    from loyalty_core.models.membership import MembershipChanges


class ImportMode(StrEnum):
    MERGE = "merge"  # add and update what the file names
    REPLACE = "replace"  # and delete each named user's memberships the file does not name


class Reason(StrEnum):
    """Why a row was refused: each row of the report names one."""

    MALFORMED = "malformed_row"  # not a row at all: a JSON line that is no object, cells astray
    INVALID = "invalid_field"  # a field breaks its rule (the text rule included)
    FORMULA = "formula"  # a CSV cell a spreadsheet would run as a formula
    UNKNOWN_PROVIDER = "unknown_provider"
    AMBIGUOUS_PROVIDER = "ambiguous_provider"
    DUPLICATE_IN_FILE = "duplicate_in_file"  # an earlier row names the same membership
    TOO_MANY_IN_FILE = "too_many_in_file"  # past the 100 memberships of a user in the file
    UNKNOWN_USER = "unknown_user"  # an import never creates users
    DUPLICATE = "duplicate"  # the user holds another membership with that provider and number
    TOO_MANY_MEMBERSHIPS = "too_many_memberships"  # past the 100 memberships the user may hold
    TOO_MANY_CHANGES = "too_many_changes"  # more than one transaction can hold for one user
    BUSY = "busy"  # another run is applying this user's rows now: run again
    NOT_APPLIED = "not_applied"  # another row of the same user was refused: none is applied


@dataclass(frozen=True)
class FileRow:
    """A row as the file holds it: where it starts (line number, from 1: the header of a
    CSV is line 1) and its cells as written (a JSON line's text)."""

    line: int
    original: tuple[str, ...] | str


@dataclass(frozen=True)
class MembershipRow:
    """A row read and checked against the field rules: the user, the provider as named, and
    the fields it sets (`changes.model_fields_set`; a JSON line's null clears a field)."""

    source: FileRow
    employee_id: str
    changes: MembershipChanges
    provider_id: str | None = None
    provider_code: str | None = None
    provider_category: str | None = None

    @property
    def line(self) -> int:
        return self.source.line

    @property
    def account_number(self) -> str:
        return str(self.changes.account_number)

    def values(self) -> dict[str, Any]:
        """What the row asks (its provider resolved), for comparing two runs' rows."""
        return {
            "employee_id": self.employee_id,
            "provider_id": self.provider_id,
            **self.changes.model_dump(mode="json", exclude_unset=True),
        }


@dataclass(frozen=True)
class RowRefusal:
    """A row the import did not apply, and why; `field` names the column at fault."""

    source: FileRow
    reason: Reason
    detail: str
    field: str | None = None
    employee_id: str | None = None  # the row's user, when it names one that can be

    @property
    def line(self) -> int:
        return self.source.line


@dataclass
class ImportTotals:
    """What an import did (or, in a dry run, would do): rows and users read and refused,
    memberships created, updated, deleted and left unchanged, users written, users already
    as their rows say (`users_unchanged`: nothing written), and users an earlier run had
    applied with the same rows, changed since (`users_done_before`: nothing written)."""

    rows: int = 0
    rows_refused: int = 0
    users: int = 0
    users_refused: int = 0
    users_applied: int = 0
    users_unchanged: int = 0
    users_done_before: int = 0
    created: int = 0
    updated: int = 0
    deleted: int = 0
    unchanged: int = 0
    reasons: Counter[str] = field(default_factory=Counter)

    @classmethod
    def from_json(cls, found: dict[str, Any]) -> ImportTotals:
        counts = {k: int(v) for k, v in found.items() if k != "reasons"}
        return cls(**counts, reasons=Counter(found.get("reasons") or {}))

    def as_json(self) -> dict[str, Any]:
        return {
            "rows": self.rows,
            "rows_refused": self.rows_refused,
            "users": self.users,
            "users_refused": self.users_refused,
            "users_applied": self.users_applied,
            "users_unchanged": self.users_unchanged,
            "users_done_before": self.users_done_before,
            "created": self.created,
            "updated": self.updated,
            "deleted": self.deleted,
            "unchanged": self.unchanged,
            "reasons": dict(sorted(self.reasons.items())),
        }


# -- jobs: an import or an export run deployed, one step at a time -------------------------


class JobKind(StrEnum):
    IMPORT = "import"
    EXPORT = "export"


class JobStatus(StrEnum):
    """An import: awaiting_upload (its upload form issued), validating (the file checked
    whole and each user decided on, writing nothing: the dry run), validated (the dry run's
    counts and report ready; nothing written), applying, completed; failed (the file
    refused whole, nothing written). An export: queued, exporting, completed, failed."""

    AWAITING_UPLOAD = "awaiting_upload"
    VALIDATING = "validating"
    VALIDATED = "validated"
    APPLYING = "applying"
    QUEUED = "queued"
    EXPORTING = "exporting"
    COMPLETED = "completed"
    FAILED = "failed"


class Job(BaseModel):
    """A job as its state file keeps it: who started it for which company, how far it is
    (`cursor`: users done in the current phase, or an export's last employee id), its
    totals so far and, once done, its report or file."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    id: str
    kind: JobKind
    company: str
    created_by: str  # the actor, as the audit trail names it
    created_at: datetime
    updated_at: datetime
    status: JobStatus
    format: str
    mode: ImportMode | None = None
    cursor: int = 0
    after: str | None = None  # an export's last employee id done
    parts: int = 0  # part files written so far (the refused rows, an export's rows)
    users_total: int | None = None
    totals: dict[str, Any] = {}
    deletions: int | None = None  # a validated replace import's count, to be confirmed
    source_tag: str | None = None  # the upload validated (its ETag): the one applied
    error: str | None = None
    expires_at: datetime  # the job and its files are deleted then (7 days)
