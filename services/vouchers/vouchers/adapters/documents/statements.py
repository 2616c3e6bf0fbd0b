# SPDX-License-Identifier: AGPL-3.0-or-later
"""Settlement statements for town vouchers: what the association owes a merchant, as PDF and CSV.

A statement lists the merchant's redemptions and its counter sales: cash it took for town
vouchers at its counter is the town's money in the merchant's till, so it is taken off what
the town owes for redemptions (the same sums as ``/settlements`` and the JSON statement).
Below zero the merchant owes the association, and the closing line says so.
"""

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

from downtown_events.money import format_money
from downtown_events.runtime.pdf_text import SANS, SANS_BOLD, markup
from vouchers.adapters.documents.model import CounterSale, SettlementLine, SettlementStatement
from vouchers.adapters.documents.pdf import _GREY, _H1, _LABEL, _build, _style
from vouchers.adapters.documents.spreadsheets import _csv, _text_cell
from vouchers.adapters.documents.text import NAME_LIMIT, _clean, _markup, csv_amount, format_date

_INFO = _style("info", 10)
# DejaVu Sans runs about an eighth wider than Helvetica did: a voucher's masked code and its
# order each keep one line at 7.5 pt in their column, the date and "Betrag / Amount" theirs at 8 pt.
_CELL = _style("cell", 7.5, leading=9.5)
_HEAD = _style("head", 8, leading=9.5, textColor=_GREY)
_HEAD_RIGHT = _style("head-right", 8, leading=9.5, textColor=_GREY, alignment=TA_RIGHT)
_TOTAL = _style("total", 12, font=SANS_BOLD, spaceBefore=5 * mm)
_SECTION = _style("section", 11, font=SANS_BOLD, spaceBefore=6 * mm, spaceAfter=2 * mm)
_HEADER_CELLS = [
    "Eingelöst am / Redeemed",
    "Gutschein / Voucher\nBestellung / Order",
    "Betrag / Amount",
    "Storniert / Reversed",
    "Saldo / Net",
]
_SALE_HEADER_CELLS = ["Bezahlt am / Paid", "Kauf / Purchase", "Gutscheine / Vouchers", "Bar / Cash"]
# The cash column ends where the redemptions' net column does, the count where their amount.
_SALE_WIDTHS = [29 * mm, 62.5 * mm, 27.5 * mm, 51 * mm]


def settlement_pdf(statement: SettlementStatement) -> bytes:
    """The statement as a document: who, which period, every redemption, every counter sale,
    the totals, and what is owed, to the merchant or by it."""
    merchant = _clean(statement.merchant_name, NAME_LIMIT)
    period = f"{format_date(statement.period_start)} – {format_date(statement.period_end)}"
    story: list[Flowable] = [
        Paragraph("Abrechnung <font size=12 color='#555555'>/ Settlement statement</font>", _H1),
        _info_table(statement, period),
        Spacer(0, 6 * mm),
        Paragraph("Einlösungen <font size=9 color='#555555'>/ Redemptions</font>", _SECTION),
        _lines_table(statement.lines),
        Paragraph("Barverkäufe <font size=9 color='#555555'>/ Counter sales</font>", _SECTION),
        _sales_table(statement.counter_sales),
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
                Paragraph(f"{markup(_voucher_cell(line), SANS)}<br/>{markup(_order_cell(line), SANS)}", _CELL),
                format_money(line.amount_cents, "de"),
                format_money(line.reversed_cents, "de"),
                format_money(line.owed_cents, "de"),
            ]
        )
    # repeatRows: the header row is drawn again at the top of every page the table breaks onto.
    table = Table(rows, colWidths=[29 * mm, 62.5 * mm, 27.5 * mm, 25.5 * mm, 25.5 * mm], repeatRows=1)
    table.setStyle(_TABLE_STYLE)
    return table


def _voucher_cell(line: SettlementLine) -> str:
    """The voucher as its holder and the merchant see it: the code masked; a dash when the
    service never saw the code typed (see ``projections.code_masks``)."""
    return line.masked_code or "–"


def _order_cell(line: SettlementLine) -> str:
    """The order it paid, by the reference ordering's mails give it; or the counter."""
    reference = line.order_reference
    return f"Bestellung {reference}" if reference else "an der Kasse / at the counter"


def _sales_table(sales: Sequence[CounterSale]) -> Flowable:
    """Town vouchers the merchant sold for cash: money it holds, netted in the totals."""
    if not sales:
        return Paragraph("Keine Barverkäufe in diesem Zeitraum. <i>/ No counter sales in this period.</i>", _INFO)
    header = [
        Paragraph(escape(cell), _HEAD if column < 2 else _HEAD_RIGHT) for column, cell in enumerate(_SALE_HEADER_CELLS)
    ]
    rows: list[list[Any]] = [header]
    for sale in sales:
        rows.append(
            [
                sale.paid_at.strftime("%d.%m.%Y %H:%M"),
                Paragraph(sale.purchase_reference, _CELL),
                str(sale.vouchers),
                format_money(sale.cash_cents, "de"),
            ]
        )
    table = Table(rows, colWidths=_SALE_WIDTHS, repeatRows=1)
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
        ("Eingelöst / Redeemed", format_money(statement.redeemed_cents, "de")),
        ("Storniert / Reversed", format_money(-statement.reversed_cents, "de")),
        ("Barverkäufe / Counter sales", str(len(statement.counter_sales))),
        ("Bareinnahmen / Counter cash", format_money(-statement.counter_cash_cents, "de")),
        ("Saldo / Balance", format_money(statement.owed_cents, "de")),
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
    """The closing line, an amount above zero either way: paid out to the merchant, or, when
    its counter cash exceeds what it is owed, claimed from it by the association."""
    owed = format_money(abs(statement.owed_cents), "de")
    if statement.owed_cents >= 0:
        return f"Auszahlung an {markup(merchant, SANS_BOLD)}: {owed} <font size=10>/ owed to the merchant</font>"
    return (
        f"Forderung an {markup(merchant, SANS_BOLD)}: {owed}"
        " <font size=10>/ owed by the merchant to the association</font>"
    )


def settlement_csv(statement: SettlementStatement) -> str:
    """The statement in three blocks a spreadsheet shows one below the other, a blank row
    between them: the header row and one row per redemption, as the file began before counter
    cash was netted (an import that reads up to the first blank row reads what it read then);
    "Barverkäufe" with its own header and one row per counter sale; the totals, ending with
    whether the association pays the merchant ("Auszahlung an den Händler") or claims from it
    ("Forderung an den Händler"), the amount above zero either way. Redemption and sale rows
    each name their programme and merchant, so the rows of several files can be combined; a
    redemption row names its voucher by the masked code and its order by the reference
    ordering's mails give it ("an der Kasse" for one at the counter), a counter sale its
    purchase by the reference the vouchers' mails give it (``GS-A1B2C3D4``), not by ids (the
    JSON statement has those).
    """
    header = [
        "Programm",
        "Händler",
        "Händler-ID",
        "Eingelöst am",
        "Gutschein",
        "Bestellung",
        "Betrag",
        "Storniert",
        "Saldo",
    ]
    programme, merchant = _text_cell(statement.programme_name), _text_cell(statement.merchant_name)
    rows = [
        [
            programme,
            merchant,
            str(statement.merchant_id),
            line.redeemed_at.strftime("%d.%m.%Y %H:%M:%S"),
            line.masked_code or "",
            line.order_reference or "an der Kasse",
            csv_amount(line.amount_cents),
            csv_amount(line.reversed_cents),
            csv_amount(line.owed_cents),
        ]
        for line in statement.lines
    ]
    rows += [[], ["Barverkäufe"], ["Programm", "Händler", "Händler-ID", "Bezahlt am", "Kauf", "Gutscheine", "Bar"]]
    rows += [
        [
            programme,
            merchant,
            str(statement.merchant_id),
            sale.paid_at.strftime("%d.%m.%Y %H:%M:%S"),
            sale.purchase_reference,
            str(sale.vouchers),
            csv_amount(sale.cash_cents),
        ]
        for sale in statement.counter_sales
    ]
    owed = statement.owed_cents
    rows += [
        [],
        ["Einlösungen", str(len(statement.lines))],
        ["Eingelöst", csv_amount(statement.redeemed_cents)],
        ["Storniert", csv_amount(-statement.reversed_cents)],
        ["Barverkäufe", str(len(statement.counter_sales))],
        ["Bareinnahmen", csv_amount(-statement.counter_cash_cents)],
        ["Saldo", csv_amount(owed)],
        [
            "Auszahlung an den Händler" if owed >= 0 else "Forderung an den Händler",
            csv_amount(abs(owed)),
        ],
    ]
    return _csv(header, rows)
