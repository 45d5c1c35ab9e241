"""The Concur Travel Profile loyalty codec: LoyaltyMembershipUpdate in (as the domain's
ProgramUpdates), LoyaltyMembershipResponse out, and the one table of Concur's HTTP
statuses. A problem's location is (Membership position, UniqueID, field or element)."""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

from lxml import etree
from pydantic import ValidationError

from loyalty_core import errors as e
from loyalty_core.interfaces.xml import local_name, parse
from loyalty_core.models import MembershipChanges, ProgramUpdate
from loyalty_core.validators import problems_from

MAX_MEMBERSHIPS = 50
# Concur element -> membership field. VendorCode/VendorType name the program instead.
ELEMENTS = {
    "AccountNo": "account_number",
    "Status": "level",
    "StatusBenefits": "status_benefits",
    "PointTotal": "point_total",
    "SegmentTotal": "segment_total",
    "NextStatus": "next_status",
    "PointsUntilNextStatus": "points_until_next_status",
    "SegmentsUntilNextStatus": "segments_until_next_status",
}
FIELD_ELEMENTS = {field: element for element, field in ELEMENTS.items()} | {
    "program": "UniqueID",
    "vendor_code": "VendorCode",
    "vendor_type": "VendorType",
}
NUMBERS = {"PointTotal", "SegmentTotal", "PointsUntilNextStatus", "SegmentsUntilNextStatus"}
VENDOR = ("VendorCode", "VendorType")
# A Membership holds at most its known children, each once: more is refused unread.
MAX_CHILDREN = len(ELEMENTS) + len(VENDOR)


def _problem(position: int, unique_id: str, element: str, detail: str) -> e.Problem:
    return e.Problem(detail, (position, unique_id, element))


def _read_membership(
    position: int, element: etree._Element, problems: list[e.Problem]
) -> ProgramUpdate | None:
    before = len(problems)
    values: dict[str, Any] = {}
    unique_id = element.get("UniqueID")
    if unique_id is None:
        problems.append(_problem(position, "", "UniqueID", "attribute is required"))
        unique_id = ""
    else:
        values["program"] = unique_id
    named = e.clip(unique_id)  # how its problems name this Membership: never at length
    for attribute in map(str, element.attrib):
        if attribute != "UniqueID":
            problems.append(_problem(position, named, f"@{attribute}", "is not a known attribute"))
    vendor: dict[str, str] = {}
    children = [child for child in element if local_name(child)]  # not comments, PIs
    if len(children) > MAX_CHILDREN:
        problems.append(
            _problem(
                position,
                named,
                "Membership",
                f"holds {len(children)} elements; at most {MAX_CHILDREN}, each known element once",
            )
        )
        return None
    for child in children:
        name = _written(child)
        if name not in ELEMENTS and name not in VENDOR:
            problems.append(_problem(position, named, e.clip(name), "is not a known element"))
            continue
        if len(child) or child.attrib:
            problems.append(_problem(position, named, name, "must hold text only"))
            continue
        if name in values or name in vendor or ELEMENTS.get(name) in values:
            problems.append(_problem(position, named, name, "is repeated"))
            continue
        text = (child.text or "").strip()
        if name in VENDOR:
            vendor[name] = text
        elif name in NUMBERS:
            if not re.fullmatch(r"[0-9]{1,16}", text):  # 2^53 - 1 has 16 digits
                problems.append(
                    _problem(
                        position,
                        named,
                        name,
                        "must be a non-negative whole number up to 2^53 - 1",
                    )
                )
                continue
            values[ELEMENTS[name]] = int(text)
        else:
            values[ELEMENTS[name]] = text
    try:
        changes = MembershipChanges.model_validate(values)
    except ValidationError as err:
        problems.extend(problems_from(err, (position, named)))
        return None
    if len(problems) > before:
        return None
    return ProgramUpdate(
        position, unique_id, vendor.get("VendorCode"), vendor.get("VendorType"), changes
    )


def _written(element: etree._Element) -> str:
    """An element's name as a message shows it: with its namespace, if it has one."""
    return str(element.tag) if isinstance(element.tag, str) else ""


def _check_root(root: etree._Element) -> None:
    """The root is LoyaltyMembershipUpdate in no namespace, with no attribute (namespace
    declarations are not attributes): anything else is not a Concur update."""
    if root.tag != "LoyaltyMembershipUpdate":
        raise e.InvalidInput(
            "The root element must be LoyaltyMembershipUpdate, in no namespace, not "
            + e.quote(_written(root))
        )
    if root.attrib:
        raise e.InvalidInput(
            "LoyaltyMembershipUpdate takes no attribute (namespace declarations aside), not "
            + e.quote_all(map(str, root.attrib))
        )


def read_update(data: bytes) -> list[ProgramUpdate]:
    """Every Membership of a LoyaltyMembershipUpdate; every problem at once, or none applied.
    Concur's elements are in no namespace: an element in one is not Concur's."""
    root = parse(data)
    _check_root(root)
    children = [c for c in root if local_name(c)]
    strangers = sorted({_written(c) for c in children if c.tag != "Membership"})
    if strangers:
        raise e.InvalidInput(
            f"LoyaltyMembershipUpdate holds only Membership elements, not {e.quote_all(strangers)}"
        )
    if not children:
        raise e.InvalidInput("LoyaltyMembershipUpdate holds no Membership")
    if len(children) > MAX_MEMBERSHIPS:
        raise e.InvalidInput(
            f"LoyaltyMembershipUpdate holds {len(children)} Membership elements; "
            f"at most {MAX_MEMBERSHIPS} are allowed"
        )
    problems: list[e.Problem] = []
    read = [_read_membership(i, c, problems) for i, c in enumerate(children, start=1)]
    if problems:
        raise e.InvalidInput("The update is not valid; nothing was applied", problems)
    return [m for m in read if m is not None]


# -- responses ------------------------------------------------------------------------

_STATUS: list[tuple[type[e.DomainError], int]] = [
    (e.Unauthenticated, 401),
    (e.AccessDenied, 403),
    (e.PayloadTooLarge, 413),
    (e.UnsupportedMediaType, 415),
    (e.MethodNotAllowed, 405),
    (e.ConcurrentChange, 409),  # a concurrent writer won the race three times running
    (e.RequestInProgress, 409),  # the same Idempotency-Key is still being answered
    (e.StorageUnavailable, 503),
    (e.DomainError, 400),  # bad XML, a rule broken, an unknown program: the request is wrong
]


def status_of(error: e.DomainError) -> int:
    return next(status for cls, status in _STATUS if isinstance(error, cls))


def describe(detail: str, problems: Sequence[e.Problem], more: int = 0) -> str:
    """ErrorDescription: the error, then each problem naming its Membership and element,
    then how many more there are."""
    parts = []
    for problem in problems:
        if len(problem.location) == 3:
            position, unique_id, name = problem.location
            element = FIELD_ELEMENTS.get(str(name), name)
            parts.append(
                f"Membership {position} (UniqueID {e.quote(unique_id)}): {element} {problem.detail}"
            )
        elif problem.location and problem.detail[:1].islower():  # a predicate: its subject
            parts.append(f"{problem.location[-1]} {problem.detail}")
        else:
            parts.append(problem.detail)
    if more:
        parts.append(e.more(more))
    return detail + (": " + "; ".join(parts) if parts else "")


def response(status: str, description: str = "") -> bytes:
    root = etree.Element("LoyaltyMembershipResponse")
    etree.SubElement(root, "Status").text = status
    etree.SubElement(root, "ErrorDescription").text = description or None
    return b'<?xml version="1.0" encoding="UTF-8"?>\n' + etree.tostring(root, encoding="UTF-8")


def _error_body(detail: str, problems: Sequence[e.Problem], more: int) -> bytes:
    return response("ERROR", describe(detail, problems, more))


def error_response(error: e.DomainError) -> tuple[int, bytes]:
    """The status and LoyaltyMembershipResponse of an error, within the answers' bounds."""
    return status_of(error), e.fit(error, _error_body, len)
