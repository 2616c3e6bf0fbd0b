# SPDX-License-Identifier: Apache-2.0
"""The one formatting of money: German and English as Babel writes them, exact, and not a
dependency of the event contracts."""

from __future__ import annotations

import subprocess
import sys

import pytest

from downtown_events.money import Language, format_money, parse_money
from downtown_events.refusals import InvalidChange

NBSP = "\u00a0"


@pytest.mark.parametrize(
    ("cents", "language", "shown"),
    [
        (0, "de", f"0,00{NBSP}€"),
        (0, "en", "€0.00"),
        (5, "de", f"0,05{NBSP}€"),
        (5, "en", "€0.05"),
        (123450, "de", f"1.234,50{NBSP}€"),
        (123450, "en", "€1,234.50"),
        (10**9, "de", f"10.000.000,00{NBSP}€"),
        (10**9, "en", "€10,000,000.00"),
        (-300, "de", f"-3,00{NBSP}€"),
        (-123456, "de", f"-1.234,56{NBSP}€"),
        (-123456, "en", "-€1,234.56"),
    ],
)
def test_amounts_read_as_each_language_writes_them(cents: int, language: Language, shown: str) -> None:
    assert format_money(cents, language) == shown


def test_the_cents_are_exact_where_a_float_would_round() -> None:
    # 0.29 * 100 is 28.999999999999996 as a float; 10**17 cents are beyond a float's 53 bits
    assert format_money(29, "en") == "€0.29"
    assert format_money(10**17 + 1, "en") == "€1,000,000,000,000,000.01"


@pytest.mark.parametrize("amount", [12.5, "1250", True])
def test_only_integer_cents_are_money(amount: object) -> None:
    with pytest.raises(TypeError):
        format_money(amount, "de")  # type: ignore[arg-type]


def test_the_event_contracts_do_not_load_babel() -> None:
    """Integrators install the contracts with pydantic alone; Babel comes with the runtime."""
    modules = ", ".join(
        f"downtown_events.{name}"
        for name in ("contract", "envelope", "catalog", "vouchers", "ordering", "topics", "schemas", "text")
    )
    probe = f"import sys, {modules}; print('babel' in sys.modules)"
    loaded = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    assert loaded.stdout.strip() == "False"


@pytest.mark.parametrize(
    ("typed", "cents"),
    [
        ("12,50", 1250),
        ("12.50", 1250),
        ("12", 1200),
        ("12,5", 1250),
        ("0,99 €", 99),
        ("€12.90", 1290),
        ("12 EUR", 1200),
        ("12,-", 1200),
        ("1.234,50", 123450),
        ("1,234.50", 123450),
        ("1 250,00", 125000),
        ("1\u202f250,00", 125000),
        ("  7,00  ", 700),
        ("999999,99", 99_999_999),
    ],
)
def test_an_amount_typed_the_german_or_the_english_way_is_read_to_exact_cents(typed: str, cents: int) -> None:
    assert parse_money(typed) == cents


@pytest.mark.parametrize(
    ("typed", "reason"),
    [
        ("12,5,0", "not an amount"),
        ("12.5.0", "not an amount"),
        ("-12,50", "negative"),
        ("−12,50", "negative"),  # the minus sign
        ("12\x0050", "not an amount"),
        ("\x00", "not an amount"),
        ("1" * 31, "too long"),
        ("12 90", "space inside the number"),
        ("١٢", "digits other than 0-9"),
        ("１２", "digits other than 0-9"),
        ("1000000", "below 1.000.000"),
        ("1.234", "ambiguous"),
        ("", "no amount"),
        ("zwölf", "not an amount"),
        ("1e3", "not an amount"),
        ("$12.50", "not an amount"),
    ],
)
def test_what_is_not_clearly_one_amount_is_refused_with_the_reason(typed: str, reason: str) -> None:
    with pytest.raises(InvalidChange, match=reason) as refused:
        parse_money(typed)
    assert refused.value.reason.startswith("amount"), "the refusal names what was typed"


def test_a_refusal_names_the_amount_as_the_caller_calls_it() -> None:
    with pytest.raises(InvalidChange, match=r"^price '12 90' has a space"):
        parse_money("12 90", what="price")


def test_an_over_long_text_is_refused_without_being_repeated() -> None:
    with pytest.raises(InvalidChange) as refused:
        parse_money("9" * 10_000)
    assert "9999" not in refused.value.reason
