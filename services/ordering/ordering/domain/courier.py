# SPDX-License-Identifier: AGPL-3.0-or-later
"""An order the town's couriers deliver: handed to dispatch when it is confirmed, and from
then on delivered as dispatch says, not by the merchant's hand.

A courier order is one whose fulfilment names a delivery slot of dispatch's terms. Its
checkout counts the checkout's courier orders (:func:`count_couriers`: they are placed in
one decision, and dispatch makes one job of them). The decision that confirms it hands it
over (:func:`handed_off`): ``OrderDeliveryRequested`` with the drop-off sealed for dispatch,
and a deadline for dispatch's answer (``DispatchAnswerAwaited``: the time-out job ends the
order undelivered past it). Dispatch's events then decide on the order's stream like the
catalog's and vouchers' answers do: a repeated, late or reordered one changes nothing (an
order never moves backwards), and one that contradicts the order is recorded
(``OrderAnswerContradicted``), never raised. The merchant still packs; out for delivery,
delivered and not delivered are dispatch's to say (the merchant's steps are refused in
:mod:`ordering.domain.fulfilment`).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Literal
from uuid import UUID

from downtown_events.contract import IntegrationEvent
from downtown_events.ordering import (
    DeliveryDropOff,
    OrderConfirmed,
    OrderDelivered,
    OrderDeliveryFailed,
    OrderDeliveryRequested,
    OrderFulfilled,
    OrderOutForDelivery,
    OrderPacked,
)
from ordering.domain.errors import InvalidChange, checked
from ordering.domain.order import Order, ensure_exists
from ordering.domain.placement import PlacedOrder
from ordering.domain.private_events import (
    CourierOrdersCounted,
    DeliveryJobJoined,
    DispatchAnswerAwaited,
    OrderAnswerContradicted,
)

Sealer = Callable[[UUID, DeliveryDropOff], str]
"""Seals an order's drop-off for dispatch (the app's port does it with the town's key)."""
Refusal = Literal["outside_zone", "no_slot", "no_terms", "unreadable_address"]
REFUSED: dict[Refusal, str] = {
    "outside_zone": "the address lies outside every delivery zone",
    "no_slot": "the delivery slot is no longer offered",
    "no_terms": "the town has no delivery terms",
    "unreadable_address": "the address could not be read",
}
RETURNED = "the courier could not deliver it; the goods went back to the shop"


@dataclass(frozen=True)
class Handoff:
    """What a hand-off needs besides the order: the sealing, the clock and dispatch's time to answer."""

    seal: Sealer
    now: datetime
    answer_time: timedelta


def goes_by_courier(placed: PlacedOrder) -> bool:
    fulfilment = placed.placed.fulfilment
    return fulfilment.method == "delivery" and fulfilment.delivery_slot is not None


def count_couriers(orders: Sequence[PlacedOrder]) -> tuple[PlacedOrder, ...]:
    """The checkout's orders, each courier order with the count of them beside its placement."""
    couriers = sum(1 for order in orders if goes_by_courier(order))
    return tuple(
        replace(order, events=(*order.events, _counted(order, couriers))) if goes_by_courier(order) else order
        for order in orders
    )


def _counted(order: PlacedOrder, couriers: int) -> CourierOrdersCounted:
    return CourierOrdersCounted(order_id=order.order_id, checkout_id=order.placed.checkout_id, courier_orders=couriers)


def handed_off(state: Order | None, events: list[IntegrationEvent], handoff: Handoff) -> list[IntegrationEvent]:
    """``events``, and when they confirm a courier order its hand-off to dispatch, once."""
    if state is None or not state.by_courier or state.delivery_requested:
        return events
    if not any(isinstance(event, OrderConfirmed) for event in events):
        return events
    fulfilment = state.fulfilment
    requested = checked(
        OrderDeliveryRequested,
        order_id=state.order_id,
        merchant_id=state.merchant_id,
        checkout_id=state.checkout_id,
        courier_orders=max(1, state.courier_orders),
        slot=fulfilment.delivery_slot,
        slot_kind=fulfilment.delivery_slot_kind or "standard",
        goods_cents=state.goods_cents,
        parcels=1,  # what goes in how many bags is the shop's to know; one order, one parcel
        fee_cents=fulfilment.delivery_fee_cents,
        sealed_drop_off=handoff.seal(state.order_id, drop_off(state)),
    )
    awaited = DispatchAnswerAwaited(order_id=state.order_id, answer_by=handoff.now + handoff.answer_time)
    return [*events, requested, awaited]


def drop_off(order: Order) -> DeliveryDropOff:
    """Where and to whom the courier brings it, from the order's private customer record."""
    customer = order.customer
    if customer is None or customer.delivery_address is None:
        raise InvalidChange("this order has no delivery address; the town's couriers cannot deliver it")
    address = customer.delivery_address
    return checked(
        DeliveryDropOff,
        name=customer.name,
        phone=customer.phone,
        street=address.street,
        postal_code=address.postal_code,
        city=address.city,
        note=customer.delivery_note,
        pin=customer.delivery_pin,
    )


# --- dispatch's answers and news -----------------------------------------------------------


def join_job(state: Order | None, *, job_id: UUID) -> list[IntegrationEvent]:
    """Dispatch took the order into a job: the hand-off is answered (once)."""
    order = ensure_exists(state)
    if not order.delivery_requested:
        return [_contradicted(order, "DeliveryJobPickupAdded", "this order was not handed to dispatch")]
    if order.delivery_job_id == job_id or order.ended:
        return []
    if order.delivery_job_id is not None:
        return [_contradicted(order, "DeliveryJobPickupAdded", f"it is in job {order.delivery_job_id} already")]
    return [DeliveryJobJoined(order_id=order.order_id, job_id=job_id)]


def refuse(state: Order | None, *, reason: Refusal, detail: str = "") -> list[IntegrationEvent]:
    """Dispatch cannot deliver it: the order ends undelivered, with dispatch's reason."""
    order = ensure_exists(state)
    if not order.delivery_requested:
        return [_contradicted(order, "DeliveryJobRefused", "this order was not handed to dispatch")]
    if order.ended:
        return []
    if order.out_for_delivery or order.fulfilled:
        return [_contradicted(order, "DeliveryJobRefused", "refused after the courier picked it up")]
    said = f"the town's couriers cannot deliver it: {REFUSED[reason]}" + (f" ({detail})" if detail else "")
    return [checked(OrderDeliveryFailed, **_ids(order), detail=said[:500])]


def pick_up(state: Order | None, *, job_id: UUID) -> list[IntegrationEvent]:
    """The courier took the goods at the shop: out for delivery (packed, if the merchant had
    not said so)."""
    order = ensure_exists(state)
    if not order.delivery_requested:
        return [_contradicted(order, "DeliveryOrderPickedUp", "this order was not handed to dispatch")]
    if order.out_for_delivery or order.fulfilled:
        return []
    if order.ended:
        return [_contradicted(order, "DeliveryOrderPickedUp", f"picked up after it {_ended(order)}")]
    return _sent_out(order, job_id)


def deliver(state: Order | None, *, job_id: UUID) -> list[IntegrationEvent]:
    """Handed to the customer: delivered and fulfilled. Nothing was taken at the door as far
    as dispatch says (its event names no payment), so what is owed stays owed until the
    merchant records it."""
    order = ensure_exists(state)
    if not order.delivery_requested:
        return [_contradicted(order, "DeliveryJobDelivered", "this order was not handed to dispatch")]
    if order.delivered:
        return []
    if order.ended:
        return [_contradicted(order, "DeliveryJobDelivered", f"delivered after it {_ended(order)}")]
    out = [] if order.out_for_delivery else _sent_out(order, job_id)
    return [*out, OrderDelivered(**_ids(order), paid_cents=0), OrderFulfilled(**_ids(order))]


def bring_back(state: Order | None) -> list[IntegrationEvent]:
    """The goods went back to the shop: the order ends undelivered (stock and the voucher
    part are given back on that ending)."""
    order = ensure_exists(state)
    if not order.delivery_requested:
        return [_contradicted(order, "DeliveryJobReturned", "this order was not handed to dispatch")]
    if order.ended:
        return []
    if order.delivered:
        return [_contradicted(order, "DeliveryJobReturned", "returned after it was delivered")]
    return [OrderDeliveryFailed(**_ids(order), detail=RETURNED)]


def _ids(order: Order) -> dict[str, UUID]:
    return {"order_id": order.order_id, "merchant_id": order.merchant_id}


def _sent_out(order: Order, job_id: UUID) -> list[IntegrationEvent]:
    """Out for delivery in job ``job_id``: the job joined and the packing recorded if they
    were not (a pickup answers the hand-off, and the courier takes only packed goods)."""
    joined = order.delivery_job_id is not None
    events: list[IntegrationEvent] = [] if joined else [DeliveryJobJoined(order_id=order.order_id, job_id=job_id)]
    if not order.packed:
        events.append(OrderPacked(**_ids(order)))
    return [*events, OrderOutForDelivery(**_ids(order))]


def _ended(order: Order) -> str:
    return {"rejected": "was rejected", "cancelled": "was cancelled"}.get(order.ending or "", "ended undelivered")


def _contradicted(order: Order, answer: str, detail: str) -> OrderAnswerContradicted:
    return OrderAnswerContradicted(order_id=order.order_id, answer=answer, detail=detail[:500])
