"""A stubbed DynamoDB client: the low-level answers of a real table, from memory, instantly,
so the benchmark measures the handler's own overhead and nothing of the store."""

from __future__ import annotations

import copy
import re
from collections.abc import Callable
from typing import Any


class StubDynamoDB:
    def __init__(self, items: list[dict[str, Any]]) -> None:
        self.items = {(i["pk"]["S"], i["sk"]["S"]): i for i in items}
        self.calls: list[str] = []

    def snapshot(self) -> dict[tuple[str, str], dict[str, Any]]:
        return copy.deepcopy(self.items)

    def restore(self, saved: dict[tuple[str, str], dict[str, Any]]) -> None:
        self.items = copy.deepcopy(saved)

    def get_item(self, *, Key: dict[str, Any], **_: Any) -> dict[str, Any]:
        self.calls.append("GetItem")
        found = self.items.get((Key["pk"]["S"], Key["sk"]["S"]))
        return {"Item": found} if found else {}

    def query(
        self,
        *,
        KeyConditionExpression: str,
        ExpressionAttributeValues: dict[str, Any],
        Limit: int | None = None,
        ExclusiveStartKey: dict[str, Any] | None = None,
        ScanIndexForward: bool = True,
        **_: Any,
    ) -> dict[str, Any]:
        """The key conditions the repository sends: `begins_with(sk, :sk)`, `sk <= :sk`,
        `sk >= :sk`, `sk BETWEEN :low AND :high`; in key order (or reversed), from
        ExclusiveStartKey, at most Limit items."""
        self.calls.append("Query")
        values = {name: value.get("S", "") for name, value in ExpressionAttributeValues.items()}
        pk = values[":pk"]
        between = re.search(r"BETWEEN (:\w+) AND (:\w+)", KeyConditionExpression)
        low, high = (values[between.group(1)], values[between.group(2)]) if between else ("", "")
        bound = values.get(":sk", "")
        keeps: dict[str, Callable[[str], bool]] = {
            "BETWEEN": lambda sk: low <= sk <= high,
            "begins_with": lambda sk: sk.startswith(bound),
            "<=": lambda sk: sk <= bound,
            ">=": lambda sk: sk >= bound,
        }
        keep = next(test for op, test in keeps.items() if op in KeyConditionExpression)
        after = ExclusiveStartKey["sk"]["S"] if ExclusiveStartKey else None
        found = [
            v
            for (p, sk), v in sorted(self.items.items(), reverse=not ScanIndexForward)
            if p == pk
            and keep(sk)
            and (after is None or (sk > after if ScanIndexForward else sk < after))
        ]
        answer: dict[str, Any] = {"Items": found[:Limit], "Count": len(found[:Limit])}
        if Limit is not None and len(found) > Limit:
            last = found[Limit - 1]
            answer["LastEvaluatedKey"] = {"pk": last["pk"], "sk": last["sk"]}
        return answer

    def batch_get_item(self, *, RequestItems: dict[str, Any]) -> dict[str, Any]:
        self.calls.append("BatchGetItem")
        found = {
            table: [
                self.items[(k["pk"]["S"], k["sk"]["S"])]
                for k in request["Keys"]
                if (k["pk"]["S"], k["sk"]["S"]) in self.items
            ]
            for table, request in RequestItems.items()
        }
        return {"Responses": found, "UnprocessedKeys": {}}

    def batch_write_item(self, *, RequestItems: dict[str, Any]) -> dict[str, Any]:
        self.calls.append("BatchWriteItem")
        for requests in RequestItems.values():
            for request in requests:
                item = request["PutRequest"]["Item"]
                self.items[(item["pk"]["S"], item["sk"]["S"])] = item
        return {"UnprocessedItems": {}}

    def transact_write_items(
        self, *, TransactItems: list[dict[str, Any]], **_: Any
    ) -> dict[str, Any]:
        self.calls.append("TransactWriteItems")
        for action in TransactItems:
            if "Put" in action:
                item = action["Put"]["Item"]
                self.items[(item["pk"]["S"], item["sk"]["S"])] = item
            elif "Delete" in action:
                key = action["Delete"]["Key"]
                self.items.pop((key["pk"]["S"], key["sk"]["S"]), None)
            elif "Update" in action:  # the profile's guard: SET #name = :value, ...
                update = action["Update"]
                key = update["Key"]
                item = self.items[(key["pk"]["S"], key["sk"]["S"])]
                names = update.get("ExpressionAttributeNames", {})
                written = update["ExpressionAttributeValues"]
                for assignment in update["UpdateExpression"].removeprefix("SET ").split(","):
                    name, value = (part.strip() for part in assignment.split("="))
                    item[names.get(name, name)] = written[value]
        return {}
