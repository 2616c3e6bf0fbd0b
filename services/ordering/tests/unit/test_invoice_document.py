# SPDX-License-Identifier: AGPL-3.0-or-later
"""The invoice's particulars (§ 14 Abs. 4 UStG): recorded when it is issued, read back from the
order's stream alone; invoices issued before that drawn up from the order as they always were."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from uuid import uuid4
from zoneinfo import ZoneInfo

import pytest

from downtown_events.catalog import Address
from downtown_events.contract import IntegrationEvent, registry
from downtown_events.ordering import Fulfilment, OrderLine, OrderPlaced, Payment, TimeSlot, VatAmount
from ordering.domain import invoice, order
from ordering.domain.errors import InvalidChange
from ordering.domain.facts import MerchantFacts
from ordering.domain.invoice_document import (
    InvoiceLine,
    InvoiceParty,
    document_language,
    legacy_document,
    recorded_document,
)
from ordering.domain.private_events import InvoiceParticularsRecorded, OrderCustomerRecorded

BERLIN = ZoneInfo("Europe/Berlin")
NOW = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
SHOP_ADDRESS = Address(street="Markt 3", postal_code="48624", city="Schöppingen")
SHOP = InvoiceParty(name="Fahrrad Terhaar", address=SHOP_ADDRESS, tax_number="DE123456789", tax_number_kind="vat_id")
HOME = Address(street="Hauptstraße 1", postal_code="48624", city="Schöppingen")
WINDOW = TimeSlot(starts_at=datetime(2026, 3, 3, 22, 30, tzinfo=UTC), ends_at=datetime(2026, 3, 3, 23, 0, tzinfo=UTC))


def history(*, billing: Address | None = HOME, window: TimeSlot | None = WINDOW) -> list[IntegrationEvent]:
    """A confirmed order on invoice, a voucher paying 5 € of it, not invoiced yet."""
    placed = OrderPlaced(
        order_id=uuid4(),
        checkout_id=uuid4(),
        merchant_id=uuid4(),
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
    events: list[IntegrationEvent] = [placed, customer]
    for decide in (
        order.record_stock_reserved,
        lambda s: order.accept(s, now=NOW),
        lambda s: order.record_voucher_redeemed(s, voucher_id=uuid4(), redemption_id=uuid4(), voucher_cents=500),
    ):
        events += decide(order.replay(events))
    return events


def issued(events: list[IntegrationEvent], merchant: MerchantFacts | None = None) -> list[IntegrationEvent]:
    merchant_id = events[0].merchant_id  # type: ignore[attr-defined]
    shop = merchant or MerchantFacts(
        merchant_id, SHOP.name, approved=True, tax_number=SHOP.tax_number or "", address=SHOP.address
    )
    decision = invoice.invoice_order(
        None, order.replay(events), merchant=shop, today=date(2026, 3, 2), standard_vat_percent=19
    )
    return [*events, *decision.order_events]


def test_the_recorded_document_carries_the_particulars_the_law_asks_for() -> None:
    document = recorded_document(issued(history()))
    assert document is not None
    assert (document.number, document.issued_on, document.supplied_on) == (
        "RE-2026-00001",
        date(2026, 3, 2),
        date(2026, 3, 2),
    )
    assert document.seller == SHOP
    assert document.buyer == InvoiceParty(name="Anna Beispiel", address=HOME)
    assert document.lines == (
        InvoiceLine(title="Schlauch", quantity=2, unit_gross_cents=899, gross_cents=1798, vat_rate_percent=19),
    )
    assert document.vat == (VatAmount(rate_percent=19, net_cents=1511, vat_cents=287),)
    assert (document.net_cents, document.vat_cents, document.gross_cents) == (1511, 287, 1798)
    assert (document.voucher_cents, document.due_cents, document.payment_method) == (500, 1298, "invoice")
    assert (document.delivery_fee_cents, document.delivery_fee_vat_percent) == (0, None)
    assert recorded_document(history()) is None


def test_the_recorded_particulars_read_back_from_their_stored_form_unchanged() -> None:
    (recorded,) = [event for event in issued(history()) if isinstance(event, InvoiceParticularsRecorded)]
    stored = recorded.model_dump(mode="json")
    assert registry.decode(recorded.type_name(), recorded.schema_version, stored) == recorded


def test_an_invoice_issued_before_particulars_were_recorded_is_drawn_up_as_it_was() -> None:
    events = [event for event in issued(history()) if not isinstance(event, InvoiceParticularsRecorded)]
    state = order.replay(events)
    assert state is not None
    document = legacy_document(state, seller=SHOP, timezone=BERLIN)
    recorded = recorded_document(issued(history()))
    assert recorded is not None  # the same, but for the date of supply: the pickup window's day
    assert document == recorded.model_copy(update={"supplied_on": date(2026, 3, 3)})  # 23:30 there, still the 3rd
    assert legacy_document(state, seller=SHOP, timezone=BERLIN, supplied_on=date(2026, 3, 4)).supplied_on == date(
        2026, 3, 4
    )
    no_window = order.replay(
        [event for event in issued(history(window=None)) if not isinstance(event, InvoiceParticularsRecorded)]
    )
    assert no_window is not None and legacy_document(no_window, seller=SHOP, timezone=BERLIN).supplied_on is None


def test_an_incomplete_old_invoice_is_refused_rather_than_printed() -> None:
    state = order.replay([e for e in issued(history()) if not isinstance(e, InvoiceParticularsRecorded)])
    assert state is not None
    with pytest.raises(InvalidChange, match="tax number"):
        legacy_document(state, seller=InvoiceParty(name=SHOP.name, address=SHOP.address), timezone=BERLIN)
    with pytest.raises(InvalidChange, match="no invoice yet"):
        legacy_document(order.replay(history()), seller=SHOP, timezone=BERLIN)  # type: ignore[arg-type]
    with pytest.raises(InvalidChange, match="customer's name and address"):
        issued(history(billing=None))


def test_an_orders_documents_print_in_the_language_its_customer_record_names() -> None:
    events = history()
    assert document_language(order.ensure_exists(order.replay(events))) == "de"
    customer = events[1]
    assert isinstance(customer, OrderCustomerRecorded)
    events[1] = customer.model_copy(update={"language": "en"})
    assert document_language(order.ensure_exists(order.replay(events))) == "en"
    # an order without its customer record prints as every document did before: in German
    assert document_language(order.ensure_exists(order.replay([events[0], *events[2:]]))) == "de"
