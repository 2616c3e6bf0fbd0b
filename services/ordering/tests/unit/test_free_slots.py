# SPDX-License-Identifier: AGPL-3.0-or-later
"""A service's free times: its weekly hours cut into slots, but what is booked, held, past
or beyond the horizon; on the nights the clocks change, the hours the day really has."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from uuid import uuid4
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from downtown_events.catalog import TimeWindow
from downtown_events.ordering import TimeSlot
from ordering.domain.errors import InvalidChange
from ordering.domain.facts import OfferFacts, TownSettings, as_utc
from ordering.domain.slots import MAX_SLOTS, check_slot, cut, days_from, free_slots, overlaps

BERLIN = ZoneInfo("Europe/Berlin")
NOW = datetime(2026, 3, 2, 8, 0, tzinfo=BERLIN)  # a Monday
MONDAY = date(2026, 3, 2)
SETTINGS = TownSettings(timezone=BERLIN, booking_horizon=timedelta(days=60))
EVERY_DAY_9_TO_12 = tuple(TimeWindow(weekday=day, opens=time(9), closes=time(12)) for day in range(7))
TUTORING = OfferFacts(
    uuid4(),
    uuid4(),
    "service",
    "Englisch-Nachhilfe",
    2500,
    duration_minutes=60,
    weekly_availability=EVERY_DAY_9_TO_12,
)


def at(day: date, hour: int, minute: int = 0, *, minutes: int = 60) -> TimeSlot:
    starts = datetime.combine(day, time(hour, minute), tzinfo=BERLIN)
    return TimeSlot(starts_at=starts, ends_at=starts + timedelta(minutes=minutes))


def starts(slots: tuple[TimeSlot, ...] | list[TimeSlot]) -> list[str]:
    return [slot.starts_at.isoformat() for slot in slots]


def test_the_weekly_hours_are_cut_into_slots_of_the_services_length() -> None:
    free = free_slots(TUTORING, [MONDAY, MONDAY + timedelta(days=1)], [], SETTINGS, NOW)
    assert starts(free.slots) == [
        "2026-03-02T09:00:00+01:00",
        "2026-03-02T10:00:00+01:00",
        "2026-03-02T11:00:00+01:00",
        "2026-03-03T09:00:00+01:00",
        "2026-03-03T10:00:00+01:00",
        "2026-03-03T11:00:00+01:00",
    ]
    assert free.complete


def test_a_booked_or_held_time_and_any_slot_overlapping_it_is_not_free() -> None:
    booked = at(MONDAY, 9, 30)  # an order booked 09:30-10:30: both 09:00 and 10:00 overlap it
    free = free_slots(TUTORING, [MONDAY], [booked], SETTINGS, NOW)
    assert starts(free.slots) == ["2026-03-02T11:00:00+01:00"]


def test_a_fully_booked_day_has_no_free_slot() -> None:
    taken = [at(MONDAY, hour) for hour in (9, 10, 11)]
    assert free_slots(TUTORING, [MONDAY], taken, SETTINGS, NOW).slots == ()


def test_the_past_and_what_lies_beyond_the_booking_horizon_are_not_free() -> None:
    now = datetime.combine(MONDAY, time(10, 15), tzinfo=BERLIN)
    assert starts(free_slots(TUTORING, [MONDAY], [], SETTINGS, now).slots) == ["2026-03-02T11:00:00+01:00"]
    beyond = MONDAY + SETTINGS.booking_horizon + timedelta(days=1)
    assert free_slots(TUTORING, [beyond], [], SETTINGS, now).slots == ()


def test_a_product_a_withdrawn_service_and_one_without_a_length_have_no_slots() -> None:
    for offer in (
        OfferFacts(uuid4(), uuid4(), "product", "Brot", 400),
        OfferFacts(uuid4(), uuid4(), "service", "Beratung", 0, weekly_availability=EVERY_DAY_9_TO_12),
        OfferFacts(
            uuid4(),
            uuid4(),
            "service",
            "Beratung",
            0,
            duration_minutes=30,
            withdrawn=True,
            weekly_availability=EVERY_DAY_9_TO_12,
        ),
    ):
        assert free_slots(offer, [MONDAY], [], SETTINGS, NOW).slots == ()


def test_a_window_holds_only_whole_slots() -> None:
    ninety = OfferFacts(uuid4(), uuid4(), "service", "Massage", 6000, 0, False, "", 90, EVERY_DAY_9_TO_12)
    assert starts(cut(ninety.weekly_availability, MONDAY, 90, BERLIN)) == [
        "2026-03-02T09:00:00+01:00",
        "2026-03-02T10:30:00+01:00",
    ]


def test_on_the_spring_night_a_window_holds_one_hour_less_and_no_time_the_clock_skips() -> None:
    sunday = date(2026, 3, 29)  # 02:00 CET becomes 03:00 CEST
    night = (TimeWindow(weekday=6, opens=time(1), closes=time(4)),)
    slots = cut(night, sunday, 60, BERLIN)
    assert [(s.starts_at.isoformat(), s.ends_at.isoformat()) for s in slots] == [
        ("2026-03-29T01:00:00+01:00", "2026-03-29T03:00:00+02:00"),  # one real hour
        ("2026-03-29T03:00:00+02:00", "2026-03-29T04:00:00+02:00"),
    ]
    for slot in slots:
        assert as_utc(slot.ends_at) - as_utc(slot.starts_at) == timedelta(hours=1)


def test_on_the_autumn_night_a_window_holds_the_repeated_hour_too() -> None:
    sunday = date(2026, 10, 25)  # 03:00 CEST becomes 02:00 CET
    night = (TimeWindow(weekday=6, opens=time(1), closes=time(4)),)
    offer = OfferFacts(uuid4(), uuid4(), "service", "Nachtwache", 1000, duration_minutes=60, weekly_availability=night)
    now = datetime(2026, 10, 20, 12, 0, tzinfo=BERLIN)
    free = free_slots(offer, [sunday], [], SETTINGS, now)
    assert starts(free.slots) == [
        "2026-10-25T01:00:00+02:00",
        "2026-10-25T02:00:00+02:00",
        "2026-10-25T02:00:00+01:00",  # the same wall clock, an hour later
        "2026-10-25T03:00:00+01:00",
    ]
    for slot in free.slots:
        check_slot(slot, offer, SETTINGS, now)  # checkout accepts each


def test_an_answer_lists_at_most_its_limit_and_says_so() -> None:
    short = OfferFacts(
        uuid4(),
        uuid4(),
        "service",
        "Kurzberatung",
        500,
        duration_minutes=1,
        weekly_availability=tuple(TimeWindow(weekday=d, opens=time(0), closes=time(23, 59)) for d in range(7)),
    )
    free = free_slots(short, days_from(MONDAY, 3), [], SETTINGS, NOW)
    assert len(free.slots) == MAX_SLOTS and not free.complete


def test_check_slot_refuses_a_slot_of_another_length_or_outside_the_hours() -> None:
    with pytest.raises(InvalidChange, match="60 minutes"):
        check_slot(at(MONDAY, 9, minutes=30), TUTORING, SETTINGS, NOW)
    with pytest.raises(InvalidChange, match="bookable hours"):
        check_slot(at(MONDAY, 12), TUTORING, SETTINGS, NOW)
    with pytest.raises(InvalidChange, match="passed"):
        check_slot(at(MONDAY, 9), TUTORING, SETTINGS, datetime.combine(MONDAY, time(9, 30), tzinfo=BERLIN))


@settings(max_examples=200, deadline=None)
@given(
    day=st.dates(min_value=date(2026, 1, 1), max_value=date(2028, 12, 31)),
    opens=st.integers(min_value=0, max_value=22 * 60),
    length=st.integers(min_value=15, max_value=8 * 60),
    minutes=st.sampled_from([15, 20, 30, 45, 60, 90]),
    booked_at=st.integers(min_value=0, max_value=24 * 60 - 1),
)
def test_every_free_slot_is_one_checkout_accepts_and_overlaps_nothing_taken(
    day: date, opens: int, length: int, minutes: int, booked_at: int
) -> None:
    closes = min(opens + length, 23 * 60 + 59)
    window = TimeWindow(
        weekday=day.weekday(), opens=time(opens // 60, opens % 60), closes=time(closes // 60, closes % 60)
    )
    offer = OfferFacts(
        uuid4(), uuid4(), "service", "Termin", 100, duration_minutes=minutes, weekly_availability=(window,)
    )
    now = datetime.combine(day - timedelta(days=1), time(12), tzinfo=UTC)
    # in UTC: a wall time in the spring's missing hour (02:15 on the last Sunday of March)
    # plus 45 minutes of wall time would end before it starts
    booked_start = datetime.combine(day, time(booked_at // 60, booked_at % 60), tzinfo=BERLIN).astimezone(UTC)
    booked = TimeSlot(starts_at=booked_start, ends_at=booked_start + timedelta(minutes=45))
    free = free_slots(offer, [day], [booked], SETTINGS, now)
    for slot in free.slots:
        check_slot(slot, offer, SETTINGS, now)
        assert not overlaps(slot, booked)
    instants = [as_utc(slot.starts_at) for slot in free.slots]
    assert instants == sorted(set(instants))
