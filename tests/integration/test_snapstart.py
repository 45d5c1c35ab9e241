"""SnapStart's runtime hooks, with a fake `snapshot_restore_py` (the managed runtime's)."""

from __future__ import annotations

import json
import os
import random
import subprocess
import sys
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

from local.template import ROOT, functions, load
from loyalty_core import settings, snapstart
from loyalty_core.errors import StorageUnavailable

FAKE_RUNTIME = '''
"""What the managed runtime's snapshot_restore_py offers: registration, in order."""
before, after = [], []
def register_before_snapshot(func, *args, **kwargs):
    before.append((func, args, kwargs))
def register_after_restore(func, *args, **kwargs):
    after.append((func, args, kwargs))
'''


@pytest.fixture
def runtime(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> ModuleType:
    (tmp_path / "snapshot_restore_py.py").write_text(FAKE_RUNTIME)
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.delitem(sys.modules, "snapshot_restore_py", raising=False)
    import snapshot_restore_py  # type: ignore[import-not-found]

    return snapshot_restore_py  # type: ignore[no-any-return]


def run_hooks(hooks: list[tuple[Any, tuple[Any, ...], dict[str, Any]]]) -> None:
    for func, args, kwargs in hooks:
        func(*args, **kwargs)


def test_without_the_runtime_module_nothing_is_registered(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "snapshot_restore_py", None)  # import fails
    assert snapstart.register() is False


def test_with_the_runtime_module_both_hooks_are_registered(runtime: ModuleType) -> None:
    assert snapstart.register(settings.get_settings) is True
    assert runtime.before == [(snapstart.warm, ((settings.get_settings,),), {"store": True})]
    assert runtime.after == [(snapstart.renew, (), {"store": True})]


def test_a_function_without_the_table_warms_and_renews_no_store(
    runtime: ModuleType, dynamodb_calls: list[str]
) -> None:
    prepared: list[str] = []
    assert snapstart.register(lambda: prepared.append("assets"), store=False) is True
    (warm, args, kwargs), (renew, _, after_kwargs) = runtime.before[0], runtime.after[0]
    warm(*args, **kwargs)
    renew(**after_kwargs)
    assert prepared == ["assets"]
    assert dynamodb_calls == []  # no catalog read, no client for a function with no table


def test_before_the_snapshot_the_client_catalog_and_lazy_imports_are_ready(
    runtime: ModuleType, dynamodb_calls: list[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    prepared: list[str] = []
    closed: list[bool] = []
    client = settings.dynamodb_client()
    monkeypatch.setattr(client, "close", lambda: closed.append(True))
    snapstart.register(lambda: prepared.append("lazy imports"))

    run_hooks(runtime.before)

    assert dynamodb_calls == ["Query"]  # the catalog, read once
    assert prepared == ["lazy imports"]
    assert closed == [True]  # no open connection in the snapshot
    assert settings.get_repository().get_provider("9c5b90ff-2cce-11e8-87f9-0662bed6e7db")
    assert dynamodb_calls == ["Query"]  # served from the warmed catalog


def test_the_client_still_answers_after_its_connections_are_closed(dynamodb: Any) -> None:
    snapstart.warm()
    providers = settings.get_repository().providers()
    assert len(providers) >= 30


def test_a_store_that_does_not_answer_before_the_snapshot_does_not_stop_the_publish(
    dynamodb: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    prepared: list[bool] = []

    def unavailable() -> None:
        raise StorageUnavailable("down")

    monkeypatch.setattr(settings.get_repository(), "providers", unavailable)
    snapstart.warm([lambda: prepared.append(True)])
    assert prepared == [True]


def test_after_restore_the_catalog_is_read_again(
    runtime: ModuleType, dynamodb_calls: list[str]
) -> None:
    snapstart.register()
    run_hooks(runtime.before)
    run_hooks(runtime.after)
    settings.get_repository().providers()
    assert dynamodb_calls == ["Query", "Query"]


def test_after_restore_each_copy_draws_its_own_random_numbers(runtime: ModuleType) -> None:
    snapstart.register()
    random.seed(1234)  # the state every copy restored from one snapshot would share
    shared = random.getstate()
    copies = []
    for _ in range(2):
        random.setstate(shared)
        run_hooks(runtime.after)
        copies.append([random.random() for _ in range(4)])
    random.setstate(shared)
    without_renewal = [random.random() for _ in range(4)]
    assert copies[0] != copies[1]
    assert without_renewal not in copies


# Every function's handler imported in a fork of one process (which has imported the
# frameworks they share, never the layer), reporting the hooks it registered.
REGISTERED = r"""
import json, os, sys
import aws_lambda_powertools.event_handler.api_gateway, botocore.session, pydantic, lxml.etree
for code_uri in json.loads(sys.argv[1]):
    read, write = os.pipe()
    if os.fork() == 0:
        try:
            sys.path.insert(0, code_uri)
            import handler
            import snapshot_restore_py as r
            hooks = [[f.__module__ + "." + f.__name__ for f in (h, *a[0])] if a else
                     [h.__module__ + "." + h.__name__] for h, a, _ in r.before + r.after]
            os.write(write, json.dumps(hooks).encode())
        except BaseException:
            import traceback
            traceback.print_exc()
        finally:
            os._exit(0)
    os.close(write)
    with os.fdopen(read) as pipe:
        print(pipe.read(), flush=True)
    os.wait()
"""


def test_every_function_registers_the_hooks(tmp_path: Path) -> None:
    (tmp_path / "snapshot_restore_py.py").write_text(FAKE_RUNTIME)
    env = {**os.environ, "AWS_DEFAULT_REGION": "us-east-1", "PYTHONPATH": str(tmp_path)}
    names = sorted(functions())
    code_uris = [str(ROOT / functions()[name]["CodeUri"]) for name in names]
    done = subprocess.run(
        [sys.executable, "-c", REGISTERED, json.dumps(code_uris)],
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    reports = done.stdout.splitlines()
    assert len(reports) == len(names), done.stderr
    for name, report in zip(names, reports, strict=True):
        before, after = json.loads(report)
        assert before[0] == "loyalty_core.snapstart.warm", name
        assert after == ["loyalty_core.snapstart.renew"], name


def test_snapstart_is_a_parameter_off_by_default_applied_to_published_versions() -> None:
    template = load()
    assert template["Parameters"]["SnapStart"]["Default"] == "false"
    function = template["Globals"]["Function"]
    assert function["SnapStart"] == {
        "Fn::If": ["SnapStartOn", {"ApplyOn": "PublishedVersions"}, {"Ref": "AWS::NoValue"}]
    }
    assert function["AutoPublishAlias"] == "live"
    assert function["VersionDeletionPolicy"] == "Delete"
    for name, props in functions().items():
        assert props["AutoPublishAliasAllProperties"] is True, name
