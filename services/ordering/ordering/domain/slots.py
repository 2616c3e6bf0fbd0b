# SPDX-License-Identifier: AGPL-3.0-or-later
"""A bookable service's times: which slot may be booked, and which are free.

The rules are the ones checkout applies (:func:`check_slot`), so a slot shown free is one
checkout accepts. Slots are cut from the offer's weekly windows on the town's wall clock,
one after another from the window's opening, each as long as the service takes. They are
stepped as instants (in UTC), so that on the night the clocks change a window holds the
hours it really has: one hour fewer in spring, one more in autumn, and never a time the
clock skips (see :func:`ordering.domain.facts.within_windows`).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta, tzinfo

from downtown_events.catalog import TimeWindow
from downtown_events.ordering import TimeSlot
from ordering.domain.basket import shown_title
from ordering.domain.errors import InvalidChange
from ordering.domain.facts import OfferFacts, TownSettings, as_utc, within_windows

MAX_SLOTS = 1000
"""The most free slots one answer lists (a service of five minutes over a month has thousands)."""


@dataclass(frozen=True)
class FreeSlots:
    slots: tuple[TimeSlot, ...]
    complete: bool
    """False when the range held more than :data:`MAX_SLOTS` free slots: the rest is cut off."""


def check_slot(slot: TimeSlot, offer: OfferFacts, settings: TownSettings, now: datetime) -> None:
    """What a slot must be to be booked: ahead, within the booking horizon, as long as the
    service takes, inside its bookable hours. Compared as instants in UTC."""
    title = shown_title(offer.title)
    starts_at, ends_at = as_utc(slot.starts_at), as_utc(slot.ends_at)
    if starts_at <= as_utc(now):
        raise InvalidChange(f"the time chosen for {title} has passed; choose a later one")
    if starts_at > as_utc(now) + settings.booking_horizon:
        raise InvalidChange(
            f"{title} can be booked up to {settings.booking_horizon.days} days ahead; choose an earlier time"
        )
    if offer.duration_minutes is not None and ends_at - starts_at != timedelta(minutes=offer.duration_minutes):
        raise InvalidChange(f"{title} takes {offer.duration_minutes} minutes; choose a slot of that length")
    if not within_windows(slot, offer.weekly_availability, settings.timezone):
        raise InvalidChange(f"{title} cannot be booked at that time; choose a time in its bookable hours")


def overlaps(one: TimeSlot, other: TimeSlot) -> bool:
    """Whether two times share a moment (as instants; touching ends do not)."""
    return as_utc(one.starts_at) < as_utc(other.ends_at) and as_utc(other.starts_at) < as_utc(one.ends_at)


def town_day(slot: TimeSlot, timezone: tzinfo) -> date:
    """The town's calendar day a slot begins on (a bookable slot never crosses midnight)."""
    return slot.starts_at.astimezone(timezone).date()


def cut(windows: Iterable[TimeWindow], day: date, minutes: int, timezone: tzinfo) -> list[TimeSlot]:
    """The day's slots of ``minutes`` in the windows of its weekday, in time order."""
    length = timedelta(minutes=minutes)
    slots = []
    for window in windows:
        if window.weekday != day.weekday():
            continue
        start = as_utc(datetime.combine(day, window.opens, tzinfo=timezone))
        end = as_utc(datetime.combine(day, window.closes, tzinfo=timezone).replace(fold=1))
        while start + length <= end:
            slot = TimeSlot(starts_at=start.astimezone(timezone), ends_at=(start + length).astimezone(timezone))
            if within_windows(slot, [window], timezone):  # never a time the clock skips
                slots.append(slot)
            start += length
    return sorted(slots, key=lambda slot: as_utc(slot.starts_at))


def free_slots(
    offer: OfferFacts,
    days: Sequence[date],
    taken: Iterable[TimeSlot],
    settings: TownSettings,
    now: datetime,
) -> FreeSlots:
    """The offer's slots on ``days`` that checkout would accept now and that overlap nothing
    ``taken`` (booked by orders, held by other baskets). A service without a duration, or a
    product, has none."""
    if offer.kind != "service" or offer.duration_minutes is None or offer.withdrawn:
        return FreeSlots((), True)
    busy = sorted(taken, key=lambda slot: as_utc(slot.starts_at))
    earliest, latest = as_utc(now), as_utc(now) + settings.booking_horizon
    found: list[TimeSlot] = []
    for day in sorted(set(days)):
        for slot in cut(offer.weekly_availability, day, offer.duration_minutes, settings.timezone):
            starts_at = as_utc(slot.starts_at)
            if starts_at <= earliest or starts_at > latest or any(overlaps(slot, other) for other in busy):
                continue
            if len(found) == MAX_SLOTS:
                return FreeSlots(tuple(found), False)
            found.append(slot)
    return FreeSlots(tuple(found), True)


def days_from(first: date, count: int) -> list[date]:
    return [first + timedelta(days=offset) for offset in range(count)]
