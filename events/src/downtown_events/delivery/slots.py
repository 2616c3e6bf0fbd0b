# SPDX-License-Identifier: Apache-2.0
"""Delivery slots: weekly definitions on the town's wall clock, cut into concrete slots.

A town says "Tuesdays 16:00-18:00" and means its clock, summer and winter; so the slots are
made per calendar day in the town's zone and kept as aware instants. On the night the
clocks change a slot holds the time it really has: a wall time the clock skips (spring,
02:00-03:00 in Germany) moves to the first time that exists, and a slot over the repeated
autumn hour holds both. A town round ("with Thursday's town tour") is a slot of its own
kind, usually with a cheaper fee rule.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta, tzinfo
from typing import Literal

from downtown_events.delivery.fees import FeeRule
from downtown_events.refusals import InvalidChange

SlotKind = Literal["standard", "town_round"]
MAX_DAYS = 366
"""The longest range cut at once: slots are for the coming weeks, not for years."""


@dataclass(frozen=True)
class SlotDefinition:
    """A weekly slot: ``weekday`` 0 is Monday (``date.weekday``); ``fee_rule`` None takes the
    town's rule. ``capacity`` is how many deliveries the slot takes."""

    weekday: int
    starts: time
    ends: time
    capacity: int
    kind: SlotKind = "standard"
    label: str = ""
    fee_rule: FeeRule | None = None

    def __post_init__(self) -> None:
        if not 0 <= self.weekday <= 6:
            raise InvalidChange(f"a weekday is 0 (Monday) to 6 (Sunday), not {self.weekday}")
        if self.starts.tzinfo is not None or self.ends.tzinfo is not None:
            raise InvalidChange("a slot's times are the town's wall clock, without a zone")
        if self.ends <= self.starts:
            raise InvalidChange("a slot ends after it starts, on the same day")
        if isinstance(self.capacity, bool) or self.capacity < 1:
            raise InvalidChange(f"a slot takes at least one delivery, not {self.capacity!r}")


@dataclass(frozen=True)
class DeliverySlot:
    """A concrete slot. ``slot_id`` is derived from its kind and start instant, so that the
    same definition cut twice (or by ordering from its replica) names the same slot. Its ends
    are in UTC: two moments in one ``ZoneInfo`` subtract as wall clocks (the spring night
    01:00-04:00 would read three hours), so a slot is read on the town's clock only to be shown."""

    slot_id: str
    starts_at: datetime
    ends_at: datetime
    kind: SlotKind
    label: str
    capacity: int
    fee_rule: FeeRule | None


def wall_clock(day: date, at: time, timezone: tzinfo, fold: int) -> datetime:
    """The instant the town's clock shows ``at`` on ``day``; a time the clock skips becomes the
    first minute after the gap, and of a repeated time ``fold`` picks the first (0) or second (1)."""
    moment = datetime.combine(day, at, tzinfo=timezone).replace(fold=fold)
    for _ in range(24 * 60):
        if _exists(moment, timezone):
            return moment.astimezone(UTC)
        moment = (moment.replace(tzinfo=None) + timedelta(minutes=1)).replace(tzinfo=timezone, fold=fold)
    raise InvalidChange(f"{day} {at} never shows on the town's clock")  # pragma: no cover - no zone skips a day


def _exists(moment: datetime, timezone: tzinfo) -> bool:
    return moment.astimezone(UTC).astimezone(timezone).replace(tzinfo=None) == moment.replace(tzinfo=None)


def cut_slots(definitions: Iterable[SlotDefinition], first: date, last: date, timezone: tzinfo) -> list[DeliverySlot]:
    """The slots of the days ``first`` to ``last`` (both included), in time order."""
    if last < first or (last - first).days >= MAX_DAYS:
        raise InvalidChange(f"slots are cut for 1 to {MAX_DAYS} days at a time")
    definitions = tuple(definitions)
    slots = []
    for offset in range((last - first).days + 1):
        day = first + timedelta(days=offset)
        for definition in definitions:
            if definition.weekday != day.weekday():
                continue
            starts_at = wall_clock(day, definition.starts, timezone, fold=0)
            ends_at = wall_clock(day, definition.ends, timezone, fold=1)
            if ends_at <= starts_at:  # wholly inside a skipped hour
                continue
            slot_id = f"{definition.kind}:{starts_at.strftime('%Y%m%dT%H%MZ')}"
            slots.append(
                DeliverySlot(
                    slot_id,
                    starts_at,
                    ends_at,
                    definition.kind,
                    definition.label,
                    definition.capacity,
                    definition.fee_rule,
                )
            )
    return sorted(slots, key=lambda slot: (slot.starts_at, slot.slot_id))


def next_free_slot(
    slots: Iterable[DeliverySlot],
    now: datetime,
    booked: Mapping[str, int],
    lead_time: timedelta = timedelta(0),
    kind: SlotKind | None = None,
) -> DeliverySlot | None:
    """The earliest slot that starts at least ``lead_time`` after ``now`` (time for the shop to
    pack) and has room left (``booked`` counts deliveries per slot id); of ``kind`` if given."""
    if now.tzinfo is None:
        raise InvalidChange("now must be an aware moment")
    earliest = now.astimezone(UTC) + lead_time
    for slot in sorted(slots, key=lambda slot: slot.starts_at.astimezone(UTC)):
        if kind is not None and slot.kind != kind:
            continue
        if slot.starts_at.astimezone(UTC) >= earliest and booked.get(slot.slot_id, 0) < slot.capacity:
            return slot
    return None


def fee_rule_for(slot: DeliverySlot, town_rule: FeeRule) -> FeeRule:
    """The rule a delivery in ``slot`` is priced by: the slot's own (a town round's cheaper
    fee), else the town's."""
    return slot.fee_rule or town_rule
