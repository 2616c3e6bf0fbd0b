# SPDX-License-Identifier: Apache-2.0
"""Delivery slots from weekly definitions on the town's clock, through the clock changes."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from downtown_events.delivery.fees import FeeRule, FlatFee
from downtown_events.delivery.slots import SlotDefinition, cut_slots, fee_rule_for, next_free_slot
from downtown_events.refusals import InvalidChange

BERLIN = ZoneInfo("Europe/Berlin")
TUESDAY, THURSDAY, SUNDAY = 1, 3, 6
EVENING = SlotDefinition(TUESDAY, time(16), time(18), capacity=10, label="evening")
TOWN_ROUND = SlotDefinition(
    THURSDAY,
    time(14),
    time(17),
    capacity=30,
    kind="town_round",
    label="Thursday's town tour",
    fee_rule=FeeRule(FlatFee(150)),
)


def test_weekly_definitions_become_slots_on_the_towns_clock_summer_and_winter() -> None:
    slots = cut_slots([EVENING, TOWN_ROUND], date(2026, 10, 19), date(2026, 11, 1), BERLIN)
    assert [(s.kind, s.starts_at.astimezone(BERLIN).strftime("%a %d %H:%M")) for s in slots] == [
        ("standard", "Tue 20 16:00"),
        ("town_round", "Thu 22 14:00"),
        ("standard", "Tue 27 16:00"),
        ("town_round", "Thu 29 14:00"),
    ]
    # the same wall clock, an hour apart in UTC across the change on 25 October
    assert slots[0].starts_at.astimezone(UTC).hour == 14 and slots[2].starts_at.astimezone(UTC).hour == 15
    assert slots[1].fee_rule == FeeRule(FlatFee(150)) and slots[0].fee_rule is None


def test_a_slot_over_the_night_the_clocks_change_holds_the_hours_it_really_has() -> None:
    night = SlotDefinition(SUNDAY, time(1), time(4), capacity=1)
    (spring,) = cut_slots([night], date(2027, 3, 28), date(2027, 3, 28), BERLIN)
    (autumn,) = cut_slots([night], date(2026, 10, 25), date(2026, 10, 25), BERLIN)
    assert spring.ends_at - spring.starts_at == timedelta(hours=2)
    assert autumn.ends_at - autumn.starts_at == timedelta(hours=4)


def test_a_slot_the_clock_skips_is_no_slot_and_one_starting_in_the_gap_starts_after_it() -> None:
    gone = SlotDefinition(SUNDAY, time(2), time(2, 30), capacity=1)
    assert cut_slots([gone], date(2027, 3, 28), date(2027, 3, 28), BERLIN) == []
    late = SlotDefinition(SUNDAY, time(2, 30), time(4), capacity=1)
    (slot,) = cut_slots([late], date(2027, 3, 28), date(2027, 3, 28), BERLIN)
    assert slot.starts_at.astimezone(BERLIN).time() == time(3) and slot.ends_at - slot.starts_at == timedelta(hours=1)


def test_the_next_free_slot_has_room_and_time_to_pack() -> None:
    slots = cut_slots([EVENING, TOWN_ROUND], date(2026, 12, 7), date(2026, 12, 20), BERLIN)
    now = datetime(2026, 12, 8, 15, 30, tzinfo=BERLIN)
    assert next_free_slot(slots, now, {}).starts_at == datetime(2026, 12, 8, 16, tzinfo=BERLIN)  # type: ignore[union-attr]
    packed = next_free_slot(slots, now, {}, lead_time=timedelta(hours=1))
    assert packed is not None and packed.kind == "town_round"
    full = {packed.slot_id: 30}
    after = next_free_slot(slots, now, full, lead_time=timedelta(hours=1))
    assert after is not None and after.starts_at == datetime(2026, 12, 15, 16, tzinfo=BERLIN)
    only_rounds = next_free_slot(slots, now, full, lead_time=timedelta(hours=1), kind="town_round")
    assert only_rounds is not None and only_rounds.starts_at == datetime(2026, 12, 17, 14, tzinfo=BERLIN)
    assert next_free_slot(slots, datetime(2027, 1, 1, tzinfo=UTC), {}) is None


def test_a_slot_is_named_alike_however_often_it_is_cut() -> None:
    one = cut_slots([EVENING], date(2026, 12, 1), date(2026, 12, 31), BERLIN)
    other = cut_slots([EVENING], date(2026, 12, 8), date(2026, 12, 8), BERLIN)
    assert other[0].slot_id in {slot.slot_id for slot in one}
    assert len({slot.slot_id for slot in one}) == len(one)


@pytest.mark.parametrize(
    "fields",
    [
        {"weekday": 7, "starts": time(9), "ends": time(10), "capacity": 1},
        {"weekday": 0, "starts": time(10), "ends": time(9), "capacity": 1},
        {"weekday": 0, "starts": time(9), "ends": time(10), "capacity": 0},
        {"weekday": 0, "starts": time(9, tzinfo=UTC), "ends": time(10), "capacity": 1},
    ],
)
def test_definitions_that_make_no_slot_are_refused(fields: dict[str, object]) -> None:
    with pytest.raises(InvalidChange):
        SlotDefinition(**fields)  # type: ignore[arg-type]


def test_ranges_are_bounded_and_now_is_aware() -> None:
    with pytest.raises(InvalidChange):
        cut_slots([EVENING], date(2026, 1, 2), date(2026, 1, 1), BERLIN)
    with pytest.raises(InvalidChange):
        cut_slots([EVENING], date(2026, 1, 1), date(2027, 1, 2), BERLIN)
    with pytest.raises(InvalidChange):
        next_free_slot([], datetime(2026, 1, 1), {})


@settings(max_examples=60, deadline=None)
@given(
    st.dates(min_value=date(2020, 1, 1), max_value=date(2035, 12, 31)),
    st.integers(min_value=0, max_value=23),
    st.integers(min_value=1, max_value=6),
    st.sampled_from(["Europe/Berlin", "Europe/London", "America/New_York", "Australia/Lord_Howe"]),
)
def test_slots_start_on_their_wall_clock_are_ordered_and_never_longer_than_defined_plus_a_changed_hour(
    first: date, hour: int, hours: int, zone: str
) -> None:
    timezone = ZoneInfo(zone)
    ends = time(min(hour + hours, 23), 59)
    definitions = [SlotDefinition(weekday, time(hour), ends, capacity=1) for weekday in range(7)]
    slots = cut_slots(definitions, first, first + timedelta(days=13), timezone)
    defined = datetime.combine(first, ends) - datetime.combine(first, time(hour))
    starts = [slot.starts_at.astimezone(UTC) for slot in slots]
    assert starts == sorted(starts) and len(slots) >= 12
    for slot in slots:
        assert timedelta(0) < slot.ends_at - slot.starts_at <= defined + timedelta(hours=1)
        wall = slot.starts_at.astimezone(timezone).time()
        assert wall == time(hour) or (wall > time(hour) and slot.ends_at - slot.starts_at < defined)


def test_a_town_round_is_priced_by_its_own_rule_and_other_slots_by_the_towns() -> None:
    town = FeeRule(FlatFee(490))
    evening, round_ = cut_slots([EVENING, TOWN_ROUND], date(2026, 12, 7), date(2026, 12, 13), BERLIN)
    assert fee_rule_for(evening, town) == town
    assert fee_rule_for(round_, town) == FeeRule(FlatFee(150))
