# SPDX-License-Identifier: AGPL-3.0-or-later
"""Jobs and couriers, and what they have done, as a routing problem; then :func:`plan`.

This module decides what the solver is asked: which stops remain (stops done are history
and are never given to it), which courier a job must stay with (pinned by a dispatcher, or
already carrying part of it), what each vehicle carries when the plan starts, and which jobs
cannot be planned at all and why. :mod:`dispatch.domain.routing` asks OR-Tools.

A job is one pickup node and one drop node, which OR-Tools pairs (same courier, pickup
first). A consolidated job's pickup node is the round of its shops in a fixed order
(:func:`dispatch.domain.timing.shop_order`), entered at the first shop and left at the last:
modelled as several pairs tied by side constraints, the solver's insertion heuristics could
not place them (a 20-job town day planned 8 jobs), and a courier fetching one customer's
goods has no reason to ride elsewhere between those shops.
"""

from __future__ import annotations

import time
from collections.abc import Iterable
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from uuid import UUID

from dispatch.domain.errors import InvalidChange
from dispatch.domain.jobs import DeliveryJob, Pickup
from dispatch.domain.timing import seconds, seconds_up, shop_order
from dispatch.domain.tours import Courier, FixedStop, Plan, PlanningSettings, StopKind, Unplanned
from downtown_events.delivery.geo import Coordinates


@dataclass(frozen=True)
class Node:
    """A stop the solver may place. A pickup node is always followed, in the problem's list, by
    its job's drop node. ``shops`` are a pickup node's shops in visiting order; ``service_s``
    is per shop (pickup) or for the hand-over (drop)."""

    job: int
    kind: StopKind
    place: Coordinates
    demand: int
    service_s: int
    earliest_s: int
    latest_s: int
    shops: tuple[Pickup, ...] = ()

    @property
    def exit(self) -> Coordinates:
        """Where the courier leaves the stop from (a round of shops ends at its last)."""
        return self.shops[-1].place if self.shops else self.place


@dataclass(frozen=True)
class Vehicle:
    courier: Courier
    ready_s: int
    shift_end_s: int
    carrying: int


@dataclass(frozen=True)
class Problem:
    """Seconds count from ``origin`` (the planning moment)."""

    origin: datetime
    jobs: tuple[DeliveryJob, ...]
    vehicles: tuple[Vehicle, ...]
    nodes: tuple[Node, ...]
    allowed: dict[int, int]
    """Job index → vehicle index it must stay with."""


def plan(
    jobs: Iterable[DeliveryJob],
    couriers: Iterable[Courier],
    now: datetime,
    fixed_stops: Iterable[FixedStop] = (),
    settings: PlanningSettings | None = None,
) -> Plan:
    """Plan every job that can be planned into the couriers' tours. Stops in ``fixed_stops``
    keep their place at the head of their courier's route; a job any of whose stops is done
    stays with that courier, as does a job pinned to one."""
    from dispatch.domain.routing import solve  # OR-Tools loads only when a plan is made

    started = time.monotonic()
    settings = settings or PlanningSettings()
    done = tuple(fixed_stops)
    problem, unplanned = build_problem(tuple(jobs), tuple(couriers), now, done, settings)
    return solve(problem, done, unplanned, settings, started)


def build_problem(
    jobs: tuple[DeliveryJob, ...],
    couriers: tuple[Courier, ...],
    now: datetime,
    done: tuple[FixedStop, ...],
    settings: PlanningSettings,
) -> tuple[Problem, list[Unplanned]]:
    if now.tzinfo is None:
        raise InvalidChange("now must be an aware moment")
    origin = now.astimezone(UTC)
    on_shift = [courier for courier in couriers if courier.shift_ends > origin]
    index_of = {courier.courier_id: index for index, courier in enumerate(on_shift)}
    vehicles = [_vehicle(courier, origin, done) for courier in on_shift]
    nodes: list[Node] = []
    allowed: dict[int, int] = {}
    kept: list[DeliveryJob] = []
    unplanned: list[Unplanned] = []
    for job in jobs:
        mine = [stop for stop in done if stop.job_id == job.job_id]
        if any(stop.kind == "drop_off" for stop in mine):
            continue  # delivered: history only
        carriers = {stop.courier_id for stop in mine}
        # begun by a courier, it stays with them, whatever the pin says: the goods are on board
        owner = next(iter(carriers)) if len(carriers) == 1 else job.pinned_to
        refusal = _refusal(job, carriers, owner, index_of, vehicles, origin)
        if refusal:
            unplanned.append(Unplanned(job.job_id, refusal))
            continue
        if owner is not None:
            allowed[len(kept)] = index_of[owner]
        picked = {stop.merchant_id for stop in mine if stop.kind == "pickup"}
        carried = sum(pickup.load for pickup in job.pickups if pickup.merchant_id in picked)
        if carried and owner is not None:
            vehicle = vehicles[index_of[owner]]
            vehicles[index_of[owner]] = replace(vehicle, carrying=vehicle.carrying + carried)
        nodes.extend(_nodes(job, len(kept), picked, carried, origin, settings))
        kept.append(job)
    return Problem(origin, tuple(kept), tuple(vehicles), tuple(nodes), allowed), unplanned


def _refusal(
    job: DeliveryJob,
    carriers: set[UUID],
    owner: UUID | None,
    index_of: dict[UUID, int],
    vehicles: list[Vehicle],
    origin: datetime,
) -> str:
    if len(carriers) > 1:
        return "its pickups were made by different couriers; a dispatcher must hand it over"
    if owner is not None and owner not in index_of:
        return "the courier it is with or pinned to is not on shift"
    if job.window.ends_at <= origin:
        return "its delivery slot has passed"
    if any(pickup.ready_from and pickup.ready_from >= job.window.ends_at for pickup in job.pickups):
        return "a shop has it ready only after its delivery slot ends"
    candidates = [vehicles[index_of[owner]]] if owner is not None else vehicles
    if not any(vehicle.courier.capacity >= job.load for vehicle in candidates):
        return f"no courier on shift can carry its load of {job.load}"
    ready = [job.window.starts_at] + [pickup.ready_from for pickup in job.pickups if pickup.ready_from]
    if all(seconds(max(ready) - origin) >= vehicle.shift_end_s for vehicle in candidates):
        return "its slot opens, or its goods are ready, only after every shift ends"
    return ""


def _vehicle(courier: Courier, origin: datetime, done: tuple[FixedStop, ...]) -> Vehicle:
    last_done = max((stop.done_at for stop in done if stop.courier_id == courier.courier_id), default=origin)
    ready = min(max(origin, courier.shift_starts, last_done), courier.shift_ends)
    return Vehicle(courier, seconds(ready - origin), seconds(courier.shift_ends - origin), 0)


def _nodes(
    job: DeliveryJob, index: int, picked: set[UUID | None], carried: int, origin: datetime, settings: PlanningSettings
) -> list[Node]:
    latest = seconds(job.window.ends_at - origin)
    drop_from = max(0, seconds_up(job.window.starts_at - origin))
    shops = shop_order([pickup for pickup in job.pickups if pickup.merchant_id not in picked], job.drop_off)
    load = sum(pickup.load for pickup in shops)
    drop = Node(
        index, "drop_off", job.drop_off, -(load + carried), seconds(settings.drop_off_service), drop_from, latest
    )
    if not shops:
        return [drop]
    ready = max((seconds_up(pickup.ready_from - origin) for pickup in shops if pickup.ready_from), default=0)
    service = seconds(settings.pickup_service)
    return [Node(index, "pickup", shops[0].place, load, service, max(0, ready), latest, tuple(shops)), drop]
