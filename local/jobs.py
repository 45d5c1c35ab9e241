"""The company import and export jobs without AWS: their bucket and queues on moto's S3
and SQS (the embedded store's server under `make run`, `mock_aws` in the tests), and the
pump that hands what the queues hold to the worker's handler in-process, as Lambda's
event sources would.

Deployed, an upload reaches the worker through EventBridge; moto's S3 notifies a queue
instead (`UPLOADS_QUEUE`), whose messages the pump delivers as SQS records holding S3's
notification, which the worker reads alike. The steps queue is FIFO, as deployed.

    python -m local.jobs      # (run by `make run`) pump the jobs of the store it points at
"""

from __future__ import annotations

import contextlib
import json
import os
import sys
import time
from collections.abc import Callable, Mapping
from typing import Any

from local import gateway, template

BUCKET = "loyalty-bulk-local"
QUEUE = "loyalty-bulk-steps-local.fifo"
UPLOADS_QUEUE = "loyalty-bulk-uploads-local"
WORKER = "MembershipJobWorkerFunction"
LOCAL_VISIBILITY = 30  # seconds before a step that failed is delivered again (deployed: 960)

Invoke = Callable[[dict[str, Any]], Any]


def clients() -> tuple[Any, Any]:
    from loyalty_core import settings

    return settings.s3_client(), settings.sqs_client()


def prepare(s3: Any, sqs: Any) -> dict[str, str]:
    """The jobs' bucket and queues, created if missing; the environment that names them (for
    the functions: BULK_BUCKET, BULK_QUEUE_URL; for the pump: BULK_UPLOADS_QUEUE_URL)."""
    with contextlib.suppress(s3.exceptions.BucketAlreadyOwnedByYou):
        s3.create_bucket(Bucket=BUCKET)
    steps = sqs.create_queue(
        QueueName=QUEUE,
        Attributes={"FifoQueue": "true", "VisibilityTimeout": str(LOCAL_VISIBILITY)},
    )["QueueUrl"]
    uploads = sqs.create_queue(
        QueueName=UPLOADS_QUEUE, Attributes={"VisibilityTimeout": str(LOCAL_VISIBILITY)}
    )["QueueUrl"]
    arn = sqs.get_queue_attributes(QueueUrl=uploads, AttributeNames=["QueueArn"])
    s3.put_bucket_notification_configuration(
        Bucket=BUCKET,
        NotificationConfiguration={
            "QueueConfigurations": [
                {
                    "QueueArn": arn["Attributes"]["QueueArn"],
                    "Events": ["s3:ObjectCreated:*"],
                    "Filter": {"Key": {"FilterRules": [{"Name": "prefix", "Value": "imports/"}]}},
                }
            ]
        },
    )
    return {"BULK_BUCKET": BUCKET, "BULK_QUEUE_URL": steps, "BULK_UPLOADS_QUEUE_URL": uploads}


def is_s3_test_event(body: str) -> bool:
    """S3's message to a queue when a notification to it is configured: not an upload, so
    never the worker's (EventBridge, as deployed, sends none)."""
    with contextlib.suppress(ValueError):
        found = json.loads(body)
        return isinstance(found, dict) and found.get("Event") == "s3:TestEvent"
    return False


def invoke_worker(event: dict[str, Any]) -> Any:
    """The worker's handler, run in this process as one Lambda invocation."""
    props = template.functions()[WORKER]
    route = template.Route(
        WORKER,
        "ANY",
        "",
        template.ROOT / props["CodeUri"],
        props.get("Handler") or template.load()["Globals"]["Function"]["Handler"],
    )
    handler = getattr(gateway.handler_module(route), route.handler.rsplit(".", 1)[1])
    return handler(event, gateway.LambdaContext(WORKER, template.timeout(WORKER)))


def deliver(sqs: Any, queue_url: str, invoke: Invoke = invoke_worker, wait: int = 0) -> bool:
    """One message of a queue handed to the worker as an SQS event (deleted once the worker
    returns; left to be delivered again if it raised); whether there was one."""
    found = sqs.receive_message(
        QueueUrl=queue_url,
        MaxNumberOfMessages=1,
        WaitTimeSeconds=wait,
        AttributeNames=["All"],
    ).get("Messages", [])
    if not found:
        return False
    message = found[0]
    if is_s3_test_event(message["Body"]):
        sqs.delete_message(QueueUrl=queue_url, ReceiptHandle=message["ReceiptHandle"])
        return True
    record = {
        "messageId": message["MessageId"],
        "receiptHandle": message["ReceiptHandle"],
        "body": message["Body"],
        "attributes": message.get("Attributes", {}),
        "eventSource": "aws:sqs",
        "eventSourceARN": f"arn:aws:sqs:local:000000000000:{queue_url.rsplit('/', 1)[-1]}",
        "awsRegion": "us-east-1",
    }
    invoke({"Records": [record]})
    sqs.delete_message(QueueUrl=queue_url, ReceiptHandle=message["ReceiptHandle"])
    return True


def drain(sqs: Any, environ: Mapping[str, str], invoke: Invoke = invoke_worker) -> int:
    """Deliver what both queues hold, uploads first, until both are empty; how many."""
    delivered = 0
    queues = (environ["BULK_UPLOADS_QUEUE_URL"], environ["BULK_QUEUE_URL"])
    while any(deliver(sqs, url, invoke) for url in queues):
        delivered += 1
    return delivered


def pump(environ: Mapping[str, str]) -> None:
    """Deliver the queues' messages as they come, for ever (the `make run` front's helper
    process, like the workers: one Lambda container of the worker)."""
    _, sqs = clients()
    queues = (environ["BULK_UPLOADS_QUEUE_URL"], environ["BULK_QUEUE_URL"])
    while True:
        try:
            busy = any(deliver(sqs, url) for url in queues)
        except Exception as err:
            print(f"jobs: a step failed ({type(err).__name__}: {err}); it is retried", flush=True)
            busy = False
        if not busy:
            time.sleep(0.5)


def start(environ: Mapping[str, str]) -> Any:
    """The pump as a process of its own (stopped with the front)."""
    import subprocess

    return subprocess.Popen([sys.executable, "-m", "local.jobs"], env={**os.environ, **environ})


def main() -> int:
    from local.dynamo import use_local_credentials

    use_local_credentials()
    print(f"jobs: delivering {os.environ['BULK_QUEUE_URL']}'s steps to the worker", flush=True)
    with contextlib.suppress(KeyboardInterrupt):
        pump(os.environ)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
