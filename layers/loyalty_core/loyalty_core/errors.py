"""Domain errors. Each interface maps these to its own status codes in one place."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Problem:
    """One thing wrong with the input.

    `location` names the field in the interface's own terms, as a path
    (for example ("attributes", "account_number") or ("page[size]",)).
    `kind` says where the path points: "body" or "parameter".
    """

    detail: str
    location: tuple[str | int, ...] = ()
    kind: str = "body"


class DomainError(Exception):
    """Base of every error the service reports to a caller."""

    title = "Error"

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


class StorageUnavailable(DomainError):
    """DynamoDB throttled or could not be reached. Nothing was written."""

    title = "Service temporarily unavailable"
    retry_after_seconds = 1


class WriteOutcomeUnknown(StorageUnavailable):
    """A write was sent but its answer was lost (a read timeout, a dropped connection):
    it may have been applied. The services re-read to find out; callers see a 503 only
    if it still cannot be told."""
