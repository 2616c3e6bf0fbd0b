"""The vouchers' documents: printable vouchers (PDF), settlement statements (PDF, CSV), code exports (CSV).

Every text that reaches a document came from someone's keyboard (a town's name, a programme,
a merchant, a gift message), so it is drawn as text and nothing else: escaped before it meets
reportlab's paragraph markup, stripped of control and invisible characters, cut at a length
that fits the page, and, in a CSV cell, kept from starting like a spreadsheet formula.
Characters Helvetica cannot draw (emoji, Hebrew, Arabic …) come out as reportlab's ■ rather
than breaking the document.

The PDFs are built with reportlab's ``invariant`` mode (no creation time, a fixed document id):
the same input gives the same bytes, which makes them testable and cacheable. They embed
nothing external; Helvetica and Courier are PDF standard fonts.

CSVs are what German spreadsheets open without an import dialog: ``;`` between cells, decimal
commas without thousands separators (``1234,50``), dates as ``31.12.2029``, a header row. They
are returned as ``str``; encode them with :data:`CSV_ENCODING`, whose byte order mark tells
Excel that the file is UTF-8.
"""

from __future__ import annotations

import csv
import io
import unicodedata
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any
from uuid import UUID
from xml.sax.saxutils import escape

from reportlab.graphics.barcode.qr import QrCodeWidget
from reportlab.graphics.shapes import Drawing
from reportlab.lib import colors
from reportlab.lib.enums import TA_CENTER, TA_RIGHT
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.pdfgen.canvas import Canvas
from reportlab.platypus import (
    BaseDocTemplate,
    Flowable,
    Frame,
    KeepInFrame,
    PageBreak,
    PageTemplate,
    Paragraph,
    Spacer,
    Table,
    TableStyle,
)

from vouchers.domain.codes import VoucherCode

CSV_ENCODING = "utf-8-sig"
QR_SIZE = 56 * mm
"""Printed edge of the QR code with its quiet zone: the symbol itself (25 modules of 33) is over
4 cm wide, which a phone reads from arm's length."""

# Cut lengths for user text: what the service accepts (a gift's recipient and message, see
# ``vouchers.domain.private_events.Gift``) is printed in full; anything longer is cut.
NAME_LIMIT = 120
PLACE_LIMIT = 200
MESSAGE_LIMIT = 1000
MESSAGE_LINES = 8
_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r", "\n")
_UNPRINTABLE = frozenset({"Cc", "Cf", "Cs", "Co", "Cn"})
_MARGIN = 20 * mm
_GREY = colors.HexColor("#555555")


# --- data the service fills -----------------------------------------------------------------


@dataclass(frozen=True)
class VoucherDocument:
    """One printable voucher. ``value_cents`` includes ``bonus_cents`` (a campaign's gift)."""

    voucher_id: UUID
    code: VoucherCode
    value_cents: int
    town_name: str
    programme_name: str
    valid_at: str
    expires_on: date
    recipient_name: str | None = None
    message: str | None = None
    bonus_cents: int = 0

    def __post_init__(self) -> None:
        if self.value_cents <= 0 or not 0 <= self.bonus_cents <= self.value_cents:
            raise ValueError("a voucher is worth more than 0 and its bonus is part of its value")


@dataclass(frozen=True)
class SettlementLine:
    """One redemption at the merchant, and how much of it was reversed or refunded since."""

    redeemed_at: datetime
    voucher_id: UUID
    redemption_id: UUID
    amount_cents: int
    reversed_cents: int

    def __post_init__(self) -> None:
        if self.amount_cents < 0 or self.reversed_cents < 0:
            raise ValueError("settlement amounts are 0 or more")

    @property
    def owed_cents(self) -> int:
        return self.amount_cents - self.reversed_cents


@dataclass(frozen=True)
class SettlementStatement:
    """What the association owes one merchant for town vouchers redeemed in a period.

    ``lines`` are printed in the order given; their times as given (pass the town's local time).
    """

    town_name: str
    programme_name: str
    merchant_name: str
    merchant_id: UUID
    period_start: date
    period_end: date
    lines: Sequence[SettlementLine]

    def __post_init__(self) -> None:
        if self.period_end < self.period_start:
            raise ValueError("a settlement period ends on or after its start")

    @property
    def redeemed_cents(self) -> int:
        return sum(line.amount_cents for line in self.lines)

    @property
    def reversed_cents(self) -> int:
        return sum(line.reversed_cents for line in self.lines)

    @property
    def owed_cents(self) -> int:
        return self.redeemed_cents - self.reversed_cents


@dataclass(frozen=True)
class IssuedCode:
    """One line of a bulk issue export (codes in the clear: the file is as secret as the money)."""

    voucher_id: UUID
    code: VoucherCode
    value_cents: int
    expires_on: date
    programme_name: str


# --- formats ---------------------------------------------------------------------------------


def format_euro(cents: int) -> str:
    """``1.234,50 €``, ``-3,00 €``: German notation, exact (integer cents, never a float)."""
    return f"{_amount(cents, grouped=True)} €"


def format_date(day: date) -> str:
    return day.strftime("%d.%m.%Y")


def _amount(cents: int, *, grouped: bool) -> str:
    euros, rest = divmod(abs(cents), 100)
    whole = f"{euros:,}".replace(",", ".") if grouped else str(euros)
    return f"{'-' if cents < 0 else ''}{whole},{rest:02d}"


def _clean(text: str, limit: int, *, keep_newlines: bool = False) -> str:
    """User text made drawable: NFC, no control or invisible characters, cut to ``limit``."""
    kept = "".join(
        character
        for character in unicodedata.normalize("NFC", text)
        if unicodedata.category(character) not in _UNPRINTABLE or (keep_newlines and character == "\n")
    )
    if keep_newlines:
        lines = [" ".join(line.split()) for line in kept.split("\n")]
        lines = [line for line in lines if line]
        if len(lines) > MESSAGE_LINES:  # the lines beyond the last one allowed run on in it
            lines = [*lines[: MESSAGE_LINES - 1], " ".join(lines[MESSAGE_LINES - 1 :])]
        kept = "\n".join(lines)
    else:
        kept = " ".join(kept.split())
    return kept if len(kept) <= limit else kept[: limit - 1].rstrip() + "…"


def _markup(text: str, limit: int, *, keep_newlines: bool = False) -> str:
    """User text as paragraph markup that can only ever mean that text."""
    return escape(_clean(text, limit, keep_newlines=keep_newlines)).replace("\n", "<br/>")


# --- printable vouchers ----------------------------------------------------------------------


def _style(name: str, size: float, **options: Any) -> ParagraphStyle:
    options.setdefault("leading", size * 1.25)
    return ParagraphStyle(name, fontName=options.pop("font", "Helvetica"), fontSize=size, **options)


_TOWN = _style("town", 15, font="Helvetica-Bold", textColor=_GREY)
_PROGRAMME = _style("programme", 13)
_TITLE = _style("title", 34, font="Helvetica-Bold", spaceBefore=4 * mm)
_VALUE = _style("value", 44, font="Helvetica-Bold", spaceBefore=2 * mm)
_BONUS = _style("bonus", 12, textColor=_GREY)
_LABEL = _style("label", 9, textColor=_GREY)
_DETAIL = _style("detail", 13)
_MESSAGE = _style("message", 12, font="Helvetica-Oblique")
_CODE_LABEL = _style("code-label", 10, alignment=TA_CENTER, textColor=_GREY)
_CODE = _style("code", 24, font="Courier-Bold", alignment=TA_CENTER)
_SMALL = _style("small", 8, alignment=TA_CENTER, textColor=_GREY)


def voucher_pdf(vouchers: Sequence[VoucherDocument]) -> bytes:
    """An A4 PDF with one printable voucher per page, in the order given."""
    if not vouchers:
        raise ValueError("no vouchers to print")
    first = vouchers[0]
    title = "Gutschein" if len(vouchers) == 1 else f"{len(vouchers)} Gutscheine"
    story: list[Flowable] = []
    for number, voucher in enumerate(vouchers):
        if number:
            story.append(PageBreak())
        story.extend(_voucher_page(voucher))
    return _build(story, f"{title} – {_clean(first.town_name, NAME_LIMIT)}", subject="Gutschein / Voucher")


def _voucher_page(voucher: VoucherDocument) -> list[Flowable]:
    width = A4[0] - 2 * _MARGIN
    value = [Paragraph(escape(format_euro(voucher.value_cents)), _VALUE)]
    if voucher.bonus_cents:
        bonus = format_euro(voucher.bonus_cents)
        value.append(Paragraph(f"davon {bonus} Aktionsbonus <i>/ incl. {bonus} campaign bonus</i>", _BONUS))
    place = _box(width, 20 * mm, *_detail("Gültig bei / Valid at", _markup(voucher.valid_at, PLACE_LIMIT)))
    until = _detail("Gültig bis / Valid until", format_date(voucher.expires_on))
    recipient = _clean(voucher.recipient_name or "", NAME_LIMIT)
    for_whom = [_box(width, 14 * mm, *_detail("Für / For", escape(recipient)))] if recipient else []
    message = _markup(voucher.message or "", MESSAGE_LIMIT, keep_newlines=True)
    return [
        # Each box of user text has a fixed height budget and shrinks its text to fit it, so the
        # code and its QR code below always keep their size and the voucher its single page. The
        # budgets and the fixed parts add up to at most 240 mm of the frame's 252 mm (tested with the
        # widest text there is: W after W in every field).
        _box(width, 20 * mm, Paragraph(_markup(voucher.town_name, NAME_LIMIT), _TOWN)),
        Paragraph("Gutschein <font size=14 color='#555555'>/ Voucher</font>", _TITLE),
        _box(width, 16 * mm, Paragraph(_markup(voucher.programme_name, NAME_LIMIT), _PROGRAMME)),
        *value,
        place,
        *until,
        *for_whom,
        _box(width, 34 * mm, Spacer(0, 3 * mm), Paragraph(message, _MESSAGE)) if message else Spacer(0, 3 * mm),
        Spacer(0, 4 * mm),
        Paragraph("Gutscheincode / Voucher code", _CODE_LABEL),
        Paragraph(escape(voucher.code.display), _CODE),
        _qr(voucher.code.display),
        Paragraph(
            "Wer diesen Code kennt, kann den Gutschein einlösen: bitte sicher aufbewahren. "
            "<i>/ Whoever knows this code can spend the voucher: keep it safe.</i>"
            f"<br/>Gutschein-Nr. / Voucher no. {voucher.voucher_id}",
            _SMALL,
        ),
    ]


def _detail(label: str, markup: str) -> list[Flowable]:
    return [Spacer(0, 2 * mm), Paragraph(label, _LABEL), Paragraph(markup, _DETAIL)]


def _box(width: float, height: float, *content: Flowable) -> KeepInFrame:
    return KeepInFrame(width, height, list(content), mode="shrink", hAlign="LEFT", vAlign="TOP")


def _qr(text: str) -> Drawing:
    # Level M survives a scratch or a fold; the widget's 4-module quiet zone is inside QR_SIZE.
    widget = QrCodeWidget(text, barLevel="M", barWidth=QR_SIZE, barHeight=QR_SIZE, barBorder=4)
    drawing = Drawing(QR_SIZE, QR_SIZE)
    drawing.add(widget)
    drawing.hAlign = "CENTER"
    return drawing


# --- settlement statements -------------------------------------------------------------------

_H1 = _style("h1", 18, font="Helvetica-Bold", spaceAfter=4 * mm)
_INFO = _style("info", 10)
_CELL = _style("cell", 8, leading=9.5)
_HEAD = _style("head", 8, leading=9.5, textColor=_GREY)
_HEAD_RIGHT = _style("head-right", 8, leading=9.5, textColor=_GREY, alignment=TA_RIGHT)
_TOTAL = _style("total", 12, font="Helvetica-Bold", spaceBefore=5 * mm)
_HEADER_CELLS = [
    "Eingelöst am / Redeemed",
    "Gutschein / Voucher\nEinlösung / Redemption",
    "Betrag / Amount",
    "Storniert / Reversed",
    "Saldo / Net",
]


def settlement_pdf(statement: SettlementStatement) -> bytes:
    """The statement as a document: who, which period, every redemption, the totals, what is owed."""
    merchant = _clean(statement.merchant_name, NAME_LIMIT)
    period = f"{format_date(statement.period_start)} – {format_date(statement.period_end)}"
    story: list[Flowable] = [
        Paragraph("Abrechnung <font size=12 color='#555555'>/ Settlement statement</font>", _H1),
        _info_table(statement, period),
        Spacer(0, 6 * mm),
        _lines_table(statement.lines),
        _totals_table(statement),
        Paragraph(_owed_sentence(statement, merchant), _TOTAL),
    ]
    running = f"Abrechnung {merchant} · {period}"
    return _build(story, running, subject="Abrechnung / Settlement statement", running_head=running)


def _info_table(statement: SettlementStatement, period: str) -> Table:
    rows = [
        ("Stadt / Town", _markup(statement.town_name, NAME_LIMIT)),
        ("Programm / Programme", _markup(statement.programme_name, NAME_LIMIT)),
        ("Händler / Merchant", _markup(statement.merchant_name, NAME_LIMIT)),
        ("Händler-ID / Merchant id", str(statement.merchant_id)),
        ("Zeitraum / Period", period),
    ]
    table = Table(
        [[Paragraph(label, _LABEL), Paragraph(text, _INFO)] for label, text in rows], colWidths=[45 * mm, None]
    )
    table.setStyle(TableStyle([("VALIGN", (0, 0), (-1, -1), "TOP"), ("LEFTPADDING", (0, 0), (-1, -1), 0)]))
    return table


def _lines_table(lines: Sequence[SettlementLine]) -> Flowable:
    if not lines:
        return Paragraph("Keine Einlösungen in diesem Zeitraum. <i>/ No redemptions in this period.</i>", _INFO)
    header = [
        Paragraph(escape(cell).replace("\n", "<br/>"), _HEAD if column < 2 else _HEAD_RIGHT)
        for column, cell in enumerate(_HEADER_CELLS)
    ]
    rows: list[list[Any]] = [header]
    for line in lines:
        rows.append(
            [
                line.redeemed_at.strftime("%d.%m.%Y %H:%M"),
                Paragraph(f"{line.voucher_id}<br/>{line.redemption_id}", _CELL),
                format_euro(line.amount_cents),
                format_euro(line.reversed_cents),
                format_euro(line.owed_cents),
            ]
        )
    # repeatRows: the header row is drawn again at the top of every page the table breaks onto.
    table = Table(rows, colWidths=[28 * mm, 62 * mm, 26 * mm, 27 * mm, 27 * mm], repeatRows=1)
    table.setStyle(_TABLE_STYLE)
    return table


_TABLE_STYLE = TableStyle(
    [
        ("FONT", (0, 0), (-1, -1), "Helvetica", 8),
        ("ALIGN", (2, 0), (-1, -1), "RIGHT"),
        ("TOPPADDING", (0, 1), (-1, -1), 1.5),
        ("BOTTOMPADDING", (0, 1), (-1, -1), 2),
        ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
        ("LINEBELOW", (0, 0), (-1, 0), 0.8, colors.black),
        ("LINEBELOW", (0, 1), (-1, -1), 0.25, colors.lightgrey),
        ("ROWBACKGROUNDS", (0, 1), (-1, -1), [colors.white, colors.HexColor("#f4f4f4")]),
    ]
)


def _totals_table(statement: SettlementStatement) -> Table:
    rows = [
        ("Einlösungen / Redemptions", str(len(statement.lines))),
        ("Eingelöst / Redeemed", format_euro(statement.redeemed_cents)),
        ("Storniert / Reversed", format_euro(-statement.reversed_cents)),
        ("Saldo / Balance", format_euro(statement.owed_cents)),
    ]
    table = Table(rows, colWidths=[60 * mm, 35 * mm], hAlign="RIGHT", spaceBefore=5 * mm)
    table.setStyle(
        TableStyle(
            [
                ("FONT", (0, 0), (-1, -1), "Helvetica", 10),
                ("FONT", (0, -1), (-1, -1), "Helvetica-Bold", 10),
                ("ALIGN", (1, 0), (1, -1), "RIGHT"),
                ("LINEABOVE", (0, -1), (-1, -1), 0.8, colors.black),
            ]
        )
    )
    return table


def _owed_sentence(statement: SettlementStatement, merchant: str) -> str:
    owed = format_euro(abs(statement.owed_cents))
    if statement.owed_cents >= 0:
        return f"Auszahlung an {escape(merchant)}: {owed} <font size=10>/ owed to the merchant</font>"
    return f"Forderung an {escape(merchant)}: {owed} <font size=10>/ owed by the merchant</font>"


# --- PDF plumbing ----------------------------------------------------------------------------


def _build(story: list[Flowable], title: str, *, subject: str, running_head: str | None = None) -> bytes:
    buffer = io.BytesIO()
    document = BaseDocTemplate(
        buffer,
        pagesize=A4,
        leftMargin=_MARGIN,
        rightMargin=_MARGIN,
        topMargin=_MARGIN,
        bottomMargin=_MARGIN,
        title=title,
        subject=subject,
        author="Downtown",
        creator="Downtown vouchers",
        lang="de-DE",
        invariant=True,
    )
    frame = Frame(_MARGIN, _MARGIN, A4[0] - 2 * _MARGIN, A4[1] - 2 * _MARGIN, id="page", showBoundary=0)
    on_page = _page_decoration(running_head) if running_head else None
    document.addPageTemplates([PageTemplate(id="page", frames=[frame], onPage=on_page or _nothing)])
    document.build(story)
    return buffer.getvalue()


def _page_decoration(running_head: str) -> Callable[[Canvas, BaseDocTemplate], None]:
    def decorate(canvas: Canvas, document: BaseDocTemplate) -> None:
        canvas.saveState()
        canvas.setFont("Helvetica", 7.5)
        canvas.setFillColor(_GREY)
        canvas.drawString(_MARGIN, A4[1] - _MARGIN / 2, running_head)
        canvas.drawRightString(A4[0] - _MARGIN, _MARGIN / 2, f"Seite / Page {document.page}")
        canvas.restoreState()

    return decorate


def _nothing(canvas: Canvas, document: BaseDocTemplate) -> None:
    """Voucher pages carry nothing beyond their content."""


# --- CSV -------------------------------------------------------------------------------------


def settlement_csv(statement: SettlementStatement) -> str:
    """One row per redemption, each naming its programme and merchant (files can be combined)."""
    header = [
        "Programm",
        "Händler",
        "Händler-ID",
        "Eingelöst am",
        "Gutschein-ID",
        "Einlösungs-ID",
        "Betrag",
        "Storniert",
        "Saldo",
    ]
    rows = (
        [
            _text_cell(statement.programme_name),
            _text_cell(statement.merchant_name),
            str(statement.merchant_id),
            line.redeemed_at.strftime("%d.%m.%Y %H:%M:%S"),
            str(line.voucher_id),
            str(line.redemption_id),
            _amount(line.amount_cents, grouped=False),
            _amount(line.reversed_cents, grouped=False),
            _amount(line.owed_cents, grouped=False),
        ]
        for line in statement.lines
    )
    return _csv(header, rows)


def codes_csv(codes: Sequence[IssuedCode]) -> str:
    """The codes of a bulk issue in the clear, for a printer or a partner: handle as cash."""
    header = ["Gutschein-ID", "Code", "Wert", "Gültig bis", "Programm"]
    rows = (
        [
            str(issued.voucher_id),
            issued.code.display,
            _amount(issued.value_cents, grouped=False),
            format_date(issued.expires_on),
            _text_cell(issued.programme_name),
        ]
        for issued in codes
    )
    return _csv(header, rows)


def _text_cell(text: str) -> str:
    """A user's text that a spreadsheet will show, never evaluate (OWASP's CSV injection advice).

    Amounts, dates and ids are written by this module and cannot start a formula, so only
    text cells are neutralised; a negative amount stays a number.
    """
    return f"'{text}" if text.startswith(_FORMULA_STARTS) else text


def _csv(header: list[str], rows: Iterable[list[str]]) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=";", lineterminator="\r\n")
    writer.writerow(header)
    writer.writerows(rows)
    return buffer.getvalue()
