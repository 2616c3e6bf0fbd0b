# SPDX-License-Identifier: AGPL-3.0-or-later
"""The catalog's part of the order saga: an order's stock and service slots, all or none.

ordering publishes ``OrderPlaced``; the catalog answers on its own topic with
``OrderReservationMade`` (having taken the stock and booked the slots on the offers'
streams) or ``OrderReservationRefused`` (having taken nothing). An order that ends without
being handed over — rejected, cancelled, its delivery failed — gets its stock and slots
back (``OrderReservationReleased``), once.

The answer lives on a stream of its own whose id comes from the order's, so a redelivered
or repeated ``OrderPlaced`` finds it answered and decides nothing. Stock and bookings live
on the offers' streams, and the whole decision is appended in one unit of work with the
versions it read: a rival reservation of the same offer makes it read again and decide
again, so stock never goes below zero and no slot is held twice. A slot's uniqueness rests
on its offer's stream (see ``Offer.bookings``): overlapping times are caught as well as equal
ones, and the rival is whoever appended to that offer first.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from datetime import UTC, time, timedelta, tzinfo
from uuid import NAMESPACE_URL, UUID, uuid5

from catalog.domain.merchant import Merchant
from catalog.domain.offer import Offer
from catalog.domain.private_events import OrderStockTaken, TakenStock
from downtown_events.catalog import (
    OfferSlotBooked,
    OfferSlotReleased,
    OfferStockAdjusted,
    OrderReservationMade,
    OrderReservationRefused,
    OrderReservationReleased,
    ReservationRefusal,
    ReservedLine,
    Slot,
    TimeWindow,
)
from downtown_events.contract import IntegrationEvent
from downtown_events.ordering import OrderPlaced

Appends = dict[str, list[IntegrationEvent]]
"""Events to append, by stream id (the reservation's and the offers' streams)."""


def reservation_id_for(order_id: UUID) -> UUID:
    return uuid5(NAMESPACE_URL, f"downtown:catalog:reservation:{order_id}")


@dataclass(frozen=True)
class Reservation:
    reservation_id: UUID
    order_id: UUID
    merchant_id: UUID
    lines: tuple[ReservedLine, ...] = ()
    made: bool = False
    released: bool = False
    taken: Mapping[UUID, int] | None = None
    """The counted stock taken, by offer (None: made before this was recorded)."""


def replay(events: Iterable[IntegrationEvent]) -> Reservation | None:
    state: Reservation | None = None
    for event in events:
        match event:
            case OrderReservationMade():
                state = Reservation(event.reservation_id, event.order_id, event.merchant_id, tuple(event.lines), True)
            case OrderReservationRefused():
                state = Reservation(event.reservation_id, event.order_id, event.merchant_id)
            case OrderStockTaken() if state is not None:
                state = replace(state, taken={taken.offer_id: taken.quantity for taken in event.taken})
            case OrderReservationReleased() if state is not None:
                state = replace(state, released=True)
    return state


class _Refusal(Exception):
    def __init__(self, reason: ReservationRefusal, detail: str, offer_id: UUID | None = None) -> None:
        super().__init__(detail)
        self.reason, self.detail, self.offer_id = reason, detail, offer_id


def reserve(
    placed: OrderPlaced,
    reservation: Reservation | None,
    offers: Mapping[UUID, Offer | None],
    merchant: Merchant | None,
    *,
    timezone: tzinfo,
) -> Appends:
    """The catalog's answer to a placed order (nothing when it answered before)."""
    if reservation is not None:
        return {}
    reservation_id = reservation_id_for(placed.order_id)
    stream = str(reservation_id)
    try:
        _check_merchant(merchant)
        offer_events = _take(placed, offers, timezone)
    except _Refusal as refused:
        refusal = OrderReservationRefused(
            reservation_id=reservation_id,
            order_id=placed.order_id,
            merchant_id=placed.merchant_id,
            offer_id=refused.offer_id,
            reason=refused.reason,
            detail=refused.detail[:500],
        )
        return {stream: [refusal]}
    lines = [
        ReservedLine(offer_id=line.offer_id, quantity=line.quantity, slot=_slot(line.slot)) for line in placed.lines
    ]
    made = OrderReservationMade(
        reservation_id=reservation_id, order_id=placed.order_id, merchant_id=placed.merchant_id, lines=lines
    )
    taken = [
        TakenStock(offer_id=event.offer_id, quantity=-event.delta)
        for events in offer_events.values()
        for event in events
        if isinstance(event, OfferStockAdjusted)
    ]
    noted = OrderStockTaken(reservation_id=reservation_id, order_id=placed.order_id, taken=taken)
    return {stream: [made, noted], **offer_events}


def release(reservation: Reservation | None, offers: Mapping[UUID, Offer | None]) -> Appends:
    """Give back what a made reservation took (once; nothing for one refused or never made)."""
    if reservation is None or not reservation.made or reservation.released:
        return {}
    appends: Appends = defaultdict(list)
    for line in reservation.lines:
        offer = offers.get(line.offer_id)
        if (
            offer is not None
            and line.slot is not None
            and (reservation.order_id, line.slot.starts_at) in offer.bookings
        ):
            appends[str(offer.offer_id)].append(
                OfferSlotReleased(
                    offer_id=offer.offer_id,
                    merchant_id=offer.merchant_id,
                    order_id=reservation.order_id,
                    slot=line.slot,
                )
            )
    for offer_id, quantity in _taken(reservation, offers).items():
        offer = offers[offer_id]
        assert offer is not None and offer.stock is not None
        appends[str(offer_id)].append(
            OfferStockAdjusted(
                offer_id=offer_id,
                merchant_id=offer.merchant_id,
                delta=quantity,
                stock=offer.stock + quantity,
                reason=f"Bestellung {reservation.order_id} zurückgegeben",
            )
        )
    appends[str(reservation.reservation_id)].append(
        OrderReservationReleased(
            reservation_id=reservation.reservation_id,
            order_id=reservation.order_id,
            merchant_id=reservation.merchant_id,
        )
    )
    return dict(appends)


def _taken(reservation: Reservation, offers: Mapping[UUID, Offer | None]) -> dict[UUID, int]:
    """The stock to give back, by offer that still counts its stock. A reservation that
    recorded what it took gives back that; an older one, its product lines of offers that
    count stock now (what it took, unless the shop began counting in between)."""
    if reservation.taken is not None:
        held = dict(reservation.taken)
    else:
        held = defaultdict(int)
        for line in reservation.lines:
            if line.slot is None:
                held[line.offer_id] += line.quantity
    return {
        offer_id: quantity
        for offer_id, quantity in held.items()
        if (offer := offers.get(offer_id)) is not None and offer.kind == "product" and offer.stock is not None
    }


def _check_merchant(merchant: Merchant | None) -> None:
    if merchant is None:
        raise _Refusal("merchant_unavailable", "the catalog does not know this shop")
    if merchant.suspended:
        raise _Refusal("merchant_unavailable", "the shop is suspended by the association")
    if merchant.closed:
        raise _Refusal("merchant_unavailable", "the shop is closed for now")


def _take(placed: OrderPlaced, offers: Mapping[UUID, Offer | None], timezone: tzinfo) -> Appends:
    wanted: dict[UUID, int] = defaultdict(int)
    appends: Appends = defaultdict(list)
    booking: dict[UUID, list[Slot]] = defaultdict(list)  # this order's slots so far, by offer
    for line in placed.lines:
        offer = offers.get(line.offer_id)
        if offer is None or offer.withdrawn or offer.merchant_id != placed.merchant_id or offer.kind != line.kind:
            raise _Refusal("offer_unavailable", f"{line.title}: no longer offered by this shop", line.offer_id)
        if offer.kind == "product":
            wanted[offer.offer_id] += line.quantity
            continue
        slot = _slot(line.slot)
        if slot is None or not _within(slot, offer.availability, timezone):
            raise _Refusal("offer_unavailable", f"{line.title}: not bookable at that time", line.offer_id)
        if any(_overlap(held, slot) for held in [*offer.bookings.values(), *booking[offer.offer_id]]):
            raise _Refusal("slot_taken", f"{line.title}: that time was booked a moment ago", line.offer_id)
        booking[offer.offer_id].append(slot)
        appends[str(offer.offer_id)].append(
            OfferSlotBooked(offer_id=offer.offer_id, merchant_id=offer.merchant_id, order_id=placed.order_id, slot=slot)
        )
    for offer_id, quantity in wanted.items():
        offer = offers[offer_id]
        assert offer is not None
        if offer.stock is None:
            continue  # the shop does not count this one: always available
        if offer.stock < quantity:
            raise _Refusal("out_of_stock", f"{offer.title}: only {offer.stock} left, {quantity} ordered", offer_id)
        appends[str(offer_id)].append(
            OfferStockAdjusted(
                offer_id=offer_id,
                merchant_id=offer.merchant_id,
                delta=-quantity,
                stock=offer.stock - quantity,
                reason=f"Bestellung {placed.order_id}",
            )
        )
    return dict(appends)


def _slot(slot: object) -> Slot | None:
    if slot is None:
        return None
    return Slot(starts_at=slot.starts_at, ends_at=slot.ends_at)  # type: ignore[attr-defined]


def _overlap(one: Slot, other: Slot) -> bool:
    return one.starts_at < other.ends_at and other.starts_at < one.ends_at


def _within(slot: Slot, windows: Iterable[TimeWindow], timezone: tzinfo) -> bool:
    """The whole slot inside one weekly window, in the town's wall-clock time (a slot ending
    at midnight fits a window open until 23:59 or later). Whether it ends after it starts is
    asked of the instants, in UTC: two datetimes in one ``ZoneInfo`` compare by their wall
    clock, and in the autumn night 02:30+02:00 → 02:30+01:00 is an hour, not nothing."""
    if slot.ends_at.astimezone(UTC) <= slot.starts_at.astimezone(UTC):
        return False
    starts, ends = slot.starts_at.astimezone(timezone), slot.ends_at.astimezone(timezone)
    if starts.date() == ends.date():
        last = ends.time()
    elif ends.date() == starts.date() + timedelta(days=1) and ends.time() == time(0, 0):
        last = _END_OF_DAY
    else:
        return False
    return any(
        window.weekday == starts.weekday() and window.opens <= starts.time() and last <= window.closes
        for window in windows
    )


_END_OF_DAY = time(23, 59)
