# SPDX-License-Identifier: AGPL-3.0-or-later
"""What an invoice says: drawn up once, when it is issued, and kept on the order's stream.

§ 14 Abs. 4 UStG asks for: the full name and address of the merchant and of the customer
(Nr. 1), the merchant's tax number or VAT id (Nr. 2), the date of issue (Nr. 3), a unique
sequential number (Nr. 4), quantity and kind of the goods or services (Nr. 5), the date of
supply (Nr. 6), the net amounts per rate (Nr. 7), and the rate and the tax per rate (Nr. 8).

:func:`draw_up` fixes all of it in an :class:`InvoiceDocument` when the invoice is issued
(:mod:`ordering.domain.invoice` appends it as the private ``InvoiceParticularsRecorded`` with
``InvoiceIssued``); the PDF is drawn from that alone, so the same invoice is the same
document on every download, whatever the shop, the customer or the town's settings change
later (a change of an issued invoice is a correction, a new document). Invoices issued
before their particulars were recorded have none on their stream: :func:`legacy_document`
draws them up as they always were, from the order and the merchant as the replica knows it
at the time of asking.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import replace
from datetime import date, tzinfo

from downtown_events.contract import IntegrationEvent
from downtown_events.ordering import InvoiceIssued
from ordering.domain.errors import InvalidChange
from ordering.domain.order import Order
from ordering.domain.private_events import (
    BankAccount,
    InvoiceDocument,
    InvoiceLine,
    InvoiceParticularsRecorded,
    InvoiceParty,
)

__all__ = [
    "InvoiceDocument",
    "InvoiceLine",
    "InvoiceParty",
    "document_language",
    "draw_up",
    "legacy_document",
    "recorded_document",
    "recorded_documents",
]


def draw_up(
    order: Order,
    issued: InvoiceIssued,
    *,
    seller: InvoiceParty,
    supplied_on: date | None,
    delivery_fee_vat_percent: int | None,
    bank: BankAccount | None = None,
    buyer: InvoiceParty | None = None,
) -> InvoiceDocument:
    """The particulars of the order's invoice ``issued``, from ``seller`` as it is now, with
    the account to pay into and the invoice's number as the reference a transfer quotes
    (``buyer``: whom a corrected invoice names instead of the order's customer). A document
    without the seller's tax number or the customer's address is refused rather than issued
    incomplete."""
    if not (seller.tax_number or "").strip():
        raise InvalidChange("an invoice needs the merchant's tax number or VAT id (§ 14 UStG); add it to the shop")
    buyer = buyer or _buyer(order)
    owed = max(0, order.due_cents - order.received_cents)  # what it asks for: payments made before count
    return InvoiceDocument(
        number=issued.invoice_number,
        issued_on=issued.issued_on,
        supplied_on=supplied_on,
        seller=seller,
        buyer=buyer,
        lines=tuple(
            InvoiceLine(
                title=line.title,
                quantity=line.quantity,
                unit_gross_cents=line.unit_price_cents,
                gross_cents=line.gross_cents,
                vat_rate_percent=line.vat_rate_percent,
            )
            for line in order.lines
        ),
        delivery_fee_cents=order.fulfilment.delivery_fee_cents,
        delivery_fee_vat_percent=delivery_fee_vat_percent if order.fulfilment.delivery_fee_cents else None,
        vat=tuple(issued.vat),
        net_cents=issued.net_cents,
        vat_cents=sum(amount.vat_cents for amount in issued.vat),
        gross_cents=issued.gross_cents,
        voucher_cents=order.payment.voucher_cents,
        due_cents=owed,
        payment_method=order.payment.method,
        bank=bank if owed and order.payment.method == "invoice" else None,
        payment_reference=issued.invoice_number if owed else "",
    )


def document_language(order: Order) -> str:
    """The language an order's invoices, cancellation invoices and receipt print in: the
    customer's, as the order records it (German for an order without its customer record,
    as every document printed before documents had a language). Not part of the recorded
    particulars: it is the order's, fixed with it, and the same for every document of it."""
    return order.customer.language if order.customer is not None else "de"


def _buyer(order: Order) -> InvoiceParty:
    customer = order.customer
    address = None if customer is None else customer.billing_address or customer.delivery_address
    if customer is None or address is None:
        raise InvalidChange("an invoice needs the customer's name and address; this order has none")
    return InvoiceParty(name=customer.name, address=address)


def recorded_document(history: Iterable[IntegrationEvent], number: str | None = None) -> InvoiceDocument | None:
    """The invoice (or cancellation invoice) numbered ``number`` as the order's stream
    recorded it when it was issued; without a number its first invoice, as before
    cancellations existed (None: no such document, or one issued before particulars were
    recorded)."""
    for event in history:
        if isinstance(event, InvoiceParticularsRecorded) and number in (None, event.document.number):
            return event.document
    return None


def recorded_documents(history: Iterable[IntegrationEvent]) -> list[InvoiceDocument]:
    """Every invoice and cancellation invoice the order's stream recorded, in the order issued."""
    return [event.document for event in history if isinstance(event, InvoiceParticularsRecorded)]


def legacy_document(
    order: Order, *, seller: InvoiceParty, timezone: tzinfo, supplied_on: date | None = None
) -> InvoiceDocument:
    """An invoice issued before its particulars were recorded, drawn up as it was then: from
    the order, its ``InvoiceIssued``, and ``seller`` as the replica knows the merchant now
    (what that invoice said about the merchant was never kept, so it follows the catalog).
    The date of supply is ``supplied_on`` if known (the day handed over or delivered), else
    the pickup day or the last booked service's day; the delivery fee's rate is the one whose
    amounts show it."""
    issued = order.invoice
    if issued is None:
        raise InvalidChange("this order has no invoice yet")
    fee_rate = next(
        (
            amount.rate_percent
            for amount in issued.vat
            if amount.net_cents + amount.vat_cents - _lines_gross(order, amount.rate_percent)
            == order.fulfilment.delivery_fee_cents
        ),
        None,
    )
    return draw_up(
        replace(order, payments={}),  # as it was then: payments recorded since do not change it
        issued,
        seller=seller,
        supplied_on=supplied_on or _supply_date(order, timezone),
        delivery_fee_vat_percent=fee_rate,
    )


def _lines_gross(order: Order, rate_percent: int) -> int:
    return sum(line.gross_cents for line in order.lines if line.vat_rate_percent == rate_percent)


def _supply_date(order: Order, timezone: tzinfo) -> date | None:
    window = order.fulfilment.pickup_window
    if window is not None:
        return window.starts_at.astimezone(timezone).date()
    slots = [line.slot.starts_at for line in order.lines if line.slot is not None]
    return max(slots).astimezone(timezone).date() if slots else None
