"""What the admin's changes do to a user's credentials: API tokens added to their login
or taken from it, Concur tokens issued to act for them or revoked (`services.directory`).
Not imported by `loyalty_core.models`: no function needs it at start."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from loyalty_core.models.applications import AccessToken


@dataclass(frozen=True)
class ApiToken:
    """One of a user's API tokens, as their login holds it: by its id, only its hash."""

    token_id: str
    token_hash: str
    expires_at: datetime | None = None


@dataclass(frozen=True)
class IssuedToken:
    """A Concur token as its application's list of tokens names it: by its id and hash,
    with the user it acts for."""

    application_id: str
    token_id: str
    token_hash: str
    company: str
    employee_id: str


@dataclass(frozen=True)
class CredentialChange:
    """What a change of a user does to their credentials: API tokens added to their login
    or taken from it (by id), Concur tokens issued to act for them or revoked."""

    api_tokens: tuple[ApiToken, ...] = ()
    api_tokens_revoked: tuple[str, ...] = ()
    concur_tokens: tuple[AccessToken, ...] = ()
    concur_tokens_revoked: tuple[IssuedToken, ...] = ()

    def __bool__(self) -> bool:
        return bool(
            self.api_tokens
            or self.api_tokens_revoked
            or self.concur_tokens
            or self.concur_tokens_revoked
        )
