"""Domain errors. Each interface maps these to its own status codes in one place.

And the bounds of every error answer (SPEC 7), applied by each interface's renderer
through `fit`: at most `MAX_ERROR_BYTES`, at most `MAX_PROBLEMS` problems listed (then
"and N more"), every caller value quoted by `quote` (cut to `MAX_QUOTED` characters
with "…"), every message cut to `MAX_DETAIL` characters.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any, TypeVar


@dataclass(frozen=True)
class Problem:
    """One thing wrong with the input.

    `location` names the field in the interface's own terms, as a path
    (for example ("attributes", "account_number") or ("page[size]",)).
    `kind` says where the path points: "body" or "parameter". `link`: a URI naming the
    kind of problem, where a published rule names it (a JSON:API profile's errors), and
    `meta` what that rule has the answer carry.
    """

    detail: str
    location: tuple[str | int, ...] = ()
    kind: str = "body"
    link: str | None = None
    meta: Mapping[str, Any] | None = None


class DomainError(Exception):
    """Base of every error the service reports to a caller. `retry_after_seconds`: when
    to try again (a Retry-After header), for a refusal that time will lift."""

    title = "Error"
    retry_after_seconds: int | None = None

    def __init__(self, detail: str = "", problems: list[Problem] | None = None) -> None:
        super().__init__(detail or self.title)
        self.detail = detail or self.title
        self.problems: list[Problem] = problems or []


class MalformedRequest(DomainError):
    """The request cannot be read at all: bad JSON or XML, a bad query value."""

    title = "Malformed request"


class UnsupportedMediaType(DomainError):
    title = "Unsupported media type"


class NotAcceptable(DomainError):
    title = "Not acceptable"


class PayloadTooLarge(DomainError):
    title = "Payload too large"


class InvalidInput(DomainError):
    """The request was read but breaks the field rules; every problem is listed."""

    title = "Invalid input"


class Unauthenticated(DomainError):
    title = "Authentication failed"


class AccessDenied(DomainError):
    title = "Access denied"


class NotFound(DomainError):
    title = "Record not found"


class MethodNotAllowed(DomainError):
    title = "Method not allowed"

    def __init__(self, allowed: list[str]) -> None:
        super().__init__(f"Allowed methods: {', '.join(allowed)}")
        self.allowed = allowed


class Conflict(DomainError):
    """The request contradicts itself or the resource (type or id mismatch)."""

    title = "Conflict"


class Duplicate(Conflict):
    title = "Duplicate membership"


class CredentialConflict(Conflict):
    """A change of a user's credentials that finds them otherwise than it expects: a token
    that exists already, one revoked meanwhile, a login that is gone. Nothing written."""

    title = "Credential conflict"


class ClientIdRefused(DomainError):
    title = "Client-generated ids are not supported"


class PreconditionFailed(DomainError):
    title = "Precondition failed"


class ConcurrentChange(DomainError):
    """Another writer changed the same user's memberships; retried, then reported."""

    title = "Concurrent modification"


class TooManyMemberships(DomainError):
    """The write would take the user past the most memberships a user may hold."""

    title = "Too many memberships"


class TooManyOperations(InvalidInput):
    """A request carries more operations than one request may (an atomic operations
    request); nothing was read or written."""

    title = "Too many operations"


class OperationsNotValid(InvalidInput):
    """An atomic request's operations do not hold together (a rule between their members or
    between operations: the target they name, a lid, the request's one user), though each
    may keep the document's shape."""

    title = "Operations not valid"


class TooManySubscriptions(InvalidInput):
    """A company holds as many webhook subscriptions as it may (422)."""

    title = "Too many webhook subscriptions"


class IdempotencyKeyReused(Conflict):
    title = "Idempotency-Key reused"


class RequestInProgress(Conflict):
    """A request with the same Idempotency-Key is still running: retry after it ends."""

    title = "Request in progress"

    def __init__(self, detail: str = "", retry_after_seconds: int = 1) -> None:
        super().__init__(detail)
        self.retry_after_seconds = max(1, retry_after_seconds)


class StorageUnavailable(DomainError):
    """DynamoDB throttled or could not be reached. Nothing was written."""

    title = "Service temporarily unavailable"
    retry_after_seconds = 1


class WriteOutcomeUnknown(StorageUnavailable):
    """A write was sent but its answer was lost (a read timeout, a dropped connection):
    it may have been applied. The services re-read to find out; callers see a 503 only
    if it still cannot be told."""


# -- bounded answers -------------------------------------------------------------------

MAX_ERROR_BYTES = 16 * 1024  # a whole error answer
MAX_PROBLEMS = 20  # problems listed in one answer; the rest are counted
MAX_QUOTED = 64  # characters of a caller's value in a message
MAX_DETAIL = 300  # characters of one message


def clip(text: str, limit: int = MAX_QUOTED) -> str:
    """`text` as an answer may show it: characters that are not printable escaped (\\uXXXX),
    cut to `limit` characters ending in "…" when longer."""
    head = "".join(c if c.isprintable() else f"\\u{ord(c):04x}" for c in text[: limit + 1])
    return head if len(head) <= limit else head[: limit - 1] + "…"


def quote(value: object) -> str:
    """A caller's value, quoted in a message: `"Frequent Flier"`, cut to 64 characters."""
    return f'"{clip(str(value))}"'


def quote_all(values: Iterable[object], listed: int = 5) -> str:
    """Some of a caller's values, quoted: `"A", "B" and 12 more`."""
    every = list(values)
    shown = ", ".join(quote(v) for v in every[:listed])
    return shown + (f" and {len(every) - listed} more" if len(every) > listed else "")


def _bounded(problem: Problem) -> Problem:
    return replace(
        problem,
        detail=clip(problem.detail, MAX_DETAIL),
        location=tuple(clip(p) if isinstance(p, str) else p for p in problem.location),
    )


Answer = TypeVar("Answer")


def fit(
    error: DomainError,
    render: Callable[[str, Sequence[Problem], int], Answer],
    size: Callable[[Answer], int],
) -> Answer:
    """The error's answer within the bounds: `render(detail, problems, more)` writes the
    (cut) detail, the problems to list and how many were left out ("and N more"), `size`
    measures it in bytes; the fewest problems are left out that keep it within
    `MAX_ERROR_BYTES`."""
    detail = clip(error.detail, MAX_DETAIL)
    shown = [_bounded(p) for p in error.problems[:MAX_PROBLEMS]]
    while True:
        answer = render(detail, shown, len(error.problems) - len(shown))
        if size(answer) <= MAX_ERROR_BYTES or not shown:
            return answer
        shown.pop()


def more(count: int) -> str:
    """What an answer says of the problems it leaves out."""
    return f"and {count} more problem{'s' if count != 1 else ''}"
