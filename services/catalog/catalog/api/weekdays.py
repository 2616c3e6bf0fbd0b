# SPDX-License-Identifier: AGPL-3.0-or-later
"""Weekdays as people read them: the numbers the contracts use (0 = Monday … 6 = Sunday, as
Python's ``date.weekday()``) named in the reader's language by CLDR, through Babel, so every
language Babel knows names them without a catalogue entry."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

import babel.dates

WEEKDAY_DESCRIPTION = "0 = Monday, 1 = Tuesday, 2 = Wednesday, 3 = Thursday, 4 = Friday, 5 = Saturday, 6 = Sunday"


def weekday_name(weekday: int, language: str) -> str:
    """``weekday_name(0, "de")`` is "Montag"; Babel's day names are keyed 0 = Monday too."""
    return str(babel.dates.get_day_names("wide", locale=language)[weekday])


def named_windows(windows: Iterable[Mapping[str, Any]], language: str) -> list[dict[str, Any]]:
    """Opening windows as JSON holds them (weekday, opens, closes), each with its day's name."""
    return [{**window, "weekday_name": weekday_name(int(window["weekday"]), language)} for window in windows]
