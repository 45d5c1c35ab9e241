"""Webhook fan-out: the table's stream (a batch of records) to the delivery queue, one
message per event and subscription (SPEC 13)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from loyalty_core import snapstart
from loyalty_core.services.webhooks import fanout
from loyalty_core.services.webhooks.runtime import get_webhooks, instrument_worker

if TYPE_CHECKING:  # annotations only: nothing more to import at run time
    from aws_lambda_powertools.utilities.typing import LambdaContext

snapstart.register(get_webhooks)  # SnapStart: warm before the snapshot, renew after restore


@instrument_worker("webhook-fanout")
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return fanout.process_batch(get_webhooks(), event, context)
