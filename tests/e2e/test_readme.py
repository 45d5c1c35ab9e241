"""The examples of the README and of docs/, pasted into bash as a reader would, against a
fresh local front: every bash block of the README's API section and of the API, Concur,
hotel, enrichment and admin CLI pages runs without error, and every `# => ...` line under
a command is a line of what it printed. No block showing answers is left where no test
runs it (the webhooks page's runs in tests/e2e/test_webhooks_local.py, beside a partner's
receiver)."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from collections.abc import Iterator

import pytest

from local.template import ROOT
from tests.e2e import forked_cli
from tests.e2e.conftest import LocalFront

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.skipif(shutil.which("curl") is None, reason="curl is not installed"),
]
DOCUMENTED_BASE = "http://127.0.0.1:3000"
# Where the API examples are, each page's pasted on its own: a page's sections, or all of it.
API_EXAMPLES: dict[str, tuple[str | None, ...]] = {
    "README.md": ("## The API by example",),
    "docs/api.md": (None,),
    "docs/concur.md": (None,),
    "docs/hotel.md": (None,),
    "docs/enrichment.md": (None,),
    "docs/bulk.md": ("## Atomic operations by example", "## Deployed: jobs through the API"),
}
# The admin CLI's examples (one block each), pasted with make run's store exported. Each
# starts by naming the CLI; the tests run its commands through tests/e2e/forked_cli.py.
CLI_EXAMPLES = {"docs/admin.md": None, "docs/bulk.md": "## The admin CLI"}
CLI = 'A=".venv/bin/python -m local.admin"\n'
WEBHOOKS_PAGE = "docs/webhooks.md"
# Pages whose blocks another test runs, and which one.
RUN_ELSEWHERE = {WEBHOOKS_PAGE: "tests/e2e/test_webhooks_local.py"}
FENCE = re.compile(r"^```(\w*)\n(.*?)^```\n", re.MULTILINE | re.DOTALL)


def section(page: str, title: str | None = None) -> str:
    text = (ROOT / page).read_text("utf-8")
    if title is None:
        return text
    start = text.index(f"\n{title}\n")
    end = text.find("\n## ", start + len(title) + 2)
    return text[start : end if end != -1 else None]


def blocks(page: str, title: str | None = None) -> list[str]:
    found = FENCE.findall(section(page, title))
    assert found, f"no code block in {page} {title or ''}"
    for language, _ in found:
        assert language == "bash", f"a block of {page} is marked {language!r}, not bash"
    return [code for _, code in found]


def expected_lines(script: str) -> list[str]:
    return [
        line.strip()[len("# => ") :]
        for line in script.splitlines()
        if line.strip().startswith("# => ")
    ]


def run(script: str, env: dict[str, str]) -> str:
    done = subprocess.run(
        ["bash", "-c", "set -euo pipefail\n" + script],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, f"exit {done.returncode}\n{done.stdout}\n{done.stderr}"
    return done.stdout


def check(script: str, printed: str, base: str) -> None:
    lines = {line.strip() for line in printed.splitlines()}
    expected = [line.replace(DOCUMENTED_BASE, base) for line in expected_lines(script)]
    assert expected, "no answers shown"
    missing = [line for line in expected if line not in lines]
    assert not missing, f"not printed: {missing}\n--- printed:\n{printed}"


def page_blocks(page: str) -> list[str]:
    return [code for title in API_EXAMPLES[page] for code in blocks(page, title)]


@pytest.mark.parametrize("page", API_EXAMPLES)
def test_the_api_examples_paste_as_they_are(local_front: LocalFront, page: str) -> None:
    script = "\n".join(page_blocks(page))
    assert script.startswith(f"BASE={DOCUMENTED_BASE}\n"), "each page's example pastes alone"
    assert not re.search(r"<[a-z][^>]* id>|<id", script), "a placeholder to fill in by hand"
    env = {k: v for k, v in os.environ.items() if k not in ("TABLE_NAME", "DYNAMODB_ENDPOINT_URL")}
    printed = run(script.replace(f"BASE={DOCUMENTED_BASE}\n", f"BASE={local_front.base}\n"), env)
    check(script, printed, local_front.base)


@pytest.fixture(scope="module")
def forked(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The admin CLI served by forks of one process (tests/e2e/forked_cli.py): the command
    a page's `A` becomes."""
    path = tmp_path_factory.mktemp("cli") / "admin.sock"
    server = subprocess.Popen(
        [sys.executable, "-m", "tests.e2e.forked_cli", str(path)],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert server.stdout is not None and server.stdout.readline() == "ready\n"
        yield forked_cli.client_command(path)
    finally:
        server.kill()
        server.wait()


@pytest.mark.parametrize(
    ("args", "status", "begins"),
    [
        (["--help"], 0, "usage: python -m local.admin"),
        (["create-user", "--help"], 0, "usage: python -m local.admin create-user"),
        (["no-such-command"], 2, "usage: python -m local.admin"),  # on stderr
    ],
)
def test_the_forked_cli_is_the_cli(forked: str, args: list[str], status: int, begins: str) -> None:
    """What the forks print and exit with is what `python -m local.admin` does."""
    real = subprocess.run(
        [sys.executable, "-m", "local.admin", *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    fork = subprocess.run(
        [*forked.split(), *args], cwd=ROOT, capture_output=True, text=True, check=False
    )
    assert (real.returncode, (real.stdout or real.stderr)[: len(begins)]) == (status, begins)
    assert (fork.returncode, fork.stdout, fork.stderr) == (
        real.returncode,
        real.stdout,
        real.stderr,
    )


@pytest.mark.parametrize("page", CLI_EXAMPLES)
def test_the_admin_cli_example_pastes_as_it_is(
    local_front: LocalFront, forked: str, page: str
) -> None:
    (script,) = blocks(page, CLI_EXAMPLES[page])
    assert "<" not in script.replace("<<", ""), "a placeholder to fill in by hand"
    assert script.startswith(CLI), f"{page}'s block names the CLI first: {CLI}"
    # What `make run` printed for the admin CLI, exported as the page says.
    pointed = re.search(r"DYNAMODB_ENDPOINT_URL=(\S+) TABLE_NAME=(\S+)", local_front.printed)
    assert pointed, local_front.printed
    env = {
        **os.environ,
        "DYNAMODB_ENDPOINT_URL": pointed.group(1),
        "TABLE_NAME": pointed.group(2),
    }
    printed = run(script.replace(CLI, f'A="{forked}"\n', 1), env)
    check(script, printed, local_front.base)


def test_every_block_that_shows_answers_is_run() -> None:
    run_here = {code for page in API_EXAMPLES for code in page_blocks(page)}
    run_here |= {code for page, title in CLI_EXAMPLES.items() for code in blocks(page, title)}
    for page, runner in RUN_ELSEWHERE.items():
        assert (ROOT / runner).is_file(), f"{runner}, which runs {page}, is gone"
        run_here |= {code for _, code in FENCE.findall((ROOT / page).read_text("utf-8"))}
    pages = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
    unrun = [
        f"{page.relative_to(ROOT)}: {code.splitlines()[0]}"
        for page in pages
        for _, code in FENCE.findall(page.read_text("utf-8"))
        if expected_lines(code) and code not in run_here
    ]
    assert not unrun, f"blocks showing answers that no test runs: {unrun}"
