"""LoyaltyCards as the enrichment sees them, free of any XML: what a request asks (its
places, their travellers and the cards they already carry), and what the enrichment
answers (the cards to add, each naming its place, and every membership left out)."""

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
    """One place in a request that can take cards, for one traveller. Its `label` names it
    in the report, and to the codec that writes the cards chosen for it."""

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
    """What the enrichment needs to know of a request: its kind, and its product, whose
    rules choose the cards (`services.enrichment.RULES`); each place labelled once."""

    kind: str
    providers: tuple[NamedProviders, ...]  # every provider code the document names, and where
    chains: frozenset[str]  # the hotel chains it names (PermittedChains, HotelChain attributes)
    places: tuple[CardPlace, ...]
    takes_cards: bool = True  # False: the request kind has no place for cards at all
    prohibited_chains: frozenset[str] = frozenset()  # ProhibitedChains
    product: str = "hotel"

    def __post_init__(self) -> None:
        labels = [place.label for place in self.places]
        if len(set(labels)) != len(labels):
            raise ValueError(f"two places of one request share a label: {labels}")


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
    added: list[Added] = field(default_factory=list)
    left_out: list[NotAdded] = field(default_factory=list)

    def placed(self) -> dict[str, list[Card]]:
        """The cards to write, under the label of the place each goes to, in the order
        they were chosen."""
        placed: dict[str, list[Card]] = {}
        for added in self.added:
            placed.setdefault(added.place, []).append(added.card)
        return placed
