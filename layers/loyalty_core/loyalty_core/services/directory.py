"""The directory, as the admin CLI keeps it: companies, users and their arranger
assignments, API tokens, Concur applications, their certification and their tokens, and
the provider catalog.

Every change of a user (their role, their assignments, their API tokens, a Concur token
acting for them) is a write of that user (`services.writes.write`): decided on a fresh
read, committed with its audit record, retried on a concurrent write. Creations and an
application's changes write their audit record in their own transaction. Tokens are
returned once and stored only as hashes (`auth`).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, TypeVar

from loyalty_core.auth import hash_token, new_token, token_id
from loyalty_core.errors import (
    ConcurrentChange,
    Conflict,
    CredentialConflict,
    InvalidInput,
    NotFound,
)
from loyalty_core.models import (
    AccessToken,
    AuditRecord,
    Change,
    Role,
)
from loyalty_core.models.audit import application_fields, entry, user_fields
from loyalty_core.models.credentials import ApiToken, CredentialChange
from loyalty_core.services.providers import by_code
from loyalty_core.services.writes import write

if TYPE_CHECKING:
    from loyalty_core.models import (
        Application,
        Company,
        MembershipSet,
        Origin,
        Provider,
        User,
    )
    from loyalty_core.models.audit import Entry
    from loyalty_core.repository import DirectoryStore, Login

T = TypeVar("T")
PAGE = 100  # users read a page at a time
MIN_TOKEN_DAYS = 1  # a token that expires at once is no token; None: it never expires


class NotAnArranger(Conflict):
    """A traveller named as an arranger without being made one: that would widen whom
    they reach, which is never a side effect."""

    def __init__(self, arranger: User, traveller: str) -> None:
        who = f"{arranger.company}/{arranger.employee_id}"
        super().__init__(f"{who} is a traveller: make them an arranger to assign {traveller}")
        self.arranger, self.traveller = arranger, traveller


def _no_user(company: str, employee_id: str) -> NotFound:
    return NotFound(f"No user {employee_id!r} in company {company!r}")


def _when(moment: datetime | None) -> str | None:
    return moment.isoformat() if moment else None


def token_expiry(days: int | None, now: datetime | None = None) -> datetime | None:
    """When a token issued now for `days` expires (None: never); refused under a day."""
    if days is None:
        return None
    if days < MIN_TOKEN_DAYS:
        raise InvalidInput(f"A token lasts {MIN_TOKEN_DAYS} day or more, or does not expire")
    return (now or datetime.now(UTC)) + timedelta(days=days)


def _change_user(
    repo: DirectoryStore,
    company: str,
    employee_id: str,
    decide: Callable[[MembershipSet], tuple[Change, T]],
    origin: Origin,
    refused: str,
) -> T:
    """One change of a user through the unit of work (`decide` raises no NotFound: that is
    the unit of work's for no such user); `refused` when their credentials are not as the
    change expects."""
    try:
        return write(repo, company, employee_id, decide, origin)
    except NotFound:
        raise _no_user(company, employee_id) from None
    except CredentialConflict:
        raise Conflict(refused) from None
    except ConcurrentChange:
        raise ConcurrentChange(
            f"User {employee_id!r} kept changing; run the command again"
        ) from None


def _change_credentials(
    repo: DirectoryStore,
    company: str,
    employee_id: str,
    credentials: CredentialChange,
    recorded: Entry,
    origin: Origin,
    refused: str,
) -> None:
    """One change of a user's credentials, recorded in their trail by `recorded`."""
    change = Change(credentials=credentials, entries=(recorded,))
    _change_user(repo, company, employee_id, lambda _: (change, None), origin, refused)


# -- companies and users ----------------------------------------------------------------


def create_company(repo: DirectoryStore, company: Company) -> Company:
    repo.add_company(company)
    return company


def require_company(repo: DirectoryStore, company_id: str) -> Company:
    found = repo.get_company(company_id)
    if found is None:
        raise NotFound(f"No company {company_id!r}; create it first")
    return found


def get_user(repo: DirectoryStore, company: str, employee_id: str) -> User:
    found = repo.get_user(company, employee_id)
    if found is None:
        raise _no_user(company, employee_id)
    return found


def create_user(repo: DirectoryStore, user: User, *, origin: Origin) -> User:
    """A new user of an existing company, holding nothing yet, with their login (no token);
    the audit record of their creation is their first."""
    require_company(repo, user.company)
    audit = AuditRecord.of(origin, [entry("user_id", user.employee_id, None, user_fields(user))])
    repo.add_user(user, audit)
    return user


def list_users(repo: DirectoryStore, company: str) -> list[tuple[User, int]]:
    """Every user of the company, in employee id order, with how many memberships they
    hold: the company's index a page at a time, each page's counts in one read."""
    require_company(repo, company)
    found: list[tuple[User, int]] = []
    after: str | None = None
    while True:
        users, after = repo.company_users(company, after, PAGE)
        counts = repo.membership_counts(company, [u.employee_id for u in users])
        found += [(u, counts[u.employee_id]) for u in users if u.employee_id in counts]
        if after is None:
            return found


def _assignments(
    repo: DirectoryStore,
    company: str,
    employee_id: str,
    change: Callable[[User], User],
    origin: Origin,
) -> tuple[User, User]:
    """Change a user's role or assignments (`change` of the user as read); returns the user
    before and after. No change, no write."""
    email = get_user(repo, company, employee_id).email

    def decide(held: MembershipSet) -> tuple[Change, tuple[User, User]]:
        after = change(held.user)
        return Change(user=after if after != held.user else None), (held.user, after)

    return _change_user(repo, company, employee_id, decide, origin, f"{email} has no login")


def assign(
    repo: DirectoryStore,
    company: str,
    arranger: str,
    traveller: str,
    make_arranger: bool = False,
    *,
    origin: Origin,
) -> tuple[User, User]:
    """Let `arranger` manage `traveller`'s memberships; returns the arranger before and
    after. A traveller becomes an arranger only when asked (`make_arranger`): that widens
    whom they reach, so it is never a side effect (NotAnArranger). An admin reaches every
    user of the company already: the assignment is recorded and the role kept."""
    get_user(repo, company, traveller)

    def assigned(user: User) -> User:
        if user.role is Role.TRAVELLER and not make_arranger:
            raise NotAnArranger(user, traveller)
        role = Role.ARRANGER if user.role is Role.TRAVELLER else user.role
        return user.model_copy(update={"role": role, "arranges": user.arranges | {traveller}})

    return _assignments(repo, company, arranger, assigned, origin)


def unassign(
    repo: DirectoryStore, company: str, arranger: str, traveller: str, *, origin: Origin
) -> tuple[User, User]:
    """Take `traveller` from `arranger`, who keeps their role; returns (before, after)."""

    def unassigned(user: User) -> User:
        return user.model_copy(update={"arranges": user.arranges - {traveller}})

    return _assignments(repo, company, arranger, unassigned, origin)


# -- API tokens ---------------------------------------------------------------------------


def _login(repo: DirectoryStore, email: str) -> Login:
    found = repo.get_login(email)
    if found is None:
        raise NotFound(f"No user with email {email!r}")
    return found


def issue_token(
    repo: DirectoryStore,
    email: str,
    *,
    origin: Origin,
    token: str | None = None,
    expires_at: datetime | None = None,
) -> tuple[str, str]:
    """A new API token for the user with `email`; returns (token, token id): the token is
    shown once, only its hash is kept."""
    token = token or new_token()
    issued = ApiToken(token_id(hash_token(token)), hash_token(token), expires_at)
    user = _login(repo, email).user
    recorded = entry("api_token_id", issued.token_id, None, {"expires_at": _when(expires_at)})
    added = CredentialChange(api_tokens=(issued,))
    refused = f"No user with email {email!r}"
    _change_credentials(repo, user.company, user.employee_id, added, recorded, origin, refused)
    return token, issued.token_id


def revoke_token(repo: DirectoryStore, email: str, tid: str, *, origin: Origin) -> None:
    login = _login(repo, email)
    if tid not in login.token_hashes:
        raise NotFound(f"No token {tid!r} for {email!r}")
    before = {"expires_at": _when(login.token_expiry.get(tid))}
    recorded = entry("api_token_id", tid, before, None)
    revoked = CredentialChange(api_tokens_revoked=(tid,))
    user, refused = login.user, f"No token {tid!r} for {email!r}"
    _change_credentials(repo, user.company, user.employee_id, revoked, recorded, origin, refused)


def list_tokens(repo: DirectoryStore, email: str) -> dict[str, datetime | None]:
    """The user's token ids and when each expires (None: never)."""
    return dict(_login(repo, email).token_expiry)


# -- Concur applications --------------------------------------------------------------------


def get_application(repo: DirectoryStore, app_id: str) -> Application:
    found = repo.get_application(app_id)
    if found is None:
        raise NotFound(f"No application {app_id!r}")
    return found


def create_application(
    repo: DirectoryStore, application: Application, *, origin: Origin
) -> Application:
    """Register an application. A supplier's program must be one the catalog knows, found
    as its Concur calls will find it: else every call of the application is refused."""
    app = application
    program = (app.vendor_type, app.vendor_code)
    if app.vendor_type is not None and program not in by_code(repo.providers()):
        raise NotFound(
            f"No {app.vendor_type.value} program with code {app.vendor_code!r} in the "
            "provider catalog: load-catalog first, or check the code"
        )
    created = entry("application_id", app.id, None, application_fields(app))
    repo.add_application(app, AuditRecord.of(origin, [created]))
    return app


def certify_application(
    repo: DirectoryStore, app_id: str, certified: bool, *, origin: Origin
) -> tuple[Application, Application, int]:
    """Record the review outcome on the application and on the copy of it each of its
    tokens holds (what the Concur interface checks); returns (before, after, tokens
    rewritten). Run again, it finishes the work of a run that was interrupted."""
    before = get_application(repo, app_id)
    after = before.model_copy(update={"certified": certified})
    changed = entry("application_id", app_id, application_fields(before), application_fields(after))
    tokens = repo.update_application(after, AuditRecord.of(origin, [changed]))
    return before, after, tokens


def issue_concur_token(
    repo: DirectoryStore,
    app_id: str,
    company: str,
    employee_id: str,
    *,
    origin: Origin,
    token: str | None = None,
    expires_at: datetime | None = None,
) -> tuple[str, str]:
    """An OAuth access token for the application acting for one user; returns (token,
    token id). Recorded in the user's trail."""
    app = get_application(repo, app_id)
    token = token or new_token()
    digest = hash_token(token)
    access = AccessToken(token_id(digest), digest, app, company, employee_id, expires_at)
    after = {"application_id": app_id, "expires_at": _when(expires_at)}
    recorded = entry("concur_token_id", access.token_id, None, after)
    issued = CredentialChange(concur_tokens=(access,))
    refused = "This token exists already"
    _change_credentials(repo, company, employee_id, issued, recorded, origin, refused)
    return token, access.token_id


def revoke_concur_token(repo: DirectoryStore, app_id: str, tid: str, *, origin: Origin) -> None:
    """Revoke an application's token by its id (recorded in its user's trail)."""
    found = repo.application_tokens(app_id, tid)
    if len(found) != 1:
        raise NotFound(f"No single token {tid!r} for application {app_id!r}")
    issued = found[0]
    stored = repo.get_access_token(issued.token_hash)
    before = {
        "application_id": app_id,
        "expires_at": _when(stored.expires_at) if stored else None,
    }
    recorded = entry("concur_token_id", issued.token_id, before, None)
    revoked = CredentialChange(concur_tokens_revoked=(issued,))
    refused = f"Token {tid!r} of application {app_id!r} could not be revoked"
    _change_credentials(
        repo, issued.company, issued.employee_id, revoked, recorded, origin, refused
    )


# -- the catalog --------------------------------------------------------------------------


def load_catalog(repo: DirectoryStore, providers: Sequence[Provider]) -> int:
    """Add or replace these programs (loading the same catalog again changes nothing)."""
    repo.put_providers(providers)
    return len(providers)
