"""Run one API Gateway proxy event through its function, as template.yaml wires it, without
Docker (what `sam local invoke -e` would do with a container runtime).

    python -m local.invoke events/get_membership.json      # or: make invoke EVENT=...

The function is the one whose route (method and path) matches the event, as API Gateway
would pick it. It runs in-process against a freshly seeded embedded DynamoDB (the demo
data of `make run`), or the DynamoDB at DYNAMODB_ENDPOINT_URL (seeded only when its
table is created). The proxy response goes to stdout as JSON; the function's log and
metric lines go to stderr.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from local import gateway
from local.server import prepare


class NoRoute(Exception):
    """The event names no route of template.yaml."""


def invoke_event(event: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    """(function logical id, proxy response) of one event, through the template's route."""
    found = gateway.match(event["httpMethod"], event["path"])
    if found is None:
        raise NoRoute(f"No route of template.yaml serves {event['httpMethod']} {event['path']}")
    return found.route.function, gateway.invoke(found.route, event)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m local.invoke", description=__doc__)
    parser.add_argument("event", type=Path, help="an API Gateway proxy event (events/*.json)")
    args = parser.parse_args(argv)
    try:
        event = json.loads(args.event.read_text("utf-8"))
    except (OSError, ValueError) as err:
        print(f"error: cannot read {args.event}: {err}", file=sys.stderr)
        return 2
    setup = prepare()
    try:
        with contextlib.redirect_stdout(sys.stderr):  # the function's logs and metrics
            function, response = invoke_event(event)
    except NoRoute as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    finally:
        if setup["server"] is not None:
            setup["server"].stop()
    print(
        f"{event['httpMethod']} {event['path']} -> {function}: {response['statusCode']}",
        file=sys.stderr,
    )
    print(json.dumps(response, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
