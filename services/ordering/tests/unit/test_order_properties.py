# SPDX-License-Identifier: AGPL-3.0-or-later
"""Properties of the order state machine over any sequence of participant answers: the
catalog's (reserved or refused), vouchers' (redeemed or refused), the merchant's (accepted,
declined, or silent until the time-out), cancellations at any time, the merchant's steps,
each possibly repeated and in any order. Whatever arrives, the order ends in exactly one
legal state, nothing follows an ending, it is confirmed at most once and only when every
condition held, and it is never both confirmed and rejected."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import UUID, uuid4

from hypothesis import given, settings
from hypothesis import strategies as st

from downtown_events.contract import IntegrationEvent
from downtown_events.ordering import (
    ENDINGS,
    Fulfilment,
    OrderAccepted,
    OrderConfirmed,
    OrderDelivered,
    OrderFulfilled,
    OrderHandedOver,
    OrderLine,
    OrderOutForDelivery,
    OrderPacked,
    OrderPlaced,
    OrderReadyForPickup,
    OrderRejected,
    OrderStockReserved,
    OrderVoucherRedeemed,
    OrderVoucherRedemptionReturned,
    Payment,
)
from ordering.domain import fulfilment, order
from ordering.domain.errors import DomainError
from ordering.domain.order import Order
from ordering.domain.private_events import OrderAnswerContradicted

NOW = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
ANSWER_TIME, GRACE, ANSWERS_TIME = timedelta(hours=2), timedelta(minutes=30), timedelta(minutes=15)
VOUCHER = uuid4()
RECORDS = (OrderVoucherRedemptionReturned, OrderAnswerContradicted)
"""What a saga answer that contradicts the order leaves: a record, at any time, as often as it comes."""
LEGAL = {
    "placed",
    "confirmed",
    "packed",
    "ready_for_pickup",
    "out_for_delivery",
    "fulfilled",
    "rejected",
    "cancelled",
    "delivery_failed",
}

agreeing = [st.tuples(st.just("stock_reserved")), st.tuples(st.just("voucher_redeemed"), st.just(True))]
agreeing.append(st.tuples(st.just("accept")))
refusing = [
    st.tuples(st.just("stock_refused"), st.sampled_from(["out_of_stock", "slot_taken", "offer_unavailable"])),
    st.tuples(st.just("voucher_redeemed"), st.just(False)),  # a second, different redemption
    st.tuples(st.just("voucher_refused")),
    st.tuples(st.just("decline")),
    st.tuples(st.just("time_out")),
    st.tuples(st.just("cancel"), st.sampled_from(["customer", "merchant", "association"])),
    st.tuples(st.just("failed")),
]
steps = [st.tuples(st.just(name)) for name in ("pack", "ready", "hand_over", "out", "delivered")]
timing = [st.tuples(st.just("minutes"), st.integers(1, 40)), st.tuples(st.just("again"), st.integers(0, 30))]
answers = st.one_of(*(agreeing * 4), *refusing, *(steps * 2), *(timing * 2))
# Half the runs have participants that mostly agree, so that the confirmation and the steps
# after it are reached as often as a refusal (a late cancellation or delivery failure still may come).
cooperative = st.one_of(
    *(agreeing * 3),
    *(steps * 2),
    st.tuples(st.just("minutes"), st.integers(1, 5)),
    st.tuples(st.just("again"), st.integers(0, 30)),
    st.tuples(st.just("cancel"), st.sampled_from(["customer", "merchant"])),
    st.tuples(st.just("failed")),
)
sequences = st.one_of(st.lists(answers, max_size=40), st.lists(cooperative, min_size=5, max_size=40))


def placed(*, voucher: bool, delivery: bool) -> OrderPlaced:
    fee = 300 if delivery else 0
    return OrderPlaced(
        order_id=uuid4(),
        checkout_id=uuid4(),
        merchant_id=uuid4(),
        lines=[
            OrderLine(
                offer_id=uuid4(), kind="product", title="Käse", quantity=1, unit_price_cents=2000, vat_rate_percent=7
            )
        ],
        fulfilment=Fulfilment(method="delivery", delivery_zone="48624", delivery_fee_cents=fee)
        if delivery
        else Fulfilment(method="pickup"),
        payment=Payment(
            method="cash_at_door" if delivery else "at_pickup",
            voucher_authorization_id=uuid4() if voucher else None,
            voucher_cents=500 if voucher else 0,
        ),
        goods_cents=2000,
        total_cents=2000 + fee,
        merchant_answer_by=NOW + ANSWER_TIME,
        cancellable_until=NOW + GRACE,
        answers_by=NOW + ANSWERS_TIME,
    )


class Saga:
    """Feeds answers to one order as the app would: decide, append, fold."""

    def __init__(self, voucher: bool, delivery: bool) -> None:
        self.history: list[IntegrationEvent] = [placed(voucher=voucher, delivery=delivery)]
        state = order.replay(self.history)
        assert state is not None
        self.state: Order = state
        self.now = NOW
        self.redemption: UUID = uuid4()
        self.done: list[tuple[Any, ...]] = []

    def decide(self, answer: tuple[Any, ...]) -> list[IntegrationEvent]:
        name, *args = answer
        if name == "again":  # a redelivery of an earlier answer (or of nothing yet)
            return self.decide(self.done[-1 - args[0] % len(self.done)]) if self.done else []
        if name == "minutes":
            self.now += timedelta(minutes=args[0])
            return []
        self.done.append(answer)
        due = self.state.due_cents
        decisions: dict[str, Callable[[], list[IntegrationEvent]]] = {
            "stock_reserved": lambda: order.record_stock_reserved(self.state),
            "stock_refused": lambda: order.record_stock_refused(self.state, reason=args[0]),
            "voucher_redeemed": lambda: order.record_voucher_redeemed(
                self.state, voucher_id=VOUCHER, redemption_id=self.redemption if args[0] else uuid4(), voucher_cents=500
            ),
            "voucher_refused": lambda: order.record_voucher_refused(self.state, reason="too little left"),
            "accept": lambda: order.accept(self.state, now=self.now),
            "decline": lambda: order.decline(self.state),
            "time_out": lambda: order.time_out(self.state, now=self.now),
            "cancel": lambda: order.cancel(self.state, by=args[0], now=self.now),
            "pack": lambda: fulfilment.mark_packed(self.state),
            "ready": lambda: fulfilment.mark_ready_for_pickup(self.state),
            "hand_over": lambda: fulfilment.hand_over(self.state, paid_cents=due),
            "out": lambda: fulfilment.send_out_for_delivery(self.state),
            "delivered": lambda: fulfilment.mark_delivered(self.state, paid_cents=due),
            "failed": lambda: fulfilment.mark_delivery_failed(self.state),
        }
        return decisions[name]()

    def feed(self, answer: tuple[Any, ...]) -> None:
        try:
            events = self.decide(answer)
        except DomainError as refusal:
            assert refusal.reason  # a person can act on it
            return
        check_batch(self.history, events, self.state)
        for event in events:
            self.state = order.evolve(self.state, event)
        self.history += events


def check_batch(history: list[IntegrationEvent], events: list[IntegrationEvent], before: Order) -> None:
    facts = [event for event in events if not isinstance(event, RECORDS)]
    if before.ended or before.fulfilled:
        assert facts == [], f"{facts} after the order was settled"
    seen = {type(event) for event in history}
    for position, event in enumerate(facts):
        assert type(event) not in seen, f"{type(event).__name__} twice"  # no fact is recorded twice
        if isinstance(event, OrderConfirmed):
            assert position == len(facts) - 1  # in the same decision as the last condition
            assert {OrderStockReserved, OrderAccepted} <= seen
            assert OrderVoucherRedeemed in seen or not before.needs_voucher
            assert not seen & set(ENDINGS)
        if isinstance(event, ENDINGS):
            assert not seen & set(ENDINGS) and OrderFulfilled not in seen
        if isinstance(event, OrderRejected):
            assert OrderConfirmed not in seen
        if isinstance(event, OrderPacked):
            assert OrderConfirmed in seen
        if isinstance(event, OrderReadyForPickup | OrderOutForDelivery):
            assert OrderPacked in seen
        if isinstance(event, OrderDelivered):
            assert OrderOutForDelivery in seen
        if isinstance(event, OrderFulfilled):
            assert OrderConfirmed in seen and (OrderHandedOver in seen or OrderDelivered in seen)
        seen.add(type(event))


def check_final(saga: Saga) -> None:
    state = saga.state
    assert state.status in LEGAL
    assert order.replay(saga.history) == state
    kinds = [type(event) for event in saga.history]
    assert kinds.count(OrderConfirmed) <= 1
    assert not (OrderConfirmed in kinds and OrderRejected in kinds)
    assert sum(kind in ENDINGS for kind in kinds) <= 1
    assert state.ended == any(kind in ENDINGS for kind in kinds)
    assert not (state.ended and state.fulfilled)


@settings(max_examples=600, deadline=None)
@given(voucher=st.booleans(), delivery=st.booleans(), sequence=sequences)
def test_any_sequence_of_answers_ends_in_exactly_one_legal_state(
    voucher: bool, delivery: bool, sequence: list[tuple[Any, ...]]
) -> None:
    saga = Saga(voucher, delivery)
    for answer in sequence:
        saga.feed(answer)
    check_final(saga)
    # Every participant answers in the end (at least once), and the scheduler fires: the order
    # never stays placed.
    for answer in (("stock_reserved",), ("voucher_redeemed", True), ("minutes", 180), ("time_out",)):
        saga.feed(answer)
    check_final(saga)
    assert saga.state.status != "placed"
    assert saga.state.ended or saga.state.confirmed


positive = st.lists(
    st.sampled_from([("stock_reserved",), ("voucher_redeemed", True), ("accept",)]), min_size=3, max_size=12
).filter(lambda answers: len(set(answers)) == 3)


@settings(max_examples=300, deadline=None)
@given(sequence=positive, minutes=st.lists(st.integers(0, 9), min_size=12, max_size=12))
def test_agreeing_answers_in_any_order_and_number_confirm_exactly_once(
    sequence: list[tuple[Any, ...]], minutes: list[int]
) -> None:
    saga = Saga(voucher=True, delivery=False)  # 12 waits of under 10 minutes: the merchant answers in time
    for answer, wait in zip(sequence, minutes, strict=False):
        saga.feed(("minutes", wait) if wait else ("again", 0))
        saga.feed(answer)
    check_final(saga)
    assert saga.state.status == "confirmed"
    assert [type(event) for event in saga.history].count(OrderConfirmed) == 1


@settings(max_examples=400, deadline=None)
@given(voucher=st.booleans(), delivery=st.booleans(), sequence=st.lists(answers, min_size=1, max_size=30))
def test_after_the_confirmation_any_answers_keep_the_life_cycle_forward_only(
    voucher: bool, delivery: bool, sequence: list[tuple[Any, ...]]
) -> None:
    saga = Saga(voucher, delivery)
    for answer in (("stock_reserved",), ("voucher_redeemed", True), ("accept",)):
        saga.feed(answer)
    assert saga.state.confirmed
    for answer in sequence:
        before = saga.state.status
        saga.feed(answer)
        if before in ("fulfilled", "rejected", "cancelled", "delivery_failed"):
            assert saga.state.status == before
    check_final(saga)
    assert saga.state.status not in ("placed", "rejected")  # a confirmed order is never rejected afterwards
