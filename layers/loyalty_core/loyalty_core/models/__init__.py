"""Domain records shared by every interface.

Each name is imported from its module when first asked of the package (`imports.exports`):
a function that needs one model does not build them all.
"""

from typing import TYPE_CHECKING

from loyalty_core.imports import exports

if TYPE_CHECKING:
    from loyalty_core.models.applications import AccessToken, Application, ApplicationKind
    from loyalty_core.models.audit import AuditRecord, Entry, Interface, Origin
    from loyalty_core.models.company import Company
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
    from loyalty_core.models.membership_set import Change, MembershipSet, oldest_first
    from loyalty_core.models.party import Role, User
    from loyalty_core.models.principal import Principal
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
    "oldest_first",
]

# Where each name is defined (tests/unit/test_imports.py holds it to `__all__`).
_MODULES = {
    **dict.fromkeys(("AuditRecord", "Entry", "Interface", "Origin"), "audit"),
    **dict.fromkeys(
        (
            "MAX_MEMBERSHIPS_PER_USER",
            "MEMBERSHIP_ATTRIBUTES",
            "Membership",
            "MembershipChanges",
            "MembershipDraft",
            "ProgramUpdate",
            "apply_changes",
            "name_on_membership",
            "new_membership",
        ),
        "membership",
    ),
    **dict.fromkeys(("Change", "MembershipSet", "oldest_first"), "membership_set"),
    **dict.fromkeys(("AccessToken", "Application", "ApplicationKind"), "applications"),
    "Company": "company",
    **dict.fromkeys(("Role", "User"), "party"),
    "Principal": "principal",
    **dict.fromkeys(("Alliance", "Provider", "VendorType"), "provider"),
}
__getattr__ = exports(__name__, _MODULES)
