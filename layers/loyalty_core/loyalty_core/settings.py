"""Settings and clients, built once per process by cached factories (never at import)."""

from __future__ import annotations

import os
from dataclasses import dataclass
from functools import lru_cache
from typing import Any


@dataclass(frozen=True)
class Settings:
    table_name: str
    region: str
    dynamodb_endpoint_url: str | None
    catalog_ttl_seconds: float
    max_body_bytes: int


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return Settings(
        table_name=os.environ.get("TABLE_NAME", "loyalty-memberships"),
        region=os.environ.get("AWS_REGION") or os.environ.get("AWS_DEFAULT_REGION") or "us-east-1",
        dynamodb_endpoint_url=os.environ.get("DYNAMODB_ENDPOINT_URL") or None,
        catalog_ttl_seconds=float(os.environ.get("CATALOG_TTL_SECONDS", "300")),
        max_body_bytes=int(os.environ.get("MAX_BODY_BYTES", str(1024 * 1024))),
    )


@lru_cache(maxsize=1)
def dynamodb_client() -> Any:
    """One low-level DynamoDB client per process, reused across invocations.

    Made with botocore directly: importing boto3 costs cold-start time for nothing here.
    """
    from botocore.config import Config
    from botocore.session import get_session

    settings = get_settings()
    return get_session().create_client(
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
        dynamodb_client(), settings.table_name, catalog_ttl_seconds=settings.catalog_ttl_seconds
    )


def reset() -> None:
    """Forget cached settings, client and repository (tests, local front restarts)."""
    get_repository.cache_clear()
    dynamodb_client.cache_clear()
    get_settings.cache_clear()
