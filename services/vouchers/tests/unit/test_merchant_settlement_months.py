# SPDX-License-Identifier: AGPL-3.0-or-later
"""Which months a merchant's settlement listing covers: the town's calendar months, the last
twelve by default, at most 24 at once, whole months from the first day to the last."""

from __future__ import annotations

from datetime import date
from types import SimpleNamespace
from typing import Any

import pytest

from vouchers.api.routes.merchant_settlements import _days, _listed_months
from vouchers.domain.errors import InvalidChange


def town_on(day: date) -> Any:
    """A container whose town clock reads ``day`` (all the listing asks of it)."""
    return SimpleNamespace(handlers=SimpleNamespace(context=SimpleNamespace(today=lambda: day)))


@pytest.mark.parametrize(
    ("month", "days"),
    [
        ("2026-12", (date(2026, 12, 1), date(2026, 12, 31))),
        ("2028-02", (date(2028, 2, 1), date(2028, 2, 29))),  # a leap year's February
        ("2027-02", (date(2027, 2, 1), date(2027, 2, 28))),
    ],
)
def test_a_month_is_its_first_day_to_its_last(month: str, days: tuple[date, date]) -> None:
    assert _days(month) == days


def test_by_default_the_last_twelve_months_this_one_included() -> None:
    assert _listed_months(None, None, town_on(date(2026, 12, 6))) == (date(2026, 1, 1), date(2026, 12, 31))
    assert _listed_months(None, None, town_on(date(2027, 3, 31))) == (date(2026, 4, 1), date(2027, 3, 31))


def test_the_months_asked_for_as_whole_months() -> None:
    assert _listed_months("2025-11", "2026-02", town_on(date(2026, 12, 6))) == (date(2025, 11, 1), date(2026, 2, 28))
    assert _listed_months(None, "2025-06", town_on(date(2026, 12, 6))) == (date(2024, 7, 1), date(2025, 6, 30))


@pytest.mark.parametrize(
    ("start", "end", "reason"),
    [("2026-05", "2026-04", "end before they start"), ("2024-01", "2026-01", "at most 24 months")],
)
def test_a_listing_out_of_order_or_too_long_is_refused(start: str, end: str, reason: str) -> None:
    with pytest.raises(InvalidChange, match=reason):
        _listed_months(start, end, town_on(date(2026, 12, 6)))
