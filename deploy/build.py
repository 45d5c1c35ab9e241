"""Build one Lambda resource (a function or a layer) the way it ships, in one place.

`sam build` runs this for every function and layer of template.yaml (deploy/Makefile,
`BuildMethod: makefile`), and `make bench` runs the very same Makefile targets for a copy
built for this machine's architecture, so what the bench measures is what ships.

    python3.12 deploy/build.py SOURCE OUT --platform manylinux2014_aarch64

Run it with the functions' runtime Python (python3.12): the bytecode is that
interpreter's, and the wheels are chosen for its version.

1. pip-installs SOURCE/requirements.txt as binary wheels for PLATFORM and this CPython,
   `--no-deps`: exactly the pinned list, nothing pulled in behind it;
2. removes what no handler imports (`UNUSED`): C and Cython sources and headers, type
   stubs, console scripts, and the lxml modules beside `lxml.etree` (tests/unit/
   test_build.py checks that nothing of ours imports them);
3. refuses the packages the Lambda runtime already provides (boto3 and its
   dependencies): in a layer they would shadow the runtime's own (`/opt/python` comes
   first on `sys.path`);
4. compiles those packages to bytecode only (`module.pyc` in place of `module.py`): a
   traceback through them shows file and line but not the source text, and the layer
   stays within its size budget;
5. copies the rest of SOURCE (our package, or the handler) without caches, and compiles
   it beside its source (`__pycache__/`).

All bytecode is unchecked-hash .pyc: valid whatever modification times the deployment
zip keeps, and never compared with a source. Lambda's code folders are read-only: without
bytecode, every cold start would compile every module again.

`--as-runtime` builds packages as the Lambda runtime holds them (boto3 and its
dependencies allowed, sources kept beside their bytecode): the bench's baseline.
"""

from __future__ import annotations

import argparse
import compileall
import contextlib
import fnmatch
import os
import py_compile
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any, NoReturn

# Distribution name -> import name of what the Lambda Python runtime provides.
RUNTIME_PROVIDED = {
    "boto3": "boto3",
    "botocore": "botocore",
    "s3transfer": "s3transfer",
    "urllib3": "urllib3",
    "python-dateutil": "dateutil",
    "six": "six",
}
REQUIREMENTS = "requirements.txt"
# What no handler imports, removed from the installed packages (paths under the site
# folder, glob patterns): build-time sources and headers (lxml ships its Cython sources and
# the libxml2 headers for extensions built against it), type stubs, console scripts, and
# lxml's modules other than etree (objectify alone is 2.8 MB).
UNUSED = (
    "bin",
    "*-stubs",
    "**/*.pyi",
    "**/*.pyx",
    "**/*.pxd",
    "**/*.pxi",
    "**/*.h",
    "lxml/includes",
    "lxml/objectify*",
    "lxml/html",
    "lxml/isoschematron",
    "lxml/sax*",
    "lxml/builder*",
)


def fail(message: str) -> NoReturn:
    sys.exit(f"deploy/build.py: {message}")


def install(requirements: Path, site: Path, platform: str) -> None:
    version = f"{sys.version_info.major}.{sys.version_info.minor}"
    command = [
        sys.executable,
        "-m",
        "pip",
        "install",
        "--disable-pip-version-check",
        "--no-input",
        "--no-deps",
        "--no-compile",  # compiled below, all the same way
        "--only-binary=:all:",
        f"--platform={platform}",
        f"--python-version={version}",
        "--implementation=cp",
        f"--target={site}",
        f"--requirement={requirements}",
    ]
    done = subprocess.run(command, capture_output=True, text=True, check=False)  # noqa: S603
    if done.returncode:
        print(done.stdout, done.stderr, sep="\n", file=sys.stderr)
        fail(f"pip could not install {requirements}")


def prune(site: Path) -> None:
    for pattern in UNUSED:
        for path in sorted(site.glob(pattern), reverse=True):
            if path.is_dir():
                shutil.rmtree(path)
            elif path.exists():
                path.unlink()


def runtime_packages(site: Path) -> list[str]:
    """The runtime-provided packages found in `site` (as modules or distributions)."""
    found = []
    for dist, module in RUNTIME_PROVIDED.items():
        names = {module, f"{module}.py"}
        infos = {p.name.split("-")[0].lower() for p in site.glob("*.dist-info")}
        if any((site / n).exists() for n in names) or dist.replace("-", "_") in infos:
            found.append(dist)
    return found


def removed(module: str) -> bool:
    """Whether the build removes `module` (a dotted name) from the installed packages."""
    parts = module.split(".")
    paths = ["/".join(parts[:n]) for n in range(1, len(parts) + 1)]
    return any(
        fnmatch.fnmatch(path, pattern) or fnmatch.fnmatch(f"{path}.py", pattern)
        for path in paths
        for pattern in UNUSED
    )


def compile_all(paths: list[Path], sourceless: bool = False) -> None:
    """Compile every module in `paths` (folders and files); `sourceless`: `module.pyc`
    replaces `module.py`."""
    options: dict[str, Any] = {
        "quiet": 1,
        "legacy": sourceless,
        "invalidation_mode": py_compile.PycInvalidationMode.UNCHECKED_HASH,
    }
    with _beside_the_modules():
        _compile(paths, options, sourceless)


@contextlib.contextmanager
def _beside_the_modules() -> Iterator[None]:
    """Bytecode goes beside the modules it compiles, whatever PYTHONPYCACHEPREFIX says (here
    and in compileall's worker processes)."""
    prefix, sys.pycache_prefix = sys.pycache_prefix, None
    variable = os.environ.pop("PYTHONPYCACHEPREFIX", None)
    try:
        yield
    finally:
        sys.pycache_prefix = prefix
        if variable is not None:
            os.environ["PYTHONPYCACHEPREFIX"] = variable


def _compile(paths: list[Path], options: dict[str, Any], sourceless: bool) -> None:
    for path in paths:
        if path.is_dir():
            ok = compileall.compile_dir(path, workers=0, **options)
        elif path.suffix == ".py":
            ok = compileall.compile_file(path, **options)
        else:
            continue
        if not ok:
            fail(f"{path} does not compile with Python {sys.version.split()[0]}")
        if sourceless:
            for module in [path] if path.is_file() else path.rglob("*.py"):
                module.unlink()


def build(source: Path, out: Path, platform: str, as_runtime: bool = False) -> None:
    if out.exists() and any(out.iterdir()):
        fail(f"{out} is not empty")
    out.mkdir(parents=True, exist_ok=True)
    requirements = source / REQUIREMENTS
    if requirements.is_file():
        install(requirements, out, platform)
        prune(out)
        if not as_runtime and (shadowing := runtime_packages(out)):
            fail(
                f"{', '.join(shadowing)} would shadow the Lambda runtime's own: "
                f"remove them from {requirements}"
            )
        compile_all(sorted(out.iterdir()), sourceless=not as_runtime)
    ours = [p for p in sorted(source.iterdir()) if p.name != REQUIREMENTS and not _cache(p)]
    for path in ours:
        if path.is_dir():
            shutil.copytree(path, out / path.name, ignore=shutil.ignore_patterns("__pycache__"))
        else:
            shutil.copy2(path, out / path.name)
    compile_all([out / p.name for p in ours])


def _cache(path: Path) -> bool:
    return path.name.startswith(".") or path.name == "__pycache__" or path.suffix == ".pyc"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("source", type=Path, help="the resource's CodeUri or ContentUri")
    parser.add_argument("out", type=Path, help="where its files go (for a layer: .../python)")
    parser.add_argument("--platform", required=True, help="wheel platform tag for pip")
    parser.add_argument(
        "--as-runtime",
        action="store_true",
        help="packages as the Lambda runtime holds them (the bench's boto3 baseline)",
    )
    args = parser.parse_args()
    build(args.source.resolve(), args.out.resolve(), args.platform, args.as_runtime)


if __name__ == "__main__":
    main()
