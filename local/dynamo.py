"""DynamoDB for local runs: the embedded moto server, and the table as the template defines it."""

from __future__ import annotations

import os
import socket
from typing import Any

from local import template


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def start_embedded(port: int | None = None) -> tuple[Any, str]:
    """Start moto's DynamoDB on 127.0.0.1; returns (server, endpoint URL)."""
    from moto.server import ThreadedMotoServer

    os.environ.setdefault("AWS_ACCESS_KEY_ID", "local")
    os.environ.setdefault("AWS_SECRET_ACCESS_KEY", "local")
    os.environ.setdefault("AWS_DEFAULT_REGION", "us-east-1")
    port = port or free_port()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    return server, f"http://127.0.0.1:{port}"


def ensure_table(client: Any, table_name: str) -> bool:
    """Create the template's table if it is missing; True if it was created."""
    try:
        client.describe_table(TableName=table_name)
        return False
    except client.exceptions.ResourceNotFoundException:
        client.create_table(TableName=table_name, **template.table_definition())
        client.get_waiter("table_exists").wait(TableName=table_name)
        return True
