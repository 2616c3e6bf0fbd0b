# SPDX-License-Identifier: AGPL-3.0-or-later
"""The vocabulary of tours: couriers and their vehicles, stops already done, and the plan.

A plan explains itself: per courier the stops in order, when the courier is expected at
each, and what the vehicle carries after it; and for every job it could not place, why.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from types import MappingProxyType
from typing import Literal
from uuid import UUID

from dispatch.domain.errors import InvalidChange
from downtown_events.delivery.geo import Coordinates

VehicleKind = Literal["bike", "cargo_bike", "car"]
StopKind = Literal["pickup", "drop_off"]
Metaheuristic = Literal["guided_local_search", "greedy_descent"]

DEFAULT_SPEEDS_KMH: Mapping[VehicleKind, float] = MappingProxyType({"bike": 15.0, "cargo_bike": 12.0, "car": 20.0})
"""Door-to-door speeds in town (a car is not much faster than a bike there: parking, one-way streets)."""


@dataclass(frozen=True)
class Courier:
    """A courier on shift: where they are now, what their vehicle carries."""

    courier_id: UUID
    kind: VehicleKind
    capacity: int
    position: Coordinates
    shift_starts: datetime
    shift_ends: datetime

    def __post_init__(self) -> None:
        if self.kind not in DEFAULT_SPEEDS_KMH:
            raise InvalidChange(f"a courier rides a bike, a cargo bike or a car, not {self.kind!r}")
        if isinstance(self.capacity, bool) or self.capacity < 0:
            raise InvalidChange("a vehicle's capacity is a whole number, 0 or more")
        if self.shift_starts.tzinfo is None or self.shift_ends <= self.shift_starts:
            raise InvalidChange("a shift is an aware start before its end")


@dataclass(frozen=True)
class FixedStop:
    """A stop a courier has done: it stays where it is in every later plan. A pickup names the
    shop (``merchant_id``) of the job it served."""

    courier_id: UUID
    job_id: UUID
    kind: StopKind
    done_at: datetime
    merchant_id: UUID | None = None


@dataclass(frozen=True)
class PlannedStop:
    kind: StopKind
    job_id: UUID
    place: Coordinates
    arrives_at: datetime
    """When service starts at the earliest (after any wait for a window to open)."""
    load_after: int
    merchant_id: UUID | None = None


@dataclass(frozen=True)
class Route:
    courier_id: UUID
    done: tuple[FixedStop, ...]
    stops: tuple[PlannedStop, ...]


@dataclass(frozen=True)
class Unplanned:
    job_id: UUID
    reason: str


@dataclass(frozen=True)
class Plan:
    routes: tuple[Route, ...]
    unplanned: tuple[Unplanned, ...]

    def route_of(self, courier_id: UUID) -> Route | None:
        return next((route for route in self.routes if route.courier_id == courier_id), None)


@dataclass(frozen=True)
class PlanningSettings:
    speeds_kmh: Mapping[VehicleKind, float] = field(default_factory=lambda: DEFAULT_SPEEDS_KMH)
    detour_factor: float = 1.3
    """Streets are longer than the straight line; 1.3 is the usual factor for a town grid."""
    pickup_service: timedelta = timedelta(minutes=3)
    drop_off_service: timedelta = timedelta(minutes=3)
    time_limit: timedelta = timedelta(seconds=2)
    metaheuristic: Metaheuristic = "guided_local_search"
    """Guided local search improves until the time limit; greedy descent stops at the first
    local optimum, and is deterministic (tests use it)."""

    def __post_init__(self) -> None:
        for kind in DEFAULT_SPEEDS_KMH:
            speed = self.speeds_kmh.get(kind)
            if speed is None or not math.isfinite(speed) or speed <= 0:
                raise InvalidChange(
                    f"a speed in km/h above 0 is needed for every vehicle kind, not {speed!r} for {kind}"
                )
        if not math.isfinite(self.detour_factor) or self.detour_factor < 1:
            raise InvalidChange("the detour factor is 1 (straight lines) or more")
        if self.time_limit <= timedelta(0):
            raise InvalidChange("the solver needs some time to plan")
