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

The other way, :func:`parse_money` reads an amount as a person types it ("12,50", "12.50",
"12 €", "1.234,50") into exact cents: a merchant's price in the catalog and the amount it
takes from a voucher at its counter are typed alike, so they are read by one parser.
"""

from __future__ import annotations

import re
from decimal import Decimal
from functools import lru_cache
from typing import Literal

from babel.numbers import format_currency

from downtown_events.refusals import InvalidChange

Language = Literal["de", "en"]

CURRENCY = "EUR"


def format_money(cents: int, language: Language) -> str:
    """``cents`` in euros as a reader of ``language`` writes them: exact, since the cents
    become a :class:`~decimal.Decimal` (never a float, which would round 0.29 € wrongly in
    some totals), and always with two decimals."""
    if isinstance(cents, bool) or not isinstance(cents, int):
        raise TypeError(f"an amount is integer cents, not {type(cents).__name__}")
    return _formatted(cents, language)


@lru_cache(maxsize=8192)
def _formatted(cents: int, language: Language) -> str:
    """Remembered: Babel reads its locale data and applies the pattern on every call, a tenth
    of a catalog search's time (bench ``search``), while a town's prices repeat."""
    return format_currency(Decimal(cents).scaleb(-2), CURRENCY, locale=language)


MAX_AMOUNT_CENTS = 100_000_000
"""One million euros: a typed amount must be below it."""
MAX_TYPED_LENGTH = 30
"""Longer text is refused before it is parsed: "1.234.567,89 EUR" with generous spacing fits."""
_CURRENCY = re.compile(r"^(?:€|EUR)\s*|\s*(?:€|EUR)$", re.IGNORECASE)
_PLAIN = re.compile(r"(?P<euros>[0-9]+)(?:[.,](?P<cents>[0-9]{1,2}|-{1,2}|–))?")
# Thousands grouped the German way (1.234,50) or the English way (1,234.50); with a decimal
# part only, since a lone "1.234" means 1 234 € to one reader and 1,234 € to another.
_GERMAN_GROUPED = re.compile(r"(?P<euros>[0-9]{1,3}(?:\.[0-9]{3})+),(?P<cents>[0-9]{1,2})")
_ENGLISH_GROUPED = re.compile(r"(?P<euros>[0-9]{1,3}(?:,[0-9]{3})+)\.(?P<cents>[0-9]{1,2})")
# A space between groups of three (1 250,00) is unambiguous; between others (12 90) it is a typo.
_SPACE_GROUPED = re.compile(r"(?P<euros>[0-9]{1,3}(?: [0-9]{3})+)(?:[.,](?P<cents>[0-9]{1,2}))?")
_SPACES = str.maketrans({"\u00a0": " ", "\u202f": " ", "\u2009": " "})
_AMBIGUOUS = re.compile(r"[0-9]{1,3}[.,][0-9]{3}")
_EXAMPLES = "write it like 12,90 or 12.90 (or 1.234,50)"


def parse_money(text: str, *, what: str = "amount") -> int:
    """Euros as a person types them, to exact cents without ever touching a float; raises
    :class:`~downtown_events.refusals.InvalidChange` with the reason, naming the amount as
    ``what`` ("price", "amount").

    Strict because a misread amount is charged: "12 90" is not 1 290 €, "1.234" could be
    1 234 € (German) or a typo for 1,23 €, "12,5,0" is no amount, and digits from other
    scripts are not what the person saw on a German or English keyboard. Anything not
    clearly one amount of 0 or more and below :data:`MAX_AMOUNT_CENTS` is refused."""
    if len(text) > MAX_TYPED_LENGTH:
        raise InvalidChange(f"{what} is too long for an amount in euros ({MAX_TYPED_LENGTH} characters at most)")
    amount = _CURRENCY.sub("", text.translate(_SPACES).strip(), count=1).strip()
    _explain_refusal(text, amount, what)
    for pattern in (_PLAIN, _GERMAN_GROUPED, _ENGLISH_GROUPED, _SPACE_GROUPED):
        match = pattern.fullmatch(amount)
        if match:
            return _cents(text, match["euros"], match["cents"], what)
    if _AMBIGUOUS.fullmatch(amount):
        thousands, decimal = f"{amount[:-4]}{amount[-3:]}", f"{amount[:-4]},{amount[-3:-1]}"
        raise InvalidChange(
            f"{what} {text!r} is ambiguous: {thousands} € or {decimal} €? write {thousands} or {decimal}"
        )
    raise InvalidChange(f"{what} {text!r} is not an amount in euros; {_EXAMPLES}")


def _explain_refusal(text: str, amount: str, what: str) -> None:
    """The common mistakes, each with its own reason."""
    if not amount:
        raise InvalidChange(f"{what} {text!r} has no amount; {_EXAMPLES}")
    if any(character.isdigit() and not "0" <= character <= "9" for character in amount):
        raise InvalidChange(f"{what} {text!r} uses digits other than 0-9; {_EXAMPLES}")
    if any(character.isspace() for character in amount) and not _SPACE_GROUPED.fullmatch(amount):
        raise InvalidChange(f"{what} {text!r} has a space inside the number; {_EXAMPLES}")
    if amount.startswith(("-", "−")):
        raise InvalidChange(f"{what} {text!r} is negative; an amount is 0 or more")


def _cents(text: str, euros: str, cents: str | None, what: str) -> int:
    whole = int(euros.replace(".", "").replace(",", "").replace(" ", ""))
    fraction = 0 if cents is None or not cents.isdigit() else int(cents.ljust(2, "0"))
    total = whole * 100 + fraction
    if total >= MAX_AMOUNT_CENTS:
        raise InvalidChange(f"{what} {text!r} is too high: an amount must be below 1.000.000 €")
    return total
