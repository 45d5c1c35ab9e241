"""DynamoDB for local runs: the embedded store (moto's DynamoDB, made faithful by
`make_faithful`), and the tables as the template defines them.

moto emulates DynamoDB's API, not its guarantees nor its costs. `make_faithful` patches
moto's DynamoDB in this process (the embedded server and `mock_aws` alike) so that:

- every call is atomic and isolated, as DynamoDB applies each request as one step and
  serialises transactions: one lock around each request;
- a cancelled transaction puts back only the items it touched (an undo log), where moto
  restores a deep copy of every table it touched, taken when it started: a cost that grows
  with the table, and a restore that would lose any write made meanwhile;
- a Query reads its partition's items in its key range only (each partition keeps its sort
  keys in order), where moto sorts every item of the table on every Query;
- moto's registry of model instances is off for DynamoDB: kept for moto's dashboard and
  never emptied, it held every item ever written and every copy of one (a transaction
  copied the whole table), so the store grew by the table's size on every write;
- the answers of the item operations (GetItem, Query, TransactWriteItems, ...) are written
  as the JSON they already are, where moto walks botocore's output shape member by member:
  0.6 s for a Query of 100 items of ours, most of the time of every test and `make run`
  call that reads a user's memberships. The same JSON: the output shape's members, binary
  values in base64 (tests/integration/test_embedded_store.py holds it to moto's).
"""

from __future__ import annotations

import base64
import bisect
import copy
import json
import os
import socket
import threading
from collections import defaultdict
from typing import Any

from local import template

# The one lock of the embedded store: each DynamoDB request holds it while moto serves it.
STORE_LOCK = threading.RLock()
# The key conditions a Query can have on a sort key (moto's names for them).
_RANGE_CONDITIONS = frozenset({None, "=", "<", "<=", ">", ">=", "BETWEEN", "BEGINS_WITH"})


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


class SortedPartition(dict[Any, Any]):
    """One partition's items by sort key, iterated in sort-key order as DynamoDB returns
    them, with the sort keys kept sorted so that a Query finds its range by bisection."""

    def __init__(self) -> None:
        super().__init__()
        self.order: list[Any] = []  # the sort keys' values (DynamoType.cast_value), sorted
        self.sort_keys: list[Any] = []  # the sort keys themselves (DynamoType), alike

    def __setitem__(self, key: Any, item: Any) -> None:
        if key not in self:
            at = bisect.bisect_left(self.order, key.cast_value)
            self.order.insert(at, key.cast_value)
            self.sort_keys.insert(at, key)
        super().__setitem__(key, item)

    def __delitem__(self, key: Any) -> None:
        super().__delitem__(key)
        at = bisect.bisect_left(self.order, key.cast_value)
        del self.order[at]
        del self.sort_keys[at]

    def pop(self, key: Any, *default: Any) -> Any:
        if key in self:
            item = self[key]
            del self[key]
            return item
        if default:
            return default[0]
        raise KeyError(key)

    def popitem(self) -> tuple[Any, Any]:
        if not self:
            raise KeyError("popitem(): the partition is empty")
        key = self.sort_keys[-1]
        return key, self.pop(key)

    def setdefault(self, key: Any, default: Any = None) -> Any:
        if key not in self:
            self[key] = default
        return self[key]

    def update(self, *args: Any, **kwargs: Any) -> None:
        for key, item in dict(*args, **kwargs).items():
            self[key] = item

    def clear(self) -> None:
        super().clear()
        self.order.clear()
        self.sort_keys.clear()

    def __iter__(self) -> Any:
        return iter(list(self.sort_keys))

    def keys(self) -> Any:
        return list(self.sort_keys)

    def values(self) -> Any:
        return [self[key] for key in self.sort_keys]

    def items(self) -> Any:
        return [(key, self[key]) for key in self.sort_keys]

    def __deepcopy__(self, memo: dict[int, Any]) -> SortedPartition:
        copied = SortedPartition()
        memo[id(self)] = copied
        copied.order = list(self.order)  # str, Decimal or bytes: immutable
        copied.sort_keys = [copy.deepcopy(key, memo) for key in self.sort_keys]
        items = (copy.deepcopy(self[key], memo) for key in self.sort_keys)
        dict.update(copied, zip(copied.sort_keys, items, strict=True))
        return copied

    def __reduce__(self) -> Any:
        return (SortedPartition, (), None, None, iter(self.items()))


def _range_in(partition: SortedPartition, condition: str | None, values: list[Any]) -> range:
    """The positions of the partition's sort keys that meet a key condition (one block:
    the keys are sorted, and each condition holds on a contiguous run of them)."""
    order = partition.order
    low, high = 0, len(order)
    if condition == "=":
        low, high = bisect.bisect_left(order, values[0]), bisect.bisect_right(order, values[0])
    elif condition == "<":
        high = bisect.bisect_left(order, values[0])
    elif condition == "<=":
        high = bisect.bisect_right(order, values[0])
    elif condition == ">":
        low = bisect.bisect_right(order, values[0])
    elif condition == ">=":
        low = bisect.bisect_left(order, values[0])
    elif condition == "BETWEEN":
        low, high = bisect.bisect_left(order, values[0]), bisect.bisect_right(order, values[1])
    elif condition == "BEGINS_WITH":
        prefix = values[0]
        low = bisect.bisect_left(order, prefix)
        high = bisect.bisect_left(order, True, low, key=lambda v: not v.startswith(prefix))
    return range(low, max(low, high))


def _query_partition(table: Any, query: dict[str, Any]) -> Any:
    """moto's Query of a table (not an index) by its partition and sort key, reading only
    the items in the key range: (items, scanned count, LastEvaluatedKey), as moto answers;
    None when the query is of another kind (then moto's own Query answers it)."""
    from moto.dynamodb.models.dynamo_type import DynamoType
    from moto.dynamodb.models.table import RESULT_SIZE_LIMIT

    hash_key, condition = query["hash_key"], query["range_comparison"]
    range_objs, limit, start = query["range_objs"], query["limit"], query["exclusive_start_key"]
    range_conditions = query.get("range_key_conditions") or []
    if (
        query.get("index_name")
        or query["filter_kwargs"]
        or table.range_key_attr is None
        or hash_key is None
        or len(query.get("hash_key_conditions") or []) > 1
        or len(range_conditions) > 1
        or any(name != table.range_key_attr for name, _, _ in range_conditions)
        or condition not in _RANGE_CONDITIONS
        or any(v.type != table.range_key_type for v in range_objs)
        or (condition == "BEGINS_WITH" and table.range_key_type not in ("S", "B"))
        or (limit is not None and limit < 1)
    ):
        return None
    partition = table.items.get(hash_key)
    if partition is None:
        return [], 0, None
    if not isinstance(partition, SortedPartition):
        return None
    positions = _range_in(partition, condition, [v.cast_value for v in range_objs])
    forward = query["scan_index_forward"] is not False
    if start is not None:
        try:
            same_partition = DynamoType(start[table.hash_key_attr]) == hash_key
            after = DynamoType(start[table.range_key_attr])
        except (KeyError, TypeError, IndexError):
            return None
        if not same_partition or after.type != table.range_key_type:
            return None
        # As moto: past the start key in the query's direction.
        if forward:
            first = bisect.bisect_right(partition.order, after.cast_value)
            positions = range(max(positions.start, first), max(positions.stop, first))
        else:
            last = bisect.bisect_left(partition.order, after.cast_value)
            positions = range(min(positions.start, last), min(positions.stop, last))
    ordered = positions if forward else reversed(positions)
    results: list[Any] = []
    size = 0
    last_key = None
    for at in ordered:
        item = partition[partition.sort_keys[at]]
        if len(results) == limit or size + item.size() > RESULT_SIZE_LIMIT:
            last_key = table._get_last_evaluated_key(results[-1], None)
            break
        results.append(item)
        size += item.size()
    else:
        # moto goes on past the key range (its items are not returned) and so answers a
        # LastEvaluatedKey when the limit is met and the partition has items beyond.
        beyond = positions.stop < len(partition) if forward else positions.start > 0
        if results and len(results) == limit and beyond:
            last_key = table._get_last_evaluated_key(results[-1], None)
    scanned = len(results)
    results = copy.deepcopy(results)
    if query["filter_expression"] is not None:
        results = [item for item in results if query["filter_expression"].expr(item)]
    if query["projection_expressions"]:
        results = [item.project(query["projection_expressions"]) for item in results]
    return results, scanned, last_key


class UndoLog:
    """What a transaction changed, to put back if it is cancelled: each item it touched as
    it was before (or its absence), and each touched table's stream as long as it was."""

    def __init__(self, backend: Any) -> None:
        self.backend = backend
        self.entries: list[tuple[Any, Any, Any, bool, Any]] = []
        self.streams: dict[int, tuple[Any, int]] = {}

    def remember(self, table_name: str, key: dict[str, Any], changes_in_place: bool) -> None:
        """Before an action reads or writes its item (a read may leave an empty partition
        behind, which a cancelled transaction must not leave either)."""
        try:
            table = self.backend.get_table(table_name)
            hash_value, range_value = self.backend.get_keys_value(table, key)
        except Exception:  # the action's own read raises moto's error next, before any change
            return
        existed = hash_value in table.items
        if table.range_key_attr is None:
            before = table.items.get(hash_value)
        else:
            before = table.items[hash_value].get(range_value) if existed else None
        if before is not None and changes_in_place:  # an Update changes its Item in place
            before = copy.deepcopy(before)
        shard = table.stream_shard
        if shard is not None:
            self.streams.setdefault(id(table), (shard, len(shard.items)))
        self.entries.append((table, hash_value, range_value, existed, before))

    def undo(self) -> None:
        for table, hash_value, range_value, existed, before in reversed(self.entries):
            if table.range_key_attr is None:
                if before is None:
                    table.items.pop(hash_value, None)
                else:
                    table.items[hash_value] = before
                continue
            if before is not None:
                table.items[hash_value][range_value] = before
            elif hash_value in table.items:
                table.items[hash_value].pop(range_value, None)
            if not existed and hash_value in table.items and not table.items[hash_value]:
                del table.items[hash_value]
        for shard, length in self.streams.values():
            del shard.items[length:]


def transact_write_items(backend: Any, transact_items: list[dict[str, Any]]) -> None:
    """moto's TransactWriteItems, the same checks in the same order with the same errors
    and cancellation reasons, but undone by an undo log of the items it touched (moto
    restores a deep copy of each table taken at the start). Unlike moto, a request that
    names two operations in one action changes nothing (moto keeps the actions before it)."""
    from moto.dynamodb.comparisons import get_filter_expression
    from moto.dynamodb.exceptions import (
        ConditionalCheckFailed,
        MockValidationException,
        MultipleTransactionsException,
        TooManyTransactionsException,
        TransactionCanceledException,
        TransactWriteSingleOpException,
    )

    if len(transact_items) > 100:
        raise TooManyTransactionsException()
    undo = UndoLog(backend)
    target_items: set[tuple[str, str]] = set()

    def check_unicity(table_name: str, key: dict[str, Any]) -> None:
        item = (str(table_name), str(dict(sorted(key.items()))))
        if item in target_items:
            raise MultipleTransactionsException()
        target_items.add(item)

    errors: list[tuple[Any, Any, Any]] = []  # [(Code, Message, Item), ..]
    try:
        for item in transact_items:
            original_item: dict[str, Any] | None = None
            if len(list(item.keys())) > 1:
                raise TransactWriteSingleOpException
            try:
                op_type, op = next(iter(item.items()))
                if op_type not in {"ConditionCheck", "Put", "Delete", "Update"}:
                    raise ValueError("Unsupported transaction operation")
                table_name = op["TableName"]
                condition_expression = op.get("ConditionExpression")
                names = op.get("ExpressionAttributeNames")
                values = op.get("ExpressionAttributeValues")
                return_on_failure = op.get("ReturnValuesOnConditionCheckFailure")
                if op_type == "Put":
                    attrs = op["Item"]
                    table = backend.get_table(table_name)
                    key = {table.hash_key_attr: attrs[table.hash_key_attr]}
                    if table.range_key_attr is not None:
                        key[table.range_key_attr] = attrs[table.range_key_attr]
                else:
                    key = op["Key"]
                check_unicity(table_name, key)
                undo.remember(table_name, key, changes_in_place=op_type == "Update")
                current = backend.get_item(table_name, key)
                if condition_expression is not None:
                    condition_op = get_filter_expression(condition_expression, names, values)
                    if not condition_op.expr(current):
                        if return_on_failure == "ALL_OLD" and current:
                            original_item = current.to_json()["Attributes"]
                        raise ConditionalCheckFailed(item=original_item)
                if op_type == "Put":
                    backend.put_item(
                        table_name,
                        op["Item"],
                        condition_expression=condition_expression,
                        expression_attribute_names=names,
                        expression_attribute_values=values,
                    )
                elif op_type == "Delete":
                    backend.delete_item(
                        table_name,
                        key,
                        condition_expression=condition_expression,
                        expression_attribute_names=names,
                        expression_attribute_values=values,
                    )
                elif op_type == "Update":
                    backend.update_item(
                        table_name,
                        key,
                        update_expression=op["UpdateExpression"],
                        condition_expression=condition_expression,
                        expression_attribute_names=names,
                        expression_attribute_values=values,
                    )
                errors.append((None, None, None))
            except (MultipleTransactionsException, MockValidationException):
                raise
            except ConditionalCheckFailed as e:
                errors.append(("ConditionalCheckFailed", str(e.message), original_item))
            except Exception as e:  # as moto: any other failure is the action's reason
                errors.append((type(e).__name__, str(e), original_item))
    except BaseException:
        undo.undo()
        raise
    if any(code is not None for code, _, _ in errors):
        undo.undo()
        raise TransactionCanceledException(errors)


def _untracked_new(cls: type, *args: Any, **kwargs: Any) -> Any:
    return object.__new__(cls)


# The operations whose answers are items and counts: plain JSON once the output shape's
# members are kept (the control plane, with its dates, goes through moto's serializer).
ITEM_OPERATIONS = frozenset(
    {
        "GetItem",
        "PutItem",
        "UpdateItem",
        "DeleteItem",
        "Query",
        "Scan",
        "BatchGetItem",
        "BatchWriteItem",
        "TransactGetItems",
        "TransactWriteItems",
    }
)
_members: dict[str, frozenset[str]] = {}


def _output_members(operation: str) -> frozenset[str]:
    if operation not in _members:
        from moto.core.utils import get_service_model

        shape = get_service_model("dynamodb").operation_model(operation).output_shape
        _members[operation] = frozenset(shape.members if shape is not None else ())
    return _members[operation]


def _blob(value: Any) -> str:
    if isinstance(value, bytes):
        return base64.b64encode(value).decode("ascii")
    raise TypeError(f"{type(value).__name__} is not an item value")


def item_answer(operation: str, result: dict[str, Any]) -> str:
    """The JSON body of an item operation's answer, as moto's serializer writes it."""
    members = _output_members(operation)
    return json.dumps({k: v for k, v in result.items() if k in members}, default=_blob)


def make_faithful() -> None:
    """Patch moto's DynamoDB in this process (once) to keep DynamoDB's guarantees at
    DynamoDB's cost per call: see this module's docstring."""
    from moto.core.model_instances import model_data
    from moto.dynamodb.models import DynamoDBBackend
    from moto.dynamodb.models.table import Table
    from moto.dynamodb.responses import DynamoHandler

    if getattr(DynamoDBBackend, "faithful", False):
        return

    for model in model_data["dynamodb"].values():
        model.__new__ = staticmethod(_untracked_new)  # type: ignore[attr-defined]
        model.instances_tracked.clear()  # type: ignore[attr-defined]

    moto_call_action = DynamoHandler.call_action

    def call_action(self: Any) -> Any:
        with STORE_LOCK:
            return moto_call_action(self)

    DynamoHandler.call_action = call_action  # type: ignore[method-assign]

    moto_serialized = DynamoHandler.serialized

    def serialized(self: Any, action_result: Any) -> Any:
        from moto.core.responses import ActionResult

        operation, result = self._get_action(), action_result.result
        plain = type(action_result).execute_result is ActionResult.execute_result
        if operation not in ITEM_OPERATIONS or not isinstance(result, dict) or not plain:
            return moto_serialized(self, action_result)
        headers = {"Content-Type": "application/x-amz-json-1.0", **self.response_headers}
        return 200, headers, item_answer(operation, result)

    DynamoHandler.serialized = serialized  # type: ignore[method-assign]
    DynamoHandler.moto_serialized = moto_serialized  # type: ignore[attr-defined]

    moto_table_init = Table.__init__

    def table_init(self: Any, *args: Any, **kwargs: Any) -> None:
        moto_table_init(self, *args, **kwargs)
        if self.range_key_attr is not None and not self.items:
            self.items = defaultdict(SortedPartition)

    Table.__init__ = table_init  # type: ignore[method-assign]

    moto_query = Table.query

    def query(
        self: Any,
        hash_key: Any,
        range_comparison: str | None,
        range_objs: list[Any],
        limit: int,
        exclusive_start_key: dict[str, Any],
        scan_index_forward: bool,
        projection_expressions: Any,
        index_name: str | None = None,
        consistent_read: bool = False,
        filter_expression: Any = None,
        hash_key_conditions: Any = None,
        range_key_conditions: Any = None,
        **filter_kwargs: Any,
    ) -> Any:
        answer = _query_partition(
            self,
            {
                "hash_key": hash_key,
                "range_comparison": range_comparison,
                "range_objs": range_objs,
                "limit": limit,
                "exclusive_start_key": exclusive_start_key,
                "scan_index_forward": scan_index_forward,
                "projection_expressions": projection_expressions,
                "index_name": index_name,
                "filter_expression": filter_expression,
                "hash_key_conditions": hash_key_conditions,
                "range_key_conditions": range_key_conditions,
                "filter_kwargs": filter_kwargs,
            },
        )
        if answer is not None:
            return answer
        return moto_query(
            self,
            hash_key,
            range_comparison,
            range_objs,
            limit,
            exclusive_start_key,
            scan_index_forward,
            projection_expressions,
            index_name,
            consistent_read,
            filter_expression,
            hash_key_conditions=hash_key_conditions,
            range_key_conditions=range_key_conditions,
            **filter_kwargs,
        )

    Table.query = query  # type: ignore[method-assign]
    DynamoDBBackend.moto_transact_write_items = DynamoDBBackend.transact_write_items  # type: ignore[attr-defined]
    DynamoDBBackend.transact_write_items = transact_write_items  # type: ignore[method-assign,assignment]
    Table.moto_query = moto_query  # type: ignore[attr-defined]
    DynamoDBBackend.faithful = True  # type: ignore[attr-defined]


make_atomic = make_faithful  # the name the test fixtures know it by


def use_local_credentials() -> None:
    """A local DynamoDB (embedded or not) takes any credentials; set some if none are."""
    os.environ.setdefault("AWS_ACCESS_KEY_ID", "local")
    os.environ.setdefault("AWS_SECRET_ACCESS_KEY", "local")
    os.environ.setdefault("AWS_DEFAULT_REGION", "us-east-1")


def start_embedded(port: int | None = None) -> tuple[Any, str]:
    """Start the faithful moto DynamoDB on 127.0.0.1; returns (server, endpoint URL)."""
    from moto.server import ThreadedMotoServer

    make_faithful()
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
