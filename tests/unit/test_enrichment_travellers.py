"""Whose cards each place of a request takes, for every product: SearchPassengers named by
the employee ids the caller lists, in order; a traveller named more than once read and
reported once; every traveller's Query run at the same time; and each reason the pipeline
itself gives (traveller_not_found, traveller_limit, no_place), table-driven."""

from __future__ import annotations

import threading
from collections.abc import Sequence
from datetime import UTC, date, datetime

import pytest

from loyalty_core.errors import InvalidInput, MalformedRequest, NotFound
from loyalty_core.interfaces.uapi import codec
from loyalty_core.models import Alliance, Membership, Principal, Provider, Role, User, VendorType
from loyalty_core.models.cards import Enrichment
from loyalty_core.repository import Login
from loyalty_core.services.enrichment import TRAVELLER_LIMIT, enrich
from tests.memory_repository import InMemoryRepository

TODAY = date(2026, 12, 7)
AIR = "http://www.travelport.com/schema/air_v52_0"
UNIVERSAL = "http://www.travelport.com/schema/universal_v52_0"
COMMON = "http://www.travelport.com/schema/common_v52_0"
QANTAS = Provider(
    id="qf", name="Qantas", vendor_type=VendorType.AIR, vendor_code="QF", alliance=Alliance.ONEWORLD
)
HERTZ = Provider(id="ze", name="Hertz", vendor_type=VendorType.CAR, vendor_code="ZE")
ADMIN = Principal(company="acme", employee_id="boss", role=Role.ADMIN)


class Repository(InMemoryRepository):
    """The in-memory store, counting whose memberships are read; `barrier`, when set, holds
    each read until that many are under way at once."""

    def __init__(self) -> None:
        super().__init__()
        self.memberships_read: list[str] = []
        self.emails_looked_up: list[list[str]] = []
        self.barrier: threading.Barrier | None = None

    def get_logins(self, emails: Sequence[str]) -> dict[str, Login]:
        self.emails_looked_up.append(list(emails))
        return super().get_logins(emails)

    def get_user_memberships(self, company: str, employee_id: str):  # type: ignore[no-untyped-def]
        self.memberships_read.append(employee_id)
        if self.barrier is not None:
            self.barrier.wait()  # BrokenBarrierError unless the others are read meanwhile
        return super().get_user_memberships(company, employee_id)


def user(n: int) -> User:
    return User(company="acme", employee_id=f"9{n:05d}", name=f"T {n}", email=f"t{n}@acme.example")


@pytest.fixture
def repo() -> Repository:
    """Twelve users of acme (900001 ... 900012), each holding a Qantas and a Hertz program
    (QF0001 and ZE0001 for the first, ...)."""
    repo = Repository()
    repo.add_provider(QANTAS)
    repo.add_provider(HERTZ)
    now = datetime(2026, 1, 1, tzinfo=UTC)
    for n in range(1, 13):
        repo.seed_user(user(n))
        for provider in (QANTAS, HERTZ):
            held = Membership(
                id=f"{provider.id}{n}",
                company="acme",
                employee_id=user(n).employee_id,
                provider_id=provider.id,
                account_number=f"{provider.vendor_code}{n:04d}",
                created_at=now,
                updated_at=now,
            )
            repo.memberships[("acme", user(n).employee_id)][held.id] = held
    return repo


def search(passengers: int) -> bytes:
    body = "<com:SearchPassenger Code='ADT'/>" * passengers
    name = "air:LowFareSearchReq"
    return f'<{name} xmlns:air="{AIR}" xmlns:com="{COMMON}">{body}</{name}>'.encode()


def reservation(*emails: str, name: str = "AirCreateReservationReq") -> bytes:
    body = "".join(
        f"<com:BookingTraveler><com:Email EmailID='{e}'/></com:BookingTraveler>" for e in emails
    )
    return f'<u:{name} xmlns:u="{UNIVERSAL}" xmlns:com="{COMMON}">{body}</u:{name}>'.encode()


def run(repo: Repository, document: bytes, employee_id: str | None = None) -> Enrichment:
    request = codec.read_request(document).card_request()
    return enrich(repo, ADMIN, request, TODAY, "1G", employee_id)


def numbers(result: Enrichment) -> dict[str, list[str]]:
    return {place: [c.card_number for c in cards] for place, cards in result.placed().items()}


# -- employee ids name the SearchPassengers in order ------------------------------------------


def test_employee_ids_name_the_search_passengers_in_order(repo: Repository) -> None:
    result = run(repo, search(3), "900003,900001,900002")
    assert numbers(result) == {
        "SearchPassenger 1": ["QF0003"],
        "SearchPassenger 2": ["QF0001"],
        "SearchPassenger 3": ["QF0002"],
    }
    assert sorted(repo.memberships_read) == ["900001", "900002", "900003"]  # read at once


def test_a_passenger_without_an_employee_id_is_not_found(repo: Repository) -> None:
    result = run(repo, search(3), "900001")
    assert numbers(result) == {"SearchPassenger 1": ["QF0001"]}
    missing = [(n.place, n.reason) for n in result.left_out if n.reason == "traveller_not_found"]
    assert missing == [(f"SearchPassenger {n}", "traveller_not_found") for n in (2, 3)]
    assert repo.memberships_read == ["900001"]


@pytest.mark.parametrize(
    ("employee_id", "says"),
    [
        (
            "900001,900002,900003",
            "names 3 employee ids; this LowFareSearchReq takes one employee id for each of its 2",
        ),
        ("900001,,900002", "an empty employee id"),
        ("900001,", "an empty employee id"),
        (",".join(["900001"] * 10), f"more than {TRAVELLER_LIMIT} employee ids"),
    ],
)
def test_more_ids_than_passengers_or_an_empty_one_is_a_400(
    repo: Repository, employee_id: str, says: str
) -> None:
    with pytest.raises(MalformedRequest) as refused:
        run(repo, search(2), employee_id)
    assert says in refused.value.detail
    assert refused.value.problems[0].location == ("employee_id",)
    assert repo.memberships_read == []


def test_requests_naming_nobody_take_one_employee_id(repo: Repository) -> None:
    vehicle = b'<v:VehicleSearchAvailabilityReq xmlns:v="http://www.travelport.com/schema/vehicle_v52_0"/>'
    assert numbers(run(repo, vehicle, "900004")) == {"VehicleSearchModifiers": ["ZE0004"]}
    with pytest.raises(MalformedRequest, match="takes one employee id"):
        run(repo, vehicle, "900004,900005")
    with pytest.raises(InvalidInput, match="employee_id is required"):
        run(repo, vehicle)
    with pytest.raises(InvalidInput, match="employee_id is required"):
        run(repo, search(1))


def test_a_passenger_out_of_the_callers_reach_is_a_404_before_any_read(repo: Repository) -> None:
    traveller = Principal(company="acme", employee_id="900001", role=Role.TRAVELLER)
    request = codec.read_request(search(2)).card_request()
    with pytest.raises(NotFound):
        enrich(repo, traveller, request, TODAY, "1G", "900001,900002")
    assert repo.memberships_read == []
    mine = enrich(repo, traveller, request, TODAY, "1G", "900001")
    assert numbers(mine) == {"SearchPassenger 1": ["QF0001"]}


# -- a traveller named more than once: read once, reported once ---------------------------------


def test_a_passenger_named_twice_is_read_once_and_reported_once(repo: Repository) -> None:
    result = run(repo, search(3), "900001,900001,900001")
    assert numbers(result) == {f"SearchPassenger {n}": ["QF0001"] for n in (1, 2, 3)}
    assert repo.memberships_read == ["900001"]
    assert [(n.place, n.reason) for n in result.left_out] == [
        ("SearchPassenger 1", "vehicle_program")
    ]


def test_a_booking_traveler_named_nine_times_is_read_once_and_reported_once(
    repo: Repository,
) -> None:
    result = run(repo, reservation(*["t1@acme.example"] * 9))
    assert len(result.added) == 9
    assert repo.memberships_read == ["900001"]
    assert repo.emails_looked_up == [["t1@acme.example"] * 9]
    assert [n.reason for n in result.left_out] == ["vehicle_program"]


# -- every traveller's Query at once ------------------------------------------------------------


def test_nine_travellers_memberships_are_read_at_the_same_time(repo: Repository) -> None:
    """Each read waits until all nine are under way: read one after another, the first would
    wait in vain (the barrier breaks after its timeout, and the call fails)."""
    repo.barrier = threading.Barrier(TRAVELLER_LIMIT, timeout=4)
    emails = [f"t{n}@acme.example" for n in range(1, 10)]
    result = run(repo, reservation(*emails))
    assert len(result.added) == TRAVELLER_LIMIT
    assert sorted(repo.memberships_read) == sorted(user(n).employee_id for n in range(1, 10))
    assert [a.place for a in result.added] == [f"BookingTraveler {n}" for n in range(1, 10)]
    assert [a.card.card_number for a in result.added] == [f"QF{n:04d}" for n in range(1, 10)]


def test_a_failing_read_fails_the_call_however_many_run(repo: Repository) -> None:
    class Failing(Repository):
        def get_user_memberships(self, company: str, employee_id: str):  # type: ignore[no-untyped-def]
            if employee_id == "900005":
                raise RuntimeError("the store is gone")
            return super().get_user_memberships(company, employee_id)

    failing = Failing()
    failing.__dict__.update(repo.__dict__)
    with pytest.raises(RuntimeError, match="the store is gone"):
        run(failing, reservation(*[f"t{n}@acme.example" for n in range(1, 10)]))


# -- the pipeline's own reasons, table-driven ---------------------------------------------------


@pytest.mark.parametrize(
    ("document", "employee_id", "place", "reason"),
    [
        (reservation("nobody@acme.example"), None, "BookingTraveler 1", "traveller_not_found"),
        (reservation("t1@acme.example", ""), None, "BookingTraveler 2", "traveller_not_found"),
        (search(2), "900001", "SearchPassenger 2", "traveller_not_found"),
        (
            reservation(*[f"t{n}@acme.example" for n in range(1, 11)]),
            None,
            "BookingTraveler 10",
            "traveller_limit",
        ),
        (
            search(10),
            ",".join(f"9{n:05d}" for n in range(1, 10)),
            "SearchPassenger 10",
            "traveller_limit",
        ),
        (reservation(), "900001", "AirCreateReservationReq", "no_place"),
        (search(0), "900001", "LowFareSearchReq", "no_place"),
        (
            reservation(name="AirMerchandisingFulfillmentReq"),
            "900001",
            "AirMerchandisingFulfillmentReq",
            "no_place",
        ),
    ],
)
def test_each_reason_the_pipeline_gives(
    repo: Repository, document: bytes, employee_id: str | None, place: str, reason: str
) -> None:
    result = run(repo, document, employee_id)
    assert (place, reason) in [(n.place, n.reason) for n in result.left_out]
    found = next(n for n in result.left_out if n.place == place)
    assert found.detail and len(found.detail) < 200
