# SPDX-License-Identifier: AGPL-3.0-or-later
"""Whether a merchant is open at a given local time, from weekly opening windows.

Windows arrive either as contract objects (:class:`TimeWindow`) or as the JSON the read
models store (``{"weekday": 0, "opens": "09:00:00", "closes": "18:00:00"}``); both mean
the same thing, so both are accepted. A window never crosses midnight (the contract
forbids ``opens >= closes``): a shop open past midnight lists two windows.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import Any

from downtown_events.catalog import TimeWindow


def is_open(windows: Iterable[TimeWindow | Mapping[str, Any]], now_local: datetime) -> bool:
    """True if ``now_local`` falls in a window: same weekday (0 = Monday), ``opens <= t < closes``.

    ``now_local`` is the wall-clock time in the town; any tzinfo is ignored because the
    windows themselves are wall-clock times.
    """
    weekday, moment = now_local.weekday(), now_local.time().replace(tzinfo=None)
    for window in map(_as_window, windows):
        if window.weekday == weekday and window.opens <= moment < window.closes:
            return True
    return False


def _as_window(window: TimeWindow | Mapping[str, Any]) -> TimeWindow:
    return window if isinstance(window, TimeWindow) else TimeWindow.model_validate(dict(window))
