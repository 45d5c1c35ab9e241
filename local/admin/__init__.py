"""Admin CLI: companies, users, arranger assignments, Concur applications, tokens, catalog,
webhook subscriptions.

Works against the embedded DynamoDB of `make run`, another local DynamoDB
(`DYNAMODB_ENDPOINT_URL`) or the deployed table (AWS credentials + `TABLE_NAME`).
Tokens are printed once and stored only as SHA-256 hashes. Every command says what it
changed (a role change included); `--json` prints that as one JSON object instead.
Errors go to stderr: exit status 1 for a refused change, 2 when DynamoDB cannot be reached.

Every change of a user (profile, role, arranger assignments), an API or Concur token, or
an application writes one audit record in the change's own transaction, naming the
operator: `--by NAME`, else the shell's AWS identity (STS GetCallerIdentity), else
(against a local DynamoDB, or with no AWS identity) the OS user@host. Records expire after
AUDIT_RETENTION_DAYS (400 unless set: give it the stack's AuditRetentionDays).
`erase-user` removes a user and everything of theirs, leaving one erasure record.
`backfill-indexes`, once after upgrading, gives earlier users and Concur tokens the keys
that `list-users` and `erase-user` read them by; `backfill-webhook-feed` puts earlier audit
records in the change feed that webhook replays read.

    python -m local.admin --help
    python -m local.admin issue-token peter@initech.example --days 90 --json
"""

# Each command group registers its commands on import, in the order --help lists them: a
# new group is a module of this package, added here.
from local.admin import bulk, directory, erasure, table, webhooks  # noqa: F401
from local.admin.cli import COMMANDS, Admin, Outcome, Refused, arg, command, main, who_am_i
from local.admin.table import CATALOG, read_catalog

__all__ = [
    "CATALOG",
    "COMMANDS",
    "Admin",
    "Outcome",
    "Refused",
    "arg",
    "command",
    "main",
    "read_catalog",
    "who_am_i",
]
