"""The shipped provider catalog (data/providers.json): stable ids, brand families that the
hotel rules can rely on, and the source note beside the data."""

from __future__ import annotations

import json
import re
import uuid
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
from pydantic import ValidationError

from loyalty_core.models import Provider, VendorType

DATA = Path(__file__).parents[2] / "data"
RAW: list[dict[str, Any]] = json.loads((DATA / "providers.json").read_text("utf-8"))
CATALOG = [Provider.model_validate(p) for p in RAW]
HOTELS = [p for p in CATALOG if p.vendor_type is VendorType.HOTEL]

# (id, primary code, name) of every program ever shipped: clients store these ids, so an id
# never changes nor disappears. The first four of seed 002 among them.
SHIPPED = [
    ("85fbc19d-4007-5736-8f91-230d5e21c273", "NH", "ANA Mileage Club"),
    ("3b814618-5e23-588a-be41-0d2a8dae5e30", "EI", "Aer Lingus AerClub"),
    ("eba936b3-58d5-5332-9120-5720e59258f7", "AC", "Air Canada Aeroplan"),
    ("a50451a9-4256-5799-8558-adc0ee625968", "AF", "Air France Flying Blue"),
    ("35b9e870-e89e-52dc-9992-12e8abe6096b", "NZ", "Air New Zealand Airpoints"),
    ("0bf926d4-f236-5a5f-afc7-f40ea0b4950a", "AA", "American Airlines AAdvantage"),
    ("0e81dfbb-853f-56d5-931d-72fe03a9c844", "BA", "British Airways Club"),
    ("d1015ef5-831f-5140-b184-7bd426d98b01", "CX", "Cathay (Asia Miles)"),
    ("6bf51b9d-5afe-5e67-8d97-fe9a9646c724", "DL", "Delta SkyMiles"),
    ("c6d7cbda-b73e-5ce0-8a1c-270fee40eb24", "EK", "Emirates Skywards"),
    ("61b10e06-93ff-5a38-83d7-66454b58122b", "EY", "Etihad Guest"),
    ("4331fa1c-7605-5b17-b77b-eacb2f01ada3", "JL", "JAL Mileage Bank"),
    ("7f687372-0130-52be-9b3f-e043fbddf3fd", "KL", "KLM Flying Blue"),
    ("85f8a160-fa3b-52ec-9d6b-d93811bf5338", "LH", "Lufthansa Miles & More"),
    ("9c5b9246-2cce-11e8-87f9-0662bed6e7db", "QF", "Qantas Frequent Flyer"),
    ("ef6bfd4b-cbd2-5013-a80a-31c8eea6829f", "QR", "Qatar Airways Privilege Club"),
    ("e54f5fdb-43f7-5596-b8e9-9eb27b25895a", "SQ", "Singapore Airlines KrisFlyer"),
    ("64fefd99-35db-574b-8dba-2283c3fafc0a", "UA", "United MileagePlus"),
    ("8961eccc-87b6-57a7-81c1-3318ff7160c4", "VS", "Virgin Atlantic Flying Club"),
    ("9c5b8c96-2cce-11e8-87f9-0662bed6e7db", "VA", "Virgin Australia Velocity"),
    ("d7856622-33a6-5238-864d-635dacfae3f2", "AL", "Alamo Insiders"),
    ("8baeddab-b3bd-5b92-aea1-bb2ad4b01ca8", "ZI", "Avis Preferred"),
    ("5f812f53-b9b0-5fd4-bce5-509577521cda", "ZD", "Budget Fastbreak"),
    ("e0864a7e-b639-517a-8894-ffd143847d4e", "ZR", "Dollar Express Rewards"),
    ("aa557c5b-f0a6-542e-b95d-f5c43a83e5a3", "ET", "Enterprise Plus"),
    ("39585702-e10c-5b22-8470-a0ff7aa584b2", "EP", "Europcar Privilege"),
    ("cd3b6861-7b63-543e-a2f3-48784549c7c8", "ZE", "Hertz Gold Plus Rewards"),
    ("e2eeee18-bd14-5034-8d56-509fa0fab8e4", "ZL", "National Emerald Club"),
    ("34c1aa38-1f79-5e43-9058-81f83a39fd77", "SX", "SIXT Status Program"),
    ("b61ed252-d474-520b-b669-f1616d7a6db9", "ZT", "Thrifty Blue Chip Rewards"),
    ("a458343f-a8c0-55ce-ab0a-73c8c2f46c24", "RT", "ALL - Accor Live Limitless"),
    ("a9a735de-8e1e-57c2-aa75-c3a4da0a4569", "BW", "Best Western Rewards"),
    ("7e9eefe3-d8f7-5360-9422-5a6526f04830", "EC", "Choice Privileges"),
    ("9c5b90ff-2cce-11e8-87f9-0662bed6e7db", "HH", "Hilton Honors"),
    ("1b047c5e-a001-5a72-bbad-6e7221580587", "PH", "I Prefer Hotel Rewards"),
    ("3a3a265f-e892-56db-81ab-3415c58be4da", "IC", "IHG One Rewards"),
    ("0571282b-a755-59d8-b638-1700bcb537c8", "JT", "Jumeirah One"),
    (
        "d4c299e4-8bbd-5c91-bd4d-7dcb33eb00ac",
        "LW",
        "Leaders Club (The Leading Hotels of the World)",
    ),
    ("9c5b9176-2cce-11e8-87f9-0662bed6e7db", "MC", "Marriott Bonvoy"),
    ("b87a1b63-ff66-573f-8590-b1b0e3dc185d", "SM", "MeliáRewards"),
    ("c4f7ae74-3641-59c4-bc40-0e2359312650", "OM", "Omni Select Guest"),
    ("10a89fc2-00a0-526a-bfa7-547e0b81b72d", "RD", "Radisson Rewards"),
    ("b7e943f5-f492-5738-964c-b184f69bb545", "SG", "Shangri-La Circle"),
    ("609deaf0-484a-58b3-88ce-60d325c13321", "HY", "World of Hyatt"),
    ("c123c64f-21f4-5815-90a1-3f74b12b3892", "WY", "Wyndham Rewards"),
    ("270ef4ae-157d-42ce-bb7c-0b87879b10a7", None, "Stash Hotel Rewards"),
]


def test_every_id_ever_shipped_is_kept_with_its_program_and_code() -> None:
    by_id = {p.id: p for p in CATALOG}
    assert [(i, by_id[i].vendor_code, by_id[i].name) for i, _, _ in SHIPPED] == SHIPPED


def test_the_seed_examples_providers_are_in_it() -> None:
    seed = {
        "9c5b8c96-2cce-11e8-87f9-0662bed6e7db": ("Virgin Australia Velocity", "air", "VA"),
        "9c5b9246-2cce-11e8-87f9-0662bed6e7db": ("Qantas Frequent Flyer", "air", "QF"),
        "9c5b90ff-2cce-11e8-87f9-0662bed6e7db": ("Hilton Honors", "hotel", "HH"),
        "9c5b9176-2cce-11e8-87f9-0662bed6e7db": ("Marriott Bonvoy", "hotel", "MC"),
    }
    by_id = {p.id: p for p in CATALOG}
    assert {i: (by_id[i].name, by_id[i].vendor_type, by_id[i].vendor_code) for i in seed} == seed


def test_ids_are_unique_uuids() -> None:
    ids = [p.id for p in CATALOG]
    assert len(set(ids)) == len(ids)
    for value in ids:
        assert str(uuid.UUID(value)) == value


def test_hotel_programs_list_their_brand_family_with_the_primary_code_first() -> None:
    for raw, program in zip(RAW, CATALOG, strict=True):
        if program.vendor_type is VendorType.HOTEL:
            assert raw["chain_codes"] == list(program.chain_codes), program.name
            if program.vendor_code:
                assert program.chain_codes[0] == program.vendor_code, program.name
        else:
            assert "chain_codes" not in raw and program.vendor_code, program.name


def test_a_chain_code_belongs_to_one_hotel_program_and_is_a_real_code() -> None:
    counts = Counter(code for p in HOTELS for code in p.chain_codes)
    assert [code for code, n in counts.items() if n > 1] == []
    for code in counts:
        assert re.fullmatch(r"[A-Z0-9]{2}", code), code


@pytest.mark.parametrize(
    ("program", "brands"),
    [
        ("Marriott Bonvoy", {"MC", "EM", "CY", "RZ", "SI", "WI", "RC", "FN"}),
        ("Hilton Honors", {"HH", "HX", "ES", "DT", "GI", "HG", "WA", "CN"}),
        ("IHG One Rewards", {"IC", "CP", "HI", "IN", "YZ", "YO"}),
        ("ALL - Accor Live Limitless", {"RT", "SB", "PU", "NO", "FA"}),
        ("Wyndham Rewards", {"WY", "DI", "RA", "SE", "LQ"}),
        ("Choice Privileges", {"EC", "CI", "QI", "CC", "SZ"}),
        ("Radisson Rewards", {"RD", "CW"}),
    ],
)
def test_the_big_families_hold_their_well_known_brands(program: str, brands: set[str]) -> None:
    [found] = [p for p in HOTELS if p.name == program]
    assert brands <= set(found.chain_codes)


def test_an_alliance_without_a_chain_code_of_its_own_is_in_it() -> None:
    alliances = [p for p in HOTELS if p.vendor_code is None]
    assert [p.name for p in alliances] == ["Stash Hotel Rewards"]
    assert alliances[0].chain_codes == () and alliances[0].codes == ()


def test_the_source_note_covers_every_hotel_program() -> None:
    note = (DATA / "README.md").read_text("utf-8")
    for program in HOTELS:
        assert program.name in note, program.name


# -- the Provider model's rules on codes --------------------------------------------------------


def test_a_hotel_program_given_no_family_is_a_family_of_its_primary_code() -> None:
    given = {"id": "x", "name": "Hilton Honors", "vendor_type": "hotel", "vendor_code": "HH"}
    assert Provider.model_validate(given).chain_codes == ("HH",)
    listed = {**given, "chain_codes": ["HH", "HX", "DT"]}
    assert Provider.model_validate(listed).chain_codes == ("HH", "HX", "DT")


def test_a_hotel_family_that_does_not_start_with_the_primary_code_is_refused() -> None:
    listed = {"id": "x", "name": "H", "vendor_type": "hotel", "vendor_code": "HH"}
    with pytest.raises(ValidationError, match="start with its vendor_code"):
        Provider.model_validate({**listed, "chain_codes": ["HX", "HH"]})


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"vendor_type": "air"}, "need their vendor code"),
        ({"vendor_type": "car", "vendor_code": "ZE", "chain_codes": ["ZE"]}, "only hotel"),
        ({"vendor_type": "hotel", "vendor_code": "HH", "chain_codes": ["HH", "HH"]}, "twice"),
        ({"vendor_type": "hotel", "chain_codes": ["HX", "HXX"]}, "2 characters"),
    ],
)
def test_codes_that_do_not_fit_the_program_are_refused(
    fields: dict[str, Any], message: str
) -> None:
    with pytest.raises(ValidationError) as caught:
        Provider.model_validate({"id": "x", "name": "P", **fields})
    assert message in str(caught.value)
