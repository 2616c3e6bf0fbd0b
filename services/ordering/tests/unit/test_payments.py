# SPDX-License-Identifier: AGPL-3.0-or-later
"""Payments the merchant records: they add up, never beyond what is owed, once per payment,
on a day that has been; what is owed goes to nothing and the order shows paid."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from uuid import uuid4

import pytest

from downtown_events.catalog import Address
from downtown_events.contract import IntegrationEvent
from downtown_events.ordering import (
    Fulfilment,
    OrderLine,
    OrderPaymentRecorded,
    OrderPlaced,
    Payment,
    PaymentMethod,
    TimeSlot,
)
from ordering.domain import fulfilment, order, payments
from ordering.domain.errors import Contradiction, InvalidChange, NotAllowed
from ordering.domain.facts import MerchantFacts
from ordering.domain.order import Order
from ordering.domain.private_events import OrderCustomerRecorded

NOW = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
TODAY = date(2026, 3, 2)
MERCHANT = uuid4()
HOME = Address(street="Hauptstraße 1", postal_code="48624", city="Schöppingen")


def placed(method: PaymentMethod, *, voucher_cents: int = 0) -> OrderPlaced:
    lines = [
        OrderLine(offer_id=uuid4(), kind="product", title="Brot", quantity=2, unit_price_cents=450, vat_rate_percent=7),
        OrderLine(
            offer_id=uuid4(), kind="product", title="Kerze", quantity=1, unit_price_cents=1100, vat_rate_percent=19
        ),
    ]
    window = TimeSlot(starts_at=NOW + timedelta(days=1), ends_at=NOW + timedelta(days=1, hours=1))
    payment = Payment(
        method=method, voucher_cents=voucher_cents, voucher_authorization_id=uuid4() if voucher_cents else None
    )
    return OrderPlaced(
        order_id=uuid4(),
        checkout_id=uuid4(),
        merchant_id=MERCHANT,
        lines=lines,
        fulfilment=Fulfilment(method="pickup", pickup_window=window),
        payment=payment,
        goods_cents=2000,
        total_cents=2000,
        merchant_answer_by=NOW + timedelta(hours=2),
        cancellable_until=NOW + timedelta(minutes=30),
    )


def confirmed(method: PaymentMethod = "invoice") -> Order:
    event = placed(method)
    customer = OrderCustomerRecorded(
        order_id=event.order_id,
        checkout_id=event.checkout_id,
        name="Anna Beispiel",
        email="a@b.de",
        billing_address=HOME,
    )
    history: list[IntegrationEvent] = [event, customer]
    for decide in (order.record_stock_reserved, lambda s: order.accept(s, now=NOW)):
        history += decide(order.replay(history))
    state = order.replay(history)
    assert state is not None and state.confirmed
    return state


def after(state: Order, events: list[IntegrationEvent]) -> Order:
    for event in events:
        state = order.evolve(state, event)
    return state


def pay(state: Order, cents: int, *, payment_id: object = None, on: date = TODAY, how: str = "bank_transfer") -> Order:
    events = payments.record_payment(
        state,
        payment_id=payment_id or uuid4(),  # type: ignore[arg-type]
        received_by=how,  # type: ignore[arg-type]
        amount_cents=cents,
        paid_on=on,
        today=TODAY,
    )
    return after(state, events) if events else state


def test_an_order_on_invoice_handed_over_owes_its_total_until_transfers_pay_it_part_by_part() -> None:
    state = confirmed()
    assert state.owed_cents == 2000
    handed = after(state, fulfilment.hand_over(state, paid_cents=0))
    assert handed.fulfilled and handed.owed_cents == 2000 and not handed.paid

    part = pay(handed, 1250)
    (recorded,) = part.payments.values()
    assert isinstance(recorded, OrderPaymentRecorded)
    assert (recorded.amount_cents, recorded.left_to_pay_cents, recorded.received_by) == (1250, 750, "bank_transfer")
    assert (part.owed_cents, part.received_cents, part.paid) == (750, 1250, False)

    whole = pay(part, 750, on=TODAY - timedelta(days=3))
    assert (whole.owed_cents, whole.received_cents, whole.paid) == (0, 2000, True)
    with pytest.raises(Contradiction, match="this order is paid"):
        pay(whole, 1)


def test_a_payment_beyond_what_is_owed_is_refused_with_what_is_left() -> None:
    state = pay(confirmed(), 1500)
    with pytest.raises(InvalidChange, match=r"only €5\.00 are left to pay, not €6\.00"):
        pay(state, 600)
    assert state.owed_cents == 500


def test_the_same_payment_reported_again_records_nothing_and_its_key_cannot_name_another() -> None:
    payment_id = uuid4()
    state = pay(confirmed(), 800, payment_id=payment_id)
    again = payments.record_payment(
        state, payment_id=payment_id, received_by="bank_transfer", amount_cents=800, paid_on=TODAY, today=TODAY
    )
    assert again == []
    with pytest.raises(InvalidChange, match="Idempotency-Key was already used for another payment"):
        payments.record_payment(
            state, payment_id=payment_id, received_by="bank_transfer", amount_cents=900, paid_on=TODAY, today=TODAY
        )


def test_a_payment_needs_a_confirmed_order_that_went_ahead_and_a_day_that_has_been() -> None:
    state = confirmed()
    with pytest.raises(InvalidChange, match="2026-03-03 is still to come"):
        pay(state, 100, on=TODAY + timedelta(days=1))
    unconfirmed = order.replay([placed("invoice")])
    with pytest.raises(InvalidChange, match="not confirmed yet"):
        pay(unconfirmed, 100)  # type: ignore[arg-type]
    cancelled = after(state, order.cancel(state, by="merchant", now=NOW))
    with pytest.raises(InvalidChange, match="did not go ahead"):
        pay(cancelled, 100)
    assert cancelled.owed_cents == 0


def test_a_part_paid_in_advance_leaves_the_rest_to_take_at_pickup() -> None:
    state = pay(confirmed("at_pickup"), 500, how="cash_at_pickup")
    with pytest.raises(InvalidChange, match=r"€15\.00 are due at pickup"):
        fulfilment.hand_over(state, paid_cents=2000)
    handed = after(state, fulfilment.hand_over(state, paid_cents=1500))
    assert (handed.owed_cents, handed.received_cents, handed.paid) == (0, 2000, True)


def test_only_a_merchant_the_association_approved_records_payments() -> None:
    shop = MerchantFacts(MERCHANT, "Bäckerei Korn", approved=True)
    payments.ensure_takes_money(shop)
    with pytest.raises(NotAllowed, match="Bäckerei Korn cannot record payments"):
        payments.ensure_takes_money(replace(shop, approved=False))
    with pytest.raises(InvalidChange, match="has not heard of this shop"):
        payments.ensure_takes_money(None)
