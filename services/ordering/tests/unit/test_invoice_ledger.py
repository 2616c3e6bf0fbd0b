# SPDX-License-Identifier: AGPL-3.0-or-later
"""The merchant's invoices as a read model: a row per document written when it is issued, and
per order what is due and what came in, from which the list says what is open."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from itertools import count
from uuid import UUID, uuid4

from downtown_events.contract import IntegrationEvent
from downtown_events.ordering import (
    Fulfilment,
    InvoiceCancelled,
    InvoiceIssued,
    OrderLine,
    OrderPaymentRecorded,
    OrderPlaced,
    Payment,
    VatAmount,
)
from downtown_events.runtime.projection import RowSet
from downtown_events.runtime.records import ReceivedEvent
from ordering.domain.private_events import OrderCustomerRecorded
from ordering.projections.invoices import INVOICE_ORDERS, INVOICES, InvoiceLedger, invoice_id
from tests.support.received import received as received_event

START = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
MERCHANT = uuid4()
VAT = [VatAmount(rate_percent=7, net_cents=1000, vat_cents=70)]
_offsets = count()


def received(event: IntegrationEvent, stream: UUID, version: int) -> ReceivedEvent:
    return received_event(event, stream, at=START + timedelta(minutes=version), version=version)


def stream(order_id: UUID, *events: IntegrationEvent) -> list[ReceivedEvent]:
    return [received(event, order_id, version) for version, event in enumerate(events, start=1)]


def placed(order_id: UUID, voucher_cents: int = 0) -> OrderPlaced:
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
            method="invoice", voucher_cents=voucher_cents, voucher_authorization_id=uuid4() if voucher_cents else None
        ),
        goods_cents=1070,
        total_cents=1070,
        merchant_answer_by=START + timedelta(hours=2),
        cancellable_until=START + timedelta(minutes=30),
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


def paid(order_id: UUID, cents: int, left: int) -> OrderPaymentRecorded:
    return OrderPaymentRecorded(
        order_id=order_id,
        merchant_id=MERCHANT,
        payment_id=uuid4(),
        received_by="bank_transfer",
        amount_cents=cents,
        paid_on=date(2026, 3, 5),
        left_to_pay_cents=left,
    )


def customer(event: OrderPlaced) -> OrderCustomerRecorded:
    return OrderCustomerRecorded(
        order_id=event.order_id, checkout_id=event.checkout_id, name="Firma Beispiel", email="e@b.de"
    )


def test_an_invoice_is_open_until_payments_reach_what_is_due() -> None:
    order_id = uuid4()
    event = placed(order_id, voucher_cents=70)
    rows = InvoiceLedger().fold(
        RowSet(), stream(order_id, event, customer(event), issued(order_id, 1), paid(order_id, 600, 400))
    )
    document = rows.get(INVOICES, invoice_id(order_id, "RE-2026-00001"))
    assert document is not None
    assert (document["kind"], document["customer_name"], document["gross_cents"], document["sequence"]) == (
        "invoice",
        "Firma Beispiel",
        1070,
        1,
    )
    owed = rows.get(INVOICE_ORDERS, order_id)
    assert owed is not None and (owed["due_cents"], owed["received_cents"]) == (1000, 600)

    rows = InvoiceLedger().fold(rows, [received(paid(order_id, 400, 0), order_id, 6)])
    owed = rows.get(INVOICE_ORDERS, order_id)
    assert owed is not None and owed["received_cents"] == owed["due_cents"] == 1000


def test_a_cancellation_is_a_row_of_its_own_with_the_amount_negated_and_marks_what_it_cancels() -> None:
    order_id = uuid4()
    event = placed(order_id)
    cancelled = InvoiceCancelled(
        order_id=order_id,
        merchant_id=MERCHANT,
        invoice_number="RE-2026-00002",
        sequence=2,
        issued_on=date(2026, 3, 9),
        cancels_invoice_number="RE-2026-00001",
        net_cents=1000,
        vat=VAT,
        gross_cents=1070,
    )
    rows = InvoiceLedger().fold(RowSet(), stream(order_id, event, customer(event), issued(order_id, 1), cancelled))
    original = rows.get(INVOICES, invoice_id(order_id, "RE-2026-00001"))
    storno = rows.get(INVOICES, invoice_id(order_id, "RE-2026-00002"))
    assert original is not None and original["cancelled_by_number"] == "RE-2026-00002"
    assert storno is not None
    assert (storno["kind"], storno["gross_cents"], storno["cancels_number"]) == ("cancellation", -1070, "RE-2026-00001")


def test_the_ledger_touches_the_rows_its_events_name_and_nothing_for_other_events() -> None:
    order_id = uuid4()
    cancelled = InvoiceCancelled(
        order_id=order_id,
        merchant_id=MERCHANT,
        invoice_number="RE-2026-00002",
        sequence=2,
        issued_on=date(2026, 3, 9),
        cancels_invoice_number="RE-2026-00001",
        net_cents=1000,
        vat=VAT,
        gross_cents=1070,
    )
    touched = set(InvoiceLedger().touches(received(cancelled, order_id, 5)))
    assert touched == {
        (INVOICE_ORDERS, order_id),
        (INVOICES, invoice_id(order_id, "RE-2026-00002")),
        (INVOICES, invoice_id(order_id, "RE-2026-00001")),
    }
