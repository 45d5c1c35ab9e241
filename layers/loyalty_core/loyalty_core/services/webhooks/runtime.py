"""The webhook services as a Lambda function runs them: built once per process from the
settings (never at import time), and the entry point's decorators for the functions the
stream and the queue invoke."""

from __future__ import annotations

import functools
from collections.abc import Callable
from functools import lru_cache
from typing import TYPE_CHECKING, Any

from loyalty_core.observability import logger, metrics
from loyalty_core.services.webhooks.context import Webhooks
from loyalty_core.settings import _botocore_session, get_repository, get_settings

if TYPE_CHECKING:
    from loyalty_core.models import Membership
    from loyalty_core.settings import Settings

Handler = Callable[[dict[str, Any], Any], dict[str, Any]]


def _client(service: str, settings: Settings) -> Any:
    """A client for SQS or KMS: its endpoint as botocore finds it (AWS, or a local one named
    by AWS_ENDPOINT_URL_SQS / AWS_ENDPOINT_URL_KMS), short time limits, standard retries."""
    from botocore.config import Config

    config = Config(
        retries={"mode": "standard", "total_max_attempts": 3},
        connect_timeout=2,
        read_timeout=5,
    )
    return _botocore_session().create_client(service, region_name=settings.region, config=config)


@lru_cache(maxsize=1)
def _webhooks(settings: Settings) -> Webhooks:
    from loyalty_core.repository.webhooks import DynamoWebhooks
    from loyalty_core.services.webhooks.aws import KmsSecretBox, SqsQueue
    from loyalty_core.services.webhooks.sender import HttpSender
    from loyalty_core.services.webhooks.targets import system_resolver
    from loyalty_core.settings import dynamodb_client

    local = settings.webhook_local_targets
    return Webhooks(
        store=DynamoWebhooks(
            dynamodb_client(),
            settings.table_name,
            audit_retention_days=settings.audit_retention_days,
        ),
        memberships=get_repository(),
        box=KmsSecretBox(_client("kms", settings), settings.webhook_kms_key_id),
        queue=SqsQueue(
            _client("sqs", settings),
            settings.webhook_queue_url,
            settings.webhook_dead_letter_queue_url,
        ),
        send=HttpSender(system_resolver, local=local),
        resolve=system_resolver,
        render=renderer(settings.public_api_url),
        local_targets=local,
    )


def renderer(public_api_url: str) -> Callable[[Membership], dict[str, Any]]:
    """A membership as an admin GETs it through the API at `public_api_url`."""
    from loyalty_core.interfaces.links import PublicUrl
    from loyalty_core.interfaces.locomote.views import membership_resource

    url = PublicUrl(public_api_url.rstrip("/"))
    return lambda membership: membership_resource(membership, url)


def get_webhooks() -> Webhooks:
    """The process's webhook services (rebuilt when the settings are reset)."""
    return _webhooks(get_settings())


def instrument_worker(name: str) -> Callable[[Handler], Handler]:
    """The entry point's decorators for a function the stream or the queue invokes: the
    logs' context and the metrics (the API's `instrument` reads an API Gateway request)."""
    settings = get_settings()
    metrics.namespace = settings.metrics_namespace

    def wrap(handler: Handler) -> Handler:
        @functools.wraps(handler)
        def with_name(event: dict[str, Any], context: Any) -> dict[str, Any]:
            logger.append_keys(interface=name)
            metrics.add_dimension(name="interface", value=name)
            metrics.add_metric(name="Invocations", unit="Count", value=1)
            return handler(event, context)

        wrapped: Handler = metrics.log_metrics(with_name)
        wrapped = logger.inject_lambda_context(clear_state=True)(wrapped)
        if settings.tracing:
            from aws_lambda_powertools import Tracer

            wrapped = Tracer().capture_lambda_handler(wrapped)
        return wrapped

    return wrap
