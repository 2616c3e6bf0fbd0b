# SPDX-License-Identifier: Apache-2.0
"""The time as a use case sees it: an instant (``now``) and the town's calendar day (``today``).

A voucher valid through 31 December is valid until midnight in the town, not in UTC, and an
order placed at 00:30 in Berlin is placed on the town's day; so "today" is always read in
the town's zone (``ServiceSettings.timezone``, Europe/Berlin unless a town says otherwise).
The clock is handed in, never read from the machine inside a rule, so tests move it.

A service's use-case context inherits :class:`TownClock`: its fields are keyword-only, so the
context's own fields come first and ``Context(store, key, clock=…, timezone=…)`` reads as before.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

TOWN_ZONE = "Europe/Berlin"
"""The zone of a town that names none: the default of ``ServiceSettings.timezone``."""


def utc_now() -> datetime:
    """The machine's clock, aware, in UTC: what every event's time is recorded in."""
    return datetime.now(UTC)


@dataclass(frozen=True, kw_only=True)
class TownClock:
    """``now()`` from ``clock`` (the machine's unless a test hands in another), ``today()`` on
    the town's calendar."""

    clock: Callable[[], datetime] = utc_now
    timezone: ZoneInfo = field(default_factory=lambda: ZoneInfo(TOWN_ZONE))

    def now(self) -> datetime:
        return self.clock()

    def today(self) -> date:
        """The town's calendar day now, whatever zone ``clock`` answers in."""
        return self.now().astimezone(self.timezone).date()
