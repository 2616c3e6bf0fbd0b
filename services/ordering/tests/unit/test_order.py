# SPDX-License-Identifier: AGPL-3.0-or-later
"""The order saga: confirmed with the last of its answers, rejected by any refusal, never
moved backwards or twice by late, repeated or reordered answers."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from uuid import uuid4

import pytest

from downtown_events.contract import IntegrationEvent
from downtown_events.ordering import (
    Fulfilment,
    OrderAccepted,
    OrderCancelled,
    OrderConfirmed,
    OrderLine,
    OrderPlaced,
    OrderRejected,
    OrderStockReserved,
    OrderVoucherRedeemed,
    OrderVoucherRedemptionReturned,
    Payment,
)
from ordering.domain import fulfilment, order
from ordering.domain.errors import Contradiction, InvalidChange, NotFound, TooEarly, TooLate
from ordering.domain.order import Order
from ordering.domain.private_events import OrderAnswerContradicted

NOW = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
ANSWER_BY = NOW + timedelta(hours=2)
ANSWERS_BY = NOW + timedelta(minutes=15)
CANCELLABLE_UNTIL = NOW + timedelta(minutes=30)
REDEMPTION = uuid4()
VOUCHER = uuid4()


def placed(voucher_cents: int = 0, answers_by: datetime | None = ANSWERS_BY) -> OrderPlaced:
    return OrderPlaced(
        order_id=uuid4(),
        checkout_id=uuid4(),
        merchant_id=uuid4(),
        lines=[
            OrderLine(
                offer_id=uuid4(),
                kind="product",
                title="Riesling",
                quantity=2,
                unit_price_cents=1290,
                vat_rate_percent=19,
            )
        ],
        fulfilment=Fulfilment(method="pickup"),
        payment=Payment(
            method="at_pickup", voucher_authorization_id=uuid4() if voucher_cents else None, voucher_cents=voucher_cents
        ),
        goods_cents=2580,
        total_cents=2580,
        merchant_answer_by=ANSWER_BY,
        cancellable_until=CANCELLABLE_UNTIL,
        answers_by=answers_by,
    )


def state_of(*events: IntegrationEvent) -> Order:
    state = order.replay(events)
    assert state is not None
    return state


def then(state: Order, events: list[IntegrationEvent]) -> Order:
    for event in events:
        state = order.evolve(state, event)
    return state


def ids(state: Order) -> dict[str, object]:
    return {"order_id": state.order_id, "merchant_id": state.merchant_id}


def test_a_placed_order_waits_for_the_stock_and_the_merchant() -> None:
    state = state_of(placed())
    assert state.status == "placed" and state.waiting_for == ("stock", "merchant")
    assert state_of(placed(voucher_cents=1000)).waiting_for == ("stock", "voucher", "merchant")


@pytest.mark.parametrize("voucher", [0, 1000])
@pytest.mark.parametrize("merchant_first", [True, False])
def test_the_order_is_confirmed_in_the_same_decision_as_the_last_answer(voucher: int, merchant_first: bool) -> None:
    state = state_of(placed(voucher))
    answers = [
        lambda s: order.record_stock_reserved(s),
        lambda s: order.record_voucher_redeemed(s, voucher_id=VOUCHER, redemption_id=REDEMPTION, voucher_cents=voucher),
    ][: 2 if voucher else 1]
    answers.insert(0 if merchant_first else len(answers), lambda s: order.accept(s, now=NOW))
    for answer in answers[:-1]:
        events = answer(state)
        assert not any(isinstance(event, OrderConfirmed) for event in events)
        state = then(state, events)
    last = answers[-1](state)
    assert isinstance(last[-1], OrderConfirmed) and len(last) == 2
    state = then(state, last)
    assert state.confirmed and state.status == "confirmed" and state.waiting_for == ()
    for answer in answers:  # the same answers again decide nothing
        assert answer(state) == []


def test_the_answers_events_say_what_happened() -> None:
    state = state_of(placed(voucher_cents=700))
    assert order.record_stock_reserved(state) == [OrderStockReserved(**ids(state))]  # type: ignore[arg-type]
    assert order.record_voucher_redeemed(state, voucher_id=VOUCHER, redemption_id=REDEMPTION, voucher_cents=700) == [
        OrderVoucherRedeemed(**ids(state), voucher_cents=700, redemption_id=REDEMPTION)  # type: ignore[arg-type]
    ]
    assert order.accept(state, now=NOW) == [OrderAccepted(**ids(state))]  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("refusal", "reason"),
    [
        (lambda s: order.record_stock_refused(s, reason="out_of_stock", detail="Riesling: 0 left"), "out_of_stock"),
        (lambda s: order.record_stock_refused(s, reason="slot_taken"), "slot_taken"),
        (lambda s: order.record_voucher_refused(s, reason="too little left"), "voucher_refused"),
        (lambda s: order.decline(s, reason="closed today"), "declined"),
        (lambda s: order.time_out(s, now=ANSWER_BY), "timed_out"),
    ],
)
def test_any_refusal_rejects_with_the_contracts_reason_and_later_answers_change_nothing(
    refusal: object, reason: str
) -> None:
    state = state_of(placed(voucher_cents=500))
    (rejected,) = refusal(state)  # type: ignore[operator]
    assert isinstance(rejected, OrderRejected) and rejected.reason == reason
    state = then(state, [rejected])
    assert state.status == "rejected" and state.ended and state.rejection_reason == reason
    assert order.record_stock_reserved(state) == []  # the catalog releases on the rejection anyway
    assert order.record_voucher_redeemed(state, voucher_id=VOUCHER, redemption_id=REDEMPTION, voucher_cents=500) == []
    assert order.record_stock_refused(state, reason="out_of_stock") == []
    assert order.record_voucher_refused(state) == []
    assert order.decline(state) == [] and order.time_out(state, now=ANSWER_BY) == []
    assert order.cancel(state, by="customer", now=NOW) == []
    with pytest.raises(Contradiction, match="can no longer be accepted"):
        order.accept(state, now=NOW)


def test_the_merchant_answers_in_time_or_the_order_times_out() -> None:
    fresh = state_of(placed())
    state = then(fresh, order.record_stock_reserved(fresh))  # the catalog answered; the merchant does not
    with pytest.raises(TooEarly, match="waits for answers until"):
        order.time_out(state, now=ANSWER_BY - timedelta(seconds=1))
    with pytest.raises(TooLate, match="time to answer ran out"):
        order.accept(state, now=ANSWER_BY)
    (timed_out,) = order.time_out(state, now=ANSWER_BY)
    assert isinstance(timed_out, OrderRejected) and timed_out.reason == "timed_out"
    assert timed_out.detail == "the merchant did not answer in time"
    rejected = then(state, [timed_out])
    with pytest.raises(Contradiction, match=r"rejected \(timed_out\)"):
        order.accept(rejected, now=NOW)


@pytest.mark.parametrize("voucher", [0, 500])
def test_an_answer_of_the_catalog_or_vouchers_missing_at_answers_by_rejects_the_order(voucher: int) -> None:
    """An accepted order whose reservation (or payment) answer was lost — dead-lettered,
    unreadable during an upgrade — must not hold stock or a voucher for ever."""
    accepted = state_of(placed(voucher))
    accepted = then(accepted, order.accept(accepted, now=NOW))
    with pytest.raises(TooEarly, match="waits for answers until"):
        order.time_out(accepted, now=ANSWERS_BY - timedelta(seconds=1))
    (timed_out,) = order.time_out(accepted, now=ANSWERS_BY)
    missing = "the catalog's reservation" + (" and vouchers' payment of the voucher part" if voucher else "")
    assert isinstance(timed_out, OrderRejected) and timed_out.reason == "timed_out"
    assert timed_out.detail == f"{missing} did not arrive in time"
    reserved = then(accepted, order.record_stock_reserved(accepted))
    if voucher:  # the stock came, the voucher's answer did not
        (late,) = order.time_out(reserved, now=ANSWERS_BY)
        assert isinstance(late, OrderRejected) and late.detail.startswith("vouchers' payment")
    else:
        assert reserved.confirmed and order.time_out(reserved, now=ANSWERS_BY) == []


def test_orders_placed_before_answers_by_existed_wait_for_the_merchants_answer_time() -> None:
    old = state_of(placed(answers_by=None))
    old = then(old, order.accept(old, now=NOW))
    assert old.answers_deadline == ANSWER_BY
    with pytest.raises(TooEarly):
        order.time_out(old, now=ANSWERS_BY)
    (timed_out,) = order.time_out(old, now=ANSWER_BY)
    assert isinstance(timed_out, OrderRejected)


def test_a_contradicting_answer_is_recorded_and_a_redemption_the_order_cannot_take_handed_back() -> None:
    """Raised, these were dead-lettered (the redemption never reversed) and two in one batch
    halted the saga's consumer."""
    state = state_of(placed(voucher_cents=500))
    state = then(state, order.record_stock_reserved(state))
    state = then(state, order.accept(state, now=NOW))
    with pytest.raises(Contradiction, match="accepted"):
        order.decline(state)  # a merchant's step is still refused
    (contradicted,) = order.record_stock_refused(state, reason="out_of_stock")
    assert isinstance(contradicted, OrderAnswerContradicted) and not contradicted.published
    assert contradicted.answer == "OrderReservationRefused"
    assert then(state, [contradicted]).stock_reserved  # the reservation stands

    wrong = order.record_voucher_redeemed(state, voucher_id=VOUCHER, redemption_id=REDEMPTION, voucher_cents=400)
    assert [type(event) for event in wrong] == [OrderRejected]  # the part is given back on the rejection
    assert wrong[0].reason == "voucher_refused" and "€5.00 was redeemed as €4.00" in wrong[0].detail  # type: ignore[attr-defined]

    state = then(
        state, order.record_voucher_redeemed(state, voucher_id=VOUCHER, redemption_id=REDEMPTION, voucher_cents=500)
    )
    assert state.confirmed
    second = uuid4()
    (returned,) = order.record_voucher_redeemed(state, voucher_id=VOUCHER, redemption_id=second, voucher_cents=500)
    assert returned == OrderVoucherRedemptionReturned(
        **ids(state),  # type: ignore[arg-type]
        voucher_id=VOUCHER,
        redemption_id=second,
        voucher_cents=500,
        reason="its voucher part was paid before",
    )
    assert then(state, [returned]) == replace(state, version=state.version + 1)  # the order is unchanged
    (refused_late,) = order.record_voucher_refused(state)
    assert isinstance(refused_late, OrderAnswerContradicted)

    without_voucher = state_of(placed())
    (returned,) = order.record_voucher_redeemed(
        without_voucher, voucher_id=VOUCHER, redemption_id=REDEMPTION, voucher_cents=500
    )
    assert isinstance(returned, OrderVoucherRedemptionReturned) and returned.reason == "this order has no voucher part"
    (contradicted,) = order.record_voucher_refused(without_voucher)
    assert isinstance(contradicted, OrderAnswerContradicted)


def test_the_customer_cancels_within_the_grace_period_and_before_packing() -> None:
    state = state_of(placed())
    (cancelled,) = order.cancel(state, by="customer", reason="ordered twice", now=NOW)
    assert cancelled == OrderCancelled(**ids(state), by="customer", detail="ordered twice")  # type: ignore[arg-type]
    state = then(state, [cancelled])
    assert state.status == "cancelled" and state.cancelled_by == "customer"
    assert order.cancel(state, by="customer", now=NOW) == []  # a second click
    assert order.record_stock_reserved(state) == [] and order.time_out(state, now=ANSWER_BY) == []
    with pytest.raises(TooLate, match="could be cancelled until"):
        order.cancel(state_of(placed()), by="customer", now=CANCELLABLE_UNTIL)


def test_the_merchant_or_the_association_cancels_until_it_is_handed_over() -> None:
    state = state_of(placed())
    for answer in (order.record_stock_reserved, lambda s: order.accept(s, now=NOW)):
        state = then(state, answer(state))
    state = then(state, fulfilment.mark_packed(state))
    with pytest.raises(TooLate, match="has packed"):
        order.cancel(state, by="customer", now=NOW)
    for by in ("merchant", "association"):
        (cancelled,) = order.cancel(state, by=by, reason="broken bottle", now=NOW + timedelta(days=1))  # type: ignore[arg-type]
        assert isinstance(cancelled, OrderCancelled) and cancelled.by == by
    fulfilled = then(state, fulfilment.hand_over(state, paid_cents=2580))
    with pytest.raises(InvalidChange, match="fulfilled"):
        order.cancel(fulfilled, by="merchant", now=NOW)


def test_replay_starts_with_the_placement_and_folds_to_the_same_state() -> None:
    assert order.replay([]) is None
    with pytest.raises(NotFound):
        order.replay([OrderAccepted(order_id=uuid4(), merchant_id=uuid4())])
    with pytest.raises(NotFound):
        order.accept(None, now=NOW)
    history: list[IntegrationEvent] = [placed()]
    state = state_of(*history)
    for decide in (order.record_stock_reserved, lambda s: order.accept(s, now=NOW)):
        events = decide(state)
        history += events
        state = then(state, events)
    assert order.replay(history) == state and state.version == len(history) == 4
