# SPDX-License-Identifier: AGPL-3.0-or-later
"""A service's time in a basket, held from other baskets for a few minutes.

Putting a service line in appends the basket's ``BasketLinePut`` and the hold's ``SlotHeld``
together, each at the version it was decided on: of two baskets after one time, exactly one
gets it, and the other is told whose clash it met (409) — before checkout, not by a refusal
of its whole order. Taking the line out lets the hold go in the same way. Checkout renews
the basket's holds with its orders (so a rival put meanwhile conflicts and reads them), and
refuses a time another basket holds or an order booked; the catalog still books, and has
the last word (a time booked elsewhere in the meantime refuses the order, cleanly).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from datetime import date
from uuid import UUID

from downtown_events.contract import IntegrationEvent
from downtown_events.ordering import TimeSlot
from downtown_events.runtime.commands import CONFLICT_RETRIES, before_try, events_of
from downtown_events.runtime.store import Append, ConcurrencyConflict
from ordering.app.context import Context
from ordering.app.ports import CatalogReplica
from ordering.domain import basket as baskets
from ordering.domain import slot_holds
from ordering.domain.basket import Basket, BasketLine
from ordering.domain.errors import SlotUnavailable
from ordering.domain.facts import OfferFacts
from ordering.domain.slot_holds import SlotHolds, holds_stream_id
from ordering.domain.slots import check_slot, overlaps, town_day

Decide = Callable[[Basket | None, SlotHolds], tuple[list[IntegrationEvent], list[IntegrationEvent]]]
"""What a change decides on the basket, and on its time's holds."""
HOLD_RETRIES = CONFLICT_RETRIES + 2
"""Baskets after one popular time race on its day's stream; the loser reads the winner's hold."""


class SlotHolding:
    def __init__(self, context: Context, replica: CatalogReplica) -> None:
        self._context = context
        self._store = context.store
        self._replica = replica

    async def put(self, basket_id: UUID, offer: OfferFacts, quantity: int, slot: TimeSlot) -> Basket:
        """Put a service line in and hold its time, or refuse the clash (the time passed,
        booked by an order, held by another basket) and write nothing."""
        now, town = self._context.now(), self._context.town
        if offer.kind == "service":
            check_slot(slot, offer, town, now)
            await self.ensure_not_booked(offer.offer_id, slot)

        def decide(basket: Basket | None, holds: SlotHolds) -> tuple[list[IntegrationEvent], list[IntegrationEvent]]:
            put = baskets.put(
                basket,
                offer_id=offer.offer_id,
                merchant_id=offer.merchant_id,
                kind=offer.kind,
                title=offer.title,
                quantity=quantity,
                unit_price_cents=offer.price_cents,
                slot=slot,
            )
            held = slot_holds.hold(
                holds, offer_id=offer.offer_id, basket_id=basket_id, slot=slot, now=now, hold_for=town.slot_hold
            )
            return put, held

        return await self._together(basket_id, offer.offer_id, slot, decide)

    async def remove(self, basket_id: UUID, line: BasketLine) -> Basket:
        """Take a service line out and let its time go, together."""
        assert line.slot is not None
        slot = line.slot

        def decide(basket: Basket | None, holds: SlotHolds) -> tuple[list[IntegrationEvent], list[IntegrationEvent]]:
            removed = baskets.remove(basket, line_id=line.line_id)
            released = slot_holds.release(holds, offer_id=line.offer_id, basket_id=basket_id, slot=slot)
            return removed, released

        return await self._together(basket_id, line.offer_id, slot, decide)

    async def for_checkout(self, basket: Basket) -> list[Append]:
        """The basket's holds renewed, for checkout to append with its orders at the versions
        read here; or the first time another basket holds, or an order booked (409)."""
        now, town = self._context.now(), self._context.town
        lines = [line for line in basket.lines.values() if line.slot is not None]
        for line in lines:
            assert line.slot is not None
            await self.ensure_not_booked(line.offer_id, line.slot)
        appends = []
        for (offer_id, day), day_lines in _by_stream(lines, self._context).items():
            stream = str(holds_stream_id(offer_id, day))
            history = await self._store.read(stream)
            holds = slot_holds.replay(events_of(history))
            renewed: list[IntegrationEvent] = []
            for line in day_lines:
                assert line.slot is not None
                renewed += slot_holds.hold(
                    holds,
                    offer_id=offer_id,
                    basket_id=basket.basket_id,
                    slot=line.slot,
                    now=now,
                    hold_for=town.slot_hold,
                )
            appends.append(Append(stream, len(history), renewed))
        return appends

    async def holds(self, offer_ids: Iterable[UUID], days: Sequence[date]) -> dict[tuple[UUID, date], SlotHolds]:
        """The holds of these services on these days, as their streams say now."""
        found = {}
        for offer_id in dict.fromkeys(offer_ids):
            for day in days:
                history = await self._store.read(str(holds_stream_id(offer_id, day)))
                if history:
                    found[(offer_id, day)] = slot_holds.replay(events_of(history))
        return found

    async def ensure_not_booked(self, offer_id: UUID, slot: TimeSlot) -> None:
        """Refuse a time the replica knows an order booked (the catalog would refuse it)."""
        booked = await self._replica.booked_slots([offer_id], slot.starts_at, slot.ends_at)
        for other in booked.get(offer_id, []):
            if overlaps(other, slot):
                raise SlotUnavailable(
                    "this time was booked by another customer a moment ago; choose another", offer_id, other, "booked"
                )

    async def _together(self, basket_id: UUID, offer_id: UUID, slot: TimeSlot, decide: Decide) -> Basket:
        """Read the basket and the day's holds, decide on both, append both at the versions
        read; on a conflict read again and decide again (the loser of a race finds the hold)."""
        stream = str(holds_stream_id(offer_id, town_day(slot, self._context.town.timezone)))
        for attempt in range(HOLD_RETRIES):
            await before_try(self._store, attempt)
            basket_history = await self._store.read(str(basket_id))
            holds_history = await self._store.read(stream)
            basket_events = events_of(basket_history)
            on_basket, on_holds = decide(baskets.replay(basket_events), slot_holds.replay(events_of(holds_history)))
            try:
                await self._store.append_together(
                    [
                        Append(str(basket_id), len(basket_history), on_basket),
                        Append(stream, len(holds_history), on_holds),
                    ]
                )
            except ConcurrencyConflict:
                continue
            return baskets.ensure_exists(baskets.replay([*basket_events, *on_basket]))
        raise ConcurrencyConflict(stream, -1)


def _by_stream(lines: Sequence[BasketLine], context: Context) -> dict[tuple[UUID, date], list[BasketLine]]:
    grouped: dict[tuple[UUID, date], list[BasketLine]] = {}
    for line in lines:
        assert line.slot is not None
        grouped.setdefault((line.offer_id, town_day(line.slot, context.town.timezone)), []).append(line)
    return grouped
