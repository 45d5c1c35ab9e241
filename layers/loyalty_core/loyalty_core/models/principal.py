"""A company user as the authenticated caller of the JSON:API or Universal API interface."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict

from loyalty_core.models.party import Role


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
