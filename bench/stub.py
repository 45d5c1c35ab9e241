"""A stubbed DynamoDB client: the low-level answers of a real table, from memory, instantly,
so the benchmark measures the handler's own overhead and nothing of the store."""

from __future__ import annotations

import copy
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

    def query(self, *, ExpressionAttributeValues: dict[str, Any], **_: Any) -> dict[str, Any]:
        self.calls.append("Query")
        pk = ExpressionAttributeValues[":pk"]["S"]
        prefix = ExpressionAttributeValues.get(":sk", {}).get("S", "")
        found = [v for (p, s), v in sorted(self.items.items()) if p == pk and s.startswith(prefix)]
        return {"Items": found, "Count": len(found)}

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
            elif "Update" in action:  # the profile's guard: revision and count
                key = action["Update"]["Key"]
                item = self.items[(key["pk"]["S"], key["sk"]["S"])]
                written = action["Update"]["ExpressionAttributeValues"]
                item.update(revision=written[":next"], membership_count=written[":count"])
        return {}
