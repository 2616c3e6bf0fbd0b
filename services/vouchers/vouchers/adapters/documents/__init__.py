# SPDX-License-Identifier: AGPL-3.0-or-later
"""The vouchers' documents: printable vouchers (PDF), settlement statements (PDF, CSV), code exports (CSV).

Each is written in one reader's language, given as a :class:`Wording` (German when none is):
its labels are messages of the vouchers' gettext catalogue, with the town's texts over it,
its amounts and dates as that language writes them (see :mod:`.wording`). A statement's
reader chooses (``lang``, ``Accept-Language``); a buyer's vouchers are in the language the
purchase recorded, the one their mails are in.

Every text that reaches a document came from someone's keyboard (a town's name, a programme,
a merchant, a gift message), so it is drawn as text and nothing else: escaped before it meets
reportlab's paragraph markup, stripped of control and invisible characters, cut at a length
that fits the page, and, in a CSV cell, kept from starting like a spreadsheet formula.
Every text is set in the fonts the kit embeds (:mod:`downtown_events.runtime.pdf_text`:
DejaVu Sans, and Droid Sans Fallback for Chinese, Japanese and Korean), each character in one
that has it, so a name in Cyrillic, Chinese or with an emoji prints as written; a character no
font has (a colour emoji) prints as one visible U+FFFD, never as an empty box.

The PDFs are built with reportlab's ``invariant`` mode (no creation time, a fixed document id):
the same input gives the same bytes, which makes them testable and cacheable. They embed the
subsets of the kit's fonts they use; the voucher code, which only ever holds the code's own
alphabet, stays in the PDF standard Courier.

CSVs are what the reader's spreadsheets open without an import dialog: in German ``;``
between cells, decimal commas without thousands separators (``1234,50``), dates as
``31.12.2029``; in English ``,``, ``1234.50`` and ``2029-12-31``; a header row. They are
returned as ``str``; encode them with :data:`CSV_ENCODING`, whose byte order mark tells
Excel that the file is UTF-8.
"""

from vouchers.adapters.documents.cards import QR_SIZE, voucher_pdf
from vouchers.adapters.documents.model import (
    CounterSale,
    IssuedCode,
    SettlementLine,
    SettlementStatement,
    VoucherDocument,
)
from vouchers.adapters.documents.spreadsheets import CSV_ENCODING, codes_csv
from vouchers.adapters.documents.statements import settlement_csv, settlement_pdf
from vouchers.adapters.documents.text import MESSAGE_LIMIT, NAME_LIMIT, PLACE_LIMIT, format_date
from vouchers.adapters.documents.wording import Wording

__all__ = [
    "CSV_ENCODING",
    "MESSAGE_LIMIT",
    "NAME_LIMIT",
    "PLACE_LIMIT",
    "QR_SIZE",
    "CounterSale",
    "IssuedCode",
    "SettlementLine",
    "SettlementStatement",
    "VoucherDocument",
    "Wording",
    "codes_csv",
    "format_date",
    "settlement_csv",
    "settlement_pdf",
    "voucher_pdf",
]
