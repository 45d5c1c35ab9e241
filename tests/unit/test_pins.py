"""The layer's pins and the lock file say the same thing (pins live in two places only)."""

from __future__ import annotations

import tomllib

from local.template import ROOT

RUNTIME_PROVIDED = {"boto3", "botocore", "s3transfer", "urllib3", "python-dateutil", "six"}


def locked() -> dict[str, str]:
    lock = tomllib.loads((ROOT / "uv.lock").read_text("utf-8"))
    return {p["name"]: p["version"] for p in lock["package"] if "version" in p}


def layer_pins() -> dict[str, str]:
    pins = {}
    for line in (ROOT / "layers/loyalty_core/requirements.txt").read_text("utf-8").splitlines():
        line = line.split("#")[0].strip()
        if line:
            name, version = line.split("==")
            pins[name.lower()] = version
    return pins


def runtime_closure() -> set[str]:
    lock = tomllib.loads((ROOT / "uv.lock").read_text("utf-8"))
    packages = {p["name"]: p for p in lock["package"]}
    project = next(p for p in lock["package"] if p.get("source", {}).get("editable"))
    todo = list(project.get("dependencies", []))
    seen: set[str] = set()
    while todo:
        dependency = todo.pop()
        name = dependency["name"]
        package = packages[name]
        for extra in dependency.get("extra", []):
            todo.extend(package.get("optional-dependencies", {}).get(extra, []))
        if name in seen:
            continue
        seen.add(name)
        todo.extend(package.get("dependencies", []))
    return seen


def test_every_layer_pin_matches_the_lock() -> None:
    versions = locked()
    for name, version in layer_pins().items():
        assert versions[name] == version, f"{name}: layer {version}, lock {versions[name]}"


def test_the_layer_pins_the_whole_runtime_closure_but_what_lambda_provides() -> None:
    assert set(layer_pins()) == runtime_closure() - RUNTIME_PROVIDED
