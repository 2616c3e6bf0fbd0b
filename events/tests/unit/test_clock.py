# SPDX-License-Identifier: Apache-2.0
"""The town clock: "today" is the town's calendar day, and a test hands in the time."""

from __future__ import annotations

from dataclasses import FrozenInstanceError, dataclass
from datetime import UTC, date, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest

from downtown_events.runtime.clock import TownClock, utc_now

NEW_YEARS_EVE_LATE_UTC = datetime(2025, 12, 31, 23, 30, tzinfo=UTC)  # 00:30 on 1 January in Berlin


def test_today_is_the_towns_calendar_day_not_utcs() -> None:
    clock = TownClock(clock=lambda: NEW_YEARS_EVE_LATE_UTC)
    assert clock.now() == NEW_YEARS_EVE_LATE_UTC
    assert clock.today() == date(2026, 1, 1)
    assert TownClock(clock=lambda: NEW_YEARS_EVE_LATE_UTC, timezone=ZoneInfo("UTC")).today() == date(2025, 12, 31)


def test_today_does_not_depend_on_the_zone_the_clock_answers_in() -> None:
    in_new_york = NEW_YEARS_EVE_LATE_UTC.astimezone(timezone(timedelta(hours=-5)))
    assert TownClock(clock=lambda: in_new_york).today() == date(2026, 1, 1)


def test_without_a_clock_handed_in_it_is_the_machines_in_utc() -> None:
    before = datetime.now(UTC)
    now = TownClock().now()
    assert now.tzinfo is UTC and before <= now <= utc_now()
    assert TownClock().timezone == ZoneInfo("Europe/Berlin")


def test_a_context_inherits_it_with_its_own_fields_first() -> None:
    @dataclass(frozen=True)
    class Context(TownClock):
        store: str
        key: bytes

    context = Context("store", b"key", clock=lambda: NEW_YEARS_EVE_LATE_UTC)
    assert (context.store, context.key, context.today()) == ("store", b"key", date(2026, 1, 1))
    with pytest.raises(TypeError):
        Context("store", b"key", lambda: NEW_YEARS_EVE_LATE_UTC)  # type: ignore[misc]
    with pytest.raises(FrozenInstanceError):
        context.clock = utc_now  # type: ignore[misc]
