# SPDX-License-Identifier: AGPL-3.0-or-later
"""Prices as merchants type them: strictly understood, or refused with a reason."""

from __future__ import annotations

import pytest

from catalog.domain.errors import InvalidChange
from catalog.domain.money import parse_price


@pytest.mark.parametrize(
    ("typed", "cents"),
    [
        ("12,90", 1290),
        ("12.9", 1290),
        ("7", 700),
        ("0,99 €", 99),
        ("€12.90", 1290),
        ("12 EUR", 1200),
        ("12,-", 1200),
        ("1.234,50", 123450),
        ("1,234.50", 123450),
        ("1 250,00", 125000),
        ("1\u202f250,00", 125000),
        ("999999,99", 99_999_999),
    ],
)
def test_german_and_english_notation_is_parsed_to_exact_cents(typed: str, cents: int) -> None:
    assert parse_price(typed) == cents


@pytest.mark.parametrize(
    ("typed", "reason"),
    [
        ("12 90", "space inside the number"),
        ("١٢", "digits other than 0-9"),  # Arabic-Indic
        ("１２", "digits other than 0-9"),  # full-width
        ("𝟏𝟐", "digits other than 0-9"),  # mathematical bold
        ("1000000", "below 1.000.000"),
        ("1.234", "ambiguous"),
        ("1,999", "ambiguous"),
        ("-3", "negative"),
        ("", "no amount"),
        ("zwölf", "not an amount"),
        ("1e3", "not an amount"),
        ("12\x0090", "not an amount"),
    ],
)
def test_what_is_not_clearly_one_amount_is_refused_with_the_reason(typed: str, reason: str) -> None:
    with pytest.raises(InvalidChange, match=reason):
        parse_price(typed)
