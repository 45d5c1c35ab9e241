"""The provider catalog: loyalty programs and their vendors, and the one home of the three
interfaces' vendor vocabularies (they map one to one):

| catalog `VendorType` | Concur `VendorType` | Locomote `category` | Travelport `SupplierType` |
| --- | --- | --- | --- |
| air | A | airline | Air |
| hotel | H | hotel | Hotel |
| car | C | car | Vehicle |
"""

from __future__ import annotations

from enum import StrEnum
from typing import Any

from pydantic import BaseModel, ConfigDict, model_validator

from loyalty_core.validators import VendorCode


class VendorType(StrEnum):
    AIR = "air"
    HOTEL = "hotel"
    CAR = "car"

    @property
    def concur(self) -> str:
        return CONCUR_LETTER[self]

    @property
    def category(self) -> str:
        return CATEGORY[self]

    @property
    def supplier_type(self) -> str:
        return SUPPLIER_TYPE[self]

    @classmethod
    def from_concur(cls, letter: str) -> VendorType | None:
        """A, C or H (Concur's VendorType); None for anything else."""
        return next((t for t, lt in CONCUR_LETTER.items() if lt == letter), None)


CONCUR_LETTER = {VendorType.AIR: "A", VendorType.HOTEL: "H", VendorType.CAR: "C"}
CATEGORY = {VendorType.AIR: "airline", VendorType.HOTEL: "hotel", VendorType.CAR: "car"}
SUPPLIER_TYPE = {VendorType.AIR: "Air", VendorType.HOTEL: "Hotel", VendorType.CAR: "Vehicle"}


class Alliance(StrEnum):
    """The airline alliance an airline program's carrier belongs to (or none): its partners
    are the alliance's other members."""

    ONEWORLD = "oneworld"
    STAR_ALLIANCE = "Star Alliance"
    SKYTEAM = "SkyTeam"
    NONE = "none"


class Provider(BaseModel):
    """A loyalty program. A hotel program is a brand family: `chain_codes` are the GDS chain
    codes of its brands, its primary `vendor_code` among them (first). A hotel program with
    no chain code of its own (a multi-chain alliance) has neither; air and car programs
    always have their vendor code and no chain codes. An airline program records its
    carrier's `alliance` (None: not recorded); other programs have none."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    id: str
    name: str
    vendor_type: VendorType
    vendor_code: VendorCode | None = None
    chain_codes: tuple[VendorCode, ...] = ()
    alliance: Alliance | None = None

    @model_validator(mode="before")
    @classmethod
    def _family_of_one(cls, data: Any) -> Any:
        """A hotel program given no family is a family of its primary code alone."""
        hotel = isinstance(data, dict) and data.get("vendor_type") == VendorType.HOTEL
        if hotel and data.get("vendor_code") and not data.get("chain_codes"):
            data = {**data, "chain_codes": [data["vendor_code"]]}
        return data

    @model_validator(mode="after")
    def _codes_fit_the_type(self) -> Provider:
        if self.vendor_type is not VendorType.HOTEL:
            if self.vendor_code is None:
                raise ValueError("air and car programs need their vendor code")
            if self.chain_codes:
                raise ValueError("only hotel programs have chain codes")
        elif self.vendor_code is not None and self.chain_codes[:1] != (self.vendor_code,):
            raise ValueError("a hotel program's chain_codes start with its vendor_code")
        if self.alliance is not None and self.vendor_type is not VendorType.AIR:
            raise ValueError("only airline programs belong to an airline alliance")
        if len(set(self.chain_codes)) != len(self.chain_codes):
            raise ValueError("chain_codes lists a code twice")
        return self

    @property
    def category(self) -> str:
        return self.vendor_type.category

    @property
    def codes(self) -> tuple[str, ...]:
        """Every code that names this program: a hotel program's brand family, else its
        vendor code."""
        if self.vendor_type is VendorType.HOTEL:
            return self.chain_codes
        return (self.vendor_code,) if self.vendor_code else ()

    @property
    def partners_in(self) -> Alliance | None:
        """The alliance whose members are this airline program's partners: None for a
        program of no alliance, or whose alliance is not recorded."""
        return None if self.alliance in (None, Alliance.NONE) else self.alliance
