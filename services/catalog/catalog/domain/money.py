# SPDX-License-Identifier: AGPL-3.0-or-later
"""Prices as merchants type them ("12,90", "12.90", "12 €", "1.234,50") to exact integer cents.

Parsing is strict because a misread price is charged: "12 90" is not 1 290 €, "1.234" could
be either 1 234 € (German) or a typo for 1,23 €, and digits from other scripts are not
what the merchant saw on a German or English keyboard. Anything not clearly one amount is
refused with a reason saying what was not understood.
"""

from __future__ import annotations

import re

from catalog.domain.errors import InvalidChange

MAX_PRICE_CENTS = 100_000_000  # one million euros: a price must be below it
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


def parse_price(text: str) -> int:
    """Euros to cents without ever touching a float; raises :class:`InvalidChange` with the reason."""
    amount = _CURRENCY.sub("", text.translate(_SPACES).strip(), count=1).strip()
    _explain_refusal(text, amount)
    for pattern in (_PLAIN, _GERMAN_GROUPED, _ENGLISH_GROUPED, _SPACE_GROUPED):
        match = pattern.fullmatch(amount)
        if match:
            return _cents(text, match["euros"], match["cents"])
    if _AMBIGUOUS.fullmatch(amount):
        thousands, decimal = f"{amount[:-4]}{amount[-3:]}", f"{amount[:-4]},{amount[-3:-1]}"
        raise InvalidChange(
            f"price {text!r} is ambiguous: {thousands} € or {decimal} €? write {thousands} or {decimal}"
        )
    raise InvalidChange(f"price {text!r} is not an amount in euros; {_EXAMPLES}")


def _explain_refusal(text: str, amount: str) -> None:
    """The common mistakes, each with its own reason."""
    if not amount:
        raise InvalidChange(f"price {text!r} has no amount; {_EXAMPLES}")
    if any(character.isdigit() and not "0" <= character <= "9" for character in amount):
        raise InvalidChange(f"price {text!r} uses digits other than 0-9; {_EXAMPLES}")
    if any(character.isspace() for character in amount) and not _SPACE_GROUPED.fullmatch(amount):
        raise InvalidChange(f"price {text!r} has a space inside the number; {_EXAMPLES}")
    if amount.startswith(("-", "−")):
        raise InvalidChange(f"price {text!r} is negative; a price is 0 or more")


def _cents(text: str, euros: str, cents: str | None) -> int:
    whole = int(euros.replace(".", "").replace(",", "").replace(" ", ""))
    fraction = 0 if cents is None or not cents.isdigit() else int(cents.ljust(2, "0"))
    total = whole * 100 + fraction
    if total >= MAX_PRICE_CENTS:
        raise InvalidChange(f"price {text!r} is too high: a price must be below 1.000.000 €")
    return total
