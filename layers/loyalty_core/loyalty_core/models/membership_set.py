"""A user's memberships as one aggregate: the set one read finds, the rules every write
to it keeps, and the change a write makes.

The rules (SPEC 3, 4, 5), checked against the set a write was decided on; the store
commits the change only if nobody wrote for the user since that read (`revision`), so
they hold after the write too:
- no two memberships of one provider with one account number (a duplicate);
- (user, provider, program) names one membership: a partner's update upserts by it;
- a user holds at most `MAX_MEMBERSHIPS_PER_USER` memberships: a write that adds
  memberships may not take them past it (one that removes some always may).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING

from loyalty_core.errors import Duplicate, Problem, TooManyMemberships
from loyalty_core.imports import deferred
from loyalty_core.models.membership import MAX_MEMBERSHIPS_PER_USER, Membership
from loyalty_core.models.party import User

if TYPE_CHECKING:
    from loyalty_core.models import audit
    from loyalty_core.models.audit import Entry
    from loyalty_core.models.credentials import CredentialChange  # the admin's alone
else:  # what a write records: imported by the first write
    (audit,) = deferred("loyalty_core.models.audit")


@dataclass(frozen=True)
class Change:
    """What one write request does to a user: the memberships it puts (new or new
    versions) and deletes; for an administrative change, the user's profile as it is to
    be (`user`: their role and arranger assignments), what it does to their credentials,
    and the audit entries of those credentials (`entries`; the profile's own entry is the
    set's, `MembershipSet.entries`)."""

    put: tuple[Membership, ...] = ()
    delete: tuple[Membership, ...] = ()
    user: User | None = None
    credentials: CredentialChange | None = None
    entries: tuple[Entry, ...] = ()

    @property
    def empty(self) -> bool:
        """A write that changes nothing is not a write: no commit, no audit record."""
        return not (self.put or self.delete or self.user or self.credentials or self.entries)


@dataclass(frozen=True)
class MembershipSet:
    """One user and every membership they hold, as read in one Query, oldest first.

    `revision` counts the user's write requests: each moves it by one and writes the audit
    record numbered by it. `audit_expiring` counts the user's audit records by the day they
    expire (`repository.retention`), kept with the profile."""

    user: User
    revision: int
    memberships: tuple[Membership, ...] = ()
    audit_expiring: Mapping[str, int] = field(default_factory=dict)

    @property
    def count(self) -> int:
        return len(self.memberships)

    def find(self, membership_id: str) -> Membership | None:
        return next((m for m in self.memberships if m.id == membership_id), None)

    def of_provider(self, provider_id: str) -> list[Membership]:
        return [m for m in self.memberships if m.provider_id == provider_id]

    def after(self, change: Change) -> MembershipSet:
        """The set as it is once `change` is applied (nothing is written: the same
        revision), new versions in place, new memberships last."""
        put = {m.id: m for m in change.put}
        gone = {m.id for m in change.delete}
        kept = tuple(put.pop(m.id, m) for m in self.memberships if m.id not in gone)
        return replace(self, memberships=kept + tuple(put.values()))

    def changes_to(self, later: MembershipSet) -> Change:
        """The change that takes this set to `later` (this set with changes applied, by
        `after`): the memberships new or in another version put, those gone deleted. A
        membership added and removed again by the same request is in neither."""
        held = {m.id: m for m in self.memberships}
        kept = {m.id for m in later.memberships}
        return Change(
            put=tuple(m for m in later.memberships if held.get(m.id) != m),
            delete=tuple(m for m in self.memberships if m.id not in kept),
        )

    def count_after(self, change: Change) -> int:
        """How many memberships the user holds once `change` is applied."""
        held = {m.id for m in self.memberships}
        gone = {m.id for m in change.delete} & held
        added = {m.id for m in change.put} - held
        return len(held) - len(gone) + len(added)

    # -- the rules -------------------------------------------------------------------

    def duplicate_of(
        self, provider_id: str, account_number: str, other_than: str | None = None
    ) -> Membership | None:
        """The membership, other than `other_than`, with this provider and account number."""
        return next(
            (
                m
                for m in self.of_provider(provider_id)
                if m.account_number == account_number and m.id != other_than
            ),
            None,
        )

    def in_program(
        self, provider_id: str, program: str, other_than: str | None = None
    ) -> Membership | None:
        """The membership, other than `other_than`, in this provider's program."""
        return next(
            (
                m
                for m in self.of_provider(provider_id)
                if m.program == program and m.id != other_than
            ),
            None,
        )

    def refuse_duplicate(self, membership: Membership) -> None:
        """Duplicate (409) if the user holds another membership with this provider and
        account number, or in this provider's program."""
        same = self.duplicate_of(membership.provider_id, membership.account_number, membership.id)
        if same is not None:
            raise Duplicate(
                f"This user already holds membership {same.id} with this provider "
                "and account number",
                [Problem("already used with this provider", ("account_number",))],
            )
        if membership.program is None:
            return
        same = self.in_program(membership.provider_id, membership.program, membership.id)
        if same is not None:
            raise Duplicate(
                f"This user already holds membership {same.id} in this provider's program",
                [Problem("already used with this provider", ("program",))],
            )

    def refuse_too_many(self, change: Change) -> int:
        """The count once `change` is applied; TooManyMemberships (422, nothing written) if
        it adds memberships past the most a user holds."""
        after = self.count_after(change)
        if after > MAX_MEMBERSHIPS_PER_USER and after > self.count:
            raise TooManyMemberships(
                "The request would pass the membership limit; nothing was written",
                [
                    Problem(
                        f"A user holds at most {MAX_MEMBERSHIPS_PER_USER} memberships: this one "
                        f"holds {self.count} and the request adds {after - self.count}",
                        ("data",),
                    )
                ],
            )
        return after

    def named_by(
        self, provider_id: str, program: str, account_number: str | None
    ) -> Membership | None:
        """The membership a partner's update of (provider, program) names: the user's
        membership of this provider in that program; else one of this provider with no
        program yet (entered through the JSON:API) that holds the account number sent, or
        that is the only one of this provider without a program. That one takes the
        program from then on."""
        named = self.in_program(provider_id, program)
        if named is not None:
            return named
        unnamed = [m for m in self.of_provider(provider_id) if m.program is None]
        same_number = next((m for m in unnamed if m.account_number == account_number), None)
        if same_number is not None:
            return same_number
        return unnamed[0] if len(unnamed) == 1 else None

    def entries(self, change: Change) -> list[Entry]:
        """The audit entries of `change`: one per membership written, against this set, one
        for the user's profile if it changes (the fields that do), then the change's own
        (the user's tokens)."""
        entries = [audit.membership_entry(self.find(m.id), m) for m in change.put]
        entries += [audit.membership_entry(m, None) for m in change.delete]
        if change.user is not None and change.user != self.user:
            before, after = audit.user_fields(self.user), audit.user_fields(change.user)
            entries.append(audit.entry("user_id", self.user.employee_id, before, after))
        return entries + list(change.entries)


def oldest_first(memberships: Sequence[Membership]) -> tuple[Membership, ...]:
    """The order a set holds memberships in: by creation time, then id (stable)."""
    return tuple(sorted(memberships, key=lambda m: (m.created_at, m.id)))
