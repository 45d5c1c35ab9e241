"""Partner loyalty updates (Concur's): which program each update names, and the atomic
upsert of a whole batch by (user, provider, program)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from loyalty_core.errors import AccessDenied, InvalidInput, quote
from loyalty_core.models import (
    ApplicationKind,
    Change,
    MembershipDraft,
    VendorType,
    apply_changes,
    name_on_membership,
    new_membership,
)
from loyalty_core.services.providers import by_code
from loyalty_core.services.writes import write

if TYPE_CHECKING:
    from loyalty_core.errors import Problem
    from loyalty_core.models import (
        AccessToken,
        Membership,
        MembershipSet,
        Origin,
        ProgramUpdate,
        Provider,
    )
    from loyalty_core.repository import Repository
    from loyalty_core.services.idempotency import Claim

REFUSED = "The update is not valid; nothing was applied"


def programs(repo: Repository, token: AccessToken, sent: Sequence[ProgramUpdate]) -> list[Provider]:
    """The provider of each update: a supplier's own, or the one a TMC names by vendor code
    and Concur vendor type (A, C or H); a hotel program by any chain code of its brands."""
    app = token.application
    catalog = by_code(repo.providers())
    if app.kind is ApplicationKind.SUPPLIER:
        own = catalog.get((app.vendor_type, app.vendor_code or "")) if app.vendor_type else None
        if own is None:
            raise AccessDenied(f"Application {app.id}'s program is not in the provider catalog")
        return [own for _ in sent]  # a supplier's own vendor, whatever the body says
    problems: list[Problem] = []
    found: list[Provider] = []
    for update in sent:
        vendor_type = VendorType.from_concur(update.vendor_type or "")
        if not update.vendor_code:
            problems.append(update.problem("vendor_code", "is required when a TMC sends it"))
        if not update.vendor_type:
            problems.append(update.problem("vendor_type", "is required when a TMC sends it"))
        elif vendor_type is None:
            problems.append(update.problem("vendor_type", "must be A (air), C (car) or H (hotel)"))
        elif update.vendor_code:
            provider = catalog.get((vendor_type, update.vendor_code.upper()))
            if provider is None:
                problems.append(
                    update.problem(
                        "vendor_code",
                        f"{quote(update.vendor_code)} ({quote(update.vendor_type)}) "
                        "is not a known program",
                    )
                )
            else:
                found.append(provider)
    if problems:
        raise InvalidInput(REFUSED, problems)
    return found


def apply_updates(
    repo: Repository,
    token: AccessToken,
    sent: Sequence[ProgramUpdate],
    *,
    origin: Origin,
    claim: Claim | None = None,
) -> list[Membership]:
    """Upsert each update by (user, provider, program), all in one transaction, with one
    audit record for the whole batch (50 memberships, the guard and the record: 52 of
    DynamoDB's 100 actions)."""
    providers = programs(repo, token, sent)

    def decide(snapshot: MembershipSet) -> tuple[Change, list[Membership]]:
        held = snapshot
        written: list[Membership] = []
        problems: list[Problem] = []
        seen: set[tuple[str, str]] = set()
        for update, provider in zip(sent, providers, strict=True):
            if (provider.id, update.program) in seen:
                problems.append(update.problem("program", "is sent twice for the same program"))
                continue
            seen.add((provider.id, update.program))
            current = held.named_by(provider.id, update.program, update.changes.account_number)
            if current is not None:
                result = apply_changes(current, update.changes)
                if result is current:  # nothing to change: not a write
                    continue
            elif update.changes.account_number is None:
                problems.append(
                    update.problem("account_number", "is required to add a new membership")
                )
                continue
            else:
                draft = MembershipDraft.model_validate(
                    {
                        **update.changes.model_dump(exclude_unset=True),
                        "provider_id": provider.id,
                        "membership_name": name_on_membership(snapshot.user),
                    }
                )
                result = new_membership(draft, token.company, token.employee_id)
            if held.duplicate_of(provider.id, result.account_number, result.id):
                problems.append(
                    update.problem(
                        "account_number", "is already held under another program of this vendor"
                    )
                )
                continue
            held = held.after(Change(put=(result,)))
            written.append(result)
        if problems:
            raise InvalidInput(REFUSED, problems)
        return Change(put=tuple(written)), written

    return write(repo, token.company, token.employee_id, decide, origin, claim)
