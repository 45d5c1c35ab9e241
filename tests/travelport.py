"""Travelport's own Universal API files (the v52 XSDs, two tutorial requests), read in place
from `../shared/reference/travelport/` beside the project: the project keeps no copy of them.
Its README says where each file comes from. A test that needs one and finds the folder missing
fails, saying where the folder is expected."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from local.template import ROOT

# TRAVELPORT_REFERENCE names the folder when the tests run from a copy of the project
# (`make mutation` runs them in mutants/).
REFERENCE = Path(
    os.environ.get("TRAVELPORT_REFERENCE") or ROOT.parent / "shared" / "reference" / "travelport"
)


def reference(relative: str) -> Path:
    """The file `relative` (e.g. `schemas/hotel_v52_0/HotelReqRsp.xsd`) of the reference folder."""
    path = REFERENCE / relative
    if not path.is_file():
        pytest.fail(
            f"{relative} is not in {REFERENCE}: the Travelport Universal API reference folder is "
            "expected at ../shared/reference/travelport/ beside the project folder",
            pytrace=False,
        )
    return path


def schema(relative: str) -> Path:
    """A Universal API schema file, e.g. `hotel_v52_0/HotelReqRsp.xsd`."""
    return reference(f"schemas/{relative}")
