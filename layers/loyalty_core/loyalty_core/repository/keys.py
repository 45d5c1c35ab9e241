"""The single-table key design. Every read is a GetItem or a Query on these keys.

| item | pk | sk |
| --- | --- | --- |
| company | COMPANY#{company} | COMPANY |
| user profile (+ write revision) | USER#{company}#{employee_id} | PROFILE |
| membership | USER#{company}#{employee_id} | MEMBERSHIP#{id} |
| login (user + hashed API tokens) | LOGIN#{email} | LOGIN |
| provider | PROVIDER | PROVIDER#{id} |
| Concur application | APP#{app_id} | APP |
| Concur token index of an app | APP#{app_id} | TOKEN#{sha256} |
| Concur access token | OAUTH#{sha256} | OAUTH |

A user's profile and memberships share one partition: listing is one Query,
and the company is part of every user key, so no read can cross companies.
"""

from __future__ import annotations

PROFILE = "PROFILE"
MEMBERSHIP_PREFIX = "MEMBERSHIP#"
PROVIDER_PARTITION = "PROVIDER"
PROVIDER_PREFIX = "PROVIDER#"
TOKEN_PREFIX = "TOKEN#"  # noqa: S105 - a key prefix, not a secret


def Key(pk: str, sk: str) -> dict[str, dict[str, str]]:
    return {"pk": {"S": pk}, "sk": {"S": sk}}


def user_pk(company: str, employee_id: str) -> str:
    return f"USER#{company}#{employee_id}"


def profile_key(company: str, employee_id: str) -> dict[str, dict[str, str]]:
    return Key(user_pk(company, employee_id), PROFILE)


def membership_key(company: str, employee_id: str, membership_id: str) -> dict[str, dict[str, str]]:
    return Key(user_pk(company, employee_id), MEMBERSHIP_PREFIX + membership_id)


def login_key(email: str) -> dict[str, dict[str, str]]:
    return Key(f"LOGIN#{email.lower()}", "LOGIN")


def company_key(company: str) -> dict[str, dict[str, str]]:
    return Key(f"COMPANY#{company}", "COMPANY")


def provider_key(provider_id: str) -> dict[str, dict[str, str]]:
    return Key(PROVIDER_PARTITION, PROVIDER_PREFIX + provider_id)


def application_pk(app_id: str) -> str:
    return f"APP#{app_id}"


def application_key(app_id: str) -> dict[str, dict[str, str]]:
    return Key(application_pk(app_id), "APP")


def application_token_key(app_id: str, token_hash: str) -> dict[str, dict[str, str]]:
    return Key(application_pk(app_id), TOKEN_PREFIX + token_hash)


def access_token_key(token_hash: str) -> dict[str, dict[str, str]]:
    return Key(f"OAUTH#{token_hash}", "OAUTH")
