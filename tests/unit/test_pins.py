"""The pins say the same thing everywhere: the layer's requirements, the runtime lock and
the development lock (pins live in pyproject.toml's locks and the layer only)."""

from __future__ import annotations

import re

from local.template import ROOT

RUNTIME_PROVIDED = {"boto3", "botocore", "s3transfer", "urllib3", "python-dateutil", "six"}


def pins(path: str) -> dict[str, str]:
    found = {}
    for line in (ROOT / path).read_text("utf-8").splitlines():
        match = re.match(r"^([A-Za-z0-9_.\-]+)==([^\s;\\]+)", line)
        if match:
            found[match.group(1).lower()] = match.group(2)
    return found


def test_the_layer_pins_the_runtime_closure_but_what_lambda_provides() -> None:
    runtime = pins("requirements.lock")
    expected = {name: v for name, v in runtime.items() if name not in RUNTIME_PROVIDED}
    assert pins("layers/loyalty_core/requirements.txt") == expected


def test_the_development_lock_has_the_runtime_versions() -> None:
    development = pins("requirements-dev.lock")
    for name, version in pins("requirements.lock").items():
        assert development[name] == version, name


def test_the_locks_name_no_index() -> None:
    for path in ("requirements.lock", "requirements-dev.lock"):
        text = (ROOT / path).read_text("utf-8")
        assert "://" not in text, f"{path} should hold names, versions and hashes only"
