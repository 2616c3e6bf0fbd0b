# SPDX-License-Identifier: AGPL-3.0-or-later
"""An order's invoice as a PDF: the particulars § 14 Abs. 4 UStG asks for, on one A4 page or more.

Drawn with reportlab, as the vouchers' documents are (the same library and habits: the
kit's embedded fonts, so a name in Cyrillic, Chinese or with an emoji prints as written
(:mod:`downtown_events.runtime.pdf_text`); reportlab's ``invariant`` mode, so the same
invoice gives the same bytes; every typed text escaped before it meets paragraph markup,
stripped of control and invisible characters and cut to length). German, with English
labels beside the German ones; amounts in German notation, exact to the cent, as
:func:`downtown_events.money.format_money` writes them for every mail, document and page.

It draws the :class:`~ordering.domain.invoice_document.InvoiceDocument` recorded when the
invoice was issued and nothing else, so every download of one invoice is the same PDF.

What it shows: the merchant (name, address, tax number or VAT id) and the customer (name,
address); the invoice's number, date of issue and date of supply; every line with quantity,
description, unit price, VAT rate and amount (prices include VAT, as the shop showed them);
the delivery fee; per VAT rate the net amount and the tax; the totals; what a voucher paid
and what is left to pay, and how: the merchant's bank account and the payment reference
(the invoice's number) when it asks for a transfer. A cancellation invoice (Stornorechnung)
says which invoice it cancels and prints its amounts negated. The labels these added come
from ordering's catalogues (German, then the English message id), through :func:`both`.
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from datetime import date

from reportlab.lib import colors
from reportlab.lib.enums import TA_RIGHT
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.platypus import Flowable, Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

from downtown_events.money import format_money
from downtown_events.ordering import PaymentMethod
from downtown_events.runtime.pdf_text import SANS, SANS_BOLD, markup, register_fonts
from ordering.app.notifications import N_, NAME_LIMIT, clean, mail_texts
from ordering.domain.invoice_document import InvoiceDocument, InvoiceParty

register_fonts()  # the styles here name the kit's fonts, resolved as each paragraph is made
_MARGIN = 20 * mm
_WIDTH = A4[0] - 2 * _MARGIN
_GREY = colors.HexColor("#555555")
_H1 = ParagraphStyle("h1", fontName=SANS_BOLD, fontSize=18, leading=22, spaceAfter=2 * mm)
_TEXT = ParagraphStyle("text", fontName=SANS, fontSize=10, leading=13)
_SMALL = ParagraphStyle("small", fontName=SANS, fontSize=8, leading=10, textColor=_GREY)
_CELL = ParagraphStyle("cell", fontName=SANS, fontSize=9, leading=11)
_RIGHT = ParagraphStyle("right", parent=_CELL, alignment=TA_RIGHT)
_HEAD = ParagraphStyle("head", parent=_CELL, fontSize=8, textColor=_GREY)
_HEAD_RIGHT = ParagraphStyle("head-right", parent=_HEAD, alignment=TA_RIGHT)
_BOLD_RIGHT = ParagraphStyle("bold-right", parent=_RIGHT, fontName=SANS_BOLD)
_TITLE_LIMIT = 120
_NUMBER_LIMIT = 40
_PAYMENT: dict[PaymentMethod, str] = {
    "invoice": "per Überweisung / by bank transfer",
    "at_pickup": "bei Abholung / at pickup",
    "cash_at_door": "bar an der Tür / in cash at the door",
    "card_at_door": "mit Karte an der Tür / by card at the door",
    "voucher": "mit Gutschein / by voucher",
}
_TAX_NUMBER = {
    "vat_id": "USt-IdNr. / VAT id",
    "tax_number": "Steuernummer / Tax number",
    None: "St.-Nr. / USt-IdNr. (tax number)",
}


def both(message: str, **values: object) -> str:
    """A label as the documents print them: German from ordering's catalogue, then the
    English message id (one of them if they read alike). Values are paragraph markup."""
    german = str(mail_texts().translations("de").gettext(message)) % values
    english = message % values
    return german if german == english else f"{german} / {english}"


def _title(document: InvoiceDocument) -> str:
    """The document's name, German large and the English beside it smaller."""
    title = N_("Cancellation invoice") if document.kind == "cancellation" else N_("Invoice")
    german, _, english = both(title).partition(" / ")
    return f"{german} <font size=11 color='#555555'>/ {english or german}</font>"


def render_invoice_pdf(document: InvoiceDocument) -> bytes:
    """The invoice as a PDF document (the same document always gives the same bytes)."""
    number = clean(document.number, _NUMBER_LIMIT)
    seller = clean(document.seller.name, NAME_LIMIT)
    story: list[Flowable] = [
        _head(document),
        Spacer(0, 6 * mm),
        Paragraph(_title(document), _H1),
        _facts(document),
        Spacer(0, 6 * mm),
        _lines(document),
        Spacer(0, 4 * mm),
        _totals(document),
        Spacer(0, 6 * mm),
        *_payment(document),
    ]
    buffer = io.BytesIO()
    pdf = SimpleDocTemplate(
        buffer,
        pagesize=A4,
        leftMargin=_MARGIN,
        rightMargin=_MARGIN,
        topMargin=_MARGIN,
        bottomMargin=_MARGIN,
        title=f"Rechnung {number}",
        subject=f"Rechnung {number} von {seller}",
        author=seller,
        creator="Downtown ordering",
        lang="de-DE",
        invariant=True,
    )
    pdf.build(story)
    return buffer.getvalue()


def _date(day: date) -> str:
    """A date as the (German) invoice writes every date: ``02.03.2026``."""
    return day.strftime("%d.%m.%Y")


def _text(value: str, limit: int = NAME_LIMIT) -> str:
    """Typed text as paragraph markup that can only ever mean that text, each character in
    a font that has it (the paragraph's own regular font first)."""
    return markup(clean(value, limit), SANS)


def _address(party: InvoiceParty) -> str:
    address = party.address
    lines = [_text(party.name), _text(address.street, 200), _text(f"{address.postal_code} {address.city}", 200)]
    return "<br/>".join(lines)


def _head(document: InvoiceDocument) -> Table:
    """Left: the customer (the letter's recipient); right: the merchant and its tax number."""
    buyer = Paragraph(
        "<font size=8 color='#555555'>Rechnung an / Billed to</font><br/>" + _address(document.buyer), _TEXT
    )
    seller = document.seller
    tax = f"{_TAX_NUMBER[seller.tax_number_kind]}: {_text(seller.tax_number or '', 40)}"
    issuer = Paragraph(
        "<font size=8 color='#555555'>Rechnungssteller / Issued by</font><br/>" + _address(seller) + f"<br/>{tax}",
        _TEXT,
    )
    table = Table([[buyer, issuer]], colWidths=[_WIDTH * 0.5, _WIDTH * 0.5])
    table.setStyle(TableStyle([("VALIGN", (0, 0), (-1, -1), "TOP"), ("LEFTPADDING", (0, 0), (-1, -1), 0)]))
    return table


def _facts(document: InvoiceDocument) -> Table:
    supplied = (
        _date(document.supplied_on)
        if document.supplied_on is not None
        else "entspricht dem Rechnungsdatum / same as the invoice date"
    )
    rows = [
        ("Rechnungsnummer / Invoice number", _text(document.number, _NUMBER_LIMIT)),
        ("Rechnungsdatum / Date of issue", _date(document.issued_on)),
        ("Leistungsdatum / Date of supply", supplied),
    ]
    if document.cancels_number:
        cancelled = _text(document.cancels_number, _NUMBER_LIMIT)
        issued = f" ({_date(document.cancels_issued_on)})" if document.cancels_issued_on else ""
        rows.append((both(N_("Cancels invoice")), cancelled + issued))
    table = Table(
        [[Paragraph(label, _HEAD), Paragraph(value, _CELL)] for label, value in rows],
        colWidths=[_WIDTH * 0.4, _WIDTH * 0.6],
    )
    table.setStyle(TableStyle([("LEFTPADDING", (0, 0), (-1, -1), 0), ("VALIGN", (0, 0), (-1, -1), "TOP")]))
    return table


def _sign(document: InvoiceDocument) -> int:
    """A cancellation invoice states the amounts of the invoice it cancels negated."""
    return -1 if document.kind == "cancellation" else 1


def _lines(document: InvoiceDocument) -> Table:
    sign = _sign(document)
    head = [
        Paragraph("Pos.", _HEAD),
        Paragraph("Menge<br/>Qty", _HEAD_RIGHT),
        Paragraph("Bezeichnung / Description", _HEAD),
        Paragraph("Einzelpreis<br/>Unit price", _HEAD_RIGHT),
        Paragraph("USt<br/>VAT", _HEAD_RIGHT),
        Paragraph("Betrag<br/>Amount", _HEAD_RIGHT),
    ]
    rows: list[Sequence[Flowable]] = [head]
    for position, line in enumerate(document.lines, start=1):
        rows.append(
            [
                Paragraph(str(position), _CELL),
                Paragraph(str(line.quantity), _RIGHT),
                Paragraph(_text(line.title, _TITLE_LIMIT), _CELL),
                Paragraph(format_money(line.unit_gross_cents, "de"), _RIGHT),
                Paragraph(f"{line.vat_rate_percent} %", _RIGHT),
                Paragraph(format_money(sign * line.gross_cents, "de"), _RIGHT),
            ]
        )
    if document.delivery_fee_cents:
        rate = document.delivery_fee_vat_percent
        rows.append(
            [
                Paragraph(str(len(document.lines) + 1), _CELL),
                Paragraph("1", _RIGHT),
                Paragraph("Lieferung durch Kurier / Courier delivery", _CELL),
                Paragraph(format_money(document.delivery_fee_cents, "de"), _RIGHT),
                Paragraph("" if rate is None else f"{rate} %", _RIGHT),
                Paragraph(format_money(sign * document.delivery_fee_cents, "de"), _RIGHT),
            ]
        )
    widths = [0.06, 0.09, 0.45, 0.14, 0.09, 0.17]
    table = Table(rows, colWidths=[_WIDTH * share for share in widths], repeatRows=1)
    table.setStyle(
        TableStyle(
            [
                ("LINEBELOW", (0, 0), (-1, 0), 0.6, colors.black),
                ("LINEBELOW", (0, 1), (-1, -1), 0.25, colors.lightgrey),
                ("VALIGN", (0, 0), (-1, -1), "TOP"),
            ]
        )
    )
    return table


def _totals(document: InvoiceDocument) -> Table:
    sign = _sign(document)
    rows: list[tuple[str, str, ParagraphStyle]] = []
    for amount in document.vat:
        rate = amount.rate_percent
        rows.append((f"Nettobetrag zu {rate} % / Net at {rate} %", format_money(sign * amount.net_cents, "de"), _RIGHT))
        rows.append((f"Umsatzsteuer {rate} % / VAT at {rate} %", format_money(sign * amount.vat_cents, "de"), _RIGHT))
    rows.append(("Summe netto / Total net", format_money(sign * document.net_cents, "de"), _RIGHT))
    rows.append(("Summe Umsatzsteuer / Total VAT", format_money(sign * document.vat_cents, "de"), _RIGHT))
    rows.append(("Rechnungsbetrag / Invoice total", format_money(sign * document.gross_cents, "de"), _BOLD_RIGHT))
    if document.voucher_cents and document.kind != "cancellation":
        rows.append(("Mit Gutschein bezahlt / Paid by voucher", format_money(-document.voucher_cents, "de"), _RIGHT))
        rows.append(("Noch zu zahlen / Left to pay", format_money(document.due_cents, "de"), _BOLD_RIGHT))
    table = Table(
        [[Paragraph(label, _RIGHT), Paragraph(value, style)] for label, value, style in rows],
        colWidths=[_WIDTH * 0.75, _WIDTH * 0.25],
    )
    total = -3 if document.voucher_cents else -1
    table.setStyle(TableStyle([("LINEABOVE", (0, total), (-1, total), 0.6, colors.black)]))
    return table


def _payment(document: InvoiceDocument) -> list[Flowable]:
    if document.kind == "cancellation":
        cancelled = _text(document.cancels_number or "", _NUMBER_LIMIT)
        return [
            Paragraph(
                both(N_("This cancels invoice %(number)s; nothing is to be paid on it."), number=cancelled), _TEXT
            )
        ]
    if document.due_cents <= 0:
        return [Paragraph("Der Rechnungsbetrag ist bezahlt. / The invoice is paid.", _TEXT)]
    method = _PAYMENT[document.payment_method]
    return [
        Paragraph(
            f"Zahlungsweise / Payment: {method}. Bitte geben Sie die Rechnungsnummer "
            f"{_text(document.number, _NUMBER_LIMIT)} an. / Please quote the invoice number.",
            _TEXT,
        ),
        *_bank(document),
        Spacer(0, 3 * mm),
        Paragraph("Alle Preise enthalten die gesetzliche Umsatzsteuer. / All prices include VAT.", _SMALL),
    ]


def _bank(document: InvoiceDocument) -> list[Flowable]:
    """Where to transfer the money, and what to quote (none recorded: nothing printed)."""
    bank = document.bank
    if bank is None:
        return []
    rows = [
        (both(N_("Account holder")), _text(bank.account_holder or document.seller.name)),
        ("IBAN", _text(bank.iban, 42)),
    ]
    if bank.bic:
        rows.append(("BIC", _text(bank.bic, 11)))
    reference = document.payment_reference or document.number
    rows.append((both(N_("Payment reference")), _text(reference, _NUMBER_LIMIT)))
    table = Table(
        [[Paragraph(label, _HEAD), Paragraph(value, _CELL)] for label, value in rows],
        colWidths=[_WIDTH * 0.4, _WIDTH * 0.6],
    )
    table.setStyle(TableStyle([("LEFTPADDING", (0, 0), (-1, -1), 0), ("VALIGN", (0, 0), (-1, -1), "TOP")]))
    return [Spacer(0, 3 * mm), Paragraph(both(N_("Bank details")), _TEXT), table]
