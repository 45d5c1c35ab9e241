"""Print Redocly's JSON lint report of openapi.json and fail on any problem, warnings too
(`redocly lint` itself fails on errors only).

    redocly lint openapi.json --format json | python tools/openapi-lint/report.py
"""

from __future__ import annotations

import json
import sys


def main() -> int:
    text = sys.stdin.read()
    try:
        report = json.loads(text)
    except ValueError:
        print(f"openapi lint: Redocly gave no report:\n{text[:2000]}", file=sys.stderr)
        return 1
    for problem in report["problems"]:
        where = ", ".join(loc.get("pointer", "") for loc in problem.get("location", []))
        print(f"{problem['severity']:7} {problem['ruleId']:36} {where}")
        print(f"        {problem['message']}")
    totals = report["totals"]
    print(
        f"openapi.json (Redocly {report.get('version', '?')}, redocly.yaml): "
        f"{totals['errors']} errors, {totals['warnings']} warnings"
    )
    return 1 if totals["errors"] or totals["warnings"] else 0


if __name__ == "__main__":
    raise SystemExit(main())
