"""Translation between domain models and DynamoDB attribute maps."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from boto3.dynamodb.types import TypeDeserializer, TypeSerializer
from pydantic import BaseModel

_serializer = TypeSerializer()
_deserializer = TypeDeserializer()

Item = dict[str, dict[str, Any]]


def _plain(value: Any) -> Any:
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list | set):
        return [_plain(v) for v in value]
    return value


def to_item(fields: dict[str, Any], key: dict[str, dict[str, str]]) -> Item:
    """A DynamoDB item from plain JSON-able fields (None values are left out)."""
    item = {k: _serializer.serialize(v) for k, v in fields.items() if v is not None}
    item.update(key)
    return item


def model_item(model: BaseModel, key: dict[str, dict[str, str]], **extra: Any) -> Item:
    fields = model.model_dump(mode="json", exclude_none=True)
    fields.update(extra)
    return to_item(fields, key)


def from_item(item: Item) -> dict[str, Any]:
    """Plain fields from a DynamoDB item, keys dropped; re-validate them with a model."""
    return {
        k: _plain(_deserializer.deserialize(v)) for k, v in item.items() if k not in ("pk", "sk")
    }
