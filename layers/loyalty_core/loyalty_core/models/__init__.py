"""Domain records shared by every interface."""

from loyalty_core.models.audit import AuditRecord, Entry, ErasureRecord, Interface, Origin
from loyalty_core.models.membership import (
    MAX_MEMBERSHIPS_PER_USER,
    MEMBERSHIP_ATTRIBUTES,
    Membership,
    MembershipChanges,
    MembershipDraft,
    ProgramUpdate,
)
from loyalty_core.models.membership_set import Change, MembershipSet
from loyalty_core.models.party import (
    AccessToken,
    ApiToken,
    Application,
    ApplicationKind,
    Company,
    CredentialChange,
    IssuedToken,
    Principal,
    Role,
    User,
)
from loyalty_core.models.provider import Provider, VendorType

__all__ = [
    "MAX_MEMBERSHIPS_PER_USER",
    "MEMBERSHIP_ATTRIBUTES",
    "AccessToken",
    "ApiToken",
    "Application",
    "ApplicationKind",
    "AuditRecord",
    "Change",
    "Company",
    "CredentialChange",
    "Entry",
    "ErasureRecord",
    "Interface",
    "IssuedToken",
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
]
