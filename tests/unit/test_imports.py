"""`imports`: a package's submodules without its `__init__` (`defer_init`), our modules
imported on first use (`deferred`, `exports`) and all of them at once (`import_deferred`),
and nothing broken."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from loyalty_core import imports, models
from loyalty_core.imports import defer_init, deferred, exports, import_deferred
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


@pytest.fixture
def ours(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """`ours`: a package whose names come from `ours.light` and `ours.late` on first use;
    `ours.late` defers `ours.later` in turn. The registries are left as they were."""
    root = tmp_path / "ours"
    root.mkdir()
    (root / "__init__.py").write_text(
        "from loyalty_core.imports import exports\n"
        "__getattr__ = exports(__name__, {'Light': 'light', 'Late': 'late'})\n"
    )
    (root / "light.py").write_text("class Light: pass\n")
    (root / "late.py").write_text(
        "from loyalty_core.imports import deferred\n"
        "(later,) = deferred('ours.later')\n"
        "class Late: pass\n"
    )
    (root / "later.py").write_text("WHEN = 'later'\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.setattr(imports, "_DEFERRED", dict(imports._DEFERRED))
    monkeypatch.setattr(imports, "_EXPORTED", dict(imports._EXPORTED))
    yield root
    for name in [m for m in sys.modules if m == "ours" or m.startswith("ours.")]:
        del sys.modules[name]


def test_a_deferred_module_is_imported_on_the_first_use_of_a_name(ours: Path) -> None:
    (later,) = deferred("ours.later")
    assert "ours.later" not in sys.modules
    assert later.WHEN == "later"
    assert "ours.later" in sys.modules


def test_a_deferred_module_reads_the_module_itself(
    ours: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (later,) = deferred("ours.later")
    import ours.later  # type: ignore[import-not-found]

    monkeypatch.setattr(ours.later, "WHEN", "patched")
    assert later.WHEN == "patched"


def test_a_missing_name_of_a_deferred_module_is_an_attribute_error(ours: Path) -> None:
    (later,) = deferred("ours.later")
    with pytest.raises(AttributeError):
        _ = later.NOTHING


def test_a_package_name_comes_from_its_submodule_alone_on_first_use(ours: Path) -> None:
    from ours import Light  # type: ignore[import-not-found]

    assert Light is sys.modules["ours.light"].Light
    assert "ours.late" not in sys.modules
    with pytest.raises(ImportError):
        from ours import Nothing  # type: ignore[import-not-found]  # noqa: F401


def test_import_deferred_imports_every_module_deferred_and_each_exported_one(ours: Path) -> None:
    import ours  # noqa: F401

    imported = import_deferred()
    assert {"ours.light", "ours.late", "ours.later"} <= set(imported)
    assert imported.index("ours.late") < imported.index("ours.later")  # deferred by ours.late
    assert {"ours.light", "ours.late", "ours.later"} <= set(sys.modules)


def test_the_models_package_names_the_module_of_each_of_its_names() -> None:
    assert set(models._MODULES) == set(models.__all__)
    for name, module in models._MODULES.items():
        assert getattr(models, name) is getattr(
            sys.modules[f"loyalty_core.models.{module}"], name
        ), name


def test_exports_refuses_a_name_it_does_not_map(ours: Path) -> None:
    get = exports("ours", {})
    with pytest.raises(AttributeError, match="no attribute 'Light'"):
        get("Light")


def test_a_package_submodule_is_imported_when_first_asked_of_the_package(ours: Path) -> None:
    import ours

    assert "ours.late" not in sys.modules
    assert ours.late.Late is sys.modules["ours.late"].Late
