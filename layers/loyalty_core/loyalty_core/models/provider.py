"""The provider catalog: loyalty programs and their vendors."""

from __future__ import annotations

from enum import StrEnum

from pydantic import BaseModel, ConfigDict

from loyalty_core.validators import VendorCode


class VendorType(StrEnum):
    AIR = "air"
    HOTEL = "hotel"
    CAR = "car"


# The three vocabularies map one to one: Concur A/H/C, catalog, Locomote category.
CATEGORY_BY_VENDOR_TYPE = {
    VendorType.AIR: "airline",
    VendorType.HOTEL: "hotel",
    VendorType.CAR: "car",
}


class Provider(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    id: str
    name: str
    vendor_type: VendorType
    vendor_code: VendorCode

    @property
    def category(self) -> str:
        return CATEGORY_BY_VENDOR_TYPE[self.vendor_type]
