"""The Concur partner applications and their OAuth access tokens (`loyalty_core.auth`
checks them)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from pydantic import BaseModel, ConfigDict, Field, model_validator
from pydantic_core import PydanticCustomError

from loyalty_core.models.provider import VendorType
from loyalty_core.validators import Name, VendorCode


class ApplicationKind(StrEnum):
    SUPPLIER = "supplier"
    TMC = "tmc"


class Application(BaseModel):
    """A Concur partner application: a travel supplier bound to its own program (its vendor
    type and code, both), or a TMC (neither: it names the program of each update)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    id: str = Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_-]+$")
    name: Name
    kind: ApplicationKind
    vendor_type: VendorType | None = None
    vendor_code: VendorCode | None = None
    certified: bool = False

    @model_validator(mode="after")
    def _a_supplier_has_its_program_a_tmc_none(self) -> Application:
        program = (self.vendor_type is not None, self.vendor_code is not None)
        wanted = (True, True) if self.kind is ApplicationKind.SUPPLIER else (False, False)
        if program != wanted:
            raise PydanticCustomError(
                "supplier_or_tmc",
                "A supplier needs vendor_type and vendor_code; a TMC takes neither",
            )
        return self


@dataclass(frozen=True)
class AccessToken:
    """A Concur OAuth access token: one application acting for one user (with a copy of
    the application as it is, which its certification rewrites)."""

    token_id: str
    token_hash: str
    application: Application
    company: str
    employee_id: str
    expires_at: datetime | None = None

    @property
    def actor(self) -> str:
        """How logs and the audit trail name this caller."""
        return f"app:{self.application.id}"
