"""The one membership record that all three interfaces read and write."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from pydantic import BaseModel, ConfigDict

from loyalty_core.errors import Problem
from loyalty_core.validators import (
    AccountNumber,
    CompanyId,
    Count,
    EmployeeId,
    ExpiryDate,
    Level,
    LongText,
    MembershipName,
    Program,
    ShortText,
)


class MembershipChanges(BaseModel):
    """Editable attributes, each optional: what a partial update may carry.

    Which fields were sent is `model_fields_set`; a field sent as null clears it.
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    program: Program | None = None
    account_number: AccountNumber | None = None
    membership_name: MembershipName | None = None
    level: Level | None = None
    expires_on: ExpiryDate | None = None
    status_benefits: LongText | None = None
    point_total: Count | None = None
    segment_total: Count | None = None
    next_status: ShortText | None = None
    points_until_next_status: Count | None = None
    segments_until_next_status: Count | None = None


MEMBERSHIP_ATTRIBUTES: tuple[str, ...] = tuple(MembershipChanges.model_fields)

# The most memberships one user may hold (SPEC 3): every request's store work has a
# ceiling that does not grow with a user's history.
MAX_MEMBERSHIPS_PER_USER = 100


class MembershipDraft(MembershipChanges):
    """A new membership as a caller describes it, before the server assigns id and meta."""

    provider_id: str
    account_number: AccountNumber


class Membership(MembershipDraft):
    """A stored membership: the draft plus its owner, id and server-maintained meta."""

    id: str
    company: CompanyId
    employee_id: EmployeeId
    created_at: datetime
    updated_at: datetime
    version: int = 1

    @property
    def etag(self) -> str:
        return f'"{self.version}"'

    def is_expired(self, today: date) -> bool:
        return self.expires_on is not None and self.expires_on < today


@dataclass(frozen=True)
class ProgramUpdate:
    """One program's values as a partner application sends them to be upserted (a Concur
    `Membership`): its position in the request (from 1), the program (`UniqueID`), the
    vendor as sent (a TMC names it; a supplier's own is used instead) and the values."""

    position: int
    program: str
    vendor_code: str | None
    vendor_type: str | None
    changes: MembershipChanges

    def problem(self, field: str, detail: str) -> Problem:
        """A problem with one of its fields, located as (position, program, field)."""
        return Problem(detail, (self.position, self.program, field))
