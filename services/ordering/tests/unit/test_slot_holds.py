# SPDX-License-Identifier: AGPL-3.0-or-later
"""Slot holds: a service's time kept for one basket for a few minutes, a clash with another
basket's hold refused by name, released with the line, ended by the clock."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from uuid import UUID, uuid4
from zoneinfo import ZoneInfo

import pytest

from downtown_events.ordering import TimeSlot
from ordering.domain import slot_holds
from ordering.domain.errors import SlotUnavailable
from ordering.domain.private_events import SlotHeld, SlotHoldReleased
from ordering.domain.slot_holds import holds_stream_id

BERLIN = ZoneInfo("Europe/Berlin")
NOW = datetime(2026, 3, 2, 8, 0, tzinfo=BERLIN)
TEN_MINUTES = timedelta(minutes=10)
OFFER, A, B = uuid4(), uuid4(), uuid4()


def at(hour: int, minute: int = 0, minutes: int = 60) -> TimeSlot:
    starts = datetime.combine(date(2026, 3, 3), time(hour, minute), tzinfo=BERLIN)
    return TimeSlot(starts_at=starts, ends_at=starts + timedelta(minutes=minutes))


def held_by(basket: UUID, slot: TimeSlot, now: datetime = NOW) -> slot_holds.SlotHolds:
    events = slot_holds.hold(
        slot_holds.replay([]), offer_id=OFFER, basket_id=basket, slot=slot, now=now, hold_for=TEN_MINUTES
    )
    return slot_holds.replay(events)


def test_a_hold_keeps_the_time_for_its_basket_until_it_runs_out() -> None:
    events = slot_holds.hold(
        slot_holds.replay([]), offer_id=OFFER, basket_id=A, slot=at(10), now=NOW, hold_for=TEN_MINUTES
    )
    assert events == [SlotHeld(offer_id=OFFER, basket_id=A, slot=at(10), held_until=NOW + TEN_MINUTES)]
    holds = slot_holds.replay(events)
    hold = holds.of(A, at(10))
    assert hold is not None and hold.live(NOW + timedelta(minutes=9)) and not hold.live(NOW + TEN_MINUTES)


@pytest.mark.parametrize("slot", [at(10), at(10, 30), at(9, 30)], ids=["same", "overlapping after", "before"])
def test_another_basket_is_refused_a_held_or_overlapping_time_with_the_clash_named(slot: TimeSlot) -> None:
    holds = held_by(A, at(10))
    with pytest.raises(SlotUnavailable) as refused:
        slot_holds.hold(holds, offer_id=OFFER, basket_id=B, slot=slot, now=NOW, hold_for=TEN_MINUTES)
    assert refused.value.why == "held" and refused.value.slot == at(10) and refused.value.offer_id == OFFER


def test_a_time_next_to_a_held_one_and_a_run_out_hold_are_free_to_another_basket() -> None:
    holds = held_by(A, at(10))
    assert slot_holds.hold(holds, offer_id=OFFER, basket_id=B, slot=at(11), now=NOW, hold_for=TEN_MINUTES)
    later = NOW + TEN_MINUTES
    taken = slot_holds.hold(holds, offer_id=OFFER, basket_id=B, slot=at(10), now=later, hold_for=TEN_MINUTES)
    assert [event.basket_id for event in taken] == [B]  # type: ignore[attr-defined]


def test_putting_it_again_renews_the_basket_s_own_hold() -> None:
    holds = held_by(A, at(10))
    later = NOW + timedelta(minutes=8)
    renewed = slot_holds.hold(holds, offer_id=OFFER, basket_id=A, slot=at(10), now=later, hold_for=TEN_MINUTES)
    hold = slot_holds.replay([*_events(holds), *renewed]).of(A, at(10))
    assert hold is not None and hold.held_until == later + TEN_MINUTES


def test_a_released_hold_frees_the_time_and_releasing_again_decides_nothing() -> None:
    holds = held_by(A, at(10))
    released = slot_holds.release(holds, offer_id=OFFER, basket_id=A, slot=at(10))
    assert released == [SlotHoldReleased(offer_id=OFFER, basket_id=A, slot=at(10))]
    after = slot_holds.replay([*_events(holds), *released])
    assert after.live(NOW) == [] and after.version == 2
    assert slot_holds.release(after, offer_id=OFFER, basket_id=A, slot=at(10)) == []
    assert slot_holds.hold(after, offer_id=OFFER, basket_id=B, slot=at(10), now=NOW, hold_for=TEN_MINUTES)


def test_a_service_s_holds_of_one_day_share_a_stream_and_other_days_or_services_do_not() -> None:
    day = date(2026, 3, 3)
    assert holds_stream_id(OFFER, day) == holds_stream_id(OFFER, day)
    assert holds_stream_id(OFFER, day) != holds_stream_id(OFFER, day + timedelta(days=1))
    assert holds_stream_id(OFFER, day) != holds_stream_id(uuid4(), day)


def _events(holds: slot_holds.SlotHolds) -> list[SlotHeld]:
    return [
        SlotHeld(offer_id=OFFER, basket_id=hold.basket_id, slot=hold.slot, held_until=hold.held_until)
        for hold in holds.holds.values()
    ]
