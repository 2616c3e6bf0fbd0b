"""Settlement statements for town vouchers: what the association owes a merchant, as PDF and CSV."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any
from xml.sax.saxutils import escape

from reportlab.lib import colors
from reportlab.lib.enums import TA_RIGHT
from reportlab.lib.units import mm
from reportlab.platypus import (
    Flowable,
    Paragraph,
    Spacer,
    Table,
    TableStyle,
)

from downtown_events.runtime.pdf_text import SANS, SANS_BOLD, markup
from vouchers.adapters.documents.model import SettlementLine, SettlementStatement
from vouchers.adapters.documents.pdf import _GREY, _H1, _LABEL, _build, _style
from vouchers.adapters.documents.spreadsheets import _csv, _text_cell
from vouchers.adapters.documents.text import NAME_LIMIT, _amount, _clean, _markup, format_date, format_euro

_INFO = _style("info", 10)
# DejaVu Sans runs about an eighth wider than Helvetica did: a voucher's and a redemption's id
# each keep one line at 7.5 pt in their column, the date and "Betrag / Amount" theirs at 8 pt.
_CELL = _style("cell", 7.5, leading=9.5)
_HEAD = _style("head", 8, leading=9.5, textColor=_GREY)
_HEAD_RIGHT = _style("head-right", 8, leading=9.5, textColor=_GREY, alignment=TA_RIGHT)
_TOTAL = _style("total", 12, font=SANS_BOLD, spaceBefore=5 * mm)
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
    table = Table(rows, colWidths=[29 * mm, 62.5 * mm, 27.5 * mm, 25.5 * mm, 25.5 * mm], repeatRows=1)
    table.setStyle(_TABLE_STYLE)
    return table


_TABLE_STYLE = TableStyle(
    [
        ("FONT", (0, 0), (-1, -1), SANS, 8),
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
                ("FONT", (0, 0), (-1, -1), SANS, 10),
                ("FONT", (0, -1), (-1, -1), SANS_BOLD, 10),
                ("ALIGN", (1, 0), (1, -1), "RIGHT"),
                ("LINEABOVE", (0, -1), (-1, -1), 0.8, colors.black),
            ]
        )
    )
    return table


def _owed_sentence(statement: SettlementStatement, merchant: str) -> str:
    owed = format_euro(abs(statement.owed_cents))
    if statement.owed_cents >= 0:
        return f"Auszahlung an {markup(merchant, SANS_BOLD)}: {owed} <font size=10>/ owed to the merchant</font>"
    return f"Forderung an {markup(merchant, SANS_BOLD)}: {owed} <font size=10>/ owed by the merchant</font>"


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
