"""Every environment variable the layer reads, in one model, and the clients built from it:
each made once per process by a cached factory (never at import time).

| variable | default | what |
| --- | --- | --- |
| TABLE_NAME | loyalty-memberships | the membership table |
| IDEMPOTENCY_TABLE_NAME | loyalty-idempotency | Powertools' idempotency records |
| IDEMPOTENCY_EXPIRES_AFTER_SECONDS | 86400 | how long an Idempotency-Key is remembered |
| AWS_REGION, AWS_DEFAULT_REGION | us-east-1 | the region of the tables |
| DYNAMODB_ENDPOINT_URL | (AWS) | another DynamoDB (the embedded one, a local one) |
| CATALOG_TTL_SECONDS | 300 | how long a container keeps the provider catalog |
| AUDIT_RETENTION_DAYS | 400 | how long audit records are kept (the table's TTL removes them) |
| POWERTOOLS_TRACE_DISABLED | true | false turns on X-Ray tracing (Powertools' Tracer) |
| POWERTOOLS_METRICS_NAMESPACE | LoyaltyMemberships | the CloudWatch namespace of our metrics |

Powertools reads its own POWERTOOLS_SERVICE_NAME and POWERTOOLS_LOG_LEVEL.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from functools import lru_cache
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, field_validator


class Settings(BaseModel):
    model_config = ConfigDict(frozen=True, populate_by_name=True, extra="ignore")

    table_name: str = Field("loyalty-memberships", alias="TABLE_NAME", min_length=3)
    idempotency_table_name: str = Field(
        "loyalty-idempotency", alias="IDEMPOTENCY_TABLE_NAME", min_length=3
    )
    idempotency_expires_after_seconds: int = Field(
        86400, alias="IDEMPOTENCY_EXPIRES_AFTER_SECONDS", ge=1
    )
    region: str = Field("us-east-1", alias="AWS_REGION", min_length=1)
    dynamodb_endpoint_url: str | None = Field(None, alias="DYNAMODB_ENDPOINT_URL")
    catalog_ttl_seconds: float = Field(300.0, alias="CATALOG_TTL_SECONDS", ge=0)
    audit_retention_days: int = Field(400, alias="AUDIT_RETENTION_DAYS", ge=1, le=3650)
    tracing: bool = Field(False, alias="POWERTOOLS_TRACE_DISABLED")
    metrics_namespace: str = Field(
        "LoyaltyMemberships", alias="POWERTOOLS_METRICS_NAMESPACE", min_length=1
    )

    @field_validator("dynamodb_endpoint_url", mode="before")
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
    return _botocore_session().create_client(
        "dynamodb",
        region_name=settings.region,
        endpoint_url=settings.dynamodb_endpoint_url,
        config=Config(
            retries={"mode": "standard", "max_attempts": 3},
            connect_timeout=2,
            read_timeout=5,
        ),
    )


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
    dynamodb_client.cache_clear()
    get_settings.cache_clear()
