# SPDX-License-Identifier: Apache-2.0
"""The one formatting of money: German and English as Babel writes them, exact, and not a
dependency of the event contracts."""

from __future__ import annotations

import subprocess
import sys

import pytest

from downtown_events.money import Language, format_money

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
