"""The README's examples, pasted into bash as a reader would, against a fresh local front:
every bash block of the API, Concur, hotel and admin CLI sections runs without error, and
every `# => ...` line under a command is a line of what it printed."""

from __future__ import annotations

import os
import re
import shutil
import subprocess

import pytest

from local.template import ROOT
from tests.e2e.conftest import LocalFront

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.skipif(shutil.which("curl") is None, reason="curl is not installed"),
]
README = ROOT / "README.md"
DOCUMENTED_BASE = "http://127.0.0.1:3000"
API_SECTIONS = (
    "## The API by example",
    "## The Concur loyalty update by example",
    "## The hotel LoyaltyCard enrichment by example",
)
ADMIN_SECTION = "## Admin CLI"
FENCE = re.compile(r"^```(\w*)\n(.*?)^```\n", re.MULTILINE | re.DOTALL)


def section(title: str) -> str:
    text = README.read_text("utf-8")
    start = text.index(f"\n{title}\n")
    end = text.find("\n## ", start + len(title) + 2)
    return text[start : end if end != -1 else None]


def blocks(title: str) -> list[str]:
    found = FENCE.findall(section(title))
    assert found, f"no code block in {title}"
    for language, _ in found:
        assert language == "bash", f"a block of {title} is marked {language!r}, not bash"
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


def test_the_readme_examples_paste_as_they_are(local_front: LocalFront) -> None:
    script = "\n".join(code for title in API_SECTIONS for code in blocks(title))
    assert f"BASE={DOCUMENTED_BASE}\n" in script
    assert not re.search(r"<[a-z][^>]* id>|<id", script), "a placeholder to fill in by hand"
    env = {k: v for k, v in os.environ.items() if k not in ("TABLE_NAME", "DYNAMODB_ENDPOINT_URL")}
    printed = run(script.replace(f"BASE={DOCUMENTED_BASE}\n", f"BASE={local_front.base}\n"), env)
    check(script, printed, local_front.base)


def test_the_admin_cli_example_pastes_as_it_is(local_front: LocalFront) -> None:
    (script,) = blocks(ADMIN_SECTION)
    assert "<" not in script.replace("<<", ""), "a placeholder to fill in by hand"
    # What `make run` printed for the admin CLI, exported as the section says.
    pointed = re.search(r"DYNAMODB_ENDPOINT_URL=(\S+) TABLE_NAME=(\S+)", local_front.printed)
    assert pointed, local_front.printed
    env = {
        **os.environ,
        "DYNAMODB_ENDPOINT_URL": pointed.group(1),
        "TABLE_NAME": pointed.group(2),
    }
    printed = run(script, env)
    check(script, printed, local_front.base)
