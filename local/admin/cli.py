"""The admin CLI's frame: what every command works with (`Admin`), the command registry,
the parser, and how outcomes and errors are printed.

A command group is a module of this package that registers its commands with `command`
(name, help, arguments), each a function that calls the layer's services and says what
it changed: an `Outcome`, whose `data` is printed with --json and `text` otherwise.
`local/admin/__init__.py` imports the groups, in the order `--help` lists them.
"""

from __future__ import annotations

import argparse
import getpass
import json
import os
import re
import socket
import sys
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError
from pydantic import ValidationError

from local.dynamo import use_local_credentials
from loyalty_core.errors import DomainError, StorageUnavailable
from loyalty_core.models import Interface, Origin
from loyalty_core.repository.directory import DynamoDirectory
from loyalty_core.settings import dynamodb_client, get_settings


class Refused(Exception):
    """A change refused, in the command line's own words (exit status 1)."""


def who_am_i() -> str:
    """The operator an audit record names when `--by` is not given: the shell's AWS identity
    (its ARN, from STS GetCallerIdentity) when working against AWS; else, against a local
    DynamoDB or with no AWS identity to ask, the OS user at this host."""
    if not os.environ.get("DYNAMODB_ENDPOINT_URL"):
        import boto3
        from botocore.config import Config

        try:
            sts = boto3.client(
                "sts",
                region_name=get_settings().region,
                config=Config(connect_timeout=2, read_timeout=2, retries={"max_attempts": 1}),
            )
            return str(sts.get_caller_identity()["Arn"])
        except (BotoCoreError, ClientError):
            pass
    try:
        user = getpass.getuser()
    except (OSError, KeyError):  # no login name in the environment nor the password database
        user = "unknown"
    return f"{user}@{socket.gethostname()}"


class Admin:
    """What every command works with: the table (its DynamoDB client and name), the layer's
    directory over it (`repo`), and the operator the audit trail names."""

    def __init__(
        self, client: Any | None = None, table: str | None = None, operator: str | None = None
    ) -> None:
        settings = get_settings()
        self.client = client or dynamodb_client()
        self.table = table or settings.table_name
        self.repo = DynamoDirectory(
            self.client, self.table, audit_retention_days=settings.audit_retention_days
        )
        self._operator = operator

    @property
    def operator(self) -> str:
        """Who the audit records name (asked of AWS once, when first needed)."""
        if self._operator is None:
            self._operator = who_am_i()
        return self._operator

    def origin(self) -> Origin:
        """The origin of one change: the operator, through the admin CLI, under a request
        id of its own."""
        return Origin(f"admin:{self.operator}", Interface.ADMIN, str(uuid.uuid4()))


@dataclass(frozen=True)
class Outcome:
    data: dict[str, Any]
    text: str


Run = Callable[[Admin, argparse.Namespace], Outcome]
Argument = tuple[tuple[str, ...], dict[str, Any]]


@dataclass(frozen=True)
class Command:
    name: str
    help: str
    run: Run
    arguments: tuple[Argument, ...]


COMMANDS: dict[str, Command] = {}


def arg(*flags: str, **options: Any) -> Argument:
    """One argument of a command, as `ArgumentParser.add_argument` takes it."""
    return flags, options


def command(name: str, help: str, *arguments: Argument) -> Callable[[Run], Run]:
    """Register the decorated function as the command `name` (once)."""

    def register(run: Run) -> Run:
        if name in COMMANDS:
            raise ValueError(f"two commands named {name}")
        COMMANDS[name] = Command(name, help, run, arguments)
        return run

    return register


def when(moment: datetime | None) -> str | None:
    return moment.isoformat() if moment else None


def _parser() -> tuple[argparse.ArgumentParser, dict[str, argparse.ArgumentParser]]:
    from local import admin

    parser = argparse.ArgumentParser(
        prog="python -m local.admin",
        description=admin.__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    output = argparse.ArgumentParser(add_help=False)
    output.add_argument(
        "--json", action="store_true", help="print what was done as one JSON object"
    )
    output.add_argument(
        "--by",
        help="the operator the audit trail names (default: the shell's AWS identity, "
        "else the OS user@host)",
    )
    parser.add_argument("--json", dest="json_first", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--by", dest="by_first", help=argparse.SUPPRESS)
    sub = parser.add_subparsers(dest="command", required=True)
    parsers = {}
    for name, found in COMMANDS.items():
        parsers[name] = sub.add_parser(name, help=found.help, parents=[output])
        for flags, options in found.arguments:
            parsers[name].add_argument(*flags, **options)
    return parser, parsers


def _in_option_terms(text: str, parser: argparse.ArgumentParser) -> str:
    """A model's message names fields; the command line names them by its options."""
    for action in parser._actions:
        if action.option_strings and action.dest != "help":
            text = re.sub(rf"\b{re.escape(action.dest)}\b", action.option_strings[0], text)
    return text


def _problems(err: ValidationError, parser: argparse.ArgumentParser) -> list[str]:
    lines = []
    for problem in err.errors(include_url=False):
        where = ".".join(map(str, problem["loc"]))
        if where:
            lines.append(f"{where}: {problem['msg']}")
        else:  # the model's own rule, across fields
            lines.append(_in_option_terms(problem["msg"], parser))
    return lines


def main(argv: Sequence[str] | None = None) -> int:
    parser, parsers = _parser()
    args = parser.parse_args(argv)
    if os.environ.get("DYNAMODB_ENDPOINT_URL"):  # a local DynamoDB takes any credentials
        use_local_credentials()
    admin = Admin(operator=args.by or args.by_first)
    try:
        outcome = COMMANDS[args.command].run(admin, args)
    except StorageUnavailable as err:
        print(f"error: DynamoDB ({admin.table}): {err}", file=sys.stderr)
        return 2
    except (DomainError, Refused) as err:
        print(f"error: {err}", file=sys.stderr)
        return 1
    except ValidationError as err:
        for line in _problems(err, parsers[args.command]):
            print(f"error: {line}", file=sys.stderr)
        return 1
    except (BotoCoreError, ClientError) as err:
        print(f"error: DynamoDB ({admin.table}): {err}", file=sys.stderr)
        return 2
    json_out = args.json or args.json_first
    if json_out or outcome.text:  # (an export to stdout prints the file alone)
        print(json.dumps(outcome.data, indent=2) if json_out else outcome.text)
    return 0
