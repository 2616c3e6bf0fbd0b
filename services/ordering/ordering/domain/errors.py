# SPDX-License-Identifier: AGPL-3.0-or-later
"""Why a command was refused, in words a customer, a merchant or the association can act on.

Reasons are English; an amount in one is written as English readers write it (``€12.50``)
by :func:`downtown_events.money.format_money`, the formatting every text for a person uses.
The refusals every service shares, and :func:`checked`, are the kit's
(:mod:`downtown_events.refusals`), re-exported here; this module adds ordering's own.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal
from uuid import UUID

from downtown_events.money import format_money
from downtown_events.ordering import TimeSlot
from downtown_events.refusals import (  # noqa: F401 - the shared refusals, re-exported
    AlreadyExists,
    DomainError,
    InvalidChange,
    NotAllowed,
    NotFound,
    NotYetKnown,
    checked,
)
from downtown_events.sign_in_links import SignInRefused  # noqa: F401 - the kit's, re-exported


class OfferUnavailable(InvalidChange):
    """An offer the replica does not hold (unknown, another town's) or that was withdrawn."""

    def __init__(self, reason: str, offer_id: UUID) -> None:
        super().__init__(reason)
        self.offer_id = offer_id


class OutOfStock(InvalidChange):
    """More asked for than the replica knows to be left; the reason says how many are."""

    def __init__(self, reason: str, offer_id: UUID, left: int) -> None:
        super().__init__(reason)
        self.offer_id = offer_id
        self.left = left


@dataclass(frozen=True)
class PriceChange:
    """A basket line whose offer costs something else now than when it was put in."""

    line_id: UUID
    offer_id: UUID
    title: str
    old_unit_price_cents: int
    new_unit_price_cents: int


class PricesChanged(InvalidChange):
    """Prices changed since the basket was filled: shown, never silently charged. The
    customer confirms a new price by putting the line in the basket again."""

    def __init__(self, changes: Sequence[PriceChange]) -> None:
        listed = "; ".join(
            f"{change.title}: {format_money(change.old_unit_price_cents, 'en')} "
            f"→ {format_money(change.new_unit_price_cents, 'en')}"
            for change in changes
        )
        super().__init__(f"prices changed since you filled the basket ({listed}); confirm the new prices to order")
        self.changes = tuple(changes)


class AlreadyCheckedOut(InvalidChange):
    """The basket became orders before; ``checkout_id`` says which checkout."""

    def __init__(self, reason: str, checkout_id: UUID | None) -> None:
        super().__init__(reason)
        self.checkout_id = checkout_id


class TooLate(InvalidChange):
    """A deadline passed: the merchant's time to answer, the customer's to cancel, a link's."""


class TooEarly(InvalidChange):
    """A deadline has not come yet (a time-out fired before the merchant's time ran out)."""


class Contradiction(InvalidChange):
    """The fact contradicts what the order already knows (a decline after a confirmation, a
    second redemption for one order): refused so that the order never moves backwards."""


class CouriersDeliver(InvalidChange):
    """A merchant's delivery step on an order the town's couriers deliver: its delivery
    follows dispatch's events, so the merchant's word would contradict the courier's."""


class DeliverySlotRefused(InvalidChange):
    """The delivery slot named cannot be booked (past, too soon for the shops to pack, not
    offered, or not the same for every shop of the checkout): a refusal of the slot field, so a
    client shows it beside the slots it offers and the customer chooses another."""


class SlotUnavailable(InvalidChange):
    """A service's time clashes with one another basket holds (``"held"``, for a few
    minutes) or an order booked (``"booked"``): the clash is named, so another can be chosen."""

    def __init__(self, reason: str, offer_id: UUID, slot: TimeSlot, why: Literal["held", "booked"]) -> None:
        super().__init__(reason)
        self.offer_id = offer_id
        self.slot = slot
        self.why = why
