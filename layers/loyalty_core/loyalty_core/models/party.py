"""Who is who: companies, users, partner applications, and the caller."""

from __future__ import annotations

from enum import StrEnum

from pydantic import BaseModel, ConfigDict, Field

from loyalty_core.models.provider import VendorType
from loyalty_core.validators import CompanyId, Email, EmployeeId, Name, VendorCode


class Role(StrEnum):
    TRAVELLER = "traveller"
    ARRANGER = "arranger"
    ADMIN = "admin"


class Company(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    id: CompanyId
    name: Name


class User(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    company: CompanyId
    employee_id: EmployeeId
    name: Name
    email: Email
    role: Role = Role.TRAVELLER
    arranges: frozenset[str] = frozenset()


class ApplicationKind(StrEnum):
    SUPPLIER = "supplier"
    TMC = "tmc"


class Application(BaseModel):
    """A Concur partner application: a travel supplier bound to its own program, or a TMC."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    id: str = Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_-]+$")
    name: Name
    kind: ApplicationKind
    vendor_type: VendorType | None = None
    vendor_code: VendorCode | None = None
    certified: bool = False


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
