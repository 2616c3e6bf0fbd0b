# SPDX-License-Identifier: AGPL-3.0-or-later
"""User text made printable, dates in German notation, and amounts in the accountants' CSV
files (amounts for a person are :func:`downtown_events.money.format_money`'s)."""

from __future__ import annotations

import unicodedata
from datetime import date

from downtown_events.runtime.pdf_text import SANS, markup

# Cut lengths for user text: what the service accepts (a gift's recipient and message, see
# ``vouchers.domain.private_events.Gift``) is printed in full; anything longer is cut.
NAME_LIMIT = 120
PLACE_LIMIT = 200
MESSAGE_LIMIT = 1000
MESSAGE_LINES = 8
_UNPRINTABLE = frozenset({"Cc", "Cf", "Cs", "Co", "Cn"})


def format_date(day: date) -> str:
    """A day as German documents write it (``31.12.2029``); a document in the reader's
    language writes it with :meth:`~vouchers.adapters.documents.wording.Wording.day`."""
    return day.strftime("%d.%m.%Y")


def csv_amount(cents: int, decimal: str = ",") -> str:
    """``1234,50``, ``-3,00``: an amount in a CSV file for the accountants, not text for a
    person, so not :func:`downtown_events.money.format_money`: no currency sign and no
    thousands separator, the decimal comma (or the ``decimal`` symbol of the reader's
    language), which a spreadsheet in that language reads as a number to add up; exact
    (integer cents, never a float)."""
    euros, rest = divmod(abs(cents), 100)
    return f"{'-' if cents < 0 else ''}{euros}{decimal}{rest:02d}"


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


def _markup(text: str, limit: int, *, keep_newlines: bool = False, font: str = SANS) -> str:
    """User text as paragraph markup that can only ever mean that text, for a paragraph set
    in ``font``: each character in a font that has it."""
    return markup(_clean(text, limit, keep_newlines=keep_newlines), font).replace("\n", "<br/>")
