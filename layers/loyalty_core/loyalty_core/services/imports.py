"""A company import (SPEC 14): a file of memberships checked whole, then applied user by
user, each user's rows all or nothing.

1. `check` reads every row before anything is written: field rules (the codec's), the
   provider (in the catalog, named without ambiguity), no membership named twice in the
   file, no user given more than 100. A user with a refused row has none applied.
2. Each user is one write request (`services.writes`: one transaction with its audit
   record) deciding on the user's memberships as read: a row updates the membership of its
   provider with its account number, else the one in its program, else adds one (the
   duplicate rule and the limit are the membership set's); `replace` also deletes the
   user's memberships the rows do not name. A user that does not exist is refused: an
   import never creates users.
3. Done marks: a user's rows are applied under an Idempotency-Key of the user's own record
   (`services.idempotency`) made of those rows, whose answer (what was done, and by which
   run: its request id) commits in the same transaction. A run that stops anywhere resumes
   by running again, and a second run of the same rows writes nothing: a user whose
   memberships already are as the rows say is not written at all (no mark either:
   `users_unchanged`), and one whose rows an earlier run applied is not applied again even
   if changed since (`users_done_before`; a run that finds its own answer counts the user
   as applied). Deciding first costs one Query more for a user that changes. A dry run
   decides each user on their memberships as read and writes nothing.
"""

from __future__ import annotations

import hashlib
import json
import time
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING

from loyalty_core.errors import (
    Duplicate,
    InvalidInput,
    MalformedRequest,
    NotFound,
    Problem,
    RequestInProgress,
    TooManyMemberships,
)
from loyalty_core.models import (
    MAX_MEMBERSHIPS_PER_USER,
    MEMBERSHIP_ATTRIBUTES,
    Change,
    MembershipDraft,
    apply_changes,
    name_on_membership,
    new_membership,
)
from loyalty_core.models.bulk import (
    ImportMode,
    ImportTotals,
    Reason,
    RowRefusal,
)
from loyalty_core.repository import MEMBERSHIPS_PER_COMMIT, KeyOwner
from loyalty_core.services.idempotency import once
from loyalty_core.services.operations import at
from loyalty_core.services.writes import load, write

if TYPE_CHECKING:
    from loyalty_core.errors import (
        DomainError,
    )
    from loyalty_core.models import (
        Membership,
        MembershipSet,
        Origin,
        Provider,
    )
    from loyalty_core.models.bulk import (
        MembershipRow,
    )
    from loyalty_core.repository import Answer, Repository
    from loyalty_core.services.idempotency import Claim

MAX_FILE_BYTES = 100 * 1024 * 1024  # an upload's limit (the presigned POST's, the CLI's)
MAX_ROWS = 500_000  # rows a file may hold (every row is held in memory while it runs)
DONE_REMEMBERED = 7 * 24 * 3600  # seconds a user's done mark is kept: a job's lifetime
DONE_SCOPE = "company-import"
LEASE_SECONDS = 30.0  # how long a run holds a user's done mark before another may take it


# -- 1. the whole file, checked -------------------------------------------------------------


@dataclass
class CheckedFile:
    """A file checked whole: each user's rows that may apply (in the order users first
    appear), every refused row, and the counts so far."""

    users: dict[str, list[MembershipRow]] = field(default_factory=dict)
    refused: list[RowRefusal] = field(default_factory=list)
    totals: ImportTotals = field(default_factory=ImportTotals)

    def refuse(self, refusal: RowRefusal) -> None:
        self.refused.append(refusal)
        self.totals.rows_refused += 1
        self.totals.reasons[refusal.reason.value] += 1


def _refused(row: MembershipRow, reason: Reason, detail: str, column: str) -> RowRefusal:
    return RowRefusal(row.source, reason, detail, column, row.employee_id)


def _provider(
    row: MembershipRow, providers: Sequence[Provider]
) -> tuple[MembershipRow, RowRefusal | None]:
    """The row with its provider's catalog id, or why its provider cannot be told."""
    if row.provider_id is not None:
        found = next((p for p in providers if p.id == row.provider_id), None)
        if found is None:
            detail = f"{row.provider_id!r} is not a provider of the catalog"
            return row, _refused(row, Reason.UNKNOWN_PROVIDER, detail, "provider_id")
        code, category = row.provider_code, row.provider_category
        if (code is not None and code not in found.codes) or (
            category is not None and category != found.category
        ):
            detail = (
                f"provider_code and provider_category do not name {found.name}, as provider_id does"
            )
            return row, _refused(row, Reason.UNKNOWN_PROVIDER, detail, "provider_code")
        return row, None
    named = [
        p
        for p in providers
        if row.provider_code in p.codes
        and (row.provider_category is None or p.category == row.provider_category)
    ]
    if not named:
        detail = (
            f"no {row.provider_category or ''} program of the catalog has code {row.provider_code}"
        )
        return row, _refused(
            row, Reason.UNKNOWN_PROVIDER, " ".join(detail.split()), "provider_code"
        )
    if len(named) > 1:
        names = ", ".join(f"{p.name} ({p.category})" for p in named)
        detail = f"{row.provider_code} names {names}: give provider_category or provider_id"
        return row, _refused(row, Reason.AMBIGUOUS_PROVIDER, detail, "provider_code")
    return replace(row, provider_id=named[0].id), None


def check(
    rows: Iterable[MembershipRow | RowRefusal],
    providers: Sequence[Provider],
    max_rows: int = MAX_ROWS,
) -> CheckedFile:
    """Every row of a file checked before anything is written (MalformedRequest if it holds
    more than `max_rows`)."""
    checked = CheckedFile()
    totals = checked.totals
    seen: dict[tuple[str, str, str, str], int] = {}  # (user, provider, what, value) -> line
    counted: Counter[str] = Counter()
    held_back: dict[str, int] = {}  # user -> the line of their first refused row
    users: set[str] = set()
    for row in rows:
        totals.rows += 1
        if totals.rows > max_rows:
            raise MalformedRequest(f"The file holds more than {max_rows} rows; split it")
        if isinstance(row, RowRefusal):
            checked.refuse(row)
            if row.employee_id is not None:
                users.add(row.employee_id)
                held_back.setdefault(row.employee_id, row.line)
            continue
        users.add(row.employee_id)
        row, refusal = _provider(row, providers)
        if refusal is None:
            refusal = _repeated(row, seen)
        if refusal is None and counted[row.employee_id] >= MAX_MEMBERSHIPS_PER_USER:
            detail = (
                f"a user holds at most {MAX_MEMBERSHIPS_PER_USER} memberships: this row is one more"
            )
            refusal = _refused(row, Reason.TOO_MANY_IN_FILE, detail, "employee_id")
        if refusal is not None:
            checked.refuse(refusal)
            held_back.setdefault(row.employee_id, row.line)
            continue
        counted[row.employee_id] += 1
        checked.users.setdefault(row.employee_id, []).append(row)
    totals.users = len(users)
    for employee_id, line in held_back.items():
        for row in checked.users.pop(employee_id, []):
            detail = f"line {line} of this user was refused: a user's rows apply all or nothing"
            checked.refuse(_refused(row, Reason.NOT_APPLIED, detail, "employee_id"))
    totals.users_refused = len(held_back)
    checked.refused.sort(key=lambda r: r.line)
    return checked


def _repeated(row: MembershipRow, seen: dict[tuple[str, str, str, str], int]) -> RowRefusal | None:
    """A row naming a membership an earlier row of the file names (the same provider and
    account number, or the same program)."""
    provider = row.provider_id or ""
    keys = [(row.employee_id, provider, "account_number", row.account_number)]
    if row.changes.program is not None:
        keys.append((row.employee_id, provider, "program", row.changes.program))
    for key in keys:
        if key in seen:
            detail = f"line {seen[key]} names the same membership ({key[2]})"
            return _refused(row, Reason.DUPLICATE_IN_FILE, detail, key[2])
    for key in keys:
        seen[key] = row.line
    return None


# -- 2. one user ------------------------------------------------------------------------------


@dataclass(frozen=True)
class UserOutcome:
    """What an import did (or would do) for one user: counts of memberships, or the rows
    refused (all of the user's), or that an earlier run had applied the same rows."""

    employee_id: str
    created: int = 0
    updated: int = 0
    deleted: int = 0
    unchanged: int = 0
    done_before: bool = False
    refused: tuple[RowRefusal, ...] = ()

    def answer(self) -> Answer:
        """What the done mark keeps."""
        return {
            "created": self.created,
            "updated": self.updated,
            "deleted": self.deleted,
            "unchanged": self.unchanged,
        }


def _target(current: MembershipSet, row: MembershipRow) -> Membership | None:
    """The membership a row names: its provider's with its account number, else the one in
    its program."""
    provider = row.provider_id or ""
    found = current.duplicate_of(provider, row.account_number)
    if found is None and row.changes.program is not None:
        found = current.in_program(provider, row.changes.program)
    return found


def plan(
    held: MembershipSet, rows: Sequence[MembershipRow], mode: ImportMode
) -> tuple[Change, UserOutcome]:
    """The change a user's rows make to their memberships as `held`, row by row (a refusal
    names its row's line first in its problems' locations)."""
    user = held.user
    current = held
    named: set[str] = set()
    counts: Counter[str] = Counter()
    for row in rows:
        with at(row.line):
            found = _target(current, row)
            if found is None:
                fields = row.changes.model_dump(exclude_unset=True)
                fields.setdefault("membership_name", None)
                fields["membership_name"] = fields["membership_name"] or name_on_membership(user)
                draft = MembershipDraft.model_validate({**fields, "provider_id": row.provider_id})
                result = new_membership(draft, user.company, user.employee_id)
                current.refuse_duplicate(result)
                current.refuse_too_many(Change(put=(result,)))
                counts["created"] += 1
            else:
                result = apply_changes(found, row.changes)
                current.refuse_duplicate(result)
                counts["unchanged" if result is found else "updated"] += 1
            current = current.after(Change(put=(result,)))
            named.add(result.id)
    if mode is ImportMode.REPLACE:
        gone = tuple(m for m in current.memberships if m.id not in named)
        current = current.after(Change(delete=gone))
        counts["deleted"] = len(gone)
    change = held.changes_to(current)
    if len(change.put) + len(change.delete) > MEMBERSHIPS_PER_COMMIT:
        raise InvalidInput(
            "Too many changes for one user",
            [
                Problem(
                    f"the user's rows change {len(change.put) + len(change.delete)} memberships: "
                    f"at most {MEMBERSHIPS_PER_COMMIT} in one import (one transaction); "
                    "split the user's rows over two files",
                    (rows[0].line,),
                )
            ],
        )
    outcome = UserOutcome(
        user.employee_id,
        created=counts["created"],
        updated=counts["updated"],
        deleted=counts["deleted"],
        unchanged=counts["unchanged"],
    )
    return change, outcome


_REASONS: list[tuple[type[DomainError], Reason]] = [
    (NotFound, Reason.UNKNOWN_USER),
    (Duplicate, Reason.DUPLICATE),
    (TooManyMemberships, Reason.TOO_MANY_MEMBERSHIPS),
    (RequestInProgress, Reason.BUSY),
    (InvalidInput, Reason.TOO_MANY_CHANGES),
]


def refusal_of(
    error: DomainError, employee_id: str, rows: Sequence[MembershipRow]
) -> tuple[RowRefusal, ...]:
    """Every row of a user refused for `error`: the row it names (else the first) with its
    reason, each other as not applied."""
    reason = next((r for kind, r in _REASONS if isinstance(error, kind)), Reason.INVALID)
    problem = error.problems[0] if error.problems else None
    line = problem.location[0] if problem and problem.location else rows[0].line
    at_fault = next((row for row in rows if row.line == line), rows[0])
    if reason is Reason.UNKNOWN_USER:
        detail = f"no user {employee_id} in this company: an import never creates users"
    else:
        detail = problem.detail if problem else error.detail
    named = [p for p in (problem.location[1:] if problem else ()) if isinstance(p, str)]
    column = named[0] if named and named[0] in MEMBERSHIP_ATTRIBUTES else "employee_id"
    refused = [_refused(at_fault, reason, detail, column)]
    for row in rows:
        if row is not at_fault:
            note = (
                f"line {at_fault.line} of this user was refused: a user's rows apply all or nothing"
            )
            refused.append(_refused(row, Reason.NOT_APPLIED, note, "employee_id"))
    return tuple(sorted(refused, key=lambda r: r.line))


def done_key(rows: Sequence[MembershipRow], mode: ImportMode) -> tuple[str, str]:
    """(Idempotency-Key, body) of a user's rows: the same rows, wherever they are in which
    file, are the same key."""
    body = json.dumps({"mode": mode.value, "rows": [r.values() for r in rows]}, sort_keys=True)
    return f"import-{hashlib.sha256(body.encode()).hexdigest()}", body


@dataclass(frozen=True)
class Clock:
    """The time a run reads (its done marks' leases) and waits by."""

    now: Callable[[], float] = time.time
    sleep: Callable[[float], None] = time.sleep


def import_user(
    repo: Repository,
    company: str,
    employee_id: str,
    rows: Sequence[MembershipRow],
    mode: ImportMode,
    origin: Origin,
    *,
    dry_run: bool = False,
    lease_seconds: float = LEASE_SECONDS,
    clock: Clock = Clock(),
) -> UserOutcome:
    """Apply (or, `dry_run`, decide without writing) one user's rows, all or nothing. A user
    another run is applying (or a run that stopped within the last `lease_seconds`) is
    waited for once, then reported busy."""
    try:
        change, planned = plan(load(repo, company, employee_id), rows, mode)
        if dry_run or change.empty:  # as the rows say already: nothing to write, no mark
            return planned
        key, body = done_key(rows, mode)
        outcome: UserOutcome | None = None

        def run(claim: Claim | None) -> UserOutcome:
            nonlocal outcome
            outcome = write(
                repo, company, employee_id, lambda held: plan(held, rows, mode), origin, claim
            )
            return outcome

        def apply() -> Answer:
            return once(
                repo,
                key,
                KeyOwner(company, employee_id),
                DONE_SCOPE,
                body,
                run,
                lambda done: {**done.answer(), "by": origin.request_id},
                lease_seconds,
                now=clock.now,
                remembered=DONE_REMEMBERED,
            )

        try:
            answer = apply()
        except RequestInProgress as busy:
            clock.sleep(min(float(busy.retry_after_seconds or 1), lease_seconds))
            answer = apply()
    except (NotFound, Duplicate, TooManyMemberships, RequestInProgress, InvalidInput) as err:
        return UserOutcome(employee_id, refused=refusal_of(err, employee_id, rows))
    if outcome is not None:
        return outcome
    return UserOutcome(  # done before: by another run, or this one's (a step done again)
        employee_id,
        created=int(answer["created"]),
        updated=int(answer["updated"]),
        deleted=int(answer["deleted"]),
        unchanged=int(answer["unchanged"]),
        done_before=answer.get("by") != origin.request_id,
    )


# -- 3. every user ----------------------------------------------------------------------------

Progress = Callable[[UserOutcome], None]


def count(totals: ImportTotals, outcome: UserOutcome, refused: list[RowRefusal]) -> None:
    """Add one user's outcome to the totals (and their refused rows to `refused`)."""
    if outcome.refused:
        totals.users_refused += 1
        totals.rows_refused += len(outcome.refused)
        for refusal in outcome.refused:
            totals.reasons[refusal.reason.value] += 1
        refused.extend(outcome.refused)
        return
    if outcome.done_before:
        totals.users_done_before += 1
        return
    if not (outcome.created or outcome.updated or outcome.deleted):
        totals.users_unchanged += 1
        totals.unchanged += outcome.unchanged
        return
    totals.users_applied += 1
    totals.created += outcome.created
    totals.updated += outcome.updated
    totals.deleted += outcome.deleted
    totals.unchanged += outcome.unchanged


def run(
    repo: Repository,
    company: str,
    checked: CheckedFile,
    mode: ImportMode,
    origin: Origin,
    *,
    dry_run: bool = False,
    lease_seconds: float = LEASE_SECONDS,
    progress: Progress | None = None,
    clock: Clock = Clock(),
) -> tuple[ImportTotals, list[RowRefusal]]:
    """Every user of a checked file, in the order they first appear: the totals and every
    refused row (the file's and the users'), in line order."""
    totals = replace(checked.totals, reasons=Counter(checked.totals.reasons))
    refused = list(checked.refused)
    for employee_id, rows in checked.users.items():
        outcome = import_user(
            repo,
            company,
            employee_id,
            rows,
            mode,
            origin,
            dry_run=dry_run,
            lease_seconds=lease_seconds,
            clock=clock,
        )
        count(totals, outcome, refused)
        if progress is not None:
            progress(outcome)
    refused.sort(key=lambda r: r.line)
    return totals, refused
