"""Safe retries (SPEC 7, 15): an `Idempotency-Key` header on a POST makes a repeat of the
request (the same caller, URL and body) within 24 hours answer the first answer and
write nothing, whatever failed between the first one's commit and its answer.

The key's answer is durable with the write itself: the request first claims the key (a
conditional write: until its lease, the Lambda's remaining time, runs out), then its
commit writes the answer in the same transaction as the memberships and the audit record
(`services.writes`). So a key either has its request's answer, or its request wrote
nothing. A repeat meanwhile gets 409 with Retry-After (never a second run); once the
lease is over, a key without an answer is taken over, and the repeat runs (its first try
wrote nothing). A refused request (4xx) releases its key: it may be sent again.

Keys belong to the caller's own user record (`KeyOwner`): a Locomote caller's, or the user
a partner application's token acts for (its keys scoped to the application), so that
erasing the user erases them, and a later holder of the employee id never meets them.
Powertools' idempotency utility saves the answer after the function returns, in a write
of its own: it cannot join the write's transaction, which is the whole point here.
"""

from __future__ import annotations

import contextlib
import hashlib
import math
import re
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, TypeVar

from loyalty_core.errors import (
    DomainError,
    IdempotencyKeyReused,
    MalformedRequest,
    Problem,
    RequestInProgress,
    StorageUnavailable,
)
from loyalty_core.repository import KeyAnswer

if TYPE_CHECKING:
    from loyalty_core.repository import Answer, KeyOwner, Repository

KEY = re.compile(r"[\x21-\x7e]{1,255}")
REMEMBERED = 24 * 3600  # seconds a key's answer is kept (SPEC 15)
T = TypeVar("T")


@dataclass
class Claim:
    """A request's hold on its key: how its result becomes its answer (`render`), and once
    a commit wrote that answer, the answer."""

    owner: KeyOwner
    key_hash: str
    token: str
    render: Callable[[Any], Answer]
    expires: int
    answer: Answer | None = None

    def completion(self, result: Any) -> tuple[KeyAnswer, Answer]:
        """The key's answer for `result`, as a commit writes it."""
        answer = self.render(result)
        return KeyAnswer(self.owner, self.key_hash, self.token, answer, self.expires), answer


def _hash(*parts: str) -> str:
    return hashlib.sha256("\n".join(parts).encode("utf-8", "surrogatepass")).hexdigest()


def _checked(key: str) -> str:
    if not KEY.fullmatch(key):
        raise MalformedRequest(
            "The Idempotency-Key header is refused",
            [
                Problem(
                    "must be 1-255 printable ASCII characters",
                    ("Idempotency-Key",),
                    kind="parameter",
                )
            ],
        )
    return key


def once(
    repo: Repository,
    key: str | None,
    owner: KeyOwner,
    scope: str,
    body: str | None,
    run: Callable[[Claim | None], T],
    render: Callable[[T], Answer],
    lease_seconds: float,
    now: Callable[[], float] = time.time,
    remembered: int = REMEMBERED,
) -> Answer:
    """The answer to a request: `render(run(claim))`, or the first answer to this key.

    `scope` names the request apart from its body (the caller's kind, method, path and
    query): the same key with another scope is another key; with the same scope and
    another body it is refused (409). An answer is kept `remembered` seconds (24 hours:
    the HTTP routes' promise)."""
    if key is None:
        return render(run(None))
    key_hash = _hash(scope, _checked(key))
    request_hash = _hash(body or "")
    started = now()
    claim = Claim(owner, key_hash, str(uuid.uuid4()), render, int(started) + remembered)
    lease_until = started + lease_seconds
    held = repo.claim_key(owner, key_hash, request_hash, claim.token, lease_until, claim.expires)
    if held is not None:
        if held.request_hash != request_hash:
            raise IdempotencyKeyReused(
                "This Idempotency-Key was used with a different request body; use a new key"
            )
        if held.answer is not None:
            return held.answer
        if held.lease_until > started:
            raise RequestInProgress(
                "A request with this Idempotency-Key is still in progress; retry shortly",
                retry_after_seconds=math.ceil(held.lease_until - started),
            )
        taken = repo.claim_key(
            owner, key_hash, request_hash, claim.token, lease_until, claim.expires, held.claim
        )
        if taken is not None:  # another repeat took it over first
            raise RequestInProgress(
                "A request with this Idempotency-Key is in progress; retry shortly",
                retry_after_seconds=math.ceil(max(taken.lease_until - started, 1)),
            )
    try:
        result = run(claim)
    except StorageUnavailable:
        raise  # the outcome may be unknown: the key stays held until its lease is over
    except DomainError:
        with contextlib.suppress(StorageUnavailable):  # else the lease runs out instead
            repo.release_key(owner, key_hash, claim.token)
        raise
    if claim.answer is None:  # nothing was committed (a write that changes nothing)
        completion, answer = claim.completion(result)
        repo.answer_key(completion)
        claim.answer = answer
    return claim.answer
