"""Importing only what a request needs from packages whose `__init__` imports everything.

Python runs a package's `__init__` before any of its submodules. Powertools'
`aws_lambda_powertools.event_handler/__init__` imports every resolver it has (AppSync with
asyncio, Bedrock agents, VPC Lattice, function URLs, ...) to re-export them, and
`utilities.data_classes/__init__` the event classes of forty services: with bytecode,
about 25 ms of every cold import (a tenth of `import boto3` + a client) for one resolver
used. `defer_init` registers such a package without running its `__init__`, so that
importing one submodule (`aws_lambda_powertools.event_handler.api_gateway`) costs that
submodule and what it imports. Nothing breaks for code that does use the package itself:
the first name asked of it that is not a submodule runs the real `__init__` then and
there, unless `names` says which submodule defines it (the package's own re-exports,
checked by tests/unit/test_imports.py).

Our own modules follow one rule: a function imports at init what every one of its routes
needs, and the rest on a route's first use of it. `deferred` gives a stand-in for each
module a route alone needs (a use case, its codec, the trail, the atomic operations), that
imports it on the first use of one of its names; `import_deferred` imports every module
deferred so far (the SnapStart hook's warm-up, before the snapshot). `exports` lets a
package of ours (`models`, `repository`) re-export its submodules' names without importing
them all: each is imported when first asked of the package.
"""

from __future__ import annotations

import importlib
import importlib.util
import sys
from collections.abc import Callable, Mapping
from typing import Any


def defer_init(package: str, names: Mapping[str, str] | None = None) -> None:
    """Register `package` so that its `__init__` runs only when one of its own names is
    used; a name in `names` is taken from the submodule it maps to instead. No effect if
    the package is already imported."""
    defined_in = dict(names or {})
    if package in sys.modules:
        return
    spec = importlib.util.find_spec(package)
    if spec is None or spec.loader is None or spec.submodule_search_locations is None:
        raise ImportError(f"{package} is not a package")
    module = importlib.util.module_from_spec(spec)
    loader = spec.loader

    def __getattr__(name: str) -> Any:
        if name in defined_in:
            value = getattr(importlib.import_module(f"{package}.{defined_in[name]}"), name)
            setattr(module, name, value)
            return value
        submodule = f"{package}.{name}"
        if importlib.util.find_spec(submodule) is not None:  # `from package import submodule`
            return importlib.import_module(submodule)
        del module.__dict__["__getattr__"]
        loader.exec_module(module)  # the real __init__, once
        return getattr(module, name)

    module.__dict__["__getattr__"] = __getattr__
    sys.modules[package] = module
    parent, _, child = package.rpartition(".")
    if parent:
        setattr(sys.modules[parent], child, module)


# Every module deferred in this process (`deferred`), in order, and every package whose names
# are imported on first use (`exports`): what `import_deferred` imports.
_DEFERRED: dict[str, None] = {}
_EXPORTED: dict[str, Mapping[str, str]] = {}


class Deferred:
    """Stands for the module `name` until one of its names is first used, which imports it;
    each use then reads the module itself (so patching the module is seen)."""

    __slots__ = ("_name",)

    def __init__(self, name: str) -> None:
        self._name = name

    def __getattr__(self, attribute: str) -> Any:
        module = sys.modules.get(self._name) or importlib.import_module(self._name)
        return getattr(module, attribute)

    def __repr__(self) -> str:
        return f"<deferred module {self._name!r}>"


def deferred(*names: str) -> tuple[Any, ...]:
    """A stand-in for each module in `names`, imported on its first use (`Deferred`), and
    registered for `import_deferred`."""
    for name in names:
        _DEFERRED.setdefault(name)
    return tuple(Deferred(name) for name in names)


def import_deferred() -> list[str]:
    """Import every module deferred so far, those they defer in turn, and the submodules
    behind every package's `exports`; their names, in the order imported."""
    done: dict[str, None] = {}
    while True:
        pending = [name for name in _DEFERRED if name not in done] + [
            f"{package}.{submodule}"
            for package, names in list(_EXPORTED.items())
            for submodule in dict.fromkeys(names.values())
            if f"{package}.{submodule}" not in done
        ]
        if not pending:
            return list(done)
        for name in pending:
            importlib.import_module(name)
            done[name] = None


def exports(package: str, names: Mapping[str, str]) -> Callable[[str], Any]:
    """A `__getattr__` for the package `package` (PEP 562): each name of `names` is taken
    from the submodule it maps to when first asked of the package, then kept on it; each of
    those submodules is imported when first asked of the package by its own name
    (`import_deferred` imports them all)."""
    _EXPORTED[package] = names

    submodules = set(names.values())

    def __getattr__(name: str) -> Any:
        if name in submodules:  # `package.submodule`, before anything imported it
            return importlib.import_module(f"{package}.{name}")
        if name not in names:
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        value = getattr(importlib.import_module(f"{package}.{names[name]}"), name)
        setattr(sys.modules[package], name, value)
        return value

    return __getattr__
