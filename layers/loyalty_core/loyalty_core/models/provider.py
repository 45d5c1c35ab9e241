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

from pydantic import BaseModel, ConfigDict

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

    @classmethod
    def from_category(cls, category: str) -> VendorType | None:
        return next((t for t, c in CATEGORY.items() if c == category), None)


CONCUR_LETTER = {VendorType.AIR: "A", VendorType.HOTEL: "H", VendorType.CAR: "C"}
CATEGORY = {VendorType.AIR: "airline", VendorType.HOTEL: "hotel", VendorType.CAR: "car"}
SUPPLIER_TYPE = {VendorType.AIR: "Air", VendorType.HOTEL: "Hotel", VendorType.CAR: "Vehicle"}


class Provider(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    id: str
    name: str
    vendor_type: VendorType
    vendor_code: VendorCode

    @property
    def category(self) -> str:
        return self.vendor_type.category
