# SPDX-License-Identifier: AGPL-3.0-or-later
"""An order's invoice as a PDF: the particulars § 14 Abs. 4 UStG asks for, on one A4 page or more.

Drawn with reportlab, as the vouchers' documents are (the same library and habits: the
kit's embedded fonts, so a name in Cyrillic, Chinese or with an emoji prints as written
(:mod:`downtown_events.runtime.pdf_text`); reportlab's ``invariant`` mode, so the same
invoice gives the same bytes; every typed text escaped before it meets paragraph markup,
stripped of control and invisible characters and cut to length).

Every label and sentence is a message of ordering's catalogues (``N_`` marks it for ``make
translations``), printed in the customer's language with the other language beside it (see
:class:`Words`): a German invoice reads "Rechnung / Invoice" as it always did, an English one
"Invoice / Rechnung"; a town words them otherwise in its ``DOWNTOWN_TEXTS_DIR`` as it does its
mails. Amounts are written as :func:`downtown_events.money.format_money` writes them in the
document's language, exact to the cent; dates with the invoice mail's date pattern.

It draws the :class:`~ordering.domain.invoice_document.InvoiceDocument` recorded when the
invoice was issued and nothing else, so every download of one invoice is the same PDF.

What it shows: the merchant (name, address, tax number or VAT id) and the customer (name,
address); the invoice's number, date of issue and date of supply; every line with quantity,
description, unit price, VAT rate and amount (prices include VAT, as the shop showed them);
the delivery fee; per VAT rate the net amount and the tax; the totals; what a voucher paid
and what is left to pay, and how: the merchant's bank account and the payment reference
(the invoice's number) when it asks for a transfer. A cancellation invoice (Stornorechnung)
says which invoice it cancels and prints its amounts negated.
"""

from __future__ import annotations

import io
import logging
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import cast
from xml.sax.saxutils import escape

import babel.dates
from reportlab.lib import colors
from reportlab.lib.enums import TA_RIGHT
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.platypus import Flowable, Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

from downtown_events.money import Language, format_money
from downtown_events.ordering import PaymentMethod
from downtown_events.runtime.pdf_text import SANS, SANS_BOLD, markup, register_fonts
from downtown_events.runtime.texts import Texts
from ordering.app.notifications import N_, NAME_LIMIT, clean, mail_texts
from ordering.domain.invoice_document import InvoiceDocument, InvoiceParty
from ordering.domain.private_events import TaxNumberKind

log = logging.getLogger(__name__)
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
    "invoice": N_("by bank transfer"),
    "at_pickup": N_("at pickup"),
    "cash_at_door": N_("in cash at the door"),
    "card_at_door": N_("by card at the door"),
    "voucher": N_("by voucher"),
}
_TAX_NUMBER: dict[TaxNumberKind | None, str] = {
    "vat_id": N_("VAT id"),
    "tax_number": N_("Tax number"),
    None: N_("Tax number or VAT id"),
}
_PDF_LANG = {"de": "de-DE", "en": "en-GB"}
"""A language as the PDF's ``/Lang`` names it (a screen reader's voice)."""


@dataclass(frozen=True)
class Words:
    """How one document writes: its labels in its language from ordering's catalogues (with
    the town's ``DOWNTOWN_TEXTS_DIR`` over them, when ``texts`` is the town's), each with the
    same label in a second language beside it; amounts and dates as its language writes them.

    The second language is English for a German document, as invoices always printed it for
    visitors; German for one in any other language, because the shop's books and its tax
    office read every copy of an invoice, and they read German. The language is the
    customer's, as the order records it (:func:`~ordering.domain.invoice_document.document_language`).
    """

    language: str = "de"
    texts: Texts = field(default_factory=mail_texts)

    @property
    def beside(self) -> str:
        return "en" if self.language == "de" else "de"

    def one(self, message: str, **values: object) -> str:
        """``message`` in the document's language only (a narrow column, the file's title)."""
        return self._in(self.language, message, values)

    def both(self, message: str, **values: object) -> str:
        """``message`` in the document's language, then the other (once if they read alike).
        Values are paragraph markup; the catalogue's text is escaped to be text."""
        first, second = self._in(self.language, message, values), self._in(self.beside, message, values)
        return first if first == second else f"{first} / {second}"

    def other(self, message: str, **values: object) -> str:
        """``message`` in the language beside the document's."""
        return self._in(self.beside, message, values)

    def stacked(self, message: str) -> str:
        """A column's head: the two languages on two lines."""
        first, second = self.one(message), self.other(message)
        return first if first == second else f"{first}<br/>{second}"

    def money(self, cents: int) -> str:
        # Babel writes any CLDR language; Language names the two Downtown offers so far.
        return format_money(cents, cast(Language, self.language))

    def date(self, day: date) -> str:
        """A date with the pattern the invoice mail writes its date with (``02.03.2026``, ``2 Mar 2026``)."""
        return babel.dates.format_date(day, self.texts.gettext(self.language, N_("d MMM yyyy")), locale=self.language)

    @property
    def pdf_lang(self) -> str:
        return _PDF_LANG.get(self.language, self.language.replace("_", "-"))

    def _in(self, language: str, message: str, values: dict[str, object]) -> str:
        # A message with no placeholder may still have its translation name one (the German
        # of "Please quote the invoice number." names it): % with a mapping leaves it be.
        try:
            return escape(self.texts.gettext(language, message)) % values
        except (KeyError, ValueError, TypeError):  # a translation naming a value it is not given
            log.warning("texts: the %s translation of %r does not format; its English is printed", language, message)
            return escape(message) % values


def _title(document: InvoiceDocument, words: Words) -> str:
    """The document's name, large in its language and smaller in the other beside it."""
    title = _name(document)
    return f"{words.one(title)} <font size=11 color='#555555'>/ {words.other(title)}</font>"


def _name(document: InvoiceDocument) -> str:
    return N_("Cancellation invoice") if document.kind == "cancellation" else N_("Invoice")


def render_invoice_pdf(document: InvoiceDocument, language: str = "de", texts: Texts | None = None) -> bytes:
    """The invoice as a PDF document in ``language`` (the customer's; see :class:`Words`),
    worded by ``texts`` (the town's; None: ordering's own). The same document, language and
    texts always give the same bytes."""
    words = Words(language, texts or mail_texts())
    number = clean(document.number, _NUMBER_LIMIT)
    seller = clean(document.seller.name, NAME_LIMIT)
    name = words.one(_name(document))
    story: list[Flowable] = [
        _head(document, words),
        Spacer(0, 6 * mm),
        Paragraph(_title(document, words), _H1),
        _facts(document, words),
        Spacer(0, 6 * mm),
        _lines(document, words),
        Spacer(0, 4 * mm),
        _totals(document, words),
        Spacer(0, 6 * mm),
        *_payment(document, words),
    ]
    buffer = io.BytesIO()
    pdf = SimpleDocTemplate(
        buffer,
        pagesize=A4,
        leftMargin=_MARGIN,
        rightMargin=_MARGIN,
        topMargin=_MARGIN,
        bottomMargin=_MARGIN,
        title=f"{name} {number}",
        subject=words.texts.gettext(language, N_("%(document)s %(number)s from %(merchant)s"))
        % {"document": name, "number": number, "merchant": seller},
        author=seller,
        creator="Downtown ordering",
        lang=words.pdf_lang,
        invariant=True,
    )
    pdf.build(story)
    return buffer.getvalue()


def _text(value: str, limit: int = NAME_LIMIT) -> str:
    """Typed text as paragraph markup that can only ever mean that text, each character in
    a font that has it (the paragraph's own regular font first)."""
    return markup(clean(value, limit), SANS)


def _address(party: InvoiceParty) -> str:
    address = party.address
    lines = [_text(party.name), _text(address.street, 200), _text(f"{address.postal_code} {address.city}", 200)]
    return "<br/>".join(lines)


def _tax_number(party: InvoiceParty, words: Words) -> str:
    return f"{words.both(_TAX_NUMBER[party.tax_number_kind])}: {_text(party.tax_number or '', 40)}"


def _head(document: InvoiceDocument, words: Words) -> Table:
    """Left: the customer (the letter's recipient); right: the merchant and its tax number."""
    small = "<font size=8 color='#555555'>{}</font><br/>"
    buyer = Paragraph(small.format(words.both(N_("Billed to"))) + _address(document.buyer), _TEXT)
    seller = document.seller
    issuer = Paragraph(
        small.format(words.both(N_("Issued by"))) + _address(seller) + f"<br/>{_tax_number(seller, words)}",
        _TEXT,
    )
    table = Table([[buyer, issuer]], colWidths=[_WIDTH * 0.5, _WIDTH * 0.5])
    table.setStyle(TableStyle([("VALIGN", (0, 0), (-1, -1), "TOP"), ("LEFTPADDING", (0, 0), (-1, -1), 0)]))
    return table


def _facts(document: InvoiceDocument, words: Words) -> Table:
    supplied = (
        words.date(document.supplied_on)
        if document.supplied_on is not None
        else words.both(N_("same as the invoice date"))
    )
    rows = [
        (words.both(N_("Invoice number")), _text(document.number, _NUMBER_LIMIT)),
        (words.both(N_("Date of issue")), words.date(document.issued_on)),
        (words.both(N_("Date of supply")), supplied),
    ]
    if document.cancels_number:
        cancelled = _text(document.cancels_number, _NUMBER_LIMIT)
        issued = f" ({words.date(document.cancels_issued_on)})" if document.cancels_issued_on else ""
        rows.append((words.both(N_("Cancels invoice")), cancelled + issued))
    table = Table(
        [[Paragraph(label, _HEAD), Paragraph(value, _CELL)] for label, value in rows],
        colWidths=[_WIDTH * 0.4, _WIDTH * 0.6],
    )
    table.setStyle(TableStyle([("LEFTPADDING", (0, 0), (-1, -1), 0), ("VALIGN", (0, 0), (-1, -1), "TOP")]))
    return table


def _sign(document: InvoiceDocument) -> int:
    """A cancellation invoice states the amounts of the invoice it cancels negated."""
    return -1 if document.kind == "cancellation" else 1


def _lines(document: InvoiceDocument, words: Words) -> Table:
    sign, money = _sign(document), words.money
    head = [
        # Translators: the head of an invoice's narrow column of line numbers ("Pos.")
        Paragraph(words.one(N_("No.")), _HEAD),
        Paragraph(words.stacked(N_("Qty")), _HEAD_RIGHT),
        Paragraph(words.both(N_("Description")), _HEAD),
        Paragraph(words.stacked(N_("Unit price")), _HEAD_RIGHT),
        Paragraph(words.stacked(N_("VAT")), _HEAD_RIGHT),
        Paragraph(words.stacked(N_("Amount")), _HEAD_RIGHT),
    ]
    rows: list[Sequence[Flowable]] = [head]
    for position, line in enumerate(document.lines, start=1):
        rows.append(
            [
                Paragraph(str(position), _CELL),
                Paragraph(str(line.quantity), _RIGHT),
                Paragraph(_text(line.title, _TITLE_LIMIT), _CELL),
                Paragraph(money(line.unit_gross_cents), _RIGHT),
                Paragraph(f"{line.vat_rate_percent} %", _RIGHT),
                Paragraph(money(sign * line.gross_cents), _RIGHT),
            ]
        )
    if document.delivery_fee_cents:
        rate = document.delivery_fee_vat_percent
        rows.append(
            [
                Paragraph(str(len(document.lines) + 1), _CELL),
                Paragraph("1", _RIGHT),
                Paragraph(words.both(COURIER), _CELL),
                Paragraph(money(document.delivery_fee_cents), _RIGHT),
                Paragraph("" if rate is None else f"{rate} %", _RIGHT),
                Paragraph(money(sign * document.delivery_fee_cents), _RIGHT),
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


COURIER = N_("Courier delivery")
PAID_BY_VOUCHER = N_("Paid by voucher")
ALL_PRICES_INCLUDE_VAT = N_("All prices include VAT.")
"""Labels the receipt prints too."""


def _totals(document: InvoiceDocument, words: Words) -> Table:
    sign, money, both = _sign(document), words.money, words.both
    rows: list[tuple[str, str, ParagraphStyle]] = []
    for amount in document.vat:
        rate = amount.rate_percent
        rows.append((both(N_("Net at %(rate)s %%"), rate=rate), money(sign * amount.net_cents), _RIGHT))
        rows.append((both(N_("VAT at %(rate)s %%"), rate=rate), money(sign * amount.vat_cents), _RIGHT))
    rows.append((both(N_("Total net")), money(sign * document.net_cents), _RIGHT))
    rows.append((both(N_("Total VAT")), money(sign * document.vat_cents), _RIGHT))
    rows.append((both(N_("Invoice total")), money(sign * document.gross_cents), _BOLD_RIGHT))
    if document.voucher_cents and document.kind != "cancellation":
        rows.append((both(PAID_BY_VOUCHER), money(-document.voucher_cents), _RIGHT))
        rows.append((both(N_("Left to pay")), money(document.due_cents), _BOLD_RIGHT))
    table = Table(
        [[Paragraph(label, _RIGHT), Paragraph(value, style)] for label, value, style in rows],
        colWidths=[_WIDTH * 0.75, _WIDTH * 0.25],
    )
    total = -3 if document.voucher_cents else -1
    table.setStyle(TableStyle([("LINEABOVE", (0, total), (-1, total), 0.6, colors.black)]))
    return table


def _payment(document: InvoiceDocument, words: Words) -> list[Flowable]:
    if document.kind == "cancellation":
        cancelled = _text(document.cancels_number or "", _NUMBER_LIMIT)
        text = words.both(N_("This cancels invoice %(number)s; nothing is to be paid on it."), number=cancelled)
        return [Paragraph(text, _TEXT)]
    if document.due_cents <= 0:
        return [Paragraph(words.both(N_("The invoice is paid.")), _TEXT)]
    label, method = words.both(N_("Payment")), words.both(_PAYMENT[document.payment_method])
    number = _text(document.number, _NUMBER_LIMIT)
    # Translators: %(number)s, the invoice's number, may be named (the German does)
    quote = words.both(N_("Please quote the invoice number."), number=number)
    return [
        Paragraph(f"{label}: {method}. {quote}", _TEXT),
        *_bank(document, words),
        Spacer(0, 3 * mm),
        Paragraph(words.both(ALL_PRICES_INCLUDE_VAT), _SMALL),
    ]


def _bank(document: InvoiceDocument, words: Words) -> list[Flowable]:
    """Where to transfer the money, and what to quote (none recorded: nothing printed)."""
    bank = document.bank
    if bank is None:
        return []
    rows = [
        (words.both(N_("Account holder")), _text(bank.account_holder or document.seller.name)),
        ("IBAN", _text(bank.iban, 42)),
    ]
    if bank.bic:
        rows.append(("BIC", _text(bank.bic, 11)))
    reference = document.payment_reference or document.number
    rows.append((words.both(N_("Payment reference")), _text(reference, _NUMBER_LIMIT)))
    table = Table(
        [[Paragraph(label, _HEAD), Paragraph(value, _CELL)] for label, value in rows],
        colWidths=[_WIDTH * 0.4, _WIDTH * 0.6],
    )
    table.setStyle(TableStyle([("LEFTPADDING", (0, 0), (-1, -1), 0), ("VALIGN", (0, 0), (-1, -1), "TOP")]))
    return [Spacer(0, 3 * mm), Paragraph(words.both(N_("Bank details")), _TEXT), table]
