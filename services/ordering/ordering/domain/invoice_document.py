"""What an invoice says, assembled from the order and its ``InvoiceIssued`` for the PDF adapter.

§ 14 Abs. 4 UStG asks for: the full name and address of the merchant and of the customer
(Nr. 1), the merchant's tax number or VAT id (Nr. 2), the date of issue (Nr. 3), a unique
sequential number (Nr. 4), quantity and kind of the goods or services (Nr. 5), the date of
supply (Nr. 6), the net amounts per rate (Nr. 7), and the rate and the tax per rate (Nr. 8).
The catalog's contract carries no tax number, so the app passes it with the merchant's
details; a document without one is refused rather than printed incomplete.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, tzinfo

from downtown_events.catalog import Address
from downtown_events.ordering import PaymentMethod, VatAmount
from ordering.domain.errors import InvalidChange
from ordering.domain.order import Order


@dataclass(frozen=True)
class InvoiceParty:
    name: str
    address: Address = field(repr=False)
    tax_number: str = ""
    """The merchant's Steuernummer or USt-IdNr.; none for the customer."""


@dataclass(frozen=True)
class InvoiceLine:
    title: str
    quantity: int
    unit_gross_cents: int
    gross_cents: int
    vat_rate_percent: int


@dataclass(frozen=True)
class InvoiceDocument:
    number: str
    issued_on: date
    supplied_on: date | None
    """None: supplied on the day of issue (the PDF says so)."""
    seller: InvoiceParty
    buyer: InvoiceParty
    lines: tuple[InvoiceLine, ...]
    delivery_fee_cents: int
    vat: tuple[VatAmount, ...]
    net_cents: int
    vat_cents: int
    gross_cents: int
    voucher_cents: int
    due_cents: int
    payment_method: PaymentMethod


def invoice_document(
    order: Order, *, seller: InvoiceParty, timezone: tzinfo, supplied_on: date | None = None
) -> InvoiceDocument:
    """The particulars of the order's invoice. The date of supply is ``supplied_on`` if the
    app knows it (the day delivered), else the pickup day or the last booked service's day."""
    issued = order.invoice
    if issued is None:
        raise InvalidChange("this order has no invoice yet")
    if not seller.tax_number.strip():
        raise InvalidChange("an invoice needs the merchant's tax number or VAT id (§ 14 UStG); add it to the shop")
    customer = order.customer
    address = None if customer is None else customer.billing_address or customer.delivery_address
    if customer is None or address is None:
        raise InvalidChange("an invoice needs the customer's name and address; this order has none")
    return InvoiceDocument(
        number=issued.invoice_number,
        issued_on=issued.issued_on,
        supplied_on=supplied_on or _supply_date(order, timezone),
        seller=seller,
        buyer=InvoiceParty(customer.name, address),
        lines=tuple(
            InvoiceLine(line.title, line.quantity, line.unit_price_cents, line.gross_cents, line.vat_rate_percent)
            for line in order.lines
        ),
        delivery_fee_cents=order.fulfilment.delivery_fee_cents,
        vat=tuple(issued.vat),
        net_cents=issued.net_cents,
        vat_cents=sum(amount.vat_cents for amount in issued.vat),
        gross_cents=issued.gross_cents,
        voucher_cents=order.payment.voucher_cents,
        due_cents=order.due_cents,
        payment_method=order.payment.method,
    )


def _supply_date(order: Order, timezone: tzinfo) -> date | None:
    window = order.fulfilment.pickup_window
    if window is not None:
        return window.starts_at.astimezone(timezone).date()
    slots = [line.slot.starts_at for line in order.lines if line.slot is not None]
    return max(slots).astimezone(timezone).date() if slots else None
