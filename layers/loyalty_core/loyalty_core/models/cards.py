"""Hotel LoyaltyCards as the enrichment sees them, free of any XML: what a hotel request
asks (its places, their travellers and the cards they already carry), and what the
enrichment answers (the cards to add to each place, and every membership left out)."""

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
    """A LoyaltyCard to add, with the schema's request attributes only, and which rule chose
    its SupplierCode: `requested_chain`, `primary_code`, `generic_code` or `airline_code`."""

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


@dataclass(frozen=True)
class Traveller:
    """Whose cards a place takes: a BookingTraveler of the request (matched to a user by
    one of its `emails`), or, where the request names nobody, the traveller the caller
    names by `employee_id`."""

    label: str
    emails: tuple[str, ...] = ()
    booking_traveler: bool = False  # one of the request's BookingTravelers (one place each)


@dataclass(frozen=True)
class CardPlace:
    """One place in a hotel request that can take cards, for one traveller."""

    label: str
    traveller: Traveller
    existing: tuple[ExistingCard, ...] = ()
    problem: str | None = None  # why no card can go here


@dataclass(frozen=True)
class NamedProviders:
    """Provider codes one element of the request names, and which kind of element that is
    (a short fixed label: `ProviderCode`, `PointOfSale`, `PermittedProviders`, ...)."""

    where: str
    codes: tuple[str, ...]


@dataclass(frozen=True)
class CardRequest:
    """What the enrichment needs to know of a hotel request."""

    kind: str
    providers: tuple[NamedProviders, ...]  # every provider code the document names, and where
    chains: frozenset[str]  # the hotel chains it names (PermittedChains, HotelChain attributes)
    places: tuple[CardPlace, ...]
    takes_cards: bool = True  # False: the request kind has no place for cards at all
    prohibited_chains: frozenset[str] = frozenset()  # ProhibitedChains


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
    """The cards for each place of the request (in its order), and the report."""

    provider: str
    kind: str
    cards: list[list[Card]] = field(default_factory=list)
    added: list[Added] = field(default_factory=list)
    left_out: list[NotAdded] = field(default_factory=list)
