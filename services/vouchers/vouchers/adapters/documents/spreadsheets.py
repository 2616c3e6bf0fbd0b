# SPDX-License-Identifier: AGPL-3.0-or-later
"""CSV as the reader's spreadsheets open it (German: ``;`` and decimal commas), every cell
kept from being read as a formula."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Sequence

from vouchers.adapters.documents.model import IssuedCode
from vouchers.adapters.documents.text import csv_amount
from vouchers.adapters.documents.wording import Wording

CSV_ENCODING = "utf-8-sig"
_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r", "\n")


def codes_csv(codes: Sequence[IssuedCode], wording: Wording | None = None) -> str:
    """The codes of a bulk issue in the clear, for a printer or a partner: handle as cash.
    Headers, amounts and dates in ``wording``'s language (German without one)."""
    words = wording or Wording.of()
    header = [
        words.gettext("Voucher id"),
        words.gettext("Code"),
        words.gettext("Value"),
        words.gettext("Valid until"),
        words.gettext("Programme"),
    ]
    rows = (
        [
            str(issued.voucher_id),
            issued.code.display,
            csv_amount(issued.value_cents, words.decimal_symbol),
            words.day(issued.expires_on),
            _text_cell(issued.programme_name),
        ]
        for issued in codes
    )
    return _csv(header, rows, delimiter=words.csv_delimiter)


def _text_cell(text: str) -> str:
    """A user's text that a spreadsheet will show, never evaluate (OWASP's CSV injection advice).

    Amounts, dates and ids are written by this module and cannot start a formula, so only
    text cells are neutralised; a negative amount stays a number.
    """
    return f"'{text}" if text.startswith(_FORMULA_STARTS) else text


def _csv(header: list[str], rows: Iterable[list[str]], *, delimiter: str = ";") -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=delimiter, lineterminator="\r\n")
    writer.writerow(header)
    writer.writerows(rows)
    return buffer.getvalue()
