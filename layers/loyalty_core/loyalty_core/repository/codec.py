"""DynamoDB's attribute values, both ways, for the handful of types our items use:
strings, integers, booleans, maps and lists.

The layer talks to DynamoDB through botocore alone: boto3's TypeSerializer would pull in
boto3 and s3transfer (about 60 ms of every cold start, see `make bench`) for nothing
more. Whatever comes back from the table is validated again by its model.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from pydantic import BaseModel

AttributeValue = dict[str, Any]
Item = dict[str, AttributeValue]
KeyValue = dict[str, dict[str, str]]


def serialize(value: Any) -> AttributeValue:
    if value is None:
        return {"NULL": True}
    if isinstance(value, bool):
        return {"BOOL": value}
    if isinstance(value, int | float | Decimal):
        return {"N": str(value)}
    if isinstance(value, str):
        return {"S": value}
    if isinstance(value, dict):
        return {"M": {str(k): serialize(v) for k, v in value.items()}}
    if isinstance(value, list | tuple | set | frozenset):
        return {"L": [serialize(v) for v in value]}
    raise TypeError(f"cannot store {type(value).__name__} in DynamoDB")


def _number(text: str) -> int | float:
    if text.isdigit():  # the common case (counts, revisions, expiry): no Decimal needed
        return int(text)
    number = Decimal(text)
    return int(number) if number == number.to_integral_value() else float(number)


def deserialize(value: AttributeValue) -> Any:
    ((kind, data),) = value.items()
    if kind == "S" or kind == "BOOL":
        return data
    if kind == "M":
        return {k: deserialize(v) for k, v in data.items()}
    if kind == "N":
        return _number(data)
    if kind == "NULL":
        return None
    if kind == "L":
        return [deserialize(v) for v in data]
    if kind in ("SS", "NS"):
        return [deserialize({kind[0]: v}) for v in data]
    raise TypeError(f"unexpected DynamoDB type {kind}")


def values(fields: dict[str, Any]) -> Item:
    """Attribute values for an expression (`:name` -> value)."""
    return {name: serialize(value) for name, value in fields.items()}


def to_item(fields: dict[str, Any], key: KeyValue) -> Item:
    """A DynamoDB item from plain JSON-able fields (None values are left out)."""
    item = {name: serialize(v) for name, v in fields.items() if v is not None}
    item.update(key)
    return item


def from_item(item: Item) -> dict[str, Any]:
    """Plain fields from a DynamoDB item, keys dropped; re-validate them with a model."""
    return {name: deserialize(v) for name, v in item.items() if name not in ("pk", "sk")}


def model_item(model: BaseModel, key: KeyValue, **extra: Any) -> Item:
    """A model's item: its JSON fields (None left out), `extra` beside them, under `key`."""
    fields = model.model_dump(mode="json", exclude_none=True)
    fields.update(extra)
    return to_item(fields, key)
