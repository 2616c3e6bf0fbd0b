# SPDX-License-Identifier: AGPL-3.0-or-later
"""Settlement statements for town vouchers: what the association owes a merchant, as PDF and CSV.

A statement lists the merchant's redemptions and its counter sales: cash it took for town
vouchers at its counter is the town's money in the merchant's till, so it is taken off what
the town owes for redemptions (the same sums as ``/settlements`` and the JSON statement).
Below zero the merchant owes the association, and the closing line says so. Both are
written in the reader's language (:class:`~vouchers.adapters.documents.wording.Wording`).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

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
from vouchers.adapters.documents.model import CounterSale, SettlementLine, SettlementStatement
from vouchers.adapters.documents.pdf import _GREY, _H1, _LABEL, _build, _style
from vouchers.adapters.documents.spreadsheets import _csv, _text_cell
from vouchers.adapters.documents.text import NAME_LIMIT, _clean, _markup, csv_amount
from vouchers.adapters.documents.wording import Wording

_INFO = _style("info", 10)
# DejaVu Sans runs about an eighth wider than Helvetica did: a voucher's masked code and its
# order each keep one line at 7.5 pt in their column, the date and the amount's heading theirs at 8 pt.
_CELL = _style("cell", 7.5, leading=9.5)
_HEAD = _style("head", 8, leading=9.5, textColor=_GREY)
_HEAD_RIGHT = _style("head-right", 8, leading=9.5, textColor=_GREY, alignment=TA_RIGHT)
_TOTAL = _style("total", 12, font=SANS_BOLD, spaceBefore=5 * mm)
_SECTION = _style("section", 11, font=SANS_BOLD, spaceBefore=6 * mm, spaceAfter=2 * mm)
# The cash column ends where the redemptions' net column does, the count where their amount.
_SALE_WIDTHS = [29 * mm, 62.5 * mm, 27.5 * mm, 51 * mm]


def settlement_pdf(statement: SettlementStatement, wording: Wording | None = None) -> bytes:
    """The statement as a document: who, which period, every redemption, every counter sale,
    the totals, and what is owed, to the merchant or by it; in ``wording``'s language (German
    without one)."""
    words = wording or Wording.of()
    merchant = _clean(statement.merchant_name, NAME_LIMIT)
    period = f"{words.day(statement.period_start)} – {words.day(statement.period_end)}"
    story: list[Flowable] = [
        Paragraph(markup(words.gettext("Settlement statement"), SANS_BOLD), _H1),
        _info_table(statement, period, words),
        Spacer(0, 6 * mm),
        Paragraph(markup(words.gettext("Redemptions"), SANS_BOLD), _SECTION),
        _lines_table(statement.lines, words),
        Paragraph(markup(words.gettext("Counter sales"), SANS_BOLD), _SECTION),
        _sales_table(statement.counter_sales, words),
        _totals_table(statement, words),
        Paragraph(markup(_owed_sentence(statement, merchant, words), SANS_BOLD), _TOTAL),
    ]
    # Translators: the running head of a settlement statement's pages (and the PDF's title)
    running = words.gettext("Settlement statement %(merchant)s · %(period)s", merchant=merchant, period=period)
    return _build(
        story,
        running,
        subject=words.gettext("Settlement statement"),
        language=words.tag,
        running_head=running,
        page_label=lambda number: words.gettext("Page %(number)s", number=number),
    )


def _info_table(statement: SettlementStatement, period: str, words: Wording) -> Table:
    rows = [
        (words.gettext("Town"), _markup(statement.town_name, NAME_LIMIT)),
        (words.gettext("Programme"), _markup(statement.programme_name, NAME_LIMIT)),
        (words.gettext("Merchant"), _markup(statement.merchant_name, NAME_LIMIT)),
        (words.gettext("Merchant id"), str(statement.merchant_id)),
        (words.gettext("Period"), markup(period)),
    ]
    table = Table(
        [[Paragraph(markup(label), _LABEL), Paragraph(text, _INFO)] for label, text in rows], colWidths=[45 * mm, None]
    )
    table.setStyle(TableStyle([("VALIGN", (0, 0), (-1, -1), "TOP"), ("LEFTPADDING", (0, 0), (-1, -1), 0)]))
    return table


def _heading(cells: Sequence[str]) -> list[Paragraph]:
    """A table's header row: the first two columns left, the figures' right."""
    return [Paragraph(cell, _HEAD if column < 2 else _HEAD_RIGHT) for column, cell in enumerate(cells)]


def _lines_table(lines: Sequence[SettlementLine], words: Wording) -> Flowable:
    if not lines:
        return Paragraph(markup(words.gettext("No redemptions in this period.")), _INFO)
    header = _heading(
        [
            markup(words.gettext("Redeemed on")),
            f"{markup(words.gettext('Voucher'))}<br/>{markup(words.gettext('Order'))}",
            markup(words.gettext("Amount")),
            markup(words.gettext("Reversed")),
            markup(words.gettext("Net")),
        ]
    )
    rows: list[list[Any]] = [header]
    for line in lines:
        rows.append(
            [
                words.moment(line.redeemed_at),
                Paragraph(f"{markup(_voucher_cell(line), SANS)}<br/>{markup(_order_cell(line, words), SANS)}", _CELL),
                words.money(line.amount_cents),
                words.money(line.reversed_cents),
                words.money(line.owed_cents),
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


def _order_cell(line: SettlementLine, words: Wording) -> str:
    """The order it paid, by the reference ordering's mails give it; or the counter."""
    reference = line.order_reference
    return words.gettext("Order %(reference)s", reference=reference) if reference else words.gettext("at the counter")


def _sales_table(sales: Sequence[CounterSale], words: Wording) -> Flowable:
    """Town vouchers the merchant sold for cash: money it holds, netted in the totals."""
    if not sales:
        return Paragraph(markup(words.gettext("No counter sales in this period.")), _INFO)
    header = _heading(
        [
            markup(words.gettext("Paid on")),
            markup(words.gettext("Purchase")),
            markup(words.gettext("Vouchers")),
            markup(words.gettext("Cash")),
        ]
    )
    rows: list[list[Any]] = [header]
    for sale in sales:
        rows.append(
            [
                words.moment(sale.paid_at),
                Paragraph(sale.purchase_reference, _CELL),
                str(sale.vouchers),
                words.money(sale.cash_cents),
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


def _totals(statement: SettlementStatement, words: Wording, amount: Callable[[int], str]) -> list[tuple[str, str]]:
    """The totals as label and figure, the balance last: the PDF's and the CSV's, which
    write an amount each their own way (``amount``)."""
    return [
        (words.gettext("Redemptions"), str(len(statement.lines))),
        (words.gettext("Redeemed"), amount(statement.redeemed_cents)),
        (words.gettext("Reversed"), amount(-statement.reversed_cents)),
        (words.gettext("Counter sales"), str(len(statement.counter_sales))),
        (words.gettext("Counter cash"), amount(-statement.counter_cash_cents)),
        (words.gettext("Balance"), amount(statement.owed_cents)),
    ]


def _totals_table(statement: SettlementStatement, words: Wording) -> Table:
    # Plain cells in the table's font, as the amounts: the catalogues' labels are Latin script.
    table = Table(
        _totals(statement, words, words.money), colWidths=[60 * mm, 35 * mm], hAlign="RIGHT", spaceBefore=5 * mm
    )
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


def _owed_sentence(statement: SettlementStatement, merchant: str, words: Wording) -> str:
    """The closing line, an amount above zero either way: paid out to the merchant, or, when
    its counter cash exceeds what it is owed, claimed from it by the association."""
    owed = words.money(abs(statement.owed_cents))
    if statement.owed_cents >= 0:
        return words.gettext("Payout to %(merchant)s: %(amount)s", merchant=merchant, amount=owed)
    return words.gettext("Claim on %(merchant)s: %(amount)s", merchant=merchant, amount=owed)


def settlement_csv(statement: SettlementStatement, wording: Wording | None = None) -> str:
    """The statement in three blocks a spreadsheet shows one below the other, a blank row
    between them: the header row and one row per redemption, as the file began before counter
    cash was netted (an import that reads up to the first blank row reads what it read then);
    the counter sales ("Barverkäufe") with their own header and one row per counter sale; the
    totals, ending with whether the association pays the merchant ("Auszahlung an den
    Händler") or claims from it ("Forderung an den Händler"), the amount above zero either
    way. Redemption and sale rows each name their programme and merchant, so the rows of
    several files can be combined; a redemption row names its voucher by the masked code and
    its order by the reference ordering's mails give it ("an der Kasse" for one at the
    counter), a counter sale its purchase by the reference the vouchers' mails give it
    (``GS-A1B2C3D4``), not by ids (the JSON statement has those).

    The words are ``wording``'s language (German without one, as quoted above), and so are
    the numbers, dates and cell separator (see :mod:`~vouchers.adapters.documents.wording`).
    """
    words = wording or Wording.of()
    decimal = words.decimal_symbol

    def amount(cents: int) -> str:
        return csv_amount(cents, decimal)

    programme_label, merchant_label, id_label = (
        words.gettext("Programme"),
        words.gettext("Merchant"),
        words.gettext("Merchant id"),
    )
    header = [
        programme_label,
        merchant_label,
        id_label,
        words.gettext("Redeemed on"),
        words.gettext("Voucher"),
        words.gettext("Order"),
        words.gettext("Amount"),
        words.gettext("Reversed"),
        words.gettext("Net"),
    ]
    programme, merchant = _text_cell(statement.programme_name), _text_cell(statement.merchant_name)
    counter = words.gettext("at the counter")
    rows = [
        [
            programme,
            merchant,
            str(statement.merchant_id),
            words.csv_moment(line.redeemed_at),
            line.masked_code or "",
            line.order_reference or counter,
            amount(line.amount_cents),
            amount(line.reversed_cents),
            amount(line.owed_cents),
        ]
        for line in statement.lines
    ]
    sale_header = [
        programme_label,
        merchant_label,
        id_label,
        words.gettext("Paid on"),
        words.gettext("Purchase"),
        words.gettext("Vouchers"),
        words.gettext("Cash"),
    ]
    rows += [[], [words.gettext("Counter sales")], sale_header]
    rows += [
        [
            programme,
            merchant,
            str(statement.merchant_id),
            words.csv_moment(sale.paid_at),
            sale.purchase_reference,
            str(sale.vouchers),
            amount(sale.cash_cents),
        ]
        for sale in statement.counter_sales
    ]
    owed = statement.owed_cents
    closing = words.gettext("Paid to the merchant") if owed >= 0 else words.gettext("Claimed from the merchant")
    rows += [
        [],
        *([label, figure] for label, figure in _totals(statement, words, amount)),
        [closing, amount(abs(owed))],
    ]
    return _csv(header, rows, delimiter=words.csv_delimiter)
