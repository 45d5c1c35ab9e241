"""Credentials: random tokens, stored only as SHA-256 hashes, compared in constant time.

Two kinds of caller: a company's user (the JSON:API and Universal API interfaces'
`X-USER-USERNAME` + `X-USER-TOKEN`), and a Concur partner application acting for
one user (`Authorization: OAuth {token}`). What each caller may then touch is
`loyalty_core.access`.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from loyalty_core import models
from loyalty_core.errors import AccessDenied, Unauthenticated
from loyalty_core.validators import is_text

if TYPE_CHECKING:
    from loyalty_core.models import AccessToken, Principal
    from loyalty_core.repository import Repository

_NO_MATCH = "0" * 64
MAX_USERNAME = 254  # an email address; longer names never reach the store
# Every token is printable ASCII (ours are URL-safe base64): anything else never matches,
# and never reaches the store.
_TOKEN = re.compile(r"[\x21-\x7e]{1,512}")
_FAILED = "Missing or invalid credentials"
_SCHEMES = ("oauth", "bearer")


def new_token() -> str:
    """A fresh high-entropy secret (256 bits), shown once to whoever is issued it."""
    return "lm_" + secrets.token_urlsafe(32)


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def token_id(token_hash: str) -> str:
    """A short public name for a token, safe to log and to revoke by."""
    return token_hash[:12]


def _live(expires_at: datetime | None, now: datetime) -> bool:
    return expires_at is None or now < expires_at


def authenticate_user(
    repo: Repository, username: str | None, token: str | None, now: datetime | None = None
) -> Principal:
    """The caller behind `X-USER-USERNAME` + `X-USER-TOKEN`, or Unauthenticated."""
    if not username or len(username) > MAX_USERNAME or not is_text(username):
        raise Unauthenticated(_FAILED)
    if not token or not _TOKEN.fullmatch(token):
        raise Unauthenticated(_FAILED)
    now = now or datetime.now(UTC)
    presented = hash_token(token)
    login = repo.get_login(username.strip().lower())
    stored = login.token_hashes if login else {"": _NO_MATCH}
    matched = False
    for tid, candidate in stored.items():
        # Compare against every stored hash, without stopping early.
        if hmac.compare_digest(candidate, presented) and login is not None:
            matched = matched or _live(login.token_expiry.get(tid), now)
    if not matched or login is None:
        raise Unauthenticated(_FAILED)
    user = login.user
    return models.Principal(
        company=user.company, employee_id=user.employee_id, role=user.role, arranges=user.arranges
    )


def authenticate_application(
    repo: Repository, authorization: str | None, now: datetime | None = None
) -> AccessToken:
    """The application and user behind `Authorization: OAuth {token}` (or Bearer).

    Unauthenticated (401) for a missing, unknown or expired token; AccessDenied (403)
    for a supplier that has not completed the review process.
    """
    scheme, _, token = (authorization or "").strip().partition(" ")
    if scheme.lower() not in _SCHEMES or not token.strip():
        raise Unauthenticated("An Authorization header 'OAuth {access token}' is required")
    if not _TOKEN.fullmatch(token.strip()):
        raise Unauthenticated("The access token is not valid")
    presented = hash_token(token.strip())
    found = repo.get_access_token(presented)
    if found is None or not hmac.compare_digest(found.token_hash, presented):
        raise Unauthenticated("The access token is not valid")
    if not _live(found.expires_at, now or datetime.now(UTC)):
        raise Unauthenticated("The access token has expired")
    app = found.application
    if app.kind is models.ApplicationKind.SUPPLIER and not app.certified:
        raise AccessDenied(
            f"Application {app.id} has not completed the review process; "
            "only certified suppliers may post loyalty updates"
        )
    return found
