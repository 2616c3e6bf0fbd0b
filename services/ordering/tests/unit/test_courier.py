# SPDX-License-Identifier: AGPL-3.0-or-later
"""A courier order: handed to dispatch in the decision that confirms it, its drop-off sealed;
then out for delivery, delivered or not as dispatch says, never backwards; silence past the
deadline ends it; the merchant's delivery steps are refused; the customer's mail of a failed
courier delivery says so in their language, without dispatch's English detail."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from uuid import UUID, uuid4

import pytest

from downtown_events.catalog import Address
from downtown_events.contract import IntegrationEvent
from downtown_events.geo import GeoPoint
from downtown_events.ordering import (
    DeliveryDropOff,
    Fulfilment,
    OrderConfirmed,
    OrderDelivered,
    OrderDeliveryFailed,
    OrderDeliveryRequested,
    OrderFulfilled,
    OrderLine,
    OrderOutForDelivery,
    OrderPacked,
    OrderPlaced,
    Payment,
    TimeSlot,
)
from ordering.app.notifications import CustomerContact, MerchantContact, OrderContext, notifications_for
from ordering.domain import courier, fulfilment, order
from ordering.domain.courier import Handoff
from ordering.domain.errors import CouriersDeliver, TooEarly
from ordering.domain.order import Order
from ordering.domain.placement import PlacedOrder
from ordering.domain.private_events import (
    CourierOrdersCounted,
    DeliveryJobJoined,
    DispatchAnswerAwaited,
    OrderAnswerContradicted,
    OrderCustomerRecorded,
)

NOW = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
SLOT = TimeSlot(starts_at=NOW + timedelta(hours=5), ends_at=NOW + timedelta(hours=7))
HOME = Address(street="Hauptstraße 1", postal_code="48624", city="Schöppingen")
PIN = GeoPoint(lat=52.1, lon=7.23)
JOB = uuid4()
SEALED: dict[UUID, DeliveryDropOff] = {}


def seal(order_id: UUID, drop_off: DeliveryDropOff) -> str:
    SEALED[order_id] = drop_off
    return f"sealed-{order_id}"


HANDOFF = Handoff(seal=seal, now=NOW, answer_time=timedelta(minutes=15))


def placed(*, slot: TimeSlot | None = SLOT, couriers: int | None = 2) -> list[IntegrationEvent]:
    order_id, checkout_id = uuid4(), uuid4()
    event = OrderPlaced(
        order_id=order_id,
        checkout_id=checkout_id,
        merchant_id=uuid4(),
        lines=[
            OrderLine(
                offer_id=uuid4(), kind="product", title="Honig", quantity=2, unit_price_cents=800, vat_rate_percent=7
            )
        ],
        fulfilment=Fulfilment(
            method="delivery", delivery_zone="Innenstadt", delivery_fee_cents=350, delivery_slot=slot
        ),
        payment=Payment(method="invoice"),
        goods_cents=1600,
        total_cents=1950,
        merchant_answer_by=NOW + timedelta(hours=2),
        answers_by=NOW + timedelta(minutes=15),
        cancellable_until=NOW + timedelta(minutes=15),
    )
    customer = OrderCustomerRecorded(
        order_id=order_id,
        checkout_id=checkout_id,
        name="Anna Beispiel",
        email="anna@example.de",
        phone="02555 1234",
        delivery_address=HOME,
        delivery_note="Hinterhof",
        delivery_pin=PIN,
        guest_token_hash="0" * 64,
    )
    counted = (
        []
        if couriers is None
        else [CourierOrdersCounted(order_id=order_id, checkout_id=checkout_id, courier_orders=couriers)]
    )
    return [event, customer, *counted]


def _all(state: Order, events: list[IntegrationEvent]) -> Order:
    for event in events:
        state = order.evolve(state, event)
    return state


def confirmed_by_merchant(history: list[IntegrationEvent]) -> tuple[Order, list[IntegrationEvent]]:
    """Stock reserved, then the merchant's acceptance confirms it: the decision as the app wraps it."""
    state = order.replay(history)
    assert state is not None
    state = _all(state, order.record_stock_reserved(state))
    decided = courier.handed_off(state, order.accept(state, now=NOW), HANDOFF)
    return _all(state, decided), decided


def requested(**kwargs: object) -> Order:
    state, _ = confirmed_by_merchant(placed(**kwargs))  # type: ignore[arg-type]
    return state


def test_the_confirmation_of_a_courier_order_hands_it_to_dispatch_with_the_drop_off_sealed() -> None:
    state, decided = confirmed_by_merchant(placed())

    kinds = [type(event) for event in decided]
    assert kinds[-3:] == [OrderConfirmed, OrderDeliveryRequested, DispatchAnswerAwaited]
    request = decided[-2]
    assert isinstance(request, OrderDeliveryRequested)
    assert (request.checkout_id, request.courier_orders, request.slot) == (state.checkout_id, 2, SLOT)
    assert (request.goods_cents, request.parcels, request.fee_cents) == (1600, 1, 350)
    assert request.sealed_drop_off == f"sealed-{state.order_id}"
    assert SEALED[state.order_id] == DeliveryDropOff(
        name="Anna Beispiel",
        phone="02555 1234",
        street="Hauptstraße 1",
        postal_code="48624",
        city="Schöppingen",
        note="Hinterhof",
        pin=PIN,
    )
    awaited = decided[-1]
    assert isinstance(awaited, DispatchAnswerAwaited) and awaited.answer_by == NOW + timedelta(minutes=15)
    assert state.awaiting_dispatch and state.status == "confirmed"


def test_an_order_without_a_count_goes_as_the_only_courier_order_and_one_without_slot_stays_the_merchants() -> None:
    _, decided = confirmed_by_merchant(placed(couriers=None))
    (request,) = [event for event in decided if isinstance(event, OrderDeliveryRequested)]
    assert request.courier_orders == 1

    _, merchants = confirmed_by_merchant(placed(slot=None, couriers=None))
    assert not any(isinstance(event, OrderDeliveryRequested) for event in merchants)


def test_a_checkout_counts_its_courier_orders_beside_each_of_their_placements() -> None:
    def placed_order(slot: TimeSlot | None) -> PlacedOrder:
        history = placed(slot=slot, couriers=None)
        first = history[0]
        assert isinstance(first, OrderPlaced)
        return PlacedOrder(first.order_id, first, tuple(history))

    orders = courier.count_couriers([placed_order(SLOT), placed_order(None), placed_order(SLOT)])

    counts = [[e.courier_orders for e in o.events if isinstance(e, CourierOrdersCounted)] for o in orders]
    assert counts == [[2], [], [2]]


def test_a_handed_off_order_is_not_handed_off_again() -> None:
    state = requested()
    again: list[IntegrationEvent] = [OrderConfirmed(order_id=state.order_id, merchant_id=state.merchant_id)]
    assert courier.handed_off(state, again, HANDOFF) == again


def test_dispatch_takes_it_picks_it_up_and_delivers_it_and_repeats_change_nothing() -> None:
    state = requested()
    state = _all(state, courier.join_job(state, job_id=JOB))
    assert not state.awaiting_dispatch and state.delivery_job_id == JOB
    assert courier.join_job(state, job_id=JOB) == []

    out = courier.pick_up(state, job_id=JOB)
    assert [type(event) for event in out] == [OrderPacked, OrderOutForDelivery]
    state = _all(state, out)
    assert courier.pick_up(state, job_id=JOB) == []

    done = courier.deliver(state, job_id=JOB)
    assert [type(event) for event in done] == [OrderDelivered, OrderFulfilled]
    state = _all(state, done)
    assert state.status == "fulfilled" and state.paid_cents == 0
    assert courier.deliver(state, job_id=JOB) == []
    assert courier.pick_up(state, job_id=JOB) == []  # late: never backwards
    (late,) = courier.bring_back(state)
    assert isinstance(late, OrderAnswerContradicted)


def test_a_delivery_heard_before_its_pickup_takes_the_order_the_whole_way() -> None:
    state = requested()
    done = courier.deliver(state, job_id=JOB)
    assert [type(event).__name__ for event in done] == [
        DeliveryJobJoined.__name__,
        OrderPacked.__name__,
        OrderOutForDelivery.__name__,
        OrderDelivered.__name__,
        OrderFulfilled.__name__,
    ]


def test_goods_brought_back_end_the_order_undelivered_once() -> None:
    state = _all(requested(), courier.pick_up(requested(), job_id=JOB))
    (failed,) = courier.bring_back(state)
    assert isinstance(failed, OrderDeliveryFailed) and failed.detail == courier.RETURNED
    state = order.evolve(state, failed)
    assert state.status == "delivery_failed"
    assert courier.bring_back(state) == []
    (late,) = courier.deliver(state, job_id=JOB)
    assert isinstance(late, OrderAnswerContradicted)


def test_a_refusal_ends_the_order_with_dispatchs_reason() -> None:
    state = requested()
    (failed,) = courier.refuse(state, reason="outside_zone", detail="48999")
    assert isinstance(failed, OrderDeliveryFailed)
    assert (
        failed.detail == "the town's couriers cannot deliver it: the address lies outside every delivery zone (48999)"
    )
    ended = order.evolve(state, failed)
    assert courier.refuse(ended, reason="no_slot") == []

    picked = _all(state, courier.pick_up(state, job_id=JOB))
    (contradicted,) = courier.refuse(picked, reason="no_slot")
    assert isinstance(contradicted, OrderAnswerContradicted)


def test_news_of_an_order_never_handed_to_dispatch_is_recorded_not_acted_on() -> None:
    state = requested(slot=None)
    for decided in (
        courier.join_job(state, job_id=JOB),
        courier.pick_up(state, job_id=JOB),
        courier.deliver(state, job_id=JOB),
        courier.bring_back(state),
        courier.refuse(state, reason="no_terms"),
    ):
        assert [type(event) for event in decided] == [OrderAnswerContradicted]


def test_dispatchs_silence_past_the_deadline_ends_the_order_and_its_answer_stops_the_clock() -> None:
    state = requested()
    with pytest.raises(TooEarly):
        order.time_out(state, now=NOW + timedelta(minutes=14))
    (failed,) = order.time_out(state, now=NOW + timedelta(minutes=15))
    assert isinstance(failed, OrderDeliveryFailed) and failed.detail == order.DISPATCH_SILENT

    answered = _all(state, courier.join_job(state, job_id=JOB))
    assert order.time_out(answered, now=NOW + timedelta(hours=1)) == []


def test_the_merchant_packs_a_courier_order_but_never_marks_its_delivery() -> None:
    state = requested()
    assert [type(event) for event in fulfilment.mark_packed(state)] == [OrderPacked]
    for step in (
        fulfilment.send_out_for_delivery,
        lambda s: fulfilment.mark_delivered(s, paid_cents=0),
        lambda s: fulfilment.mark_delivery_failed(s, reason="niemand da"),
    ):
        with pytest.raises(CouriersDeliver, match="the town's couriers deliver this order; its state follows them"):
            step(state)


@pytest.mark.parametrize(
    ("language", "said"),
    [
        ("de", "leider konnten die Kuriere der Stadt Ihre Bestellung"),
        ("en", "Unfortunately the town's couriers could not deliver your order"),
    ],
)
def test_the_mail_of_a_failed_courier_delivery_speaks_of_the_couriers_not_of_dispatchs_detail(
    language: str, said: str
) -> None:
    first = placed()[0]
    assert isinstance(first, OrderPlaced)
    context = OrderContext(
        placed=first,
        customer=CustomerContact(name="Anna Beispiel", email="anna@example.de", language=language),  # type: ignore[arg-type]
        merchant=MerchantContact(name="Imkerei Summ", email="laden@summ.example"),
        town_name="Schöppingen",
    )
    failed = OrderDeliveryFailed(order_id=first.order_id, merchant_id=first.merchant_id, detail=order.DISPATCH_SILENT)
    (mail,) = notifications_for(failed, uuid4(), context)
    assert said in mail.body and "Imkerei Summ" in mail.body
    assert order.DISPATCH_SILENT not in mail.body
