"""Company import rate on the embedded store (SPEC 14), printed by `make bench` (section 6).

For each size (500 and 5,000 users by default), a fresh in-process store (moto made faithful,
as `make run` and the tests use it) holds a company of that many users; a CSV of 3
memberships a user is imported through the admin CLI's path (`services.imports`: the file
checked whole, then one unit of work per user with its done mark), then imported again
(every user found as the file says: nothing written). Printed: users and rows a second for each run,
and each size's rate against the smallest's: flat (the time grows linearly with the file)
when the ratio stays near 1.

    python -m bench.bulk [--users 500,5000]
"""

from __future__ import annotations

import argparse
import io
import os
import time
import uuid
from collections.abc import Iterator
from typing import Any

from local import template

COMPANY = "bench"
PROVIDERS = ("HH", "QF", "AA")  # Hilton Honors, Qantas Frequent Flyer, American AAdvantage
PER_USER = len(PROVIDERS)


def company_file(users: int) -> bytes:
    """A CSV of `users` users with 3 memberships each."""
    lines = ["employee_id,provider_code,account_number,membership_name,level,expires_on"]
    for n in range(users):
        for code in PROVIDERS:
            lines.append(f"{n:06d},{code},{code}{n:08d},Bench User,Gold,2031-01-01")
    return ("\r\n".join(lines) + "\r\n").encode()


def _batches(items: list[dict[str, Any]]) -> Iterator[list[dict[str, Any]]]:
    for start in range(0, len(items), 25):
        yield items[start : start + 25]


def fresh_store(users: int) -> Any:
    """A new table of the in-process store, holding the catalog and a company of `users`
    users (written in batches: the setup is not what is measured); returns its repository."""
    from local.admin import Admin, read_catalog
    from local.dynamo import ensure_tables
    from loyalty_core import settings
    from loyalty_core.models import AuditRecord, Company, Interface, Origin, User
    from loyalty_core.models.audit import entry, user_fields
    from loyalty_core.repository import items as i
    from loyalty_core.repository.dynamodb import DynamoRepository
    from loyalty_core.services.directory import create_company, load_catalog

    table = f"bulk-bench-{users}"
    settings.reset()
    client = settings.dynamodb_client()
    ensure_tables(client, table)
    repo = Admin(client, table, operator="bench").repo
    load_catalog(repo, read_catalog())
    create_company(repo, Company(id=COMPANY, name="Bench"))
    origin = Origin("admin:bench", Interface.ADMIN, "bench-setup")
    put: list[dict[str, Any]] = []
    for n in range(users):
        user = User(
            company=COMPANY, employee_id=f"{n:06d}", name="Bench User", email=f"u{n}@bench.example"
        )
        created = entry("user_id", user.employee_id, None, user_fields(user))
        audit = AuditRecord.of(origin, [created])
        put += [
            i.profile_item(user, audit, 400),
            i.login_item(user),
            i.change_item(audit, COMPANY, user.employee_id, 1, 400),
        ]
    for batch in _batches(put):
        requests = [{"PutRequest": {"Item": item}} for item in batch]
        client.batch_write_item(RequestItems={table: requests})
    return DynamoRepository(client, table)


def timed_import(repo: Any, data: bytes) -> tuple[float, Any]:
    from loyalty_core.interfaces.bulk import files
    from loyalty_core.models import Interface, Origin
    from loyalty_core.models.bulk import ImportMode
    from loyalty_core.services import imports

    origin = Origin("admin:bench", Interface.IMPORT, f"bench-import-{uuid.uuid4()}")  # a run
    started = time.perf_counter()
    checked = imports.check(files.Rows(io.BytesIO(data), "csv"), repo.providers())
    totals, _ = imports.run(repo, COMPANY, checked, ImportMode.MERGE, origin)
    return time.perf_counter() - started, totals


def section(sizes: list[int]) -> list[str]:
    """The table's lines."""
    from moto import mock_aws

    from bench.calls import use_bench_environment
    from local.dynamo import make_faithful

    use_bench_environment()
    os.environ["AUDIT_RETENTION_DAYS"] = template.environment("bench")["AUDIT_RETENTION_DAYS"]
    make_faithful()
    lines = [
        f"{'users':>7} {'rows':>7} {'import s':>9} {'users/s':>8} {'rows/s':>8} "
        f"{'vs first':>8}   {'again s':>8} {'users/s':>8}   written"
    ]
    first_rate = None
    with mock_aws():
        for users in sizes:
            repo = fresh_store(users)
            data = company_file(users)
            seconds, totals = timed_import(repo, data)
            again, repeat = timed_import(repo, data)
            rate = users / seconds
            first_rate = first_rate or rate
            lines.append(
                f"{users:>7} {users * PER_USER:>7} {seconds:>9.1f} {rate:>8.0f} "
                f"{users * PER_USER / seconds:>8.0f} {rate / first_rate:>8.2f}   "
                f"{again:>8.1f} {users / again:>8.0f}   "
                f"{totals.created} created, then {repeat.users_unchanged} users "
                "found as the file says"
            )
    return lines


def print_section(sizes: list[int]) -> None:
    print(
        "\n6. Company import on the embedded store (3 memberships a user; then the same file again)"
    )
    for line in section(sizes):
        print(line)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--users", default="500,5000")
    args = parser.parse_args()
    print_section([int(n) for n in args.users.split(",")])


if __name__ == "__main__":
    main()
