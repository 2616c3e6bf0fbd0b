# SPDX-License-Identifier: AGPL-3.0-or-later
"""After the confirmation: packed, ready and handed over (paid at the shop), or out for
delivery and delivered (paid at the door) or not; fulfilled in the same decision."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from uuid import uuid4

import pytest

from downtown_events.contract import IntegrationEvent
from downtown_events.ordering import (
    Fulfilment,
    OrderDelivered,
    OrderDeliveryFailed,
    OrderFulfilled,
    OrderHandedOver,
    OrderLine,
    OrderOutForDelivery,
    OrderPacked,
    OrderPlaced,
    OrderReadyForPickup,
    Payment,
    PaymentMethod,
    TimeSlot,
)
from ordering.domain import fulfilment, order
from ordering.domain.errors import Contradiction, InvalidChange, NotFound
from ordering.domain.order import Order
from ordering.domain.private_events import MeetingLinkAssigned

NOW = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
SLOT = TimeSlot(starts_at=NOW + timedelta(days=1), ends_at=NOW + timedelta(days=1, hours=1))
SERVICE = uuid4()
ROOM = "q3VHn4tkVw0pS1Yc5QyR8g"


def confirmed(
    method: PaymentMethod = "at_pickup", *, delivery: bool = False, voucher_cents: int = 0, service: bool = False
) -> Order:
    line = (
        OrderLine(
            offer_id=SERVICE, kind="service", title="Beratung", quantity=1, unit_price_cents=3000, vat_rate_percent=19
        )
        if service
        else OrderLine(
            offer_id=uuid4(),
            kind="product",
            title="Fahrradschloss",
            quantity=1,
            unit_price_cents=3000,
            vat_rate_percent=19,
        )
    )
    line = line.model_copy(update={"slot": SLOT}) if service else line
    fee = 400 if delivery else 0
    placed = OrderPlaced(
        order_id=uuid4(),
        checkout_id=uuid4(),
        merchant_id=uuid4(),
        lines=[line],
        fulfilment=Fulfilment(method="delivery", delivery_zone="48624", delivery_fee_cents=fee)
        if delivery
        else Fulfilment(method="pickup"),
        payment=Payment(
            method=method, voucher_authorization_id=uuid4() if voucher_cents else None, voucher_cents=voucher_cents
        ),
        goods_cents=3000,
        total_cents=3000 + fee,
        merchant_answer_by=NOW + timedelta(hours=2),
        cancellable_until=NOW + timedelta(minutes=30),
    )
    state = order.replay([placed])
    assert state is not None
    decisions = [order.record_stock_reserved, lambda s: order.accept(s, now=NOW)]
    if voucher_cents:
        decisions.append(
            lambda s: order.record_voucher_redeemed(
                s, voucher_id=uuid4(), redemption_id=uuid4(), voucher_cents=voucher_cents
            )
        )
    for decide in decisions:
        state = then(state, decide(state))
    assert state.confirmed
    return state


def then(state: Order, events: list[IntegrationEvent]) -> Order:
    for event in events:
        state = order.evolve(state, event)
    return state


def test_a_pickup_is_packed_readied_and_handed_over_paid_and_fulfilled() -> None:
    state = confirmed()
    assert [type(event) for event in fulfilment.mark_ready_for_pickup(state)] == [OrderPacked, OrderReadyForPickup]
    state = then(state, fulfilment.mark_packed(state))
    assert state.status == "packed" and fulfilment.mark_packed(state) == []
    (ready,) = fulfilment.mark_ready_for_pickup(state)
    state = then(state, [ready])
    assert state.status == "ready_for_pickup" and fulfilment.mark_ready_for_pickup(state) == []
    handed, fulfilled = fulfilment.hand_over(state, paid_cents=3000)
    assert handed == OrderHandedOver(order_id=state.order_id, merchant_id=state.merchant_id, paid_cents=3000)
    assert isinstance(fulfilled, OrderFulfilled)
    state = then(state, [handed, fulfilled])
    assert state.status == "fulfilled" and state.settled and state.paid_cents == 3000
    assert fulfilment.hand_over(state, paid_cents=3000) == []
    with pytest.raises(Contradiction, match=r"€30\.00 paid"):
        fulfilment.hand_over(state, paid_cents=2000)
    assert fulfilment.mark_packed(state) == [] and fulfilment.mark_ready_for_pickup(state) == []


def test_what_is_paid_at_the_shop_is_what_was_left_to_pay() -> None:
    with pytest.raises(InvalidChange, match=r"€20\.00 are due at pickup"):
        fulfilment.hand_over(confirmed(voucher_cents=1000), paid_cents=3000)
    assert fulfilment.hand_over(confirmed(voucher_cents=1000), paid_cents=2000)
    with pytest.raises(InvalidChange, match="paid on invoice; nothing is taken at pickup"):
        fulfilment.hand_over(confirmed("invoice"), paid_cents=3000)
    assert fulfilment.hand_over(confirmed("invoice"), paid_cents=0)


def test_a_delivery_goes_out_and_is_delivered_paid_at_the_door_and_fulfilled() -> None:
    state = confirmed("cash_at_door", delivery=True)
    with pytest.raises(InvalidChange, match="send it out first"):
        fulfilment.mark_delivered(state, paid_cents=3400)
    packed, out = fulfilment.send_out_for_delivery(state)
    assert isinstance(packed, OrderPacked) and isinstance(out, OrderOutForDelivery)
    state = then(state, [packed, out])
    assert state.status == "out_for_delivery" and fulfilment.send_out_for_delivery(state) == []
    with pytest.raises(InvalidChange, match=r"€34\.00 are due at the door"):
        fulfilment.mark_delivered(state, paid_cents=3000)
    delivered, fulfilled = fulfilment.mark_delivered(state, paid_cents=3400)
    assert isinstance(delivered, OrderDelivered) and delivered.paid_cents == 3400
    state = then(state, [delivered, fulfilled])
    assert state.status == "fulfilled" and fulfilment.mark_delivered(state, paid_cents=3400) == []
    with pytest.raises(Contradiction, match="was delivered"):
        fulfilment.mark_delivery_failed(state)


def test_a_failed_delivery_ends_the_order_and_it_is_not_delivered_afterwards() -> None:
    state = confirmed("card_at_door", delivery=True)
    with pytest.raises(InvalidChange, match="not sent out"):
        fulfilment.mark_delivery_failed(state)
    state = then(state, fulfilment.send_out_for_delivery(state))
    (failed,) = fulfilment.mark_delivery_failed(state, reason="nobody at home")
    assert failed == OrderDeliveryFailed(
        order_id=state.order_id, merchant_id=state.merchant_id, detail="nobody at home"
    )
    state = then(state, [failed])
    assert state.status == "delivery_failed" and state.ended
    assert fulfilment.mark_delivery_failed(state) == []
    with pytest.raises(Contradiction, match="reported failed"):
        fulfilment.mark_delivered(state, paid_cents=3400)
    assert order.cancel(state, by="merchant", now=NOW) == []


def test_steps_follow_the_confirmation_and_the_way_it_is_fulfilled() -> None:
    placed = confirmed()
    unconfirmed = order.replay([OrderPlaced(**{**_placed_fields(placed)})])
    with pytest.raises(InvalidChange, match=r"not confirmed yet \(it waits for: stock, merchant\)"):
        fulfilment.mark_packed(unconfirmed)
    with pytest.raises(InvalidChange, match="not picked up"):
        fulfilment.hand_over(confirmed(delivery=True), paid_cents=0)
    with pytest.raises(InvalidChange, match="not delivered"):
        fulfilment.send_out_for_delivery(placed)
    cancelled = then(placed, order.cancel(placed, by="merchant", now=NOW))
    with pytest.raises(InvalidChange, match="cancelled by the merchant"):
        fulfilment.mark_ready_for_pickup(cancelled)
    with pytest.raises(NotFound):
        fulfilment.mark_packed(None)


def _placed_fields(state: Order) -> dict[str, object]:
    return dict(
        order_id=uuid4(),
        checkout_id=state.checkout_id,
        merchant_id=state.merchant_id,
        lines=list(state.lines),
        fulfilment=state.fulfilment,
        payment=state.payment,
        goods_cents=state.goods_cents,
        total_cents=state.total_cents,
        merchant_answer_by=state.merchant_answer_by,
        cancellable_until=state.cancellable_until,
    )


def test_a_booked_video_consultation_gets_one_unguessable_meeting_link() -> None:
    state = confirmed(service=True)
    url = fulfilment.meeting_url("https://meet.jit.si/", ROOM)
    assert url == f"https://meet.jit.si/{ROOM}"
    (assigned,) = fulfilment.assign_meeting_link(state, offer_id=SERVICE, slot=SLOT, url=url)
    assert isinstance(assigned, MeetingLinkAssigned) and not assigned.published
    state = then(state, [assigned])
    assert list(state.meeting_links.values()) == [url] and url not in repr(state)
    other = fulfilment.meeting_url("https://meet.jit.si", "another-random-room-name-0123")
    assert fulfilment.assign_meeting_link(state, offer_id=SERVICE, slot=SLOT, url=other) == []  # the first stays
    with pytest.raises(NotFound, match="no such service"):
        fulfilment.assign_meeting_link(state, offer_id=uuid4(), slot=SLOT, url=url)
    for base, room in (("http://meet.example", ROOM), ("https://meet.example", "short"), ("https://x", "a/b" * 10)):
        with pytest.raises(InvalidChange):
            fulfilment.meeting_url(base, room)
