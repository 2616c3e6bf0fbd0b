# SPDX-License-Identifier: AGPL-3.0-or-later
"""The catalog's consumer of ordering's topic: it reserves what an order needs, or refuses,
and gives it back when the order ends without being handed over.

A process manager (one transaction with its tracking row per batch, see the runtime's
``process_manager``): the reservation, the offers' stock and bookings are read, decided on,
and appended in one unit of work with the versions read. A rival reservation of the same
offer (another partition's order) conflicts; the whole decision is then read and made again
(at once, inside the consumer's transaction; the consumer tries the batch later if it keeps
losing).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import tzinfo
from uuid import UUID

from catalog.domain import merchant as merchants
from catalog.domain import offer as offers
from catalog.domain import reservation as reservations
from catalog.domain.errors import NotFound
from catalog.domain.offer import Offer
from downtown_events.ordering import ENDINGS, OrderEvent, OrderPlaced
from downtown_events.runtime.commands import decide_again_on_conflict, load
from downtown_events.runtime.process_manager import ProcessManager
from downtown_events.runtime.records import ReceivedEvent
from downtown_events.runtime.store import EventStore

SERVICE = "catalog"


def order_reservations(timezone: tzinfo) -> ProcessManager:
    async def react(received: ReceivedEvent, store: EventStore) -> None:
        event = received.event
        if isinstance(event, OrderPlaced):
            await decide_again_on_conflict(store, lambda unit: _reserve(unit, event, timezone))
        elif isinstance(event, OrderEvent):  # an ending: give back what it took
            await decide_again_on_conflict(store, lambda unit: _release(unit, event.order_id))

    return ProcessManager("order_reservations", service=SERVICE, reacts_to=(OrderPlaced, *ENDINGS), react=react)


async def _reserve(store: EventStore, placed: OrderPlaced, timezone: tzinfo) -> None:
    reservation_stream = str(reservations.reservation_id_for(placed.order_id))
    reservation = await load(store, reservation_stream, reservations.replay)
    if reservation is not None:
        return
    try:
        merchant = await load(store, str(placed.merchant_id), merchants.replay)
    except NotFound:
        merchant = None
    found, versions = await _offers(store, {line.offer_id for line in placed.lines})
    decision = reservations.reserve(placed, reservation, found, merchant, timezone=timezone)
    await _append(store, decision, {**versions, reservation_stream: 0})


async def _release(store: EventStore, order_id: UUID) -> None:
    reservation_stream = str(reservations.reservation_id_for(order_id))
    history = await store.read(reservation_stream)
    reservation = reservations.replay([stored.event for stored in history])
    if reservation is None or not reservation.made or reservation.released:
        return
    found, versions = await _offers(store, {line.offer_id for line in reservation.lines})
    decision = reservations.release(reservation, found)
    await _append(store, decision, {**versions, reservation_stream: len(history)})


async def _offers(store: EventStore, offer_ids: set[UUID]) -> tuple[dict[UUID, Offer | None], dict[str, int]]:
    found: dict[UUID, Offer | None] = {}
    versions: dict[str, int] = {}
    for offer_id in sorted(offer_ids):
        history = await store.read(str(offer_id))
        try:
            found[offer_id] = offers.replay([stored.event for stored in history])
        except NotFound:  # not an offer's stream (an id from elsewhere)
            found[offer_id] = None
        versions[str(offer_id)] = len(history)
    return found, versions


async def _append(store: EventStore, decision: reservations.Appends, versions: Mapping[str, int]) -> None:
    for stream_id in sorted(decision):  # one order of appends for every reservation: no deadlock between them
        await store.append(stream_id, versions[stream_id], decision[stream_id])
