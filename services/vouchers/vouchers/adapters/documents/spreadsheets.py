# SPDX-License-Identifier: AGPL-3.0-or-later
"""CSV as German spreadsheets open it, every cell kept from being read as a formula."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Sequence

from vouchers.adapters.documents.model import IssuedCode
from vouchers.adapters.documents.text import csv_amount, format_date

CSV_ENCODING = "utf-8-sig"
_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r", "\n")


def codes_csv(codes: Sequence[IssuedCode]) -> str:
    """The codes of a bulk issue in the clear, for a printer or a partner: handle as cash."""
    header = ["Gutschein-ID", "Code", "Wert", "Gültig bis", "Programm"]
    rows = (
        [
            str(issued.voucher_id),
            issued.code.display,
            csv_amount(issued.value_cents),
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
