"""A company: the tenant its users, applications and subscriptions belong to."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict

from loyalty_core.validators import CompanyId, Name


class Company(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    id: CompanyId
    name: Name
