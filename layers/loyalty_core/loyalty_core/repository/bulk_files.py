"""The bulk jobs' files (SPEC 14): one S3 bucket, the S3 and SQS knowledge of the jobs.

| object | key |
| --- | --- |
| an import's upload | imports/{company}/{job}/source (its ObjectCreated starts the job) |
| a job's state | jobs/{company}/{job}/job.json |
| a step's part (refused rows, an export's rows) | jobs/{company}/{job}/parts/{phase}-{n:06d} |
| an import's report | jobs/{company}/{job}/report.csv, report.json |
| an export's file | jobs/{company}/{job}/memberships.csv or .jsonl |

The company is part of every key: a caller reads only their company's jobs. The bucket's
lifecycle deletes every object 7 days after it was written. A step message on the jobs'
FIFO queue is `{"company", "job", "phase"}`, grouped by job: one step of a job at a time.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from typing import IO, Any

from botocore.exceptions import BotoCoreError, ClientError

from loyalty_core.errors import StorageUnavailable

UPLOADS = "imports/"
SOURCE = "source"


def source_key(company: str, job_id: str) -> str:
    return f"{UPLOADS}{company}/{job_id}/{SOURCE}"


def job_prefix(company: str, job_id: str) -> str:
    return f"jobs/{company}/{job_id}/"


def state_key(company: str, job_id: str) -> str:
    return job_prefix(company, job_id) + "job.json"


def part_key(company: str, job_id: str, phase: str, number: int) -> str:
    return job_prefix(company, job_id) + f"parts/{phase}-{number:06d}"


def file_key(company: str, job_id: str, name: str) -> str:
    return job_prefix(company, job_id) + name


def upload_of(key: str) -> tuple[str, str] | None:
    """(company, job id) of an upload's key; None for any other key."""
    parts = key.split("/")
    if len(parts) == 4 and parts[0] + "/" == UPLOADS and parts[3] == SOURCE:
        return parts[1], parts[2]
    return None


_MISSING = {"NoSuchKey", "404", "NotFound"}


@contextmanager
def _translated() -> Iterator[None]:
    try:
        yield
    except ClientError as err:
        code = err.response.get("Error", {}).get("Code", "")
        if code in _MISSING:
            raise FileNotFoundError(code) from err
        raise StorageUnavailable("The jobs' store failed; retry shortly") from err
    except BotoCoreError as err:
        raise StorageUnavailable("The jobs' store could not be reached") from err


class BulkFiles:
    """The jobs' bucket and queue."""

    def __init__(self, s3: Any, bucket: str, sqs: Any = None, queue_url: str | None = None):
        self.s3 = s3
        self.bucket = bucket
        self.sqs = sqs
        self.queue_url = queue_url

    # -- objects -------------------------------------------------------------------------------

    def get_json(self, key: str) -> Any:
        """A JSON object's content; None if there is none."""
        try:
            with _translated():
                body = self.s3.get_object(Bucket=self.bucket, Key=key)["Body"].read()
        except FileNotFoundError:
            return None
        return json.loads(body)

    def put_json(self, key: str, document: Any) -> None:
        body = json.dumps(document, ensure_ascii=False, separators=(",", ":")).encode()
        self.put_bytes(key, body, "application/json")

    def put_bytes(self, key: str, body: bytes, content_type: str) -> None:
        with _translated():
            self.s3.put_object(Bucket=self.bucket, Key=key, Body=body, ContentType=content_type)

    def put_file(self, key: str, data: IO[bytes], content_type: str) -> None:
        with _translated():
            self.s3.put_object(Bucket=self.bucket, Key=key, Body=data, ContentType=content_type)

    def head(self, key: str) -> tuple[int, str] | None:
        """An object's size in bytes and its ETag (another upload, another tag); None if
        there is none."""
        try:
            with _translated():
                found = self.s3.head_object(Bucket=self.bucket, Key=key)
        except FileNotFoundError:
            return None
        return int(found["ContentLength"]), str(found.get("ETag", ""))

    def open(self, key: str) -> IO[bytes]:
        """An object's content, streamed."""
        with _translated():
            body: IO[bytes] = self.s3.get_object(Bucket=self.bucket, Key=key)["Body"]
        return body

    # -- links -----------------------------------------------------------------------------------

    def upload_form(self, key: str, max_bytes: int, expires_seconds: int) -> dict[str, Any]:
        """A presigned POST that puts one object at `key`, of 1 to `max_bytes` bytes (S3
        refuses any other size), until `expires_seconds` from now: {"url", "fields"}."""
        with _translated():
            form: dict[str, Any] = self.s3.generate_presigned_post(
                self.bucket,
                key,
                Conditions=[["content-length-range", 1, max_bytes]],
                ExpiresIn=expires_seconds,
            )
        return form

    def download_url(self, key: str, expires_seconds: int, filename: str) -> str:
        """A presigned GET of `key`, saved as `filename`, until `expires_seconds` from now."""
        with _translated():
            url: str = self.s3.generate_presigned_url(
                "get_object",
                Params={
                    "Bucket": self.bucket,
                    "Key": key,
                    "ResponseContentDisposition": f'attachment; filename="{filename}"',
                },
                ExpiresIn=expires_seconds,
            )
        return url

    # -- the queue -------------------------------------------------------------------------------

    def send(self, job_id: str, message: dict[str, Any], once_as: str) -> None:
        """Queue a job's step on the FIFO queue: a job's steps in order, one at a time (the
        job is the message group); `once_as` makes sending it again within five minutes a
        no-op (its deduplication id)."""
        if self.sqs is None or self.queue_url is None:
            raise StorageUnavailable("The jobs' queue is not configured (BULK_QUEUE_URL)")
        with _translated():
            self.sqs.send_message(
                QueueUrl=self.queue_url,
                MessageBody=json.dumps(message),
                MessageGroupId=job_id,
                MessageDeduplicationId=once_as[:128],
            )
