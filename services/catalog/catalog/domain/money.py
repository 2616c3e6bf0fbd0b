# SPDX-License-Identifier: AGPL-3.0-or-later
"""Prices as merchants type them ("12,90", "12.90", "12 €", "1.234,50") to exact integer cents.

The parser is the kit's (:func:`downtown_events.money.parse_money`), shared with the amounts
a merchant takes from a voucher at its counter: one way of reading a typed amount in the
town. Here it only names what was typed a price, so a refusal says "price '12 90' …".
"""

from __future__ import annotations

from downtown_events.money import parse_money


def parse_price(text: str) -> int:
    """Euros to cents without ever touching a float; raises :class:`InvalidChange` with the reason."""
    return parse_money(text, what="price")
