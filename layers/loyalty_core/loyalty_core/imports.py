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
"""

from __future__ import annotations

import importlib
import importlib.util
import sys
from collections.abc import Mapping
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
