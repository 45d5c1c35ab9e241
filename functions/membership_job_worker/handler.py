"""The company import and export jobs' worker: one step of a job per invocation, started by
an upload to the jobs' bucket or a step on the jobs' FIFO queue; each step works until its
15 minutes are nearly up, saves where it got to and queues the next."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from loyalty_core import snapstart
from loyalty_core.interfaces.bulk import worker
from loyalty_core.observability import instrument
from loyalty_core.settings import get_bulk_files, get_repository

if TYPE_CHECKING:  # annotations only: nothing more to import at run time
    from aws_lambda_powertools.utilities.typing import LambdaContext

snapstart.register()  # SnapStart: warm before the snapshot, renew after restore


@instrument("bulk", deadline_per_invocation=False)  # each user's unit of work has its own
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    worker.handle(event, context, get_bulk_files(), get_repository())
    return {"batchItemFailures": []}
