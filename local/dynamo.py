"""DynamoDB for local runs: the embedded moto server, and the table as the template defines it."""

from __future__ import annotations

import os
import socket
import threading
from typing import Any

from local import template


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


_ATOMIC_OPERATIONS = (
    "put_item",
    "update_item",
    "delete_item",
    "transact_write_items",
    "get_item",
    "query",
)
_atomic_lock = threading.RLock()


def make_atomic() -> None:
    """Give moto DynamoDB's isolation: each request applies as one step.

    DynamoDB evaluates a condition and applies the write atomically, and a
    transaction is serialisable; moto checks and writes in separate Python steps,
    so two threads can both pass the same condition. Serialising moto's request
    methods restores DynamoDB's guarantee for concurrent local traffic and tests.
    """
    from moto.dynamodb.models import DynamoDBBackend

    share_stream_records()
    for name in _ATOMIC_OPERATIONS:
        method = getattr(DynamoDBBackend, name)
        if getattr(method, "_atomic", False):
            continue

        def atomic(self: Any, *args: Any, _method: Any = method, **kwargs: Any) -> Any:
            with _atomic_lock:
                return _method(self, *args, **kwargs)

        atomic._atomic = True  # type: ignore[attr-defined]
        setattr(DynamoDBBackend, name, atomic)


def share_stream_records() -> None:
    """Keep a table's stream out of moto's copies of the table.

    moto copies a whole table before each transaction, to put it back if the transaction
    fails; the table's stream (the webhooks' outbox) would be copied with it, every record
    written since the table was made, and each write would cost more than the last. Its
    records never change once written: the copies share them, and a transaction that fails
    takes back those it added (under `make_atomic`'s lock, so no other write's are)."""
    from moto.dynamodb.models import DynamoDBBackend
    from moto.dynamodb.models.table import StreamShard

    if getattr(StreamShard, "_shared", False):
        return
    transact = DynamoDBBackend.transact_write_items

    def shared(self: Any, memo: dict[int, Any]) -> Any:
        return self

    def transact_write_items(self: Any, *args: Any, **kwargs: Any) -> Any:
        shards = [t.stream_shard for t in self.tables.values() if t.stream_shard is not None]
        written = [len(shard.items) for shard in shards]
        try:
            return transact(self, *args, **kwargs)
        except Exception:
            for shard, count in zip(shards, written, strict=True):
                del shard.items[count:]
            raise

    StreamShard.__deepcopy__ = shared  # type: ignore[method-assign]
    StreamShard._shared = True  # type: ignore[attr-defined]
    DynamoDBBackend.transact_write_items = transact_write_items  # type: ignore[method-assign]


def use_local_credentials() -> None:
    """A local DynamoDB (embedded or not) takes any credentials; set some if none are."""
    os.environ.setdefault("AWS_ACCESS_KEY_ID", "local")
    os.environ.setdefault("AWS_SECRET_ACCESS_KEY", "local")
    os.environ.setdefault("AWS_DEFAULT_REGION", "us-east-1")


def start_embedded(port: int | None = None) -> tuple[Any, str]:
    """Start moto's DynamoDB on 127.0.0.1; returns (server, endpoint URL)."""
    from moto.server import ThreadedMotoServer

    make_atomic()
    use_local_credentials()
    port = port or free_port()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    return server, f"http://127.0.0.1:{port}"


def ensure_table(client: Any, table_name: str, logical_id: str = "Table") -> bool:
    """Create one of the template's tables if it is missing; True if it was created."""
    try:
        client.describe_table(TableName=table_name)
        return False
    except client.exceptions.ResourceNotFoundException:
        client.create_table(TableName=table_name, **template.table_definition(logical_id))
        client.get_waiter("table_exists").wait(TableName=table_name)
        ttl = template.time_to_live(logical_id)
        if ttl:
            client.update_time_to_live(TableName=table_name, TimeToLiveSpecification=ttl)
        return True


def ensure_tables(client: Any, table_name: str) -> bool:
    """Every table of the template (the membership table named `table_name`); True if the
    membership table was created."""
    created = {
        logical_id: ensure_table(client, name, logical_id)
        for logical_id, name in template.table_names(table_name).items()
    }
    return created["Table"]
