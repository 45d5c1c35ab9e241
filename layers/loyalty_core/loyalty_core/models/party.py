"""Who is who: users and their roles (their companies: `models.company`; a user as an
authenticated caller: `models.principal`; the partner applications and their tokens:
`models.applications`)."""

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
