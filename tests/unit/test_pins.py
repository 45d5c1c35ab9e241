"""The pins say the same thing everywhere: the layers' requirements, the runtime lock and
the development lock (pins live in pyproject.toml's locks and the layers only)."""

from __future__ import annotations

import re
import tomllib
from importlib import metadata

from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

from deploy.build import RUNTIME_PROVIDED
from local.template import ROOT


def pins(path: str) -> dict[str, str]:
    found = {}
    for line in (ROOT / path).read_text("utf-8").splitlines():
        match = re.match(r"^([A-Za-z0-9_.\-]+)==([^\s;\\]+)", line)
        if match:
            found[canonicalize_name(match.group(1))] = match.group(2)
    return found


def closure(requirements: list[str]) -> set[str]:
    """The distributions these requirements pull in, extras included (installed metadata)."""
    seen: set[str] = set()
    todo = [Requirement(r) for r in requirements]
    while todo:
        requirement = todo.pop()
        name = canonicalize_name(requirement.name)
        key = f"{name}[{','.join(sorted(requirement.extras))}]"
        if key in seen:
            continue
        seen.add(key)
        for text in metadata.requires(name) or []:
            dependency = Requirement(text)
            marker = dependency.marker
            if marker is None or any(
                marker.evaluate({"extra": extra}) for extra in requirement.extras or {""}
            ):
                todo.append(dependency)
    return {key.split("[")[0] for key in seen}


PROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text("utf-8"))["project"]
CORE = closure(PROJECT["dependencies"])
TRACING = closure(PROJECT["optional-dependencies"]["tracing"]) - CORE


def shipped(names: set[str]) -> dict[str, str]:
    """The locked pins of `names`, but what the Lambda runtime provides."""
    return {
        n: v for n, v in pins("requirements.lock").items() if n in names - set(RUNTIME_PROVIDED)
    }


def test_the_core_layer_pins_the_runtime_closure_but_what_lambda_provides() -> None:
    assert pins("layers/loyalty_core/requirements.txt") == shipped(CORE)
    assert "aws-xray-sdk" not in pins("layers/loyalty_core/requirements.txt")


def test_the_tracing_layer_pins_what_tracing_adds_but_what_lambda_provides() -> None:
    assert pins("layers/tracing/requirements.txt") == shipped(TRACING)
    assert "aws-xray-sdk" in pins("layers/tracing/requirements.txt")


def test_the_runtime_lock_holds_nothing_else() -> None:
    assert set(pins("requirements.lock")) == CORE | TRACING


def test_the_development_lock_has_the_runtime_versions() -> None:
    development = pins("requirements-dev.lock")
    for name, version in pins("requirements.lock").items():
        assert development[name] == version, name


def test_the_locks_name_no_index() -> None:
    for path in ("requirements.lock", "requirements-dev.lock"):
        text = (ROOT / path).read_text("utf-8")
        assert "://" not in text, f"{path} should hold names, versions and hashes only"
