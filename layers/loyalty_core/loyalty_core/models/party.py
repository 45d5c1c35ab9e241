"""Who is who: users and the caller (their companies: `models.company`; the partner
applications and their tokens: `models.applications`)."""

from __future__ import annotations

from enum import StrEnum

from pydantic import BaseModel, ConfigDict

from loyalty_core.validators import CompanyId, Email, EmployeeId, Name


class Role(StrEnum):
    TRAVELLER = "traveller"
    ARRANGER = "arranger"
    ADMIN = "admin"


class User(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    company: CompanyId
    employee_id: EmployeeId
    name: Name
    email: Email
    role: Role = Role.TRAVELLER
    arranges: frozenset[str] = frozenset()


class Principal(BaseModel):
    """The authenticated caller of the JSON:API or Universal API interface (whom it may reach:
    `loyalty_core.access`)."""

    model_config = ConfigDict(frozen=True)

    company: str
    employee_id: str
    role: Role
    arranges: frozenset[str] = frozenset()

    @property
    def actor(self) -> str:
        """How logs and the audit trail name this caller."""
        return f"user:{self.employee_id}"
