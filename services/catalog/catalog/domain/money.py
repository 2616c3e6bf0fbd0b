"""Prices as merchants type them ("12,90", "12.90", "12 €") to exact integer cents."""

from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation

from catalog.domain.errors import InvalidChange

MAX_PRICE_CENTS = 100_000_000  # one million euros: anything above is a typo
_PRICE = re.compile(r"^\d{1,7}([.,]\d{1,2})?$")


def parse_price(text: str) -> int:
    """Euros to cents without ever touching a float; German decimal comma accepted."""
    cleaned = text.strip().removesuffix("€").removesuffix("EUR").strip().replace(" ", "")
    if not _PRICE.match(cleaned):
        raise InvalidChange(f"price {text!r} is not an amount in euros like 12,90 or 12.90")
    try:
        cents = int(Decimal(cleaned.replace(",", ".")) * 100)
    except InvalidOperation:
        raise InvalidChange(f"price {text!r} is not an amount in euros") from None
    if cents > MAX_PRICE_CENTS:
        raise InvalidChange("price must be below 1,000,000 €")
    return cents


def format_price(cents: int) -> str:
    return f"{cents // 100},{cents % 100:02d} €"
