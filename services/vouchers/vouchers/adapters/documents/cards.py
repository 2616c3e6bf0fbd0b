# SPDX-License-Identifier: AGPL-3.0-or-later
"""Printable vouchers: an A4 page each, the code in large letters and as a QR code, in the
buyer's language (the purchase records it)."""

from __future__ import annotations

from collections.abc import Sequence
from xml.sax.saxutils import escape

from reportlab.graphics.barcode.qr import QrCodeWidget
from reportlab.graphics.shapes import Drawing
from reportlab.lib.enums import TA_CENTER
from reportlab.lib.pagesizes import A4
from reportlab.lib.units import mm
from reportlab.platypus import (
    Flowable,
    KeepInFrame,
    PageBreak,
    Paragraph,
    Spacer,
)

from downtown_events.runtime.pdf_text import SANS_BOLD, markup
from vouchers.adapters.documents.model import VoucherDocument
from vouchers.adapters.documents.pdf import _GREY, _LABEL, _MARGIN, _build, _style
from vouchers.adapters.documents.text import (
    MESSAGE_LIMIT,
    NAME_LIMIT,
    PLACE_LIMIT,
    _clean,
    _markup,
)
from vouchers.adapters.documents.wording import Wording

QR_SIZE = 56 * mm
"""Printed edge of the QR code with its quiet zone: the symbol itself (25 modules of 33) is over
4 cm wide, which a phone reads from arm's length."""


_TOWN = _style("town", 15, font=SANS_BOLD, textColor=_GREY)
_PROGRAMME = _style("programme", 13)
_TITLE = _style("title", 34, font=SANS_BOLD, spaceBefore=4 * mm)
_VALUE = _style("value", 44, font=SANS_BOLD, spaceBefore=2 * mm)
_BONUS = _style("bonus", 12, textColor=_GREY)
_DETAIL = _style("detail", 13)
# Upright: no embedded font has an italic, and a gift message may be in any script.
_MESSAGE = _style("message", 12, textColor=_GREY)
_CODE_LABEL = _style("code-label", 10, alignment=TA_CENTER, textColor=_GREY)
_CODE = _style("code", 24, font="Courier-Bold", alignment=TA_CENTER)
_SMALL = _style("small", 8, alignment=TA_CENTER, textColor=_GREY)


def voucher_pdf(vouchers: Sequence[VoucherDocument], wording: Wording | None = None) -> bytes:
    """An A4 PDF with one printable voucher per page, in the order given, in ``wording``'s
    language (German without one)."""
    if not vouchers:
        raise ValueError("no vouchers to print")
    words = wording or Wording.of()
    first = vouchers[0]
    count = len(vouchers)
    title = words.gettext("Voucher") if count == 1 else words.ngettext("%(count)s voucher", "%(count)s vouchers", count)
    story: list[Flowable] = []
    for number, voucher in enumerate(vouchers):
        if number:
            story.append(PageBreak())
        story.extend(_voucher_page(voucher, words))
    town = _clean(first.town_name, NAME_LIMIT)
    return _build(story, f"{title} – {town}", subject=words.gettext("Voucher"), language=words.tag)


def _voucher_page(voucher: VoucherDocument, words: Wording) -> list[Flowable]:
    width = A4[0] - 2 * _MARGIN
    value = [Paragraph(escape(words.money(voucher.value_cents)), _VALUE)]
    if voucher.bonus_cents:
        bonus = words.money(voucher.bonus_cents)
        value.append(Paragraph(markup(words.gettext("incl. %(bonus)s campaign bonus", bonus=bonus)), _BONUS))
    town = _clean(voucher.town_name, NAME_LIMIT)
    valid_at = (
        words.gettext("every participating shop in %(town)s", town=town)
        if voucher.valid_at is None
        else voucher.valid_at
    )
    place = _box(width, 20 * mm, *_detail(words.gettext("Valid at"), _markup(valid_at, PLACE_LIMIT)))
    until = _detail(words.gettext("Valid until"), escape(words.day(voucher.expires_on)))
    recipient = _clean(voucher.recipient_name or "", NAME_LIMIT)
    for_whom = (
        [_box(width, 14 * mm, *_detail(words.gettext("For"), _markup(recipient, NAME_LIMIT)))] if recipient else []
    )
    message = _markup(voucher.message or "", MESSAGE_LIMIT, keep_newlines=True)
    warning = words.gettext("Whoever knows this code can spend the voucher: keep it safe.")
    number = words.gettext("Voucher no. %(number)s", number=voucher.voucher_id)
    return [
        # Each box of user text has a fixed height budget and shrinks its text to fit it, so the
        # code and its QR code below always keep their size and the voucher its single page. The
        # budgets and the fixed parts add up to at most 240 mm of the frame's 252 mm (tested with the
        # widest text there is: W after W in every field).
        _box(width, 20 * mm, Paragraph(_markup(voucher.town_name, NAME_LIMIT, font=SANS_BOLD), _TOWN)),
        Paragraph(markup(words.gettext("Voucher"), SANS_BOLD), _TITLE),
        _box(width, 16 * mm, Paragraph(_markup(voucher.programme_name, NAME_LIMIT), _PROGRAMME)),
        *value,
        place,
        *until,
        *for_whom,
        _box(width, 34 * mm, Spacer(0, 3 * mm), Paragraph(message, _MESSAGE)) if message else Spacer(0, 3 * mm),
        Spacer(0, 4 * mm),
        Paragraph(markup(words.gettext("Voucher code")), _CODE_LABEL),
        Paragraph(escape(voucher.code.display), _CODE),
        _qr(voucher.code.display),
        Paragraph(f"{markup(warning)}<br/>{markup(number)}", _SMALL),
    ]


def _detail(label: str, markup_text: str) -> list[Flowable]:
    return [Spacer(0, 2 * mm), Paragraph(markup(label), _LABEL), Paragraph(markup_text, _DETAIL)]


def _box(width: float, height: float, *content: Flowable) -> KeepInFrame:
    return KeepInFrame(width, height, list(content), mode="shrink", hAlign="LEFT", vAlign="TOP")


def _qr(text: str) -> Drawing:
    # Level M survives a scratch or a fold; the widget's 4-module quiet zone is inside QR_SIZE.
    widget = QrCodeWidget(text, barLevel="M", barWidth=QR_SIZE, barHeight=QR_SIZE, barBorder=4)
    drawing = Drawing(QR_SIZE, QR_SIZE)
    drawing.add(widget)
    drawing.hAlign = "CENTER"
    return drawing
