# SPDX-License-Identifier: AGPL-3.0-or-later
"""The merchant's steps after an order is confirmed: packed, ready for pickup and handed over
(paid at the shop), or out for delivery and delivered (paid at the door) or not delivered.

Handing over and delivering fulfil the order in the same decision. Each step done again
decides nothing; a step that contradicts the order (delivering what failed to be delivered)
is refused with a reason, and so is every delivery step on an order the town's couriers
deliver (:mod:`ordering.domain.courier` follows dispatch's events for it). A packed order
can no longer be cancelled by the customer, so a step that implies packing (ready, out for
delivery) records the packing too. These decide over :class:`ordering.domain.order.Order`,
whose fold knows their events.
"""

from __future__ import annotations

import re
from uuid import UUID

from downtown_events.contract import IntegrationEvent
from downtown_events.money import format_money
from downtown_events.ordering import (
    OrderDelivered,
    OrderDeliveryFailed,
    OrderFulfilled,
    OrderHandedOver,
    OrderOutForDelivery,
    OrderPacked,
    OrderReadyForPickup,
    PaymentMethod,
    TimeSlot,
)
from ordering.domain.basket import line_id
from ordering.domain.errors import Contradiction, CouriersDeliver, InvalidChange, NotFound, checked
from ordering.domain.order import Order, ensure_confirmed, ensure_exists
from ordering.domain.private_events import MeetingLinkAssigned

PAID_HOW: dict[PaymentMethod, str] = {
    "invoice": "on invoice",
    "at_pickup": "at pickup",
    "cash_at_door": "in cash at the door",
    "card_at_door": "by card at the door",
    "voucher": "by voucher",
}
_ROOM = re.compile(r"^[A-Za-z0-9_-]{22,128}$")
"""At least 22 URL-safe base64 characters: 128 bits or more, as ``secrets.token_urlsafe(16)`` draws."""


def _ids(order: Order) -> dict[str, UUID]:
    return {"order_id": order.order_id, "merchant_id": order.merchant_id}


def _packed_first(order: Order) -> list[IntegrationEvent]:
    return [] if order.packed else [OrderPacked(**_ids(order))]


def mark_packed(state: Order | None) -> list[IntegrationEvent]:
    """From now on the customer can no longer cancel."""
    order = ensure_exists(state)
    if order.packed or order.fulfilled:
        return []
    ensure_confirmed(order, "packed")
    return [OrderPacked(**_ids(order))]


def mark_ready_for_pickup(state: Order | None) -> list[IntegrationEvent]:
    order = _ensure_pickup(ensure_exists(state))
    if order.ready_for_pickup or order.fulfilled:
        return []
    ensure_confirmed(order, "readied for pickup")
    return [*_packed_first(order), OrderReadyForPickup(**_ids(order))]


def hand_over(state: Order | None, *, paid_cents: int) -> list[IntegrationEvent]:
    """The customer collected it (or, for a service, it took place) and paid what was left
    to pay at the shop: the order is fulfilled."""
    order = _ensure_pickup(ensure_exists(state))
    if order.handed_over:
        return _same_payment(order, paid_cents)
    ensure_confirmed(order, "handed over")
    _check_paid(order, paid_cents, ("at_pickup",), "at pickup")
    return [OrderHandedOver(**_ids(order), paid_cents=paid_cents), OrderFulfilled(**_ids(order))]


def send_out_for_delivery(state: Order | None) -> list[IntegrationEvent]:
    order = _by_merchant(_ensure_delivery(ensure_exists(state)))
    if order.out_for_delivery:
        return []
    ensure_confirmed(order, "sent out for delivery")
    return [*_packed_first(order), OrderOutForDelivery(**_ids(order))]


def mark_delivered(state: Order | None, *, paid_cents: int = 0) -> list[IntegrationEvent]:
    """Delivered, and paid at the door if that was the way: the order is fulfilled."""
    order = _by_merchant(_ensure_delivery(ensure_exists(state)))
    if order.delivered:
        return _same_payment(order, paid_cents)
    if order.ending == "delivery_failed":
        raise Contradiction("this order's delivery was reported failed; its goods are back at the shop")
    ensure_confirmed(order, "delivered")
    if not order.out_for_delivery:
        raise InvalidChange("this order was not sent out for delivery; send it out first")
    _check_paid(order, paid_cents, ("cash_at_door", "card_at_door"), "at the door")
    return [OrderDelivered(**_ids(order), paid_cents=paid_cents), OrderFulfilled(**_ids(order))]


def mark_delivery_failed(state: Order | None, *, reason: str = "") -> list[IntegrationEvent]:
    """Nobody there, a wrong address: the goods go back to the shop and the order ends."""
    order = _by_merchant(_ensure_delivery(ensure_exists(state)))
    if order.ending == "delivery_failed":
        return []
    if order.delivered:
        raise Contradiction("this order was delivered; it cannot have failed to be")
    ensure_confirmed(order, "reported undelivered")
    if not order.out_for_delivery:
        raise InvalidChange("this order was not sent out for delivery; cancel it if it cannot be")
    return [checked(OrderDeliveryFailed, **_ids(order), detail=reason[:500])]


def meeting_url(base_url: str, room: str) -> str:
    """The video consultation's address on the town's Jitsi Meet: its base URL and a room
    name the app drew at random (``secrets.token_urlsafe(16)`` or longer): unguessable."""
    base = base_url.strip().rstrip("/")
    if not base.startswith("https://") or any(character.isspace() for character in base):
        raise InvalidChange("the meeting server's base URL must be an https:// address")
    if not _ROOM.fullmatch(room):
        raise InvalidChange("a meeting room name needs 22 or more random URL-safe characters")
    return f"{base}/{room}"


def assign_meeting_link(state: Order | None, *, offer_id: UUID, slot: TimeSlot, url: str) -> list[IntegrationEvent]:
    """A confirmed booking of a video-consultation service gets its meeting link, once: a
    redelivered confirmation keeps the link first drawn."""
    order = ensure_exists(state)
    booked = any(line.kind == "service" and (line.offer_id, line.slot) == (offer_id, slot) for line in order.lines)
    if not booked:
        raise NotFound("this order books no such service at that time")
    if line_id(offer_id, slot) in order.meeting_links:
        return []
    ensure_confirmed(order, "given a meeting link")
    if order.fulfilled:
        raise InvalidChange("this service took place already")
    return [checked(MeetingLinkAssigned, order_id=order.order_id, offer_id=offer_id, slot=slot, url=url)]


def _ensure_pickup(order: Order) -> Order:
    if order.delivery:
        raise InvalidChange("this order goes out for delivery; it is not picked up at the shop")
    return order


def _ensure_delivery(order: Order) -> Order:
    if not order.delivery:
        raise InvalidChange("this order is picked up at the shop; it is not delivered")
    return order


def _by_merchant(order: Order) -> Order:
    """The merchant's own delivery; one by the town's couriers follows dispatch's events
    (:mod:`ordering.domain.courier`), never a merchant's step."""
    if order.by_courier:
        raise CouriersDeliver("the town's couriers deliver this order; its state follows them")
    return order


def _same_payment(order: Order, paid_cents: int) -> list[IntegrationEvent]:
    if paid_cents == order.paid_cents:
        return []
    raise Contradiction(
        f"this order was fulfilled with {format_money(order.paid_cents, 'en')} paid, "
        f"not {format_money(paid_cents, 'en')}"
    )


def _check_paid(order: Order, paid_cents: int, methods: tuple[PaymentMethod, ...], where: str) -> None:
    """What is paid on the spot is all that was left to pay (less payments recorded before),
    when that is how it is paid, else nothing."""
    if order.payment.method in methods:
        if paid_cents != order.owed_cents:
            raise InvalidChange(f"{format_money(order.owed_cents, 'en')} are due {where}; record the whole amount paid")
    elif paid_cents != 0:
        raise InvalidChange(f"this order is paid {PAID_HOW[order.payment.method]}; nothing is taken {where}")
