# SPDX-License-Identifier: AGPL-3.0-or-later
"""A receipt (Quittung) as a PDF: drawn from the :class:`~ordering.domain.receipt.Receipt`
recorded when the order was paid, with the invoice's fonts, layout habits and money format
(:mod:`ordering.adapters.invoice_pdf`); its labels come from ordering's catalogues, German
then English, as :func:`~ordering.adapters.invoice_pdf.both` prints them."""

from __future__ import annotations

import io

from reportlab.lib.pagesizes import A4
from reportlab.lib.units import mm
from reportlab.platypus import Flowable, Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

from downtown_events.money import format_money
from ordering.adapters.invoice_pdf import (
    _BOLD_RIGHT,
    _CELL,
    _H1,
    _HEAD,
    _MARGIN,
    _PAYMENT,
    _RIGHT,
    _SMALL,
    _TAX_NUMBER,
    _TEXT,
    _WIDTH,
    _address,
    _date,
    _text,
    both,
)
from ordering.app.notifications import N_
from ordering.domain.private_events import Receipt


def render_receipt_pdf(receipt: Receipt) -> bytes:
    """The receipt as a PDF document (the same receipt always gives the same bytes)."""
    story: list[Flowable] = [
        Paragraph(_seller(receipt), _TEXT),
        Spacer(0, 6 * mm),
        Paragraph(both(N_("Receipt")), _H1),
        _facts(receipt),
        Spacer(0, 6 * mm),
        _lines(receipt),
        Spacer(0, 6 * mm),
        Paragraph("Alle Preise enthalten die gesetzliche Umsatzsteuer. / All prices include VAT.", _SMALL),
    ]
    buffer = io.BytesIO()
    pdf = SimpleDocTemplate(
        buffer,
        pagesize=A4,
        leftMargin=_MARGIN,
        rightMargin=_MARGIN,
        topMargin=_MARGIN,
        bottomMargin=_MARGIN,
        title=f"Quittung {receipt.number}",
        author=receipt.seller.name,
        creator="Downtown ordering",
        lang="de-DE",
        invariant=True,
    )
    pdf.build(story)
    return buffer.getvalue()


def _seller(receipt: Receipt) -> str:
    seller = receipt.seller
    text = _address(seller)
    if seller.tax_number:
        text += f"<br/>{_TAX_NUMBER[seller.tax_number_kind]}: {_text(seller.tax_number, 40)}"
    return text


def _facts(receipt: Receipt) -> Table:
    rows = [
        (both(N_("Order")), _text(receipt.number, 40)),
        (both(N_("Paid on")), _date(receipt.paid_on)),
        (both(N_("Paid")), _PAYMENT[receipt.payment_method]),
    ]
    if receipt.buyer_name:
        rows.append((both(N_("Customer")), _text(receipt.buyer_name)))
    table = Table(
        [[Paragraph(label, _HEAD), Paragraph(value, _CELL)] for label, value in rows],
        colWidths=[_WIDTH * 0.4, _WIDTH * 0.6],
    )
    table.setStyle(TableStyle([("LEFTPADDING", (0, 0), (-1, -1), 0)]))
    return table


def _lines(receipt: Receipt) -> Table:
    rows: list[list[Paragraph]] = []
    for line in receipt.lines:
        rows.append(
            [
                Paragraph(f"{line.quantity} × {_text(line.title, 120)}", _CELL),
                Paragraph(f"{line.vat_rate_percent} %", _RIGHT),
                Paragraph(format_money(line.gross_cents, "de"), _RIGHT),
            ]
        )
    if receipt.delivery_fee_cents:
        rate = receipt.delivery_fee_vat_percent
        rows.append(
            [
                Paragraph("Lieferung durch Kurier / Courier delivery", _CELL),
                Paragraph("" if rate is None else f"{rate} %", _RIGHT),
                Paragraph(format_money(receipt.delivery_fee_cents, "de"), _RIGHT),
            ]
        )
    for amount in receipt.vat:
        rate = amount.rate_percent
        label = both(
            N_("Including VAT %(rate)s %% on %(net)s net"), rate=rate, net=format_money(amount.net_cents, "de")
        )
        rows.append(
            [Paragraph(label, _CELL), Paragraph("", _RIGHT), Paragraph(format_money(amount.vat_cents, "de"), _RIGHT)]
        )
    rows.append(
        [
            Paragraph(both(N_("Total")), _CELL),
            Paragraph("", _RIGHT),
            Paragraph(format_money(receipt.gross_cents, "de"), _BOLD_RIGHT),
        ]
    )
    if receipt.voucher_cents:
        voucher = format_money(-receipt.voucher_cents, "de")
        rows.append(
            [
                Paragraph("Mit Gutschein bezahlt / Paid by voucher", _CELL),
                Paragraph("", _RIGHT),
                Paragraph(voucher, _RIGHT),
            ]
        )
    paid = format_money(receipt.paid_cents, "de")
    rows.append(
        [Paragraph(both(N_("Received with thanks")), _CELL), Paragraph("", _RIGHT), Paragraph(paid, _BOLD_RIGHT)]
    )
    table = Table(rows, colWidths=[_WIDTH * 0.62, _WIDTH * 0.13, _WIDTH * 0.25])
    table.setStyle(TableStyle([("VALIGN", (0, 0), (-1, -1), "TOP")]))
    return table
