"""`imports.defer_init`: a package's submodules without its `__init__`, and nothing broken."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from loyalty_core.imports import defer_init
from loyalty_core.interfaces import EVENT_CLASSES_THE_RESOLVER_USES


@pytest.fixture
def package(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """`heavy`: its __init__ records that it ran and re-exports from its submodules."""
    root = tmp_path / "heavy"
    root.mkdir()
    (root / "__init__.py").write_text(
        "import builtins\n"
        "builtins.heavy_init_ran = True\n"
        "from heavy.light import Light\n"
        "from heavy.other import Other\n"
        "EXTRA = 'from the __init__'\n"
    )
    (root / "light.py").write_text("class Light: pass\n")
    (root / "other.py").write_text("class Other: pass\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    yield "heavy"
    for name in [m for m in sys.modules if m == "heavy" or m.startswith("heavy.")]:
        del sys.modules[name]
    import builtins

    builtins.__dict__.pop("heavy_init_ran", None)


def init_ran() -> bool:
    import builtins

    return bool(getattr(builtins, "heavy_init_ran", False))


def test_a_submodule_imports_without_the_package_init(package: str) -> None:
    defer_init(package)
    from heavy import other  # type: ignore[import-not-found]
    from heavy.light import Light  # type: ignore[import-not-found]

    assert Light.__name__ == "Light" and other.Other.__name__ == "Other"
    assert not init_ran()


def test_a_mapped_name_comes_from_its_submodule_without_the_init(package: str) -> None:
    defer_init(package, {"Light": "light"})
    from heavy import Light

    assert Light.__module__ == "heavy.light"
    assert not init_ran()


def test_any_other_name_runs_the_real_init_once(package: str) -> None:
    defer_init(package, {"Light": "light"})
    import heavy  # type: ignore[import-not-found]

    assert heavy.EXTRA == "from the __init__"
    assert init_ran()
    assert heavy.Other.__module__ == "heavy.other"
    assert "__getattr__" not in vars(heavy)


def test_an_imported_package_is_left_alone(package: str) -> None:
    import heavy

    defer_init(package)
    assert sys.modules[package] is heavy and init_ran()


def test_only_packages_can_be_deferred(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "plain_module.py").write_text("")
    monkeypatch.syspath_prepend(str(tmp_path))
    with pytest.raises(ImportError, match="not a package"):
        defer_init("plain_module")


def test_the_event_class_map_matches_powertools_own_exports() -> None:
    """Powertools' data_classes/__init__ re-exports each name from the module named here
    (in a fresh interpreter: the real package, fully imported)."""
    code = (
        "import importlib, json, sys\n"
        "import aws_lambda_powertools.utilities.data_classes as package\n"
        "names = json.loads(sys.argv[1])\n"
        "print(json.dumps({name: getattr(importlib.import_module(package.__name__ + '.' + module),"
        " name) is getattr(package, name) for name, module in names.items()}))"
    )
    done = subprocess.run(
        [sys.executable, "-c", code, json.dumps(EVENT_CLASSES_THE_RESOLVER_USES)],
        capture_output=True,
        text=True,
        check=True,
    )
    assert json.loads(done.stdout) == dict.fromkeys(EVENT_CLASSES_THE_RESOLVER_USES, True)
