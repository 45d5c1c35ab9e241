"""One face per interface: an interface's modules never import another interface's, what
they share lives beside them in `interfaces/` (and imports no interface), and a handler
calls one interface. Read from the sources' import statements, lazy ones included."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from local.template import ROOT, functions

INTERFACES = ROOT / "layers" / "loyalty_core" / "loyalty_core" / "interfaces"
PACKAGE = "loyalty_core.interfaces"
FOLDERS = sorted(p.parent.name for p in INTERFACES.glob("*/__init__.py"))


def module_of(path: Path) -> str:
    parts = path.relative_to(INTERFACES.parent.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imported(source: str, module: str) -> set[str]:
    """Every module `source` (the text of `module`) imports, anywhere in it, with each name
    a `from` import takes (which may be a module: `from package import module`)."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            origin = node.module or ""
            if node.level:  # relative: from the module's package, `level - 1` up
                origin = ".".join([*module.split(".")[: -node.level], *filter(None, [origin])])
            found.add(origin)
            found.update(f"{origin}.{alias.name}" for alias in node.names)
    return found


def interfaces_in(names: set[str]) -> set[str]:
    """The interface folders that imported modules belong to."""
    return {
        name.split(".")[2]
        for name in names
        if name.startswith(f"{PACKAGE}.") and name.split(".")[2] in FOLDERS
    }


def test_every_interface_folder_is_seen() -> None:
    assert {"concur", "docs", "locomote", "uapi"} <= set(FOLDERS)


@pytest.mark.parametrize("folder", FOLDERS)
def test_an_interface_imports_no_other_interfaces_module(folder: str) -> None:
    for path in sorted((INTERFACES / folder).rglob("*.py")):
        names = imported(path.read_text("utf-8"), module_of(path))
        assert interfaces_in(names) <= {folder}, path.relative_to(ROOT)


def test_what_the_interfaces_share_imports_no_interface() -> None:
    for path in sorted(INTERFACES.glob("*.py")):
        names = imported(path.read_text("utf-8"), module_of(path))
        assert interfaces_in(names) == set(), path.relative_to(ROOT)


# The functions the API does not serve, and how many interfaces each calls: the webhooks'
# read AWS's own records (the stream's, the queue's), the services alone; the jobs' worker
# reads and writes a company's files (the bulk interface's codec).
NOT_SERVED = {
    "WebhookFanoutFunction": 0,
    "WebhookDeliveryFunction": 0,
    "MembershipJobWorkerFunction": 1,
}


def served_by_the_api(function: str) -> bool:
    events = functions()[function].get("Events") or {}
    return any(event["Type"] == "Api" for event in events.values())


@pytest.mark.parametrize("function", sorted(functions()))
def test_a_handler_calls_one_interface(function: str) -> None:
    """One for a function the API serves; for one a stream or a queue invokes, what
    `NOT_SERVED` says."""
    path = ROOT / functions()[function]["CodeUri"] / "handler.py"
    called = interfaces_in(imported(path.read_text("utf-8"), "handler"))
    assert len(called) == (1 if served_by_the_api(function) else NOT_SERVED[function]), function


def test_the_stream_and_the_queue_invoke_functions_the_api_does_not_serve() -> None:
    assert {f for f in functions() if not served_by_the_api(f)} == set(NOT_SERVED)


@pytest.mark.parametrize(
    "source",
    [
        "from loyalty_core.interfaces.locomote.api import caller",
        "from loyalty_core.interfaces.locomote import api",
        "from loyalty_core.interfaces import locomote",
        "import loyalty_core.interfaces.locomote.jsonapi",
        "def f():\n    from loyalty_core.interfaces.locomote import api\n",
        "from ..locomote import api",
        "from ..locomote.api import caller",
    ],
)
def test_the_check_sees_every_way_of_importing_another_interface(source: str) -> None:
    names = imported(source, f"{PACKAGE}.uapi.api")
    assert interfaces_in(names) == {"locomote"}


def test_the_check_leaves_shared_modules_and_ones_own_interface_alone() -> None:
    source = (
        "from loyalty_core.interfaces import jsonapi, resolver\n"
        "from loyalty_core.interfaces.company_user import caller\n"
        "from . import codec\n"
        "from loyalty_core.interfaces.uapi import codec\n"
    )
    assert interfaces_in(imported(source, f"{PACKAGE}.uapi.api")) == {"uapi"}
