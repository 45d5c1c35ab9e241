"""The Universal API reference files are read in place beside the project, and a missing
folder is a failure that says where it is expected, never a silent skip."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests import travelport


def test_the_schemas_the_tests_read_are_found_in_place() -> None:
    path = travelport.schema("hotel_v52_0/HotelReqRsp.xsd")
    assert path.is_file()
    assert path.is_relative_to(travelport.REFERENCE)
    assert travelport.REFERENCE.parts[-3:] == ("shared", "reference", "travelport")


def test_a_missing_folder_fails_saying_where_it_is_expected(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setattr(travelport, "REFERENCE", tmp_path / "absent")
    with pytest.raises(pytest.fail.Exception) as failed:
        travelport.schema("hotel_v52_0/HotelReqRsp.xsd")
    assert "../shared/reference/travelport/" in str(failed.value)
    assert "hotel_v52_0/HotelReqRsp.xsd" in str(failed.value)
