"""The one membership record that all three interfaces read and write."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, date, datetime

from pydantic import BaseModel, ConfigDict

from loyalty_core.errors import Problem
from loyalty_core.models.party import User
from loyalty_core.validators import (
    MEMBERSHIP_NAME,
    NOT_NAME_CHARACTER,
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
    compiled,
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


# -- the rules every interface's writes share ----------------------------------------


def name_on_membership(user: User) -> str:
    """The name a membership carries when its interface sends none (Concur): the user's
    profile name, each character the membership name rule refuses turned into a space,
    spaces collapsed, cut to 50; the employee id if no letter or digit is left."""
    name = " ".join(compiled(NOT_NAME_CHARACTER).sub(" ", user.name).split())[:50].strip()
    for candidate in (name, user.employee_id):
        if compiled(MEMBERSHIP_NAME).fullmatch(candidate):
            return candidate
    return "Member"  # an employee id of underscores only: no name to take


def new_membership(draft: MembershipDraft, company: str, employee_id: str) -> Membership:
    """A draft as a stored membership: a server-assigned id and fresh meta."""
    now = datetime.now(UTC)
    return Membership(
        **draft.model_dump(),
        id=str(uuid.uuid4()),
        company=company,
        employee_id=employee_id,
        created_at=now,
        updated_at=now,
    )


def apply_changes(
    current: Membership, changes: MembershipChanges, provider_id: str | None = None
) -> Membership:
    """`current` with the fields that `changes` carries, as a new version; `current`
    itself when they change nothing (a write that changes nothing is not a write: no new
    version, no ETag change, no audit record)."""
    values = current.model_dump()
    values.update({name: getattr(changes, name) for name in changes.model_fields_set})
    if provider_id is not None:
        values["provider_id"] = provider_id
    if values == current.model_dump():
        return current
    values.update(version=current.version + 1, updated_at=datetime.now(UTC))
    return Membership.model_validate(values)


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
