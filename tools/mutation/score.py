"""The mutation score of each module `make mutation` mutates, from mutmut's results in
mutants/; fails (exit 1) when a module is under the threshold.

    .venv/bin/python tools/mutation/score.py

A module's score is mutmut's: the mutants its tests kill (or that make them time out)
over its mutants, less those listed as equivalent. A mutant no test reaches counts as
surviving. Equivalent mutants (changes that cannot alter behaviour) are listed in
pyproject.toml under [tool.mutation] with the line they write and why they cannot be
killed; a listed mutant that no longer writes that line, that is gone, or that a test
kills fails the run, so the list cannot go stale.
"""

from __future__ import annotations

import sys
import tomllib
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from mutmut.configuration import config
from mutmut.mutation.data import SourceFileMutationData
from mutmut.mutation.diff_apply import get_diff_for_mutant
from mutmut.stats import status_by_exit_code
from mutmut.utils.file_utils import walk_mutatable_files

DETECTED = ("killed", "timeout", "segfault")
SURVIVING_SHOWN = 15  # per module under the threshold


@dataclass
class Score:
    module: str
    status: Counter[str] = field(default_factory=Counter)
    equivalent: int = 0
    surviving: list[str] = field(default_factory=list)

    @property
    def tested(self) -> int:
        return sum(self.status.values()) - self.equivalent

    @property
    def detected(self) -> int:
        return sum(self.status[s] for s in DETECTED)

    @property
    def percent(self) -> float:
        return 100.0 if self.tested == 0 else 100.0 * self.detected / self.tested


def module_of(path: Path) -> str:
    """`src/loyalty_core/services/x.py` -> `loyalty_core.services.x`."""
    parts = path.with_suffix("").parts[1:]
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def mutated_line(diff: str) -> str:
    """The line a mutant writes, as its diff shows it (the first added line, stripped)."""
    added = [
        line[1:].strip()
        for line in diff.splitlines()
        if line.startswith("+") and not line.startswith("+++")
    ]
    return added[0] if added else ""


def main() -> int:
    settings = tomllib.loads(Path("pyproject.toml").read_text("utf-8"))["tool"]["mutation"]
    threshold = float(settings["threshold"])
    equivalent = {e["mutant"]: e for e in settings.get("equivalent", [])}
    problems: list[str] = []
    scores: list[Score] = []
    seen: set[str] = set()
    for path in sorted(walk_mutatable_files()):
        data = SourceFileMutationData(path=path)
        data.load()
        if not data.exit_code_by_key:
            continue
        score = Score(module_of(path))
        for name, exit_code in sorted(data.exit_code_by_key.items()):
            status = status_by_exit_code[exit_code]
            score.status[status] += 1
            if name in equivalent:
                seen.add(name)
                listed = equivalent[name]
                written = mutated_line(get_diff_for_mutant(name, path=path))
                if written != listed["line"].strip():
                    problems.append(f"{name} is listed as equivalent but now writes: {written}")
                elif status in DETECTED:
                    problems.append(f"{name} is listed as equivalent but a test kills it")
                else:
                    score.equivalent += 1
                continue
            if status == "not checked":
                problems.append(f"{name} was not checked: the run did not finish")
            elif status not in DETECTED:
                score.surviving.append(f"{name} ({status})")
        scores.append(score)
    if not scores:
        print("No mutation results in mutants/: run `make mutation`.", file=sys.stderr)
        return 1
    problems += [
        f"{name} is listed as equivalent but is not a mutant"
        for name in equivalent
        if name not in seen
    ]

    width = max(len(s.module) for s in scores)
    print(f"{'module':{width}}  mutants  killed  survived  no tests  equivalent   score")
    for s in scores:
        flag = "" if s.percent >= threshold else "  < " + f"{threshold:g}%"
        print(
            f"{s.module:{width}}  {sum(s.status.values()):7}  {s.detected:6}  "
            f"{s.status['survived']:8}  {s.status['no tests']:8}  {s.equivalent:10}  "
            f"{s.percent:5.1f}%{flag}"
        )
    total = Score("all")
    for s in scores:
        total.status.update(s.status)
        total.equivalent += s.equivalent
    print(
        f"{'all':{width}}  {sum(total.status.values()):7}  {total.detected:6}  "
        f"{total.status['survived']:8}  {total.status['no tests']:8}  {total.equivalent:10}  "
        f"{total.percent:5.1f}%"
    )

    failing = [s for s in scores if s.percent < threshold]
    for s in failing:
        print(f"\n{s.module}: {s.percent:.1f}%, under {threshold:g}%; surviving:")
        for name in s.surviving[:SURVIVING_SHOWN]:
            print(f"  {name}")
        if len(s.surviving) > SURVIVING_SHOWN:
            print(f"  ... and {len(s.surviving) - SURVIVING_SHOWN} more (`mutmut results`)")
    if failing:
        print("\n(`mutmut show NAME` shows a mutant's change; `mutmut results` lists them all)")
    for problem in problems:
        print(f"mutation: {problem}", file=sys.stderr)
    return 1 if failing or problems else 0


if __name__ == "__main__":
    config()  # mutmut's settings, from pyproject.toml's [tool.mutmut]
    sys.exit(main())
