"""The catalog as the interfaces read it (services.providers): filtered by category and by
code (any code of a hotel program's brand family), in any case; each program under every
code that names it; one program by id, else 404."""

from __future__ import annotations

import pytest

from loyalty_core.errors import MalformedRequest, NotFound, Problem
from loyalty_core.models import Provider, VendorType
from loyalty_core.services.providers import by_code, get_provider, list_providers
from tests.memory_repository import InMemoryRepository

QANTAS = Provider(id="qf", name="Qantas", vendor_type=VendorType.AIR, vendor_code="QF")
HERTZ = Provider(id="ze", name="Hertz", vendor_type=VendorType.CAR, vendor_code="ZE")
HILTON = Provider(
    id="hh",
    name="Hilton Honors",
    vendor_type=VendorType.HOTEL,
    vendor_code="HH",
    chain_codes=("HH", "DT"),
)
STASH = Provider(id="stash", name="Stash Hotel Rewards", vendor_type=VendorType.HOTEL)


@pytest.fixture
def repo() -> InMemoryRepository:
    repo = InMemoryRepository()
    for provider in (QANTAS, HERTZ, HILTON, STASH):
        repo.add_provider(provider)
    return repo


def ids(found: object) -> list[str]:
    return [p.id for p in found]  # type: ignore[attr-defined]


def test_every_program_in_name_order_without_a_filter(repo: InMemoryRepository) -> None:
    assert ids(list_providers(repo)) == ["ze", "hh", "qf", "stash"]


@pytest.mark.parametrize(
    ("category", "found"),
    [("airline", ["qf"]), ("Hotel", ["hh", "stash"]), ("CAR", ["ze"])],
)
def test_a_category_filter_in_any_case(
    repo: InMemoryRepository, category: str, found: list[str]
) -> None:
    assert ids(list_providers(repo, category=category)) == found


def test_an_unknown_category_or_a_code_that_is_no_code_is_refused_each_named(
    repo: InMemoryRepository,
) -> None:
    with pytest.raises(MalformedRequest) as caught:
        list_providers(repo, category="train", code="Q")
    assert caught.value.detail == "The catalog cannot be filtered so"
    assert caught.value.problems == [
        Problem("must be one of airline, car, hotel", ("filter[category]",), "parameter"),
        Problem(
            "must be a code of 2-3 letters or digits (an airline, hotel chain or car vendor)",
            ("filter[code]",),
            "parameter",
        ),
    ]
    for code in ("ABCD", "Q F", "é1", "x" * 5000):
        with pytest.raises(MalformedRequest):
            list_providers(repo, code=code)


@pytest.mark.parametrize(
    ("code", "found"),
    [("qf", ["qf"]), ("DT", ["hh"]), ("hh", ["hh"]), ("ZZ", []), ("$$", [])],
)
def test_a_code_filter_finds_a_program_by_any_code_that_names_it(
    repo: InMemoryRepository, code: str, found: list[str]
) -> None:
    assert ids(list_providers(repo, code=code)) == found


def test_both_filters_at_once(repo: InMemoryRepository) -> None:
    assert ids(list_providers(repo, category="hotel", code="dt")) == ["hh"]
    assert ids(list_providers(repo, category="airline", code="DT")) == []


def test_each_program_under_every_code_and_type_that_names_it() -> None:
    assert by_code([QANTAS, HERTZ, HILTON, STASH]) == {
        (VendorType.AIR, "QF"): QANTAS,
        (VendorType.CAR, "ZE"): HERTZ,
        (VendorType.HOTEL, "HH"): HILTON,
        (VendorType.HOTEL, "DT"): HILTON,
    }


def test_one_program_by_id_else_not_found(repo: InMemoryRepository) -> None:
    assert get_provider(repo, "hh") == HILTON
    with pytest.raises(NotFound) as caught:
        get_provider(repo, "nope")
    assert caught.value.detail == 'No loyalty provider "nope"'
