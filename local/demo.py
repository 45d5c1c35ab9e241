"""The demo data of docs/local.md and the tests (local only: these tokens are public)."""

from __future__ import annotations

import uuid
from typing import Any

from local.admin import Admin, read_catalog
from local.events import HILTON, SEED_MEMBERSHIP_ID
from loyalty_core.models import Application, Company, Provider, User, VendorType
from loyalty_core.services import directory

# The car program that the Concur TMC seed example names; not in the real catalog.
DEMO_PROVIDERS = [
    Provider(
        id="5f0e7a52-5d1c-4f43-9a57-0d3c3b0c7a11",
        name="Demo Rent-a-Car Rewards",
        vendor_type=VendorType.CAR,
        vendor_code="TR",
    )
]

COMPANIES = [("acme", "Acme Corporation"), ("globex", "Globex Corporation")]

# (company, employee id, name, email, role, token)
USERS = [
    ("acme", "acme_admin", "Acme Admin", "admin@acme.example", "admin", "acme-admin-token"),
    (
        "acme",
        "acme_arranger",
        "Acme Arranger",
        "arranger@acme.example",
        "arranger",
        "acme-arranger-token",
    ),
    ("acme", "098765", "John Smith", "john.smith@acme.example", "traveller", "john-token"),
    ("acme", "112233", "Jane Doe", "jane.doe@acme.example", "traveller", "jane-token"),
    (
        "globex",
        "globex_admin",
        "Globex Admin",
        "admin@globex.example",
        "admin",
        "globex-admin-token",
    ),
    (
        "globex",
        "098765",
        "Johan Schmidt",
        "johan.schmidt@globex.example",
        "traveller",
        "globex-john-token",
    ),
]

ASSIGNMENTS = [("acme", "acme_arranger", "098765")]

# (app id, name, kind, vendor type, vendor code, certified, token for acme/098765)
APPLICATIONS = [
    ("demo-supplier", "Demo airline (AA)", "supplier", "air", "AA", True, "concur-supplier-token"),
    (
        "demo-uncertified",
        "Demo car supplier (TR), not reviewed",
        "supplier",
        "car",
        "TR",
        False,
        "concur-uncertified-token",
    ),
    ("demo-tmc", "Demo travel management company", "tmc", None, None, False, "concur-tmc-token"),
]


# John Smith's membership, with the fixed id that events/get_membership.json,
# update_membership.json and delete_membership.json name (so each answers 2xx as shipped):
# Hilton Honors under another account number than the seed's create example, so that
# events/create_membership.json (Hilton, H66590214) is not a duplicate of it.
JOHN_MEMBERSHIP = (SEED_MEMBERSHIP_ID, HILTON, "HH1234567", "2031-12-31")

# Jane Doe's memberships, for the hotel enrichment example: two become cards, two do not.
JANE_MEMBERSHIPS = [
    ("9c5b90ff-2cce-11e8-87f9-0662bed6e7db", "HH774422", "2030-12-31"),  # Hilton: a Hotel card
    ("9c5b9246-2cce-11e8-87f9-0662bed6e7db", "QF1234567", "2030-12-31"),  # Qantas: an Air card
    ("9c5b9176-2cce-11e8-87f9-0662bed6e7db", "MC5550001", "2020-12-31"),  # Marriott: expired
]


DEMO_OPERATOR = "demo-data"  # the audit trail's operator of everything loaded here


def demo_origin() -> Any:
    """Who the audit trail says wrote the demo data: the loader, as an admin change."""
    from loyalty_core.models import Interface, Origin

    return Origin(f"admin:{DEMO_OPERATOR}", Interface.ADMIN, str(uuid.uuid4()))


def seed_memberships() -> None:
    """Give John Smith (098765) his membership with its fixed id, and Jane Doe (112233)
    a few, through the same rules as the API."""
    from loyalty_core.models import Change, MembershipDraft, Principal, Role, new_membership
    from loyalty_core.services.memberships import create_membership
    from loyalty_core.services.writes import write
    from loyalty_core.settings import get_repository

    def draft(provider_id: str, account: str, name: str, expires: str, level: str) -> Any:
        return MembershipDraft(
            provider_id=provider_id,
            account_number=account,
            membership_name=name,
            expires_on=expires,
            level=level,
        )

    repo = get_repository()
    membership_id, provider_id, account, expires = JOHN_MEMBERSHIP
    john = new_membership(
        draft(provider_id, account, "John Smith", expires, "Silver"), "acme", "098765"
    ).model_copy(update={"id": membership_id})
    # The one write that chooses its id.
    write(repo, "acme", "098765", lambda _: (Change(put=(john,)), john), demo_origin())

    admin = Principal(company="acme", employee_id="acme_admin", role=Role.ADMIN)
    for provider_id, account, expires in JANE_MEMBERSHIPS:
        create_membership(
            repo,
            admin,
            "112233",
            draft(provider_id, account, "Jane Doe", expires, "Gold"),
            origin=demo_origin(),
        )


def give_memberships(employee_id: str, count: int, company: str = "acme") -> None:
    """Give a user `count` more Hilton memberships (FILL0000, FILL0001, ...) through the
    repository's own write, 98 a transaction (with the profile's guard and the audit
    record: DynamoDB's 100)."""
    from loyalty_core.models import Change, MembershipDraft, MembershipSet, new_membership
    from loyalty_core.services.writes import write
    from loyalty_core.settings import get_repository

    def fill(held: MembershipSet, size: int) -> tuple[Change, None]:
        batch = tuple(
            new_membership(
                MembershipDraft(
                    provider_id=JANE_MEMBERSHIPS[0][0],
                    account_number=f"FILL{held.count + n:04d}",
                    membership_name="Fill Member",
                    expires_on="2030-12-31",
                    level="Gold",
                ),
                company,
                employee_id,
            )
            for n in range(size)
        )
        return Change(put=batch), None

    repo = get_repository()
    for start in range(0, count, 98):
        size = min(98, count - start)
        write(repo, company, employee_id, lambda held, n=size: fill(held, n), demo_origin())


def seed(admin: Admin) -> None:
    """Load the catalog and the demo companies, users, applications and tokens, through the
    directory's services (the audit trail names the operator `demo-data`)."""
    admin = Admin(admin.client, admin.table, operator=DEMO_OPERATOR)
    repo = admin.repo
    directory.load_catalog(repo, [*read_catalog(), *DEMO_PROVIDERS])
    for company, name in COMPANIES:
        directory.create_company(repo, Company(id=company, name=name))
    for company, employee_id, name, email, role, token in USERS:
        user = User(company=company, employee_id=employee_id, name=name, email=email, role=role)
        directory.create_user(repo, user, origin=admin.origin())
        directory.issue_token(repo, email, origin=admin.origin(), token=token)
    for company, arranger, traveller in ASSIGNMENTS:
        directory.assign(repo, company, arranger, traveller, origin=admin.origin())
    for app_id, name, kind, vtype, vcode, certified, token in APPLICATIONS:
        app = Application(
            id=app_id,
            name=name,
            kind=kind,
            vendor_type=vtype,
            vendor_code=vcode,
            certified=certified,
        )
        directory.create_application(repo, app, origin=admin.origin())
        directory.issue_concur_token(
            repo, app_id, "acme", "098765", origin=admin.origin(), token=token
        )
