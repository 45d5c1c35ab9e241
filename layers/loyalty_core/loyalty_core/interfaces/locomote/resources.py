"""The Locomote API's resource types, and the path of each resource and collection."""

from __future__ import annotations

MEMBERSHIPS = "loyalty_memberships"
PROVIDERS = "loyalty_providers"
CHANGES = "loyalty_membership_changes"
USERS = "users"


def membership_path(employee_id: str, membership_id: str | None = None) -> str:
    path = f"/api/users/{employee_id}/{MEMBERSHIPS}"
    return f"{path}/{membership_id}" if membership_id else path


def provider_path(provider_id: str | None = None) -> str:
    path = f"/api/{PROVIDERS}"
    return f"{path}/{provider_id}" if provider_id else path


def changes_path(employee_id: str) -> str:
    return f"/api/users/{employee_id}/{CHANGES}"
