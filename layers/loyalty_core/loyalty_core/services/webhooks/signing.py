"""Standard Webhooks signatures (standardwebhooks.com): `webhook-id`, `webhook-timestamp`
and `webhook-signature`: `v1,` + base64 HMAC-SHA256 of `id.timestamp.body`, one per secret
that signs (both during a rotation's overlap, space-separated). Any Standard Webhooks
library verifies them. Ten lines of hmac: the reference library would bring its own
dependencies into the layer (docs/decisions.md); the tests verify with it."""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
from collections.abc import Sequence

SECRET_PREFIX = "whsec_"  # noqa: S105 - the prefix of every secret, not one
SECRET_BYTES = 32
CONTENT_TYPE = "application/cloudevents+json; charset=utf-8"
USER_AGENT = "loyalty-memberships-webhooks/1"


def new_secret() -> tuple[str, bytes]:
    """A fresh signing secret: as shown once (`whsec_` + base64) and as its key bytes."""
    key = secrets.token_bytes(SECRET_BYTES)
    return SECRET_PREFIX + base64.b64encode(key).decode("ascii"), key


def signature(key: bytes, event_id: str, timestamp: int, body: bytes) -> str:
    signed = b".".join([event_id.encode(), str(timestamp).encode(), body])
    return "v1," + base64.b64encode(hmac.new(key, signed, hashlib.sha256).digest()).decode()


def headers(keys: Sequence[bytes], event_id: str, timestamp: int, body: bytes) -> dict[str, str]:
    """The request headers of one delivery, signed with every key given."""
    return {
        "content-type": CONTENT_TYPE,
        "user-agent": USER_AGENT,
        "webhook-id": event_id,
        "webhook-timestamp": str(timestamp),
        "webhook-signature": " ".join(signature(k, event_id, timestamp, body) for k in keys),
    }
