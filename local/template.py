"""Read what the local tools need from template.yaml: routes, handlers, env, the table."""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cached_property, lru_cache
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parent.parent
TEMPLATE = ROOT / "template.yaml"


# libyaml's parser where PyYAML has it (its wheels do): several times faster on the template,
# which every local front, worker and tool reads.
_SafeLoader: type[yaml.SafeLoader] = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class _CfnLoader(_SafeLoader):
    """A YAML loader that keeps CloudFormation tags (!Ref, !GetAtt, !Sub...) as data."""


def _tag(loader: yaml.SafeLoader, suffix: str, node: yaml.Node) -> dict[str, Any]:
    name = "Ref" if suffix == "Ref" else f"Fn::{suffix}"
    if isinstance(node, yaml.ScalarNode):
        value: Any = loader.construct_scalar(node)
    elif isinstance(node, yaml.SequenceNode):
        value = loader.construct_sequence(node, deep=True)
    else:
        value = loader.construct_mapping(node, deep=True)  # type: ignore[arg-type]
    return {name: value}


_CfnLoader.add_multi_constructor("!", _tag)


@lru_cache(maxsize=1)
def load() -> dict[str, Any]:
    with TEMPLATE.open() as f:
        loaded: dict[str, Any] = yaml.load(f, Loader=_CfnLoader)  # noqa: S506 - SafeLoader subclass
    return loaded


@dataclass(frozen=True)
class Route:
    function: str  # logical id
    method: str  # upper case, or ANY
    path: str  # /api/users/{employee_id}/loyalty_memberships
    code_uri: Path
    handler: str  # module.function

    @cached_property
    def pattern(self) -> re.Pattern[str]:
        regex = re.sub(r"\\{(\w+)\\}", r"(?P<\1>[^/]+)", re.escape(self.path))
        return re.compile(f"^{regex}/?$")

    @cached_property
    def specificity(self) -> tuple[int, int]:
        """API Gateway prefers literal segments over parameters, and a method over ANY."""
        literal = sum(1 for part in self.path.split("/") if part and not part.startswith("{"))
        return (literal, 0 if self.method == "ANY" else 1)


def functions() -> dict[str, dict[str, Any]]:
    resources = load()["Resources"]
    return {
        name: r["Properties"]
        for name, r in resources.items()
        if r["Type"] == "AWS::Serverless::Function"
    }


def timeout(function: str) -> float:
    """A function's Timeout in seconds (its own, else the Globals', else Lambda's 3 s)."""
    default = load().get("Globals", {}).get("Function", {}).get("Timeout", 3)
    return float(functions()[function].get("Timeout", default))


@lru_cache(maxsize=1)
def routes() -> tuple[Route, ...]:
    default_handler = load().get("Globals", {}).get("Function", {}).get("Handler")
    found = []
    for name, props in functions().items():
        for event in (props.get("Events") or {}).values():
            if event["Type"] != "Api":
                continue
            found.append(
                Route(
                    function=name,
                    method=event["Properties"]["Method"].upper(),
                    path=event["Properties"]["Path"],
                    code_uri=ROOT / props["CodeUri"],
                    handler=props.get("Handler", default_handler),
                )
            )
    return tuple(sorted(found, key=lambda r: r.specificity, reverse=True))


def table_names(table_name: str) -> dict[str, str]:
    """Local names of the template's DynamoDB tables, by logical id."""
    tables = [n for n, r in load()["Resources"].items() if r["Type"] == "AWS::DynamoDB::Table"]
    return {n: table_name if n == "Table" else f"{table_name}-{n.lower()}" for n in tables}


def environment(table_name: str) -> dict[str, str]:
    """The functions' environment variables, with !Ref resolved to local values."""
    merged: dict[str, Any] = dict(
        load().get("Globals", {}).get("Function", {}).get("Environment", {}).get("Variables", {})
    )
    for props in functions().values():
        merged.update((props.get("Environment") or {}).get("Variables", {}))
    parameters = load().get("Parameters", {})
    tables = table_names(table_name)
    resolved = {}
    for key, value in merged.items():
        if isinstance(value, dict) and value.get("Ref") in (*parameters, *tables):
            ref = value["Ref"]
            if ref not in parameters and ref not in tables:
                continue  # another resource (the jobs' bucket and queue: local/jobs.py's)
            value = parameters[ref]["Default"] if ref in parameters else tables[ref]
        elif isinstance(value, dict):  # another resource (a queue, a key): set by the caller
            continue
        resolved[key] = str(value)
    return resolved


def table_definition(logical_id: str = "Table") -> dict[str, Any]:
    """create_table arguments for the template's table (keys, indexes, billing)."""
    props = load()["Resources"][logical_id]["Properties"]
    args: dict[str, Any] = {
        "AttributeDefinitions": props["AttributeDefinitions"],
        "KeySchema": props["KeySchema"],
        "BillingMode": props.get("BillingMode", "PROVISIONED"),
    }
    for index_kind in ("GlobalSecondaryIndexes", "LocalSecondaryIndexes"):
        if index_kind in props:
            args[index_kind] = props[index_kind]
    if "StreamSpecification" in props:
        args["StreamSpecification"] = {"StreamEnabled": True, **props["StreamSpecification"]}
    return args


def time_to_live(logical_id: str = "Table") -> dict[str, Any] | None:
    """update_time_to_live's specification for the template's table, if it has one."""
    spec: dict[str, Any] | None = load()["Resources"][logical_id]["Properties"].get(
        "TimeToLiveSpecification"
    )
    return spec
