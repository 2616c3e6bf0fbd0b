# SPDX-License-Identifier: AGPL-3.0-or-later
"""A receipt (Quittung) for an order paid in full at the shop or the door.

An order paid on invoice has its invoice; one paid on the spot may want a receipt (for a
customer's expenses, a small business's books). It says who sold what at which rate of VAT,
the amounts per rate, what was paid, when and how (the particulars a small-amount invoice
needs, § 33 UStDV). Like an invoice it is fixed when the money is taken: drawn up in the unit
of work that hands the order over or delivers it, and kept on the order's stream as the
private ``ReceiptParticularsRecorded``; every copy is drawn from that.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date

from downtown_events.contract import IntegrationEvent
from downtown_events.references import order_reference
from ordering.domain.errors import InvalidChange
from ordering.domain.facts import MerchantFacts
from ordering.domain.invoice import vat_breakdown
from ordering.domain.invoice_issuer import tax_number_kind
from ordering.domain.order import Order
from ordering.domain.private_events import (
    InvoiceLine,
    InvoiceParty,
    Receipt,
    ReceiptParticularsRecorded,
)


def receipt_number(order: Order) -> str:
    """The order's short reference, as its mails name it."""
    return order_reference(order.order_id)


def ensure_receipt_due(order: Order) -> None:
    """A receipt is for an order paid in full on the spot, once it is fulfilled."""
    if order.payment.method == "invoice":
        raise InvalidChange("this order is paid on invoice; its invoice is its receipt")
    if order.ended or not order.fulfilled:
        raise InvalidChange("this order has not been handed over or delivered; its receipt follows then")
    if not order.paid:
        raise InvalidChange("this order is not paid in full yet; its receipt follows the payment")


def seller_of(merchant: MerchantFacts | None) -> InvoiceParty:
    """The merchant as its receipt names it (its tax number if it has one)."""
    if merchant is None or merchant.address is None:
        raise InvalidChange("a receipt names the shop's address; the catalog has none for this shop")
    number = merchant.tax_number.strip() or None
    kind = None if number is None else tax_number_kind(number, merchant.tax_number_kind)
    return InvoiceParty(name=merchant.name, address=merchant.address, tax_number=number, tax_number_kind=kind)


def draw_up_receipt(order: Order, *, seller: InvoiceParty, paid_on: date, standard_vat_percent: int) -> Receipt:
    """The receipt of the paid order as of ``paid_on``."""
    ensure_receipt_due(order)
    fee = order.fulfilment.delivery_fee_cents
    return Receipt(
        number=receipt_number(order),
        paid_on=paid_on,
        seller=seller,
        buyer_name=order.customer.name if order.customer is not None else "",
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
        delivery_fee_cents=fee,
        delivery_fee_vat_percent=standard_vat_percent if fee else None,
        vat=tuple(vat_breakdown(order.lines, fee, standard_vat_percent)),
        gross_cents=order.total_cents,
        voucher_cents=order.payment.voucher_cents,
        paid_cents=order.received_cents,
        payment_method=order.payment.method,
    )


def record_receipt(
    order: Order, merchant: MerchantFacts | None, *, today: date, standard_vat_percent: int
) -> list[IntegrationEvent]:
    """The receipt of an order its handing over or delivery just paid in full, if the shop
    can be named on it; none otherwise (the receipt is then drawn when asked for)."""
    try:
        seller = seller_of(merchant)
        ensure_receipt_due(order)
    except InvalidChange:
        return []
    receipt = draw_up_receipt(order, seller=seller, paid_on=today, standard_vat_percent=standard_vat_percent)
    return [ReceiptParticularsRecorded(order_id=order.order_id, merchant_id=order.merchant_id, receipt=receipt)]


def recorded_receipt(history: Iterable[IntegrationEvent]) -> Receipt | None:
    return next((event.receipt for event in history if isinstance(event, ReceiptParticularsRecorded)), None)
