"""LoyaltyCards as the hotel enrichment sees them: present, planned, left out."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class ExistingCard:
    """A LoyaltyCard the request already carries."""

    supplier_code: str
    card_number: str
    supplier_type: str | None = None


@dataclass(frozen=True)
class Card:
    """A LoyaltyCard to add, with the schema's attributes only (no response-only ones)."""

    key: str
    supplier_code: str
    card_number: str
    supplier_type: str
    membership_id: str

    def attributes(self) -> dict[str, str]:
        return {
            "Key": self.key,
            "SupplierCode": self.supplier_code,
            "CardNumber": self.card_number,
            "SupplierType": self.supplier_type,
        }


@dataclass(frozen=True)
class LeftOut:
    membership_id: str | None
    reason: str  # a stable code
    detail: str


@dataclass
class Plan:
    add: list[Card] = field(default_factory=list)
    left_out: list[LeftOut] = field(default_factory=list)
