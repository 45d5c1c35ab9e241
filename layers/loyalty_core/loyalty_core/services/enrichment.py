"""Which loyalty cards a hotel request gets: pure rules, from memberships to cards.

The Universal API's rules (seed 003 and the v52 schema): at most four cards per
traveller; Hotel and Air programs only (no car cross-accrual for hotels); one
Hotel and one Air program per traveller; only the requested chain's hotel card
when the request names chains; CardNumber at most 36 characters; SupplierCode
exactly two characters, else `$$` (1G, 1V) or `XX` (1P, which refuses `$$`).
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Mapping, Sequence
from datetime import date

from loyalty_core.models import Membership, Provider, VendorType
from loyalty_core.models.cards import Card, ExistingCard, LeftOut, Plan

CARD_LIMIT = 4
MAX_CARD_NUMBER = 36
PROVIDERS = ("1G", "1V", "1P")
SUPPLIER_TYPE = {VendorType.HOTEL: "Hotel", VendorType.AIR: "Air"}
PREFERENCE = ("Hotel", "Air")  # which card wins a place when the limit is near


def supplier_code(provider: Provider, gds: str) -> str:
    """The chain or airline code; the GDS's generic code when there is none of two characters."""
    code = str(provider.vendor_code)
    if len(code) == 2 and code != "$$":
        return code
    return "XX" if gds == "1P" else "$$"


def plan_cards(
    memberships: Iterable[Membership],
    providers: Mapping[str, Provider],
    gds: str,
    today: date,
    chains: frozenset[str] = frozenset(),
    existing: Sequence[ExistingCard] = (),
    limit: int = CARD_LIMIT,
) -> Plan:
    """The cards to add for one traveller at one place, and every membership left out, why."""
    plan = Plan()
    taken_types = {c.supplier_type for c in existing if c.supplier_type}
    present = {(c.supplier_code, c.card_number) for c in existing}
    candidates: dict[str, list[tuple[Membership, Provider]]] = {"Hotel": [], "Air": []}

    def leave(m: Membership, reason: str, detail: str) -> None:
        plan.left_out.append(LeftOut(m.id, reason, detail))

    for m in memberships:
        provider = providers.get(m.provider_id)
        if provider is None:
            leave(m, "unknown_provider", "its provider is no longer in the catalog")
        elif provider.vendor_type not in SUPPLIER_TYPE:
            leave(m, "vehicle_program", "car programs are not cross-accrued on hotel requests")
        elif m.is_expired(today):
            leave(m, "expired", f"the membership expired on {m.expires_on}")
        elif len(m.account_number) > MAX_CARD_NUMBER:
            leave(m, "card_number_too_long", f"CardNumber allows {MAX_CARD_NUMBER} characters")
        elif (
            provider.vendor_type is VendorType.HOTEL
            and chains
            and provider.vendor_code not in chains
        ):
            leave(m, "other_chain", f"the request names chain(s) {', '.join(sorted(chains))}")
        elif (supplier_code(provider, gds), m.account_number) in present:
            leave(m, "already_present", "the request already carries this card")
        else:
            candidates[SUPPLIER_TYPE[provider.vendor_type]].append((m, provider))

    room = limit - len(existing)
    for kind in PREFERENCE:
        for rank, (m, provider) in enumerate(candidates[kind]):
            if kind in taken_types or rank > 0:
                leave(m, "one_per_supplier_type", f"only one {kind} program is sent per traveller")
            elif room <= 0:
                leave(m, "card_limit", f"at most {limit} loyalty cards per traveller")
            else:
                plan.add.append(
                    Card(
                        str(uuid.uuid4()),
                        supplier_code(provider, gds),
                        m.account_number,
                        kind,
                        m.id,
                    )
                )
                room -= 1
    return plan
