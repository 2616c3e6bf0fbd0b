# SPDX-License-Identifier: AGPL-3.0-or-later
"""is_open: weekday 0 is Monday, a window includes its opening minute and excludes its closing one."""

from datetime import UTC, datetime, time

from catalog.domain.opening_hours import is_open
from downtown_events.catalog import TimeWindow

MONDAY_MORNING = [{"weekday": 0, "opens": "09:00:00", "closes": "12:30:00"}]


def at(day: int, hour: int, minute: int = 0) -> datetime:
    """A wall-clock time in the week of Monday 2024-01-01."""
    return datetime(2024, 1, 1 + day, hour, minute)


def test_open_inside_a_window_of_the_same_weekday() -> None:
    assert is_open(MONDAY_MORNING, at(0, 10))


def test_opening_time_is_inside_and_closing_time_is_outside() -> None:
    assert is_open(MONDAY_MORNING, at(0, 9, 0))
    assert not is_open(MONDAY_MORNING, at(0, 12, 30))
    assert is_open(MONDAY_MORNING, datetime(2024, 1, 1, 12, 29, 59))


def test_closed_on_another_weekday_at_the_same_time() -> None:
    assert not is_open(MONDAY_MORNING, at(1, 10))


def test_any_of_several_windows_counts() -> None:
    split_day = [*MONDAY_MORNING, {"weekday": 0, "opens": "14:00:00", "closes": "18:00:00"}]
    assert not is_open(split_day, at(0, 13))
    assert is_open(split_day, at(0, 15))


def test_contract_windows_work_like_stored_ones() -> None:
    windows = [TimeWindow(weekday=6, opens=time(11), closes=time(17))]
    assert is_open(windows, at(6, 11))
    assert not is_open(windows, at(5, 11))


def test_no_windows_means_never_open() -> None:
    assert not is_open([], at(2, 10))


def test_timezone_of_now_is_ignored_because_windows_are_wall_clock() -> None:
    assert is_open(MONDAY_MORNING, datetime(2024, 1, 1, 10, tzinfo=UTC))


def test_windows_stored_with_a_time_zone_are_read_as_wall_clock_times() -> None:
    """What early registrations put in the log ("00:00:00Z", mixed with plain times)."""
    stored = [
        {"weekday": 0, "opens": "00:00:00Z", "closes": "08:00:00"},
        {"weekday": 0, "opens": "09:00:00+02:00", "closes": "12:00:00Z"},
    ]
    assert is_open(stored, at(0, 7)) and is_open(stored, at(0, 10))
    assert not is_open(stored, at(0, 8, 30))
