"""Which rule of the service each `pattern` of openapi.json states. The document's patterns are
the service's own (`loyalty_core.validators`, and the Idempotency-Key's), character for
character: tests/unit/test_openapi.py holds them equal, and after a rule changes

    .venv/bin/python -m tests.openapi_rules

writes the rules' patterns into openapi.json (functions/api_docs/openapi.json links to it),
keeping the file's formatting (json.dumps, indent 2, UTF-8, a final newline), so merges stay
textual.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from local.template import ROOT
from loyalty_core import validators as v
from loyalty_core.services import idempotency

DOCUMENT = ROOT / "openapi.json"

# What the service reads, as it reads it (account numbers as sent, with their formatting).
_SENT = {
    "program": v.PROGRAM,
    "account_number": v.ACCOUNT_NUMBER,
    "membership_name": v.MEMBERSHIP_NAME,
    "level": v.LEVEL,
    "expires_on": v.DATE,
    "status_benefits": v.LONG_TEXT,
    "next_status": v.SHORT_TEXT,
}
# What it answers: account numbers as stored.
_STORED = _SENT | {"account_number": v.IDENTIFIER}
_CONCUR = {
    "UniqueID": v.PROGRAM,
    "AccountNo": v.ACCOUNT_NUMBER,
    "Status": v.LEVEL,
    "StatusBenefits": v.LONG_TEXT,
    "NextStatus": v.SHORT_TEXT,
}

# JSON pointer (within the document) of a schema -> the pattern it must carry.
RULES: dict[str, str] = {
    **{
        f"/components/schemas/{schema}/properties/{name}": pattern
        for schema, fields in (
            ("MembershipCreateAttributes", _SENT),
            ("MembershipUpdateAttributes", _SENT),
            ("MembershipAttributes", _STORED),
            ("ConcurMembership", _CONCUR),
        )
        for name, pattern in fields.items()
    },
    "/components/schemas/UserIdentifier/properties/id": v.IDENTIFIER,
    "/components/schemas/Provider/properties/attributes/properties/code": v.VENDOR_CODE,
    "/components/schemas/Provider/properties/attributes/properties/chain_codes/items": (
        v.VENDOR_CODE
    ),
    "/components/parameters/EmployeeId/schema": v.IDENTIFIER,
    "/components/parameters/EnrichEmployeeId/schema": v.IDENTIFIER,
    "/components/parameters/FilterMembership/schema": v.RECORD_ID,
    "/components/parameters/EnrichBookingTravelerRef/schema": v.REFERENCE,
    "/components/parameters/IdempotencyKey/schema": f"^{idempotency.KEY.pattern}{v.END}",
}


# Each pattern states its value's length: no minLength or maxLength beside it, to drift
# from it (and schemathesis folds those into a pattern it writes out anew, spelling the
# characters past U+FFFF `\U...`, which its own ECMA-262 engine does not read).
LENGTHS = ("minLength", "maxLength")


def resolve(document: dict[str, Any], pointer: str) -> dict[str, Any]:
    node: Any = document
    for part in pointer.strip("/").split("/"):
        node = node[part.replace("~1", "/").replace("~0", "~")]
    assert isinstance(node, dict), pointer
    return node


def write(path: Path) -> None:
    document = json.loads(path.read_text("utf-8"))
    for pointer, pattern in RULES.items():
        schema = resolve(document, pointer)
        schema["pattern"] = pattern
        for bound in LENGTHS:
            schema.pop(bound, None)
    path.write_text(json.dumps(document, indent=2, ensure_ascii=False) + "\n", "utf-8")


if __name__ == "__main__":
    write(DOCUMENT)
    print(f"wrote the rules' patterns into {DOCUMENT.relative_to(ROOT)}")
