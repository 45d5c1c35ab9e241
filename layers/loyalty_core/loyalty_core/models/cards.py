"""LoyaltyCards as the enrichment sees them, free of any XML: what a request asks (its
product, its places, their travellers and the cards they already carry, and what it names
that the product's rules read: hotel chains, airline carriers, car vendors), and what the
enrichment answers (the cards to add, each naming its place, and every membership left
out).

Three products take cards, each with its own rule set (`services.card_rules.RULES`) over
the one pipeline (`services.enrichment.enrich`): `hotel`, `air` and `vehicle`. A place
carries its product's `Terms`, so one request (a UniversalRecordModifyReq with a HotelAdd
and an AirAdd) may hold places of more than one product.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import ClassVar

PRODUCTS = ("hotel", "air", "vehicle")


@dataclass(frozen=True)
class ExistingCard:
    """A LoyaltyCard the request already carries."""

    supplier_code: str
    card_number: str
    supplier_type: str | None = None


@dataclass(frozen=True)
class Card:
    """A LoyaltyCard to add, with the schema's request attributes only, and which rule chose
    its SupplierCode: `requested_chain`, `primary_code`, `generic_code`, `airline_code` or
    `vendor_code`."""

    key: str
    supplier_code: str
    card_number: str
    supplier_type: str
    membership_id: str
    rule: str


@dataclass(frozen=True)
class LeftOut:
    membership_id: str | None
    reason: str  # a stable code
    detail: str


@dataclass
class Plan:
    """One traveller's cards at one place."""

    add: list[Card] = field(default_factory=list)
    left_out: list[LeftOut] = field(default_factory=list)


# -- what a request names, as each product's rules read it ------------------------------------


@dataclass(frozen=True)
class HotelTerms:
    """The chains a hotel request names (PermittedChains, HotelChain attributes) and those it
    prohibits (ProhibitedChains)."""

    product: ClassVar[str] = "hotel"
    chains: frozenset[str] = frozenset()
    prohibited_chains: frozenset[str] = frozenset()


@dataclass(frozen=True)
class AirTerms:
    """The carriers of an air request, in document order: the segments' marketing and
    operating carriers, and on a search the carriers its modifiers permit or prefer. None
    named: an open search. `prohibited`: the carriers its modifiers prohibit."""

    product: ClassVar[str] = "air"
    carriers: tuple[str, ...] = ()
    prohibited: frozenset[str] = frozenset()


@dataclass(frozen=True)
class VehicleTerms:
    """The car vendors a vehicle request books or names, in document order (none: any), the
    vendors its RateModifiers give a RateCode for, whether it has a RateCode at all (then
    one card in all), the vendors it prohibits, and whether it is a search (1P takes no
    card there)."""

    product: ClassVar[str] = "vehicle"
    vendors: tuple[str, ...] = ()
    rate_code_vendors: tuple[str, ...] = ()
    rate_code: bool = False
    prohibited: frozenset[str] = frozenset()
    search: bool = False


Terms = HotelTerms | AirTerms | VehicleTerms


# -- a request -----------------------------------------------------------------------------


@dataclass(frozen=True)
class Traveller:
    """Whose cards a place takes: a BookingTraveler of the request (matched to a user by
    one of its `emails`); a SearchPassenger, the `passenger`-th of the request, matched to
    the `passenger`-th employee id the caller names; or, where the request names nobody,
    the traveller the caller names by `employee_id`."""

    label: str
    emails: tuple[str, ...] = ()
    booking_traveler: bool = False  # one of the request's BookingTravelers (one place each)
    passenger: int | None = None  # the rank of a SearchPassenger, from 1

    @property
    def counted(self) -> bool:
        """A traveller the request itself lists (BookingTraveler, SearchPassenger): such
        places count toward the traveller limit, in document order."""
        return self.booking_traveler or self.passenger is not None


@dataclass(frozen=True)
class CardPlace:
    """One place in a request that can take cards, for one traveller, by the rules of its
    product (`terms`). Its `label` names it in the report, and to the codec that writes
    the cards chosen for it."""

    label: str
    traveller: Traveller
    existing: tuple[ExistingCard, ...] = ()
    problem: str | None = None  # why no card can go here
    terms: Terms = HotelTerms()

    @property
    def product(self) -> str:
        return self.terms.product


@dataclass(frozen=True)
class NamedProviders:
    """Provider codes one element of the request names, and which kind of element that is
    (a short fixed label: `ProviderCode`, `PointOfSale`, `PermittedProviders`, ...)."""

    where: str
    codes: tuple[str, ...]


@dataclass(frozen=True)
class CardRequest:
    """What the enrichment needs to know of a request: its kind and product, the provider
    codes it names, and its places, each labelled once."""

    kind: str
    providers: tuple[NamedProviders, ...]  # every provider code the document names, and where
    places: tuple[CardPlace, ...]
    takes_cards: bool = True  # False: the request kind has no place for cards at all
    product: str = "hotel"

    def __post_init__(self) -> None:
        labels = [place.label for place in self.places]
        if len(set(labels)) != len(labels):
            raise ValueError(f"two places of one request share a label: {labels}")

    @property
    def passengers(self) -> int:
        """How many of its places are SearchPassengers (named by employee ids in order)."""
        return sum(1 for place in self.places if place.traveller.passenger is not None)


# -- the answer ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Added:
    place: str
    employee_id: str
    card: Card


@dataclass(frozen=True)
class NotAdded:
    place: str
    reason: str
    detail: str
    employee_id: str | None = None
    membership_id: str | None = None
    traveller: str | None = None


@dataclass
class Enrichment:
    """The cards added, each with the place it goes to, and every one left out, why."""

    provider: str
    kind: str
    product: str = "hotel"
    added: list[Added] = field(default_factory=list)
    left_out: list[NotAdded] = field(default_factory=list)

    def placed(self) -> dict[str, list[Card]]:
        """The cards to write, under the label of the place each goes to, in the order
        they were chosen."""
        placed: dict[str, list[Card]] = {}
        for added in self.added:
            placed.setdefault(added.place, []).append(added.card)
        return placed
