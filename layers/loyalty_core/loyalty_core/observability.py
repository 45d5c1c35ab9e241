"""Logs, metrics and (when switched on) traces for every handler, set by POWERTOOLS_*
variables: POWERTOOLS_SERVICE_NAME, POWERTOOLS_LOG_LEVEL, POWERTOOLS_METRICS_NAMESPACE,
POWERTOOLS_TRACE_DISABLED.

Every log line carries the API Gateway request id as correlation id, the interface, and,
once the caller is known, its company and partner (user or application). Nothing here
logs a token, a password or a whole card or account number: `mask` (in `validators`,
which the audit trail uses too) keeps the last four.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

from aws_lambda_powertools import Logger, Metrics
from aws_lambda_powertools.logging import correlation_paths
from aws_lambda_powertools.metrics import MetricUnit

from loyalty_core.settings import get_settings, store_deadline
from loyalty_core.validators import mask

logger = Logger()
metrics = Metrics()  # its namespace is set from the settings by `instrument`

Handler = Callable[[dict[str, Any], Any], dict[str, Any]]


def count(name: str, value: int = 1) -> None:
    """Add to one of the interface's outcome metrics (flushed as EMF after the request)."""
    metrics.add_metric(name=name, unit=MetricUnit.Count, value=value)


def record(outcome: str, membership: Any = None, **fields: Any) -> None:
    """Count an outcome and log it, masking any account number."""
    count(outcome)
    if membership is not None:
        fields.update(
            membership_id=membership.id,
            provider_id=membership.provider_id,
            account_number=mask(membership.account_number),
        )
    logger.info(outcome, outcome=outcome, **fields)


def identify(company: str, partner: str) -> None:
    """Name the caller on every following log line of this request."""
    logger.append_keys(company=company, partner=partner)


def instrument(
    interface: str, deadline_per_invocation: bool = True
) -> Callable[[Handler], Handler]:
    """The Lambda entry point's decorators: logging context, metrics, optional tracing,
    and the invocation's deadline for DynamoDB (`settings.store_deadline`), unless the
    handler gives each unit of its work a deadline of its own (a job's worker)."""

    settings = get_settings()
    metrics.namespace = settings.metrics_namespace

    def wrap(handler: Handler) -> Handler:
        @functools.wraps(handler)
        def with_interface(event: dict[str, Any], context: Any) -> dict[str, Any]:
            logger.append_keys(interface=interface)
            metrics.add_dimension(name="interface", value=interface)
            count("Requests")
            if not deadline_per_invocation:
                return handler(event, context)
            remaining = context.get_remaining_time_in_millis() if context is not None else None
            with store_deadline(remaining):
                return handler(event, context)

        wrapped: Handler = metrics.log_metrics(capture_cold_start_metric=True)(with_interface)
        wrapped = logger.inject_lambda_context(
            correlation_id_path=correlation_paths.API_GATEWAY_REST, clear_state=True
        )(wrapped)
        if settings.tracing:  # the X-Ray SDK is imported only when tracing is on
            from aws_lambda_powertools import Tracer

            wrapped = Tracer().capture_lambda_handler(wrapped)
        return wrapped

    return wrap
