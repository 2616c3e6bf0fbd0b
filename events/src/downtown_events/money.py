# SPDX-License-Identifier: Apache-2.0
"""Money as a person reads it: one formatting for mails, documents, API texts and web pages.

Amounts are integer cents everywhere in Downtown; this is the only place they become
text for a person. Before, three hand-written formats had grown (``1234,50 €``,
``1.234,50 €`` and ``1234.50 €``); Babel's ``format_currency`` with the CLDR data of
each language writes them the way readers of that language expect:

- ``de``: ``1.234,50 €`` (the gap before the sign is a no-break space, U+00A0);
- ``en``: ``€1,234.50``; negative amounts ``-1.234,50 €`` and ``-€1,234.50``.

The no-break space is kept as Babel writes it: it stops a mail client, a PDF table cell
or a web page from breaking "€" onto a line of its own. A test that compares texts should
compare with :func:`format_money` itself, or write the ``\\u00a0``.

The module is pure (no I/O, no framework), so a service's ``domain/`` may use it for the
reasons it gives, unlike ``downtown_events.runtime``. It needs Babel, which the
``[runtime]`` extra installs with the kit; the event contracts never import it, so
integrators who install the contracts alone still get pydantic only.

Files for machines (the accountants' CSV exports) are not for this module: they keep a
plain number without grouping or currency sign that a spreadsheet reads as a number.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Literal

from babel.numbers import format_currency

Language = Literal["de", "en"]

CURRENCY = "EUR"


def format_money(cents: int, language: Language) -> str:
    """``cents`` in euros as a reader of ``language`` writes them: exact, since the cents
    become a :class:`~decimal.Decimal` (never a float, which would round 0.29 € wrongly in
    some totals), and always with two decimals."""
    if isinstance(cents, bool) or not isinstance(cents, int):
        raise TypeError(f"an amount is integer cents, not {type(cents).__name__}")
    return format_currency(Decimal(cents).scaleb(-2), CURRENCY, locale=language)
