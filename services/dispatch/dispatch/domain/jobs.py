# SPDX-License-Identifier: AGPL-3.0-or-later
"""Delivery jobs as the planner sees them: what a courier must fetch where, and bring where,
by when. The job's life (which orders, picked up, delivered) is decided by its stream
(:mod:`dispatch.domain.delivery`); the application turns that into these values to plan."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from uuid import UUID

from dispatch.domain.errors import InvalidChange
from downtown_events.delivery.fees import FeeQuote
from downtown_events.delivery.geo import Coordinates


@dataclass(frozen=True)
class TimeWindow:
    """From ``starts_at`` to ``ends_at``, aware instants."""

    starts_at: datetime
    ends_at: datetime

    def __post_init__(self) -> None:
        if self.starts_at.tzinfo is None or self.ends_at.tzinfo is None:
            raise InvalidChange("a time window's ends are aware moments")
        if self.ends_at <= self.starts_at:
            raise InvalidChange("a time window ends after it starts")


@dataclass(frozen=True)
class Pickup:
    merchant_id: UUID
    order_ids: tuple[UUID, ...]
    place: Coordinates
    load: int
    ready_from: datetime | None = None


@dataclass(frozen=True)
class DeliveryJob:
    """One drop-off, inside ``window`` (the chosen slot), after all its pickups. ``pinned_to``
    is the courier a dispatcher assigned it to (None: the planner chooses)."""

    job_id: UUID
    checkout_id: UUID
    pickups: tuple[Pickup, ...]
    drop_off: Coordinates
    window: TimeWindow
    fee: FeeQuote
    pinned_to: UUID | None = None

    def __post_init__(self) -> None:
        if not self.pickups:
            raise InvalidChange("a delivery job has at least one pickup")
        if any(pickup.load < 0 for pickup in self.pickups):
            raise InvalidChange("a pickup's load is 0 or more")

    @property
    def load(self) -> int:
        return sum(pickup.load for pickup in self.pickups)
