"""Domain records shared by every interface."""

from loyalty_core.models.membership import (
    MEMBERSHIP_ATTRIBUTES,
    Membership,
    MembershipChanges,
    MembershipDraft,
)
from loyalty_core.models.party import (
    Application,
    ApplicationKind,
    Company,
    Principal,
    Role,
    User,
)
from loyalty_core.models.provider import CATEGORY_BY_VENDOR_TYPE, Provider, VendorType

__all__ = [
    "CATEGORY_BY_VENDOR_TYPE",
    "MEMBERSHIP_ATTRIBUTES",
    "Application",
    "ApplicationKind",
    "Company",
    "Membership",
    "MembershipChanges",
    "MembershipDraft",
    "Principal",
    "Provider",
    "Role",
    "User",
    "VendorType",
]
