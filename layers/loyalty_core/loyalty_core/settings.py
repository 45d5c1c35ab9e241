"""Every environment variable the layer reads, in one model, and the clients built from it:
each made once per process by a cached factory (never at import time).

| variable | default | what |
| --- | --- | --- |
| TABLE_NAME | loyalty-memberships | the membership table |
| AWS_REGION, AWS_DEFAULT_REGION | us-east-1 | the region of the tables |
| DYNAMODB_ENDPOINT_URL | (AWS) | another DynamoDB (the embedded one, a local one) |
| CATALOG_TTL_SECONDS | 300 | how long a container keeps the provider catalog |
| AUDIT_RETENTION_DAYS | 400 | how long audit records are kept (the table's TTL removes them) |
| STORE_BUDGET_SECONDS | 4 | DynamoDB time one invocation may spend in all (tests raise it) |
| POWERTOOLS_TRACE_DISABLED | true | false turns on X-Ray tracing (Powertools' Tracer) |
| POWERTOOLS_METRICS_NAMESPACE | LoyaltyMemberships | the CloudWatch namespace of our metrics |
| BULK_BUCKET | (none) | the company import and export jobs' bucket (their files, state, reports) |
| BULK_QUEUE_URL | (none) | the queue of the jobs' steps |
| AWS_ENDPOINT_URL_S3, AWS_ENDPOINT_URL_SQS | (AWS) | another S3 or SQS (botocore reads them) |
| WEBHOOK_QUEUE_URL | (none) | the webhook delivery queue (SQS FIFO) |
| WEBHOOK_DEAD_LETTER_QUEUE_URL | (none) | where deliveries that failed for good go |
| WEBHOOK_KMS_KEY_ID | (none) | the KMS key sealing webhook signing secrets |
| PUBLIC_API_URL | (none) | the API's base URL, for the links in webhook events |
| WEBHOOK_LOCAL_TARGETS | false | true under `make run` only: http and loopback endpoints |

Powertools reads its own POWERTOOLS_SERVICE_NAME and POWERTOOLS_LOG_LEVEL.

The DynamoDB client's time limits are the contract (SPEC 7: a stalled store answers 503
with Retry-After within 5 s, inside the functions' 10 s Timeout): see `STORE_BUDGET`,
`store_deadline` and docs/decisions.md for the numbers. Deployed, nothing sets
STORE_BUDGET_SECONDS; the moto-backed tests give themselves more (an emulated store on a
busy machine is no measure of DynamoDB), and one test holds the production budget.
"""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from functools import lru_cache
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, field_validator

from loyalty_core.errors import StorageUnavailable

CONNECT_TIMEOUT = 1.0  # seconds to open a connection to DynamoDB (TCP and TLS)
READ_TIMEOUT = 1.0  # seconds to wait for DynamoDB's answer
MAX_ATTEMPTS = 3  # botocore's standard retry mode: a first attempt and two retries
STORE_BUDGET = 4.0  # seconds one invocation may wait on DynamoDB, in all (deployed)
FUNCTION_TIMEOUT = 10.0  # the functions' Timeout (template.yaml Globals)
LAMBDA_MARGIN = 1.0  # seconds of the Lambda's remaining time kept to answer
_ATTEMPT = CONNECT_TIMEOUT + READ_TIMEOUT  # the longest one attempt may take


class Settings(BaseModel):
    model_config = ConfigDict(frozen=True, populate_by_name=True, extra="ignore")

    table_name: str = Field("loyalty-memberships", alias="TABLE_NAME", min_length=3)
    region: str = Field("us-east-1", alias="AWS_REGION", min_length=1)
    dynamodb_endpoint_url: str | None = Field(None, alias="DYNAMODB_ENDPOINT_URL")
    catalog_ttl_seconds: float = Field(300.0, alias="CATALOG_TTL_SECONDS", ge=0)
    audit_retention_days: int = Field(400, alias="AUDIT_RETENTION_DAYS", ge=1, le=3650)
    store_budget_seconds: float = Field(STORE_BUDGET, alias="STORE_BUDGET_SECONDS", gt=0)
    tracing: bool = Field(False, alias="POWERTOOLS_TRACE_DISABLED")
    metrics_namespace: str = Field(
        "LoyaltyMemberships", alias="POWERTOOLS_METRICS_NAMESPACE", min_length=1
    )
    bulk_bucket: str | None = Field(None, alias="BULK_BUCKET")
    bulk_queue_url: str | None = Field(None, alias="BULK_QUEUE_URL")
    webhook_queue_url: str = Field("", alias="WEBHOOK_QUEUE_URL")
    webhook_dead_letter_queue_url: str = Field("", alias="WEBHOOK_DEAD_LETTER_QUEUE_URL")
    webhook_kms_key_id: str = Field("", alias="WEBHOOK_KMS_KEY_ID")
    public_api_url: str = Field("", alias="PUBLIC_API_URL")
    webhook_local_targets: bool = Field(False, alias="WEBHOOK_LOCAL_TARGETS")

    @field_validator("dynamodb_endpoint_url", "bulk_bucket", "bulk_queue_url", mode="before")
    @classmethod
    def _empty_is_none(cls, value: Any) -> Any:
        return value or None

    @field_validator("tracing", mode="before")
    @classmethod
    def _tracing_on_when_not_disabled(cls, disabled: Any) -> bool:
        return str(disabled).strip().lower() in ("false", "0")

    @classmethod
    def from_environment(cls, environ: Mapping[str, str]) -> Settings:
        values = dict(environ)
        values.setdefault("AWS_REGION", environ.get("AWS_DEFAULT_REGION") or "us-east-1")
        values.setdefault("POWERTOOLS_TRACE_DISABLED", "true")
        return cls.model_validate(values)


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return Settings.from_environment(os.environ)


@lru_cache(maxsize=1)
def _botocore_session() -> Any:
    """botocore's session, which keeps the service models it has loaded (kept by `reset`)."""
    from botocore.session import get_session

    return get_session()


@lru_cache(maxsize=1)
def dynamodb_client() -> Any:
    """One low-level DynamoDB client per process, reused across invocations.

    Made with botocore directly: importing boto3 costs cold-start time for nothing here.
    """
    from botocore.config import Config

    settings = get_settings()
    client = _botocore_session().create_client(
        "dynamodb",
        region_name=settings.region,
        endpoint_url=settings.dynamodb_endpoint_url,
        config=Config(
            retries={"mode": "standard", "total_max_attempts": MAX_ATTEMPTS},
            connect_timeout=CONNECT_TIMEOUT,
            read_timeout=READ_TIMEOUT,
        ),
    )
    events = client.meta.events
    events.register_first("before-call.dynamodb", _call_starts)
    events.register_first("after-call.dynamodb", _call_ends)
    events.register_first("after-call-error.dynamodb", _call_ends)
    # First, before anything that sends or stubs the request (moto in the tests).
    events.register_first("before-send.dynamodb", _before_attempt)
    events.register_first("needs-retry.dynamodb", _may_retry)
    return client


class _Budget:
    """The current invocation's DynamoDB time: the wall-clock time during which at least one
    of its calls was under way (calls made concurrently, as the enrichment's per-traveller
    Queries are, count once), and when the Lambda's time (less the margin) runs out.
    `ends` None: no invocation."""

    spent = 0.0  # seconds of the stretches with calls under way that have ended
    busy_since: float | None = None  # when the current stretch began (calls under way)
    calls = 0  # calls under way: started, not yet answered
    ends: float | None = None
    limit = STORE_BUDGET


_budget = _Budget()
# The invocation's calls may run on several threads at once (one botocore client, which is
# thread-safe): each change of the budget is made under this lock.
_budget_lock = threading.Lock()


@contextmanager
def store_deadline(remaining_ms: int | None) -> Iterator[None]:
    """For one invocation: its DynamoDB calls (attempts, backoffs) may take
    `store_budget_seconds` (STORE_BUDGET deployed) in all, and end `LAMBDA_MARGIN` before
    the Lambda's time runs out. An attempt starts, and a retry waits, only if it can end
    within both; otherwise the call fails as StorageUnavailable (503, Retry-After). Calls
    under way at the same time spend the budget once: it is the time the invocation waits."""
    now = time.monotonic()
    with _budget_lock:
        _budget.spent, _budget.busy_since, _budget.calls = 0.0, None, 0
        _budget.limit = get_settings().store_budget_seconds
        _budget.ends = now + (
            remaining_ms / 1000 - LAMBDA_MARGIN if remaining_ms is not None else _budget.limit
        )
    try:
        yield
    finally:
        _budget.ends = None


def _call_starts(**_: Any) -> None:
    with _budget_lock:
        if _budget.calls == 0:
            _budget.busy_since = time.monotonic()
        _budget.calls += 1


def _call_ends(**_: Any) -> None:
    with _budget_lock:
        if _budget.calls == 0:  # a call begun before the invocation's deadline was set
            return
        _budget.calls -= 1
        if _budget.calls == 0 and _budget.busy_since is not None:
            _budget.spent += time.monotonic() - _budget.busy_since
            _budget.busy_since = None


def _room_for(seconds: float) -> bool:
    with _budget_lock:
        if _budget.ends is None:
            return True
        now = time.monotonic()
        busy = now - _budget.busy_since if _budget.busy_since is not None else 0.0
        return _budget.spent + busy + seconds <= _budget.limit and now + seconds <= _budget.ends


def _before_attempt(**_: Any) -> None:
    if not _room_for(_ATTEMPT):
        raise StorageUnavailable("The membership store did not answer in time; retry shortly")


def _may_retry(attempts: int, caught_exception: Exception | None = None, **_: Any) -> bool | None:
    """No retry (False) if botocore's longest backoff before it and one more attempt would
    not fit; else botocore decides. The backoff is at most 1 s, then 2 s, after an answer
    (throttling), and 25 ms, then 50 ms, after no answer (a timeout)."""
    scale = 0.025 if caught_exception is not None else 1.0
    return None if _room_for(scale * 2 ** (attempts - 1) + _ATTEMPT) else False


@lru_cache(maxsize=1)
def s3_client() -> Any:
    """One S3 client per process (the bulk jobs' files): Signature Version 4, whose presigned
    URLs and POST forms every region takes; path-style addressing when S3 is another
    endpoint (`AWS_ENDPOINT_URL_S3`: the embedded one)."""
    from botocore.config import Config

    local = bool(os.environ.get("AWS_ENDPOINT_URL_S3"))
    return _botocore_session().create_client(
        "s3",
        region_name=get_settings().region,
        config=Config(
            signature_version="s3v4",
            s3={"addressing_style": "path" if local else "virtual"},
            retries={"mode": "standard", "total_max_attempts": MAX_ATTEMPTS},
        ),
    )


@lru_cache(maxsize=1)
def sqs_client() -> Any:
    """One SQS client per process (the bulk jobs' steps)."""
    from botocore.config import Config

    return _botocore_session().create_client(
        "sqs",
        region_name=get_settings().region,
        config=Config(retries={"mode": "standard", "total_max_attempts": MAX_ATTEMPTS}),
    )


@lru_cache(maxsize=1)
def get_bulk_files() -> Any:
    """The bulk jobs' bucket and queue (BULK_BUCKET, BULK_QUEUE_URL), typed loosely to avoid
    import cost; StorageUnavailable (503) where none is configured."""
    from loyalty_core.repository.bulk_files import BulkFiles

    settings = get_settings()
    if settings.bulk_bucket is None:
        raise StorageUnavailable("Company imports and exports are not configured (BULK_BUCKET)")
    return BulkFiles(s3_client(), settings.bulk_bucket, sqs_client(), settings.bulk_queue_url)


@lru_cache(maxsize=1)
def get_repository() -> Any:
    """The process's repository (the DynamoDB adapter), typed loosely to avoid import cost."""
    from loyalty_core.repository.dynamodb import DynamoRepository

    settings = get_settings()
    return DynamoRepository(
        dynamodb_client(),
        settings.table_name,
        catalog_ttl_seconds=settings.catalog_ttl_seconds,
        audit_retention_days=settings.audit_retention_days,
    )


def reset() -> None:
    """Forget cached settings, client and repository (tests, local front restarts)."""
    get_repository.cache_clear()
    get_bulk_files.cache_clear()
    dynamodb_client.cache_clear()
    s3_client.cache_clear()
    sqs_client.cache_clear()
    get_settings.cache_clear()
