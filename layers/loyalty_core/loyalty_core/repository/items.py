"""Translation between domain models and DynamoDB attribute values.

The layer talks to DynamoDB through botocore alone: boto3's TypeSerializer would
pull in boto3 and s3transfer (about 60 ms of every cold start, see `make bench`)
for the handful of types our items use: strings, integers, booleans, maps, lists.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from pydantic import BaseModel

AttributeValue = dict[str, Any]
Item = dict[str, AttributeValue]


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


def deserialize(value: AttributeValue) -> Any:
    ((kind, data),) = value.items()
    if kind == "S" or kind == "BOOL":
        return data
    if kind == "N":
        number = Decimal(data)
        return int(number) if number == number.to_integral_value() else float(number)
    if kind == "NULL":
        return None
    if kind == "M":
        return {k: deserialize(v) for k, v in data.items()}
    if kind == "L":
        return [deserialize(v) for v in data]
    if kind in ("SS", "NS"):
        return [deserialize({kind[0]: v}) for v in data]
    raise TypeError(f"unexpected DynamoDB type {kind}")


def to_item(fields: dict[str, Any], key: dict[str, dict[str, str]]) -> Item:
    """A DynamoDB item from plain JSON-able fields (None values are left out)."""
    item = {k: serialize(v) for k, v in fields.items() if v is not None}
    item.update(key)
    return item


def model_item(model: BaseModel, key: dict[str, dict[str, str]], **extra: Any) -> Item:
    fields = model.model_dump(mode="json", exclude_none=True)
    fields.update(extra)
    return to_item(fields, key)


def from_item(item: Item) -> dict[str, Any]:
    """Plain fields from a DynamoDB item, keys dropped; re-validate them with a model."""
    return {k: deserialize(v) for k, v in item.items() if k not in ("pk", "sk")}
