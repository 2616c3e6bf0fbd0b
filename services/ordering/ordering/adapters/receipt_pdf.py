# SPDX-License-Identifier: AGPL-3.0-or-later
"""A receipt (Quittung) as a PDF: drawn from the :class:`~ordering.domain.receipt.Receipt`
recorded when the order was paid, with the invoice's fonts, layout habits and money format
(:mod:`ordering.adapters.invoice_pdf`). Its labels are messages of ordering's catalogues, in
the customer's language with the other beside them, as the invoice prints its own
(:class:`~ordering.adapters.invoice_pdf.Words`)."""

from __future__ import annotations

import io

from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.platypus import Flowable, Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

from downtown_events.runtime.texts import Texts
from ordering.adapters.invoice_pdf import (
    _BOLD_RIGHT,
    _CELL,
    _H1,
    _HEAD,
    _MARGIN,
    _PAYMENT,
    _RIGHT,
    _SMALL,
    _TEXT,
    _WIDTH,
    ALL_PRICES_INCLUDE_VAT,
    COURIER,
    PAID_BY_VOUCHER,
    Words,
    _address,
    _tax_number,
    _text,
)
from ordering.app.notifications import N_, mail_texts
from ordering.domain.private_events import Receipt


def render_receipt_pdf(receipt: Receipt, language: str = "de", texts: Texts | None = None) -> bytes:
    """The receipt as a PDF document in ``language`` (the customer's), worded by ``texts``
    (the town's; None: ordering's own). The same receipt, language and texts always give the
    same bytes."""
    words = Words(language, texts or mail_texts())
    story: list[Flowable] = [
        Paragraph(_seller(receipt, words), _TEXT),
        Spacer(0, 6 * mm),
        Paragraph(words.both(N_("Receipt")), _H1),
        _facts(receipt, words),
        Spacer(0, 6 * mm),
        _lines(receipt, words),
        Spacer(0, 6 * mm),
        Paragraph(words.both(ALL_PRICES_INCLUDE_VAT), _SMALL),
    ]
    buffer = io.BytesIO()
    pdf = SimpleDocTemplate(
        buffer,
        pagesize=A4,
        leftMargin=_MARGIN,
        rightMargin=_MARGIN,
        topMargin=_MARGIN,
        bottomMargin=_MARGIN,
        title=f"{words.one(N_('Receipt'))} {receipt.number}",
        author=receipt.seller.name,
        creator="Downtown ordering",
        lang=words.pdf_lang,
        invariant=True,
    )
    pdf.build(story)
    return buffer.getvalue()


def _seller(receipt: Receipt, words: Words) -> str:
    seller = receipt.seller
    text = _address(seller)
    if seller.tax_number:
        text += f"<br/>{_tax_number(seller, words)}"
    return text


def _facts(receipt: Receipt, words: Words) -> Table:
    rows = [
        (words.both(N_("Order")), _text(receipt.number, 40)),
        (words.both(N_("Paid on")), words.date(receipt.paid_on)),
        (words.both(N_("Paid")), words.both(_PAYMENT[receipt.payment_method])),
    ]
    if receipt.buyer_name:
        rows.append((words.both(N_("Customer")), _text(receipt.buyer_name)))
    table = Table(
        [[Paragraph(label, _HEAD), Paragraph(value, _CELL)] for label, value in rows],
        colWidths=[_WIDTH * 0.4, _WIDTH * 0.6],
    )
    table.setStyle(TableStyle([("LEFTPADDING", (0, 0), (-1, -1), 0)]))
    return table


def _row(label: str, amount: str, style: ParagraphStyle = _RIGHT, rate: str = "") -> list[Paragraph]:
    return [Paragraph(label, _CELL), Paragraph(rate, _RIGHT), Paragraph(amount, style)]


def _lines(receipt: Receipt, words: Words) -> Table:
    money = words.money
    rows = [
        _row(f"{line.quantity} × {_text(line.title, 120)}", money(line.gross_cents), rate=f"{line.vat_rate_percent} %")
        for line in receipt.lines
    ]
    if receipt.delivery_fee_cents:
        rate = receipt.delivery_fee_vat_percent
        rows.append(
            _row(words.both(COURIER), money(receipt.delivery_fee_cents), rate="" if rate is None else f"{rate} %")
        )
    for amount in receipt.vat:
        label = words.both(
            N_("Including VAT %(rate)s %% on %(net)s net"), rate=amount.rate_percent, net=money(amount.net_cents)
        )
        rows.append(_row(label, money(amount.vat_cents)))
    rows.append(_row(words.both(N_("Total")), money(receipt.gross_cents), _BOLD_RIGHT))
    if receipt.voucher_cents:
        rows.append(_row(words.both(PAID_BY_VOUCHER), money(-receipt.voucher_cents)))
    rows.append(_row(words.both(N_("Received with thanks")), money(receipt.paid_cents), _BOLD_RIGHT))
    table = Table(rows, colWidths=[_WIDTH * 0.62, _WIDTH * 0.13, _WIDTH * 0.25])
    table.setStyle(TableStyle([("VALIGN", (0, 0), (-1, -1), "TOP")]))
    return table
