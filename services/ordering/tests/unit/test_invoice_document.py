"""The invoice's particulars (§ 14 Abs. 4 UStG) from the order and its InvoiceIssued."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from uuid import uuid4
from zoneinfo import ZoneInfo

import pytest

from downtown_events.catalog import Address
from downtown_events.contract import IntegrationEvent
from downtown_events.ordering import Fulfilment, OrderLine, OrderPlaced, Payment, TimeSlot, VatAmount
from ordering.domain import invoice, order
from ordering.domain.errors import InvalidChange
from ordering.domain.invoice_document import InvoiceLine, InvoiceParty, invoice_document
from ordering.domain.order import Order
from ordering.domain.private_events import OrderCustomerRecorded

BERLIN = ZoneInfo("Europe/Berlin")
NOW = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
SHOP = InvoiceParty(
    "Fahrrad Terhaar", Address(street="Markt 3", postal_code="48624", city="Schöppingen"), tax_number="DE123456789"
)
HOME = Address(street="Hauptstraße 1", postal_code="48624", city="Schöppingen")
WINDOW = TimeSlot(starts_at=datetime(2026, 3, 3, 22, 30, tzinfo=UTC), ends_at=datetime(2026, 3, 3, 23, 0, tzinfo=UTC))


def invoiced(*, billing: Address | None = HOME, window: TimeSlot | None = WINDOW) -> Order:
    merchant = uuid4()
    placed = OrderPlaced(
        order_id=uuid4(),
        checkout_id=uuid4(),
        merchant_id=merchant,
        lines=[
            OrderLine(
                offer_id=uuid4(),
                kind="product",
                title="Schlauch",
                quantity=2,
                unit_price_cents=899,
                vat_rate_percent=19,
            )
        ],
        fulfilment=Fulfilment(method="pickup", pickup_window=window),
        payment=Payment(method="invoice", voucher_authorization_id=uuid4(), voucher_cents=500),
        goods_cents=1798,
        total_cents=1798,
        merchant_answer_by=NOW + timedelta(hours=2),
        cancellable_until=NOW + timedelta(minutes=30),
    )
    customer = OrderCustomerRecorded(
        order_id=placed.order_id,
        checkout_id=placed.checkout_id,
        name="Anna Beispiel",
        email="a@b.de",
        billing_address=billing,
    )
    history: list[IntegrationEvent] = [placed, customer]
    for decide in (
        order.record_stock_reserved,
        lambda s: order.accept(s, now=NOW),
        lambda s: order.record_voucher_redeemed(s, voucher_id=uuid4(), redemption_id=uuid4(), voucher_cents=500),
    ):
        history += decide(order.replay(history))
    decision = invoice.invoice_order(None, order.replay(history), today=date(2026, 3, 2), standard_vat_percent=19)
    state = order.replay([*history, *decision.order_events])
    assert state is not None
    return state


def test_the_document_carries_the_particulars_the_law_asks_for() -> None:
    document = invoice_document(invoiced(), seller=SHOP, timezone=BERLIN)
    assert (document.number, document.issued_on) == ("RE-2026-00001", date(2026, 3, 2))
    assert document.supplied_on == date(2026, 3, 3)  # 23:30 in Schöppingen, still the 3rd
    assert document.seller == SHOP and (document.buyer.name, document.buyer.address) == ("Anna Beispiel", HOME)
    assert document.lines == (InvoiceLine("Schlauch", 2, 899, 1798, 19),)
    assert document.vat == (VatAmount(rate_percent=19, net_cents=1511, vat_cents=287),)
    assert (document.net_cents, document.vat_cents, document.gross_cents) == (1511, 287, 1798)
    assert (document.voucher_cents, document.due_cents, document.payment_method) == (500, 1298, "invoice")
    assert invoice_document(invoiced(window=None), seller=SHOP, timezone=BERLIN).supplied_on is None
    given = invoice_document(invoiced(), seller=SHOP, timezone=BERLIN, supplied_on=date(2026, 3, 4))
    assert given.supplied_on == date(2026, 3, 4)


def test_an_incomplete_invoice_is_refused_rather_than_printed() -> None:
    with pytest.raises(InvalidChange, match="tax number"):
        invoice_document(invoiced(), seller=InvoiceParty(SHOP.name, SHOP.address), timezone=BERLIN)
    with pytest.raises(InvalidChange, match="customer's name and address"):
        invoice_document(invoiced(billing=None), seller=SHOP, timezone=BERLIN)
    with pytest.raises(InvalidChange, match="no invoice yet"):
        invoice_document(replace(invoiced(), invoice=None), seller=SHOP, timezone=BERLIN)
