"""The Locomote API's resource types, and the path of each resource and collection."""

from __future__ import annotations

MEMBERSHIPS = "loyalty_memberships"
PROVIDERS = "loyalty_providers"
CHANGES = "loyalty_membership_changes"
IMPORTS = "loyalty_membership_imports"
EXPORTS = "loyalty_membership_exports"
USERS = "users"


def membership_path(employee_id: str, membership_id: str | None = None) -> str:
    path = f"/api/users/{employee_id}/{MEMBERSHIPS}"
    return f"{path}/{membership_id}" if membership_id else path


def provider_path(provider_id: str | None = None) -> str:
    path = f"/api/{PROVIDERS}"
    return f"{path}/{provider_id}" if provider_id else path


def changes_path(employee_id: str) -> str:
    return f"/api/users/{employee_id}/{CHANGES}"


def operations_path() -> str:
    """Where atomic operations requests are sent (the JSON:API Atomic Operations extension)."""
    return "/api/operations"


def job_path(kind: str, job_id: str | None = None) -> str:
    """A company's imports or exports (`kind`: IMPORTS or EXPORTS), or one of them."""
    path = f"/api/{kind}"
    return f"{path}/{job_id}" if job_id else path
