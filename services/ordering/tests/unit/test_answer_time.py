# SPDX-License-Identifier: AGPL-3.0-or-later
"""The merchant's time to answer runs in the shop's opening hours: examples (a Sunday order
to a shop closed on Sundays, the clock-change nights, no hours at all) and properties over
any weekly hours and any moment of placement, checked against a minute-by-minute count."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

from hypothesis import given, settings
from hypothesis import strategies as st

from downtown_events.catalog import TimeWindow
from ordering.domain.answer_time import ANSWER_HORIZON, answer_deadline

BERLIN = ZoneInfo("Europe/Berlin")
HALF_AN_HOUR, A_DAY = timedelta(minutes=30), timedelta(hours=24)
WEEKDAYS_9_TO_6 = tuple(TimeWindow(weekday=day, opens=time(9), closes=time(18)) for day in range(6))
"""Monday to Saturday 09:00–18:00, closed on Sundays."""


def berlin(year: int, month: int, day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=BERLIN)


def deadline(placed_at: datetime, hours: tuple[TimeWindow, ...], open_time: timedelta = HALF_AN_HOUR) -> datetime:
    return answer_deadline(placed_at, hours, BERLIN, open_time=open_time, fallback=A_DAY)


def test_a_sunday_order_to_a_shop_closed_on_sundays_is_answered_by_half_an_hour_after_monday_opens() -> None:
    sunday_early = berlin(2026, 3, 1, 5, 37)
    assert deadline(sunday_early, WEEKDAYS_9_TO_6) == berlin(2026, 3, 2, 9, 30)


def test_an_order_while_the_shop_is_open_gets_the_answer_time_itself() -> None:
    assert deadline(berlin(2026, 3, 2, 11, 0), WEEKDAYS_9_TO_6) == berlin(2026, 3, 2, 11, 30)


def test_the_time_stands_still_overnight() -> None:
    """Ten minutes before Saturday's closing: ten minutes then, twenty on Monday."""
    assert deadline(berlin(2026, 3, 7, 17, 50), WEEKDAYS_9_TO_6) == berlin(2026, 3, 9, 9, 20)


def test_a_lunch_break_is_not_counted_and_overlapping_windows_count_once() -> None:
    hours = (
        TimeWindow(weekday=0, opens=time(9), closes=time(12)),
        TimeWindow(weekday=0, opens=time(11), closes=time(12, 30)),
        TimeWindow(weekday=0, opens=time(14), closes=time(18)),
    )
    assert deadline(berlin(2026, 3, 2, 12, 10), hours) == berlin(2026, 3, 2, 14, 10)
    assert deadline(berlin(2026, 3, 2, 10, 0), hours, timedelta(hours=3)) == berlin(2026, 3, 2, 14, 30)


def test_a_shop_without_hours_gets_the_fallback_in_plain_time() -> None:
    placed = berlin(2026, 3, 1, 5, 37)
    assert deadline(placed, ()) == placed + A_DAY


def test_a_shop_open_less_than_the_answer_time_in_a_week_answers_by_the_end_of_its_open_time() -> None:
    monday_hour = (TimeWindow(weekday=0, opens=time(9), closes=time(10)),)
    assert deadline(berlin(2026, 3, 1, 12, 0), monday_hour, timedelta(hours=2)) == berlin(2026, 3, 2, 10, 0)


def test_the_spring_night_has_no_missing_hour_of_open_time() -> None:
    """29 March 2026: the clock jumps from 02:00 to 03:00. A night shop open 01:00–04:00 is
    open two hours that night; its half hour from 01:45 ends at 03:15 on the clock."""
    night = (TimeWindow(weekday=6, opens=time(1), closes=time(4)),)
    assert deadline(berlin(2026, 3, 29, 1, 45), night) == berlin(2026, 3, 29, 3, 15)


def test_the_autumn_night_counts_the_repeated_hour_once_each_time() -> None:
    """25 October 2026: the clock goes from 03:00 back to 02:00. A window 01:00–03:00 lasts
    until the second 03:00: three hours of open time that night."""
    night = (TimeWindow(weekday=6, opens=time(1), closes=time(3)),)
    placed = berlin(2026, 10, 25, 1, 0)
    assert deadline(placed, night, timedelta(hours=3)) == datetime(2026, 10, 25, 2, 0, tzinfo=UTC)  # 03:00+01:00


def test_a_window_opening_in_the_spring_nights_missing_hour_opens_at_the_jump() -> None:
    """A window 02:30–04:00 on 29 March 2026 opens when the clock jumps to 03:00."""
    night = (TimeWindow(weekday=6, opens=time(2, 30), closes=time(4)),)
    assert deadline(berlin(2026, 3, 29, 1, 0), night) == berlin(2026, 3, 29, 3, 30)


def test_a_window_opening_in_the_autumn_nights_repeated_hour_opens_the_first_time() -> None:
    """A window 02:30–04:00 on 25 October 2026 opens at the first 02:30 (summer time)."""
    night = (TimeWindow(weekday=6, opens=time(2, 30), closes=time(4)),)
    assert deadline(berlin(2026, 10, 25, 0, 0), night) == datetime(2026, 10, 25, 1, 0, tzinfo=UTC)


# --- properties ---------------------------------------------------------------------------------

MINUTE = timedelta(minutes=1)


@st.composite
def windows(draw: st.DrawFn) -> TimeWindow:
    """A window of whole minutes. Its ends lie outside 02:00–03:00 (inclusive), the hour the clock skips or
    repeats once a year, where "open" cannot be read off the wall clock minute by minute (the
    examples above hold what happens there)."""
    start = draw(st.integers(0, 23 * 60 - 1).filter(lambda minute: not 120 <= minute <= 180))
    end = draw(st.integers(start + 1, 24 * 60 - 1).filter(lambda minute: not 120 <= minute <= 180))
    return TimeWindow(weekday=draw(st.integers(0, 6)), opens=time(*divmod(start, 60)), closes=time(*divmod(end, 60)))


# Minutes of the year 2026 in UTC: the spring and autumn clock changes included.
placements = st.integers(0, 364 * 24 * 60).map(lambda minutes: datetime(2026, 1, 1, tzinfo=UTC) + minutes * MINUTE)
CLOCK_CHANGE_WEEKENDS = (datetime(2026, 3, 28, tzinfo=UTC), datetime(2026, 10, 24, tzinfo=UTC))
near_the_clock_changes = st.sampled_from(CLOCK_CHANGE_WEEKENDS).flatmap(
    lambda day: st.integers(0, 3 * 24 * 60).map(lambda minutes: day + minutes * MINUTE)
)


def open_at(moment: datetime, hours: tuple[TimeWindow, ...]) -> bool:
    """Whether the minute starting at ``moment`` is open time, read off the town's wall clock
    (a window holds its opening minute, not its closing one)."""
    wall = moment.astimezone(BERLIN)
    return any(w.weekday == wall.weekday() and w.opens <= wall.time() < w.closes for w in hours)


def open_minutes(start: datetime, end: datetime, hours: tuple[TimeWindow, ...]) -> int:
    counted, moment = 0, start
    while moment < end:
        counted += open_at(moment, hours)
        moment += MINUTE
    return counted


@settings(max_examples=60, deadline=None)
@given(
    hours=st.lists(windows(), min_size=1, max_size=6).map(tuple),
    placed=placements | near_the_clock_changes,
    minutes=st.integers(1, 600),
)
def test_the_deadline_ends_a_minute_of_open_time_after_exactly_the_answer_time_of_it(
    hours: tuple[TimeWindow, ...], placed: datetime, minutes: int
) -> None:
    due = answer_deadline(placed, hours, BERLIN, open_time=minutes * MINUTE, fallback=A_DAY)
    within_horizon = open_minutes(placed, placed + ANSWER_HORIZON, hours)
    if not within_horizon:  # a week shorter by the autumn hour may miss a window: the fallback
        assert due == placed + A_DAY
        return
    assert placed < due <= placed + ANSWER_HORIZON
    assert open_at(due - MINUTE, hours), "inside the hours, or at a closing"
    assert open_minutes(placed, due, hours) == min(minutes, within_horizon)


@settings(max_examples=30, deadline=None)
@given(placed=placements, minutes=st.integers(1, 600))
def test_without_hours_the_deadline_is_the_fallback(placed: datetime, minutes: int) -> None:
    assert answer_deadline(placed, (), BERLIN, open_time=minutes * MINUTE, fallback=A_DAY) == placed + A_DAY
