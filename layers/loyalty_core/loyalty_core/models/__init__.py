"""Domain records shared by every interface."""

from loyalty_core.models.audit import AuditRecord, Entry, Interface, Origin
from loyalty_core.models.membership import (
    MAX_MEMBERSHIPS_PER_USER,
    MEMBERSHIP_ATTRIBUTES,
    Membership,
    MembershipChanges,
    MembershipDraft,
    ProgramUpdate,
    apply_changes,
    name_on_membership,
    new_membership,
)
from loyalty_core.models.membership_set import Change, MembershipSet
from loyalty_core.models.party import (
    AccessToken,
    Application,
    ApplicationKind,
    Company,
    Principal,
    Role,
    User,
)
from loyalty_core.models.provider import Alliance, Provider, VendorType

__all__ = [
    "MAX_MEMBERSHIPS_PER_USER",
    "MEMBERSHIP_ATTRIBUTES",
    "AccessToken",
    "Alliance",
    "Application",
    "ApplicationKind",
    "AuditRecord",
    "Change",
    "Company",
    "Entry",
    "Interface",
    "Membership",
    "MembershipChanges",
    "MembershipDraft",
    "MembershipSet",
    "Origin",
    "Principal",
    "ProgramUpdate",
    "Provider",
    "Role",
    "User",
    "VendorType",
    "apply_changes",
    "name_on_membership",
    "new_membership",
]
