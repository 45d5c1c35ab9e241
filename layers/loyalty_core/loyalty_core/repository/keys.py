"""The single-table key design. Every read is a GetItem or a Query on these keys.

| item | pk | sk |
| --- | --- | --- |
| company | COMPANY#{company} | COMPANY |
| erasure record (no personal data) | COMPANY#{company} | ERASURE#{occurred_at}#{id} |
| user profile (+ write revision) | USER#{company}#{employee_id} | PROFILE |
| membership | USER#{company}#{employee_id} | MEMBERSHIP#{id} |
| Idempotency-Key of the user (a caller) | USER#{company}#{employee_id} | IDEMPOTENCY#{sha256} |
| a Concur token acting for the user, indexed | USER#{company}#{employee_id} | CONCUR#{sha256} |
| audit record of a user | USER#{company}#{employee_id} | PROFILE#CHANGE#{10^12 - revision} |
| trail index: record by membership | USER#{company}#{employee_id} | TRAIL#{m}#{10^12 - rev}#{id} |
| login (user + hashed API tokens) | LOGIN#{email} | LOGIN |
| provider | PROVIDER | PROVIDER#{id} |
| Concur application | APP#{app_id} | APP |
| audit record of an application | APP#{app_id} | CHANGE#{occurred_at}#{id} |
| Concur token index of an app | APP#{app_id} | TOKEN#{sha256} |
| Concur access token | OAUTH#{sha256} | OAUTH |
| webhook subscription | COMPANY#{company} | WEBHOOK#SUB#{id} |
| how many subscriptions a company holds | COMPANY#{company} | WEBHOOK#COUNT |
| audit record of a subscription | COMPANY#{company} | WEBHOOK#CHANGE#{occurred_at}#{id} |
| webhook delivery, its attempts | WEBHOOKS#{company}#{subscription} | DELIVERY#{at}#{id} |

A user's profile and memberships share one partition: listing is one Query,
and the company is part of every user key, so no read can cross companies.

A user's audit records sort after the profile, newest first (the revision each record
was written with, counted down from 10^12): the memberships Query reads the memberships
and the profile (`sk BETWEEN MEMBERSHIP# AND PROFILE`), never an audit record nor a key;
the history Query reads from the profile on (`sk >= PROFILE`), the profile first (the
user, and how many records they hold), then the newest records, as many as the page
needs; a page further on starts past its cursor's revision. The Idempotency-Keys a user
sends as a caller live in their partition too, so that erasing the user erases them, and
so do the index entries of the Concur tokens acting for them (written and removed with
each token), so that erasure finds those tokens with the rest of the partition.

`filter[membership]` reads the trail index: one small item per (membership, record),
written with the record, newest first under the membership's prefix (`TRAIL#{id}#`),
naming the record by its revision (and its id, so that two writers never share one);
after the profile, so neither Query above reads one.

One index, `company_users` (a sparse GSI: only profiles carry its keys), lists a
company's users in employee id order: partition `COMPANY#{company}`
(`company_users_pk`), sort the employee id (`company_users_sk`). It projects the user's
fields only, so that the profile updates of every membership write (revision, count,
audit expiry) never write to it.

The change feed (index `ChangeFeed`, keys only): a user's audit record that touches a
membership also carries `feed_pk` = FEED#{company}#{day} and `feed_sk` =
{occurred_at}#{id}, so a company's membership changes of a time window are a Query per
day (webhook replays), never a Scan.
"""

from __future__ import annotations

from datetime import UTC, datetime

USER_PREFIX = "USER#"
PROFILE = "PROFILE"
MEMBERSHIP_PREFIX = "MEMBERSHIP#"
CHANGE_PREFIX = "PROFILE#CHANGE#"
REVISIONS = 10**12  # a user's revisions count down from here in their audit records' keys
ERASURE_PREFIX = "ERASURE#"
PROVIDER_PARTITION = "PROVIDER"
PROVIDER_PREFIX = "PROVIDER#"
TOKEN_PREFIX = "TOKEN#"  # noqa: S105 - a key prefix, not a secret
IDEMPOTENCY_PREFIX = "IDEMPOTENCY#"
CONCUR_PREFIX = "CONCUR#"
ACCESS_TOKEN_PREFIX = "OAUTH#"  # noqa: S105 - a key prefix, not a secret
COMPANY_USERS = "company_users"  # the index of a company's users
COMPANY_USERS_PK = "company_users_pk"
COMPANY_USERS_SK = "company_users_sk"
TRAIL_PREFIX = "TRAIL#"
END = "~"  # sorts after every digit, letter, "-" and "#": the end of a prefix's range


def Key(pk: str, sk: str) -> dict[str, dict[str, str]]:
    return {"pk": {"S": pk}, "sk": {"S": sk}}


def user_pk(company: str, employee_id: str) -> str:
    return f"{USER_PREFIX}{company}#{employee_id}"


def user_of(pk: str) -> tuple[str, str]:
    """(company, employee id) of a user's partition key (a company id holds no `#`)."""
    company, employee_id = pk.removeprefix("USER#").split("#", 1)
    return company, employee_id


def profile_key(company: str, employee_id: str) -> dict[str, dict[str, str]]:
    return Key(user_pk(company, employee_id), PROFILE)


def membership_key(company: str, employee_id: str, membership_id: str) -> dict[str, dict[str, str]]:
    return Key(user_pk(company, employee_id), MEMBERSHIP_PREFIX + membership_id)


def idempotency_key(company: str, employee_id: str, key_hash: str) -> dict[str, dict[str, str]]:
    """An Idempotency-Key the user sent (as a caller), by the hash of its scope and value."""
    return Key(user_pk(company, employee_id), IDEMPOTENCY_PREFIX + key_hash)


def concur_entry_key(company: str, employee_id: str, token_hash: str) -> dict[str, dict[str, str]]:
    """The user's index entry of a Concur token acting for them."""
    return Key(user_pk(company, employee_id), CONCUR_PREFIX + token_hash)


def _countdown(revision: int) -> str:
    """A revision as its records' keys sort it: newest first."""
    return f"{REVISIONS - revision:012d}"


def change_sk(revision: int) -> str:
    return CHANGE_PREFIX + _countdown(revision)


def change_key(company: str, employee_id: str, revision: int) -> dict[str, dict[str, str]]:
    """The audit record of the write that took the user to `revision`."""
    return Key(user_pk(company, employee_id), change_sk(revision))


def trail_prefix(membership_id: str) -> str:
    """Where the trail index lists the records that touch a membership, newest first."""
    return f"{TRAIL_PREFIX}{membership_id}#"


def trail_sk(membership_id: str, revision: int, record_id: str = "") -> str:
    """The index entry of the record numbered `revision` for a membership it touches; with
    no `record_id`, where that revision's entries start."""
    return f"{trail_prefix(membership_id)}{_countdown(revision)}#{record_id}"


def trail_key(
    company: str, employee_id: str, membership_id: str, revision: int, record_id: str
) -> dict[str, dict[str, str]]:
    return Key(user_pk(company, employee_id), trail_sk(membership_id, revision, record_id))


def login_key(email: str) -> dict[str, dict[str, str]]:
    return Key(f"LOGIN#{email.lower()}", "LOGIN")


def company_pk(company: str) -> str:
    return f"COMPANY#{company}"


def company_key(company: str) -> dict[str, dict[str, str]]:
    return Key(company_pk(company), "COMPANY")


def erasure_key(company: str, occurred_at: str, record_id: str) -> dict[str, dict[str, str]]:
    return Key(company_pk(company), f"{ERASURE_PREFIX}{occurred_at}#{record_id}")


def provider_key(provider_id: str) -> dict[str, dict[str, str]]:
    return Key(PROVIDER_PARTITION, PROVIDER_PREFIX + provider_id)


def application_pk(app_id: str) -> str:
    return f"APP#{app_id}"


def application_key(app_id: str) -> dict[str, dict[str, str]]:
    return Key(application_pk(app_id), "APP")


def application_change_key(
    app_id: str, occurred_at: str, record_id: str
) -> dict[str, dict[str, str]]:
    return Key(application_pk(app_id), f"CHANGE#{occurred_at}#{record_id}")


def application_token_key(app_id: str, token_hash: str) -> dict[str, dict[str, str]]:
    return Key(application_pk(app_id), TOKEN_PREFIX + token_hash)


def access_token_key(token_hash: str) -> dict[str, dict[str, str]]:
    return Key(ACCESS_TOKEN_PREFIX + token_hash, "OAUTH")


def company_users_keys(company: str, employee_id: str) -> dict[str, str]:
    """The `company_users` index's keys, as a profile carries them."""
    return {COMPANY_USERS_PK: company_pk(company), COMPANY_USERS_SK: employee_id}


# -- webhooks (SPEC 13) -------------------------------------------------------------------

SUBSCRIPTION_PREFIX = "WEBHOOK#SUB#"
SUBSCRIPTION_CHANGE_PREFIX = "WEBHOOK#CHANGE#"
DELIVERY_PREFIX = "DELIVERY#"
FEED_INDEX = "ChangeFeed"


def stamp(moment: datetime) -> str:
    """A time in keys: UTC, fixed width (microseconds always), so text order is time order."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def subscription_key(company: str, subscription_id: str) -> dict[str, dict[str, str]]:
    return Key(company_pk(company), SUBSCRIPTION_PREFIX + subscription_id)


def subscription_count_key(company: str) -> dict[str, dict[str, str]]:
    return Key(company_pk(company), "WEBHOOK#COUNT")


def subscription_change_key(
    company: str, occurred_at: datetime, record_id: str
) -> dict[str, dict[str, str]]:
    return Key(company_pk(company), f"{SUBSCRIPTION_CHANGE_PREFIX}{stamp(occurred_at)}#{record_id}")


def deliveries_pk(company: str, subscription_id: str) -> str:
    return f"WEBHOOKS#{company}#{subscription_id}"


def delivery_key(
    company: str, subscription_id: str, enqueued_at: datetime, delivery_id: str
) -> dict[str, dict[str, str]]:
    return Key(
        deliveries_pk(company, subscription_id),
        f"{DELIVERY_PREFIX}{stamp(enqueued_at)}#{delivery_id}",
    )


def feed_pk(company: str, day: str) -> str:
    return f"FEED#{company}#{day}"


def feed_keys(company: str, occurred_at: datetime, record_id: str) -> dict[str, str]:
    """The change feed's keys of one audit record (its attributes, beside pk and sk)."""
    moment = stamp(occurred_at)
    return {"feed_pk": feed_pk(company, moment[:10]), "feed_sk": f"{moment}#{record_id}"}
