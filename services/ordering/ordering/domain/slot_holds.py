# SPDX-License-Identifier: AGPL-3.0-or-later
"""Slot holds: a service's time kept for one basket for a few minutes, so that a clash is
found when the slot is put in the basket, not when the whole order is refused.

The holds of one service on one town day are one stream (:func:`holds_stream_id`). Every
hold of that service and day is decided on it and appended at the version it was decided
on, so of two baskets putting in the same (or an overlapping) time at once exactly one
wins: the other's append conflicts, it reads again and finds the time held. A bookable
slot never crosses midnight, so two overlapping slots always share a day and a stream.

A hold ends when its basket takes the line out, or when its time runs out (compared with
the clock: no job is needed). It books nothing: the catalog books at checkout, and a time
booked in the meantime (by a merchant for a customer who phoned) still refuses the order.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from uuid import UUID, uuid5

from downtown_events.contract import IntegrationEvent
from downtown_events.ordering import TimeSlot
from ordering.domain.errors import SlotUnavailable
from ordering.domain.facts import as_utc
from ordering.domain.private_events import SlotHeld, SlotHoldReleased
from ordering.domain.slots import overlaps

HoldKey = tuple[UUID, datetime]
"""A hold's basket and its slot's start (in UTC): one basket may hold two sessions of a service."""


@dataclass(frozen=True)
class Hold:
    basket_id: UUID
    slot: TimeSlot
    held_until: datetime

    def live(self, now: datetime) -> bool:
        return as_utc(now) < as_utc(self.held_until)


@dataclass(frozen=True)
class SlotHolds:
    """The holds of one service on one town day, as their stream says."""

    holds: Mapping[HoldKey, Hold] = field(default_factory=dict)
    version: int = 0

    def live(self, now: datetime, *, besides: UUID | None = None) -> list[Hold]:
        """The holds not yet run out, but those of the basket ``besides``."""
        return [hold for hold in self.holds.values() if hold.live(now) and hold.basket_id != besides]

    def of(self, basket_id: UUID, slot: TimeSlot) -> Hold | None:
        return self.holds.get(_key(basket_id, slot))


def holds_stream_id(offer_id: UUID, day: date) -> UUID:
    """The stream of a service's holds on one day of the town's calendar."""
    return uuid5(offer_id, f"slot-holds:{day.isoformat()}")


def replay(events: Iterable[IntegrationEvent]) -> SlotHolds:
    holds: dict[HoldKey, Hold] = {}
    version = 0
    for event in events:
        version += 1
        match event:
            case SlotHeld():
                holds[_key(event.basket_id, event.slot)] = Hold(event.basket_id, event.slot, event.held_until)
            case SlotHoldReleased():
                holds.pop(_key(event.basket_id, event.slot), None)
    return SlotHolds(holds, version)


def hold(
    state: SlotHolds, *, offer_id: UUID, basket_id: UUID, slot: TimeSlot, now: datetime, hold_for: timedelta
) -> list[IntegrationEvent]:
    """Hold ``slot`` for the basket until ``hold_for`` from now (again: renewed), unless
    another basket's hold that has not run out overlaps it: that clash is refused, by name."""
    for other in state.live(now, besides=basket_id):
        if overlaps(other.slot, slot):
            raise SlotUnavailable(
                "another customer is booking this time right now; choose another, or try again in a few minutes",
                offer_id,
                other.slot,
                "held",
            )
    return [SlotHeld(offer_id=offer_id, basket_id=basket_id, slot=slot, held_until=as_utc(now) + hold_for)]


def release(state: SlotHolds, *, offer_id: UUID, basket_id: UUID, slot: TimeSlot) -> list[IntegrationEvent]:
    """Let the basket's hold of ``slot`` go; one it does not have (released before) decides nothing."""
    if state.of(basket_id, slot) is None:
        return []
    return [SlotHoldReleased(offer_id=offer_id, basket_id=basket_id, slot=slot)]


def _key(basket_id: UUID, slot: TimeSlot) -> HoldKey:
    return basket_id, as_utc(slot.starts_at)
