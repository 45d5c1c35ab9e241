"""The README and docs/ hold together: the README links every page of docs/, every relative
link of theirs reaches a file and, with a `#`, a heading of it, and no text points at a
README section that moved to docs/."""

from __future__ import annotations

import re
from pathlib import Path

from local.template import ROOT

DOCS = ROOT / "docs"
PAGES = [ROOT / "README.md", *sorted(DOCS.glob("*.md"))]
LINK = re.compile(r"\]\(([^)\s]+)\)")
HEADING = re.compile(r"^#{1,6} (.+)$", re.MULTILINE)
FENCE = re.compile(r"^```.*?^```$", re.MULTILINE | re.DOTALL)


def anchor(heading: str) -> str:
    """GitHub's anchor of a heading: lower case, punctuation dropped, spaces to hyphens."""
    return re.sub(r"[^\w\- ]", "", heading.strip().lower()).replace(" ", "-")


def anchors(page: Path) -> set[str]:
    text = FENCE.sub("", page.read_text("utf-8"))
    return {anchor(heading) for heading in HEADING.findall(text)}


def test_the_anchor_of_a_heading_is_githubs() -> None:
    assert anchor("Versions, the alias `live` and SnapStart") == (
        "versions-the-alias-live-and-snapstart"
    )
    assert anchor("A membership's attributes and rules") == "a-memberships-attributes-and-rules"


def test_the_readme_links_every_page_of_docs() -> None:
    readme = (ROOT / "README.md").read_text("utf-8")
    linked = {target.split("#")[0] for target in LINK.findall(readme)}
    missing = [f"docs/{page.name}" for page in sorted(DOCS.glob("*.md"))]
    assert [page for page in missing if page not in linked] == []


def test_every_relative_link_reaches_its_file_and_heading() -> None:
    broken = []
    for page in PAGES:
        for target in LINK.findall(FENCE.sub("", page.read_text("utf-8"))):
            if re.match(r"[a-z]+:", target):
                continue
            path, _, fragment = target.partition("#")
            reached = (page.parent / path).resolve() if path else page
            if not reached.exists():
                broken.append(f"{page.name}: {target} (no such file)")
            elif fragment and fragment not in anchors(reached):
                broken.append(f"{page.name}: {target} (no such heading)")
    assert broken == []


def test_no_text_points_at_a_readme_section_that_moved() -> None:
    moved = re.compile(
        r"README, (Operations|Deploy|Performance|Webhooks)|demo credentials of the README"
    )
    files = [
        ROOT / "template.yaml",
        ROOT / "openapi.json",
        *PAGES,
        *(ROOT / "local").glob("*.py"),
    ]
    assert [str(f.relative_to(ROOT)) for f in files if moved.search(f.read_text("utf-8"))] == []
