"""deploy/build.py, the one build of what ships: what it keeps, refuses and compiles."""

from __future__ import annotations

import ast
import importlib.util
import os
import re
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from deploy import build
from local.template import ROOT, load


def makefile_default(name: str) -> str:
    text = (ROOT / "deploy" / "Makefile").read_text()
    found = re.search(rf"^{name} \?= (\S+)$", text, re.M)
    assert found, name
    return found.group(1)


def run_python(code: str, cwd: Path) -> str:
    """What `code` prints in a fresh interpreter that reads bytecode where Lambda's does."""
    plain = {k: v for k, v in os.environ.items() if k != "PYTHONPYCACHEPREFIX"}
    done = subprocess.run(
        [sys.executable, "-B", "-c", code], cwd=cwd, env=plain, capture_output=True, text=True
    )
    assert done.returncode == 0, done.stderr
    return done.stdout.strip()


def test_the_makefile_builds_for_the_functions_runtime_and_architecture() -> None:
    function = load()["Globals"]["Function"]
    assert makefile_default("LAMBDA_PYTHON") == "$(HERE)python"
    assert f"RUNTIME={function['Runtime']}\n" in (ROOT / "deploy" / "python").read_text()
    arch = {"arm64": "aarch64", "x86_64": "x86_64"}[function["Architectures"][0]]
    assert makefile_default("LAMBDA_PLATFORM").endswith(f"_{arch}")


def imported_modules(folder: Path) -> set[str]:
    """Every absolute module name imported anywhere under `folder` (nested imports too)."""
    found: set[str] = set()
    for source in folder.rglob("*.py"):
        for node in ast.walk(ast.parse(source.read_text("utf-8"))):
            if isinstance(node, ast.Import):
                found.update(alias.name for alias in node.names)
            elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
                found.add(node.module)
                found.update(f"{node.module}.{alias.name}" for alias in node.names)
    return found


def test_nothing_shipped_imports_what_the_build_removes() -> None:
    ours = imported_modules(ROOT / "layers") | imported_modules(ROOT / "functions")
    assert "lxml.etree" in ours
    assert sorted(m for m in ours if build.removed(m)) == []


def test_removed_names_lxml_modules_beside_etree_and_build_time_files() -> None:
    assert build.removed("lxml.objectify")
    assert build.removed("lxml.html.diff")
    assert build.removed("lxml.builder")
    assert not build.removed("lxml")
    assert not build.removed("lxml.etree")
    assert not build.removed("pydantic.main")


@pytest.mark.parametrize(
    ("entry", "found"),
    [
        ("botocore/", ["botocore"]),
        ("six.py", ["six"]),
        ("python_dateutil-2.9.0.post0.dist-info/", ["python-dateutil"]),
        ("boto3-1.44.5.dist-info/", ["boto3"]),
        ("pydantic/", []),
    ],
)
def test_runtime_packages_are_found_as_modules_or_distributions(
    tmp_path: Path, entry: str, found: list[str]
) -> None:
    path = tmp_path / entry.rstrip("/")
    path.mkdir() if entry.endswith("/") else path.write_text("")
    assert build.runtime_packages(tmp_path) == found


def fake_install(*packages: str) -> Callable[[Path, Path, str], None]:
    def install(requirements: Path, site: Path, platform: str) -> None:
        for package in packages:
            (site / package).mkdir(parents=True)
            (site / package / "__init__.py").write_text("VALUE = 1\n")
        (site / "bin").mkdir()
        (site / "bin" / "script.py").write_text("")

    return install


def source_folder(tmp_path: Path) -> Path:
    source = tmp_path / "src"
    (source / "ours" / "__pycache__").mkdir(parents=True)
    (source / "ours" / "__init__.py").write_text("from dep import VALUE\n")
    (source / "ours" / "__pycache__" / "stale.pyc").write_bytes(b"stale")
    (source / "handler.py").write_text("import ours\n")
    (source / "requirements.txt").write_text("dep==1.0\n")
    return source


def test_the_build_refuses_what_the_lambda_runtime_provides(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(build, "install", fake_install("dep", "botocore"))
    with pytest.raises(SystemExit, match="botocore would shadow the Lambda runtime's own"):
        build.build(source_folder(tmp_path), tmp_path / "out", "any")


def test_the_build_refuses_a_folder_that_is_not_empty(tmp_path: Path) -> None:
    (tmp_path / "out").mkdir()
    (tmp_path / "out" / "left-over").write_text("")
    with pytest.raises(SystemExit, match="is not empty"):
        build.build(tmp_path, tmp_path / "out", "any")


def test_the_build_ships_bytecode_only_for_packages_and_beside_the_source_for_ours(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(build, "install", fake_install("dep"))
    out = tmp_path / "out"
    build.build(source_folder(tmp_path), out, "any")

    assert sorted(p.name for p in out.iterdir()) == ["__pycache__", "dep", "handler.py", "ours"]
    assert sorted(p.name for p in (out / "dep").iterdir()) == ["__init__.pyc"]
    tag = sys.implementation.cache_tag
    assert sorted(p.name for p in (out / "ours" / "__pycache__").iterdir()) == [
        f"__init__.{tag}.pyc"
    ]
    for pyc in [out / "dep" / "__init__.pyc", out / "__pycache__" / f"handler.{tag}.pyc"]:
        header = pyc.read_bytes()[:8]
        assert header[:4] == importlib.util.MAGIC_NUMBER
        assert int.from_bytes(header[4:8], "little") == 1  # hash-based, never checked
    assert run_python("import handler, ours; print(ours.VALUE)", out) == "1"


def test_unchecked_hash_bytecode_is_used_even_when_the_source_changes(tmp_path: Path) -> None:
    """What a deployment zip's modification times cannot break: the .pyc is taken as is."""
    (tmp_path / "mod.py").write_text("VALUE = 'compiled'\n")
    build.compile_all([tmp_path / "mod.py"])
    (tmp_path / "mod.py").write_text("VALUE = 'edited later'\n")
    assert run_python("import mod; print(mod.VALUE)", tmp_path) == "compiled"
