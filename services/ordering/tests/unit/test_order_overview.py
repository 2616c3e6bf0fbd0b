# SPDX-License-Identifier: AGPL-3.0-or-later
"""The order overview's fold for the merchant's inbox: who ordered (from the private customer
record), and what is left to pay folded as the order itself folds it, so that the ``unpaid``
view finds what the shop still has to collect; and that a customer's list never carries
the customer record."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from itertools import count
from typing import Any
from uuid import UUID, uuid4

import pytest

from downtown_events.contract import IntegrationEvent
from downtown_events.ordering import (
    Fulfilment,
    InvoiceCancelled,
    InvoiceIssued,
    OrderAccepted,
    OrderCancelled,
    OrderConfirmed,
    OrderDelivered,
    OrderHandedOver,
    OrderLine,
    OrderPaymentRecorded,
    OrderPlaced,
    OrderStockReserved,
    OrderVoucherRedeemed,
    Payment,
    PaymentMethod,
    VatAmount,
)
from downtown_events.runtime.principal import Principal
from downtown_events.runtime.projection import Row, RowSet
from downtown_events.runtime.records import ReceivedEvent
from ordering.api.schemas import OrderSummaryOut
from ordering.domain.order import replay
from ordering.domain.private_events import OrderCustomerRecorded
from ordering.projections.orders import ORDERS, OrderOverview
from ordering.projections.queries import order_list
from tests.support.received import received as received_event

START = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
MERCHANT = uuid4()
VAT = [VatAmount(rate_percent=7, net_cents=1000, vat_cents=70)]
_offsets = count()


def received(event: IntegrationEvent, stream: UUID, version: int) -> ReceivedEvent:
    return received_event(event, stream, at=START + timedelta(minutes=version), version=version)


def fold(order_id: UUID, *events: IntegrationEvent, rows: RowSet | None = None, first: int = 1) -> Row:
    """The order's row after ``events`` (numbered from ``first`` on its stream)."""
    history = [received(event, order_id, version) for version, event in enumerate(events, start=first)]
    row = OrderOverview().fold(rows or RowSet(), history).get(ORDERS, order_id)
    assert row is not None
    return row


def placed(order_id: UUID, method: PaymentMethod = "invoice", voucher_cents: int = 0) -> OrderPlaced:
    line = OrderLine(
        offer_id=uuid4(), kind="product", title="Brot", quantity=2, unit_price_cents=535, vat_rate_percent=7
    )
    return OrderPlaced(
        order_id=order_id,
        checkout_id=uuid4(),
        merchant_id=MERCHANT,
        lines=[line],
        fulfilment=Fulfilment(method="pickup"),
        payment=Payment(
            method=method, voucher_cents=voucher_cents, voucher_authorization_id=uuid4() if voucher_cents else None
        ),
        goods_cents=1070,
        total_cents=1070,
        merchant_answer_by=START + timedelta(hours=2),
        cancellable_until=START + timedelta(minutes=30),
    )


def customer(event: OrderPlaced, phone: str = "02555 1234") -> OrderCustomerRecorded:
    return OrderCustomerRecorded(
        order_id=event.order_id, checkout_id=event.checkout_id, name="Anna Beispiel", email="a@b.de", phone=phone
    )


def confirmed(event: OrderPlaced) -> list[IntegrationEvent]:
    """Reserved, (redeemed,) accepted and confirmed: the order went ahead."""
    ids = {"order_id": event.order_id, "merchant_id": event.merchant_id}
    voucher = event.payment.voucher_cents
    redeemed = [OrderVoucherRedeemed(**ids, redemption_id=uuid4(), voucher_cents=voucher)] if voucher else []
    return [OrderStockReserved(**ids), *redeemed, OrderAccepted(**ids), OrderConfirmed(**ids)]


def handed_over(order_id: UUID, paid_cents: int = 0) -> OrderHandedOver:
    return OrderHandedOver(order_id=order_id, merchant_id=MERCHANT, paid_cents=paid_cents)


def payment(order_id: UUID, cents: int, left: int) -> OrderPaymentRecorded:
    return OrderPaymentRecorded(
        order_id=order_id,
        merchant_id=MERCHANT,
        payment_id=uuid4(),
        received_by="bank_transfer",
        amount_cents=cents,
        paid_on=date(2026, 3, 5),
        left_to_pay_cents=left,
    )


def issued(order_id: UUID, number: int) -> InvoiceIssued:
    return InvoiceIssued(
        order_id=order_id,
        merchant_id=MERCHANT,
        invoice_number=f"RE-2026-{number:05d}",
        sequence=number,
        issued_on=date(2026, 3, 2),
        net_cents=1000,
        vat=VAT,
        gross_cents=1070,
    )


def storno(order_id: UUID, number: int, cancels: int, *, corrected: bool = False) -> InvoiceCancelled:
    return InvoiceCancelled(
        order_id=order_id,
        merchant_id=MERCHANT,
        invoice_number=f"RE-2026-{number:05d}",
        sequence=number,
        issued_on=date(2026, 3, 9),
        cancels_invoice_number=f"RE-2026-{cancels:05d}",
        net_cents=1000,
        vat=VAT,
        gross_cents=1070,
        corrected=corrected,
    )


def owing(row: Row) -> tuple[Any, Any]:
    return row["left_to_pay_cents"], row["paid"]


# --- who ordered ---------------------------------------------------------------------------


def test_the_row_names_the_customer_and_their_phone_from_the_private_record() -> None:
    order_id = uuid4()
    event = placed(order_id)
    before = fold(order_id, event)
    assert (before["customer_name"], before["customer_phone"]) == (None, None)

    row = fold(order_id, event, customer(event))
    assert set(row) == set(ORDERS.columns)  # every column written, none the table lacks
    assert (row["customer_name"], row["customer_phone"]) == ("Anna Beispiel", "02555 1234")
    assert row["answer_by"] == event.merchant_answer_by


def test_a_customer_who_gave_no_phone_is_listed_with_an_empty_one() -> None:
    order_id = uuid4()
    event = placed(order_id)
    assert fold(order_id, event, customer(event, phone=""))["customer_phone"] == ""


# --- what is left to pay ---------------------------------------------------------------------


def test_payments_recorded_clear_an_invoiced_order_part_by_part() -> None:
    order_id = uuid4()
    event = placed(order_id)
    history: list[IntegrationEvent] = [event, customer(event), *confirmed(event)]
    assert owing(fold(order_id, *history)) == (1070, False)

    history += [handed_over(order_id), issued(order_id, 1), payment(order_id, 600, 470)]
    row = fold(order_id, *history)
    assert (row["status"], *owing(row)) == ("fulfilled", 470, False)

    assert owing(fold(order_id, *history, payment(order_id, 470, 0))) == (0, True)


def test_what_was_paid_at_pickup_clears_it_on_the_spot() -> None:
    order_id = uuid4()
    event = placed(order_id, method="at_pickup")
    assert owing(fold(order_id, event, *confirmed(event), handed_over(order_id, 1070))) == (0, True)


def test_cash_at_the_door_is_taken_on_delivery() -> None:
    order_id = uuid4()
    event = placed(order_id, method="cash_at_door")
    delivered = OrderDelivered(order_id=order_id, merchant_id=MERCHANT, paid_cents=1070)
    row = fold(order_id, event, *confirmed(event), delivered)
    assert (row["status"], *owing(row)) == ("fulfilled", 0, True)


def test_a_voucher_that_pays_all_leaves_nothing_to_pay_from_the_start() -> None:
    order_id = uuid4()
    assert owing(fold(order_id, placed(order_id, method="at_pickup", voucher_cents=1070))) == (0, True)
    other = uuid4()
    assert owing(fold(other, placed(other, method="at_pickup", voucher_cents=70))) == (1000, False)


def test_nothing_is_owed_on_an_order_that_ended() -> None:
    order_id = uuid4()
    event = placed(order_id)
    cancelled = OrderCancelled(order_id=order_id, merchant_id=MERCHANT, by="customer")
    row = fold(order_id, event, *confirmed(event), cancelled)
    assert (row["status"], *owing(row)) == ("cancelled", 0, False)


def test_a_cancelled_invoice_owes_nothing_until_a_correction_issues_a_new_one() -> None:
    order_id = uuid4()
    event = placed(order_id)
    history: list[IntegrationEvent] = [event, *confirmed(event), handed_over(order_id), issued(order_id, 1)]
    assert owing(fold(order_id, *history, storno(order_id, 2, 1))) == (0, False)
    corrected = [storno(order_id, 2, 1, corrected=True), issued(order_id, 3)]
    assert owing(fold(order_id, *history, *corrected)) == (1070, False)


@pytest.mark.parametrize(
    "later",
    [
        pytest.param(lambda o: [], id="placed only"),
        pytest.param(lambda o: [handed_over(o), issued(o, 1), payment(o, 70, 1000)], id="invoice part paid"),
        pytest.param(
            lambda o: [handed_over(o), issued(o, 1), payment(o, 70, 1000), storno(o, 2, 1)], id="invoice cancelled"
        ),
        pytest.param(lambda o: [handed_over(o, 1000)], id="paid at pickup"),
        pytest.param(lambda o: [payment(o, 300, 700), handed_over(o, 700)], id="part in advance, rest at pickup"),
        pytest.param(
            lambda o: [OrderCancelled(order_id=o, merchant_id=MERCHANT, by="merchant")], id="cancelled after paying"
        ),
    ],
)
def test_the_row_agrees_with_the_order_on_what_is_owed(later: Any) -> None:
    """The inbox and the order's own view must never disagree: both folds over one history."""
    order_id = uuid4()
    event = placed(order_id, voucher_cents=70)
    history = [event, customer(event), *confirmed(event), *later(order_id)]
    order = replay(history)
    assert order is not None
    assert owing(fold(order_id, *history)) == (order.owed_cents, order.paid)


def test_a_row_from_before_the_columns_stays_not_known_rather_than_guessed() -> None:
    """Rows written before ``left_to_pay_cents`` existed have null parts until the rebuild:
    a payment on one cannot know what came in before, so it leaves the row unknown."""
    order_id = uuid4()
    event = placed(order_id)
    old = fold(order_id, event, customer(event), *confirmed(event))
    for column in ("customer_phone", "paid_on_spot_cents", "payments_cents", "invoice_cancelled"):
        old[column] = None
    old.update(left_to_pay_cents=None, paid=None)
    rows = RowSet({(ORDERS.name, str(order_id)): old})
    row = fold(order_id, handed_over(order_id), payment(order_id, 500, 570), rows=rows, first=7)
    assert (row["status"], *owing(row)) == ("fulfilled", None, None)
    assert OrderSummaryOut.of(row).left_to_pay_cents is None


# --- who sees the customer ---------------------------------------------------------------


class _Recording:
    """A connection that notes the query it was sent and answers with one row."""

    def __init__(self, row: Row) -> None:
        self.queries: list[str] = []
        self._row = row

    async def execute(self, query: str, params: Any = None) -> _Recording:
        self.queries.append(query)
        return self

    async def fetchall(self) -> list[Row]:
        return [self._row]


def _listed(caller: Principal, row: Row) -> tuple[str, list[OrderSummaryOut]]:
    import asyncio

    conn = _Recording(row)
    rows = asyncio.run(order_list(conn, caller, view="unpaid", merchant_id=None, limit=10, timezone="Europe/Berlin"))  # type: ignore[arg-type]
    return conn.queries[0], [OrderSummaryOut.of(found) for found in rows]


def test_the_merchant_and_the_association_see_the_customer_and_a_customer_does_not() -> None:
    order_id = uuid4()
    event = placed(order_id)
    row = fold(order_id, event, customer(event), *confirmed(event))
    merchant = Principal(role="merchant", subject=MERCHANT)
    query, (listed,) = _listed(merchant, row)
    assert "customer_phone" in query and "left_to_pay_cents > 0" in query
    assert listed.customer is not None and (listed.customer.name, listed.customer.phone) == (
        "Anna Beispiel",
        "02555 1234",
    )
    assert (listed.left_to_pay_cents, listed.paid) == (1070, False)
    _, (by_association,) = _listed(Principal(role="association", subject=None), row)
    assert by_association.customer is not None

    query, _ = _listed(Principal(role="customer", subject=uuid4()), row)
    assert "customer_name" not in query and "customer_phone" not in query
    own = {key: value for key, value in row.items() if not key.startswith("customer_")}
    assert OrderSummaryOut.of(own).customer is None
