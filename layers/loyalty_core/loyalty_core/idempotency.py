"""Safe retries: an `Idempotency-Key` header on a POST makes a replay return the first
response and write nothing. Powertools' idempotency utility does the work, persisting
records in the idempotency table; it is imported only when a request carries a key."""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable
from functools import lru_cache
from typing import Any

from loyalty_core.errors import (
    IdempotencyKeyReused,
    MalformedRequest,
    Problem,
    RequestInProgress,
    StorageUnavailable,
)
from loyalty_core.observability import logger
from loyalty_core.settings import dynamodb_client, get_settings

KEY = re.compile(r"[\x21-\x7e]{1,255}")

Outcome = dict[str, Any]  # {"status": int, "headers": {...}, "body": str}


@lru_cache(maxsize=1)
def _persistence() -> Any:
    from aws_lambda_powertools.utilities.idempotency import DynamoDBPersistenceLayer

    return DynamoDBPersistenceLayer(
        table_name=get_settings().idempotency_table_name, boto3_client=dynamodb_client()
    )


def prepare() -> None:
    """Import what a request with a key needs and build the persistence layer (the
    SnapStart hooks call it before the snapshot)."""
    _persistence()


def reset() -> None:
    _persistence.cache_clear()


def once(
    key: str | None,
    scope: str,
    caller: str,
    body: str | None,
    lambda_context: Any,
    run: Callable[[], Outcome],
) -> Outcome:
    """`run()`'s outcome, or the stored outcome of the first request with this key.

    The record is scoped to the caller and the route; the same key with another body is
    refused (409). Only successful outcomes are stored: a failed request may be retried.
    """
    if key is None:
        return run()
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
    from aws_lambda_powertools.utilities.idempotency import IdempotencyConfig, idempotent_function
    from aws_lambda_powertools.utilities.idempotency.exceptions import (
        IdempotencyAlreadyInProgressError,
        IdempotencyPersistenceLayerError,
        IdempotencyValidationError,
    )

    config = IdempotencyConfig(
        event_key_jmespath="[scope, caller, key]",
        payload_validation_jmespath="body",
        expires_after_seconds=get_settings().idempotency_expires_after_seconds,
        raise_on_no_idempotency_key=True,
    )
    if lambda_context is not None:
        config.register_lambda_context(lambda_context)

    @idempotent_function(  # type: ignore[untyped-decorator]
        data_keyword_argument="request", persistence_store=_persistence(), config=config
    )
    def first(request: dict[str, str]) -> Outcome:
        outcome = run()
        produced.append(outcome)
        return outcome

    produced: list[Outcome] = []  # the request's own answer, once it has run to its end

    digest = hashlib.sha256((body or "").encode("utf-8")).hexdigest()
    try:
        outcome: Outcome = first(
            request={"scope": scope, "caller": caller, "key": key, "body": digest}
        )
    except IdempotencyValidationError:
        raise IdempotencyKeyReused(
            "This Idempotency-Key was used with a different request body; use a new key"
        ) from None
    except IdempotencyAlreadyInProgressError:
        raise RequestInProgress(
            "A request with this Idempotency-Key is still in progress; retry shortly"
        ) from None
    except IdempotencyPersistenceLayerError as err:
        if produced:
            # The request ran (and wrote); only remembering its answer failed. Its answer is
            # the truth: a 503 would tell the caller nothing was written. The key's record
            # stays in progress until it expires, so a replay meanwhile is 409, as it is
            # while a request runs.
            logger.warning(
                "Idempotency-Key answer not saved", scope=scope, cause=repr(err.__cause__)
            )
            return produced[0]
        raise StorageUnavailable("Idempotency records are unavailable; retry shortly") from err
    return outcome
