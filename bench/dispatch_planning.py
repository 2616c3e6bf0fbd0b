# SPDX-License-Identifier: AGPL-3.0-or-later
"""(p): dispatch's tour planning on random town days, against a nearest-neighbour plan.

A town day is drawn from a fixed seed: shops clustered around the high street and doors
spread over a town about 5 km across, checkouts from one to three shops (one job each,
consolidated as dispatch does), two-hour delivery slots from 9:00 to 19:00, couriers on
morning, afternoon or whole-day shifts riding bikes, cargo bikes or cars with their
capacities. Days of 20, 100 and 300 jobs go to 3, 10 and 20 couriers.

For each day :func:`dispatch.domain.planning.plan` runs twice: with greedy descent (it stops
at its first local optimum) and with guided local search (it improves until its time limit,
as the worker plans). Each plan's figures: the time it took, the jobs it planned (a share of
the day's, with a target: a short ratio on a day mostly left unplanned flatters nobody), and
the length of its tours against :func:`nearest_neighbour` on **the jobs that plan served**,
same couriers, so both lengths cover the same deliveries. Lengths are straight-line
kilometres from each courier's start through every stop (the detour factor would multiply
both alike). The baseline ignores time windows and shifts: it may bundle a morning and an
evening delivery next door, which the planner may not, so on a small day spread over five
slots it can be the shorter; the planner earns its ratio where there is something to bundle
within a slot.

Greedy descent, too, usually ends at the time limit on the larger days: the limit bounds both
times, and the jobs planned in that time vary with the machine's load. A job the solver could
not place in time is reported unplanned, as the worker would leave it, with the reasons.
No broker and no database: this is pure computation, and needs only the dispatch package.
"""

from __future__ import annotations

import argparse
import math
import random
import time
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from itertools import pairwise
from uuid import UUID
from zoneinfo import ZoneInfo

from bench.report import Figure, Target, say
from dispatch.domain.jobs import DeliveryJob, Pickup, TimeWindow
from dispatch.domain.planning import plan
from dispatch.domain.tours import Courier, Plan, PlanningSettings, VehicleKind
from downtown_events.delivery.fees import FeeQuote
from downtown_events.delivery.geo import Coordinates, haversine_m

BENCHMARK = "dispatch-planning"
TOWN = Coordinates(51.8300, 7.2800)
"""Dülmen's market square, near enough."""
TOWN_RADIUS_M = 2_500
HIGH_STREET_RADIUS_M = 900
ZONE = ZoneInfo("Europe/Berlin")
DAY = datetime(2026, 12, 7, 9, tzinfo=ZONE)
"""Planning happens at 9:00, the first slot's start, for the whole day."""
SLOTS = [(DAY + timedelta(hours=h), DAY + timedelta(hours=h + 2)) for h in range(0, 10, 2)]
SHIFTS = [(0, 6), (4, 10), (0, 10)]
"""Morning, afternoon and whole day, in hours after 9:00."""
VEHICLES: list[tuple[VehicleKind, int]] = [("bike", 6), ("cargo_bike", 16), ("car", 30)]
FEE = FeeQuote(0, 0, 0)


@dataclass(frozen=True)
class Day:
    """A town day: the jobs, and who is on shift to deliver them."""

    name: str
    jobs: tuple[DeliveryJob, ...]
    couriers: tuple[Courier, ...]
    limit: timedelta
    """Guided local search's time limit for this size."""


SIZES = [(20, 3, 6, timedelta(seconds=1)), (100, 10, 20, timedelta(seconds=4)), (300, 20, 40, timedelta(seconds=10))]
"""Jobs, couriers, shops, and the guided search's time limit."""


def _around(centre: Coordinates, radius_m: float, rng: random.Random) -> Coordinates:
    """A point uniformly inside a disc of ``radius_m`` around ``centre``."""
    distance, bearing = radius_m * math.sqrt(rng.random()), rng.uniform(0, 2 * math.pi)
    north, east = distance * math.cos(bearing), distance * math.sin(bearing)
    return Coordinates(centre.lat + north / 111_195, centre.lon + east / (111_195 * math.cos(math.radians(centre.lat))))


def _uuid(rng: random.Random) -> UUID:
    return UUID(int=rng.getrandbits(128), version=4)


def town_day(jobs: int, couriers: int, shops: int, limit: timedelta, seed: int) -> Day:
    """A seeded random day: the same arguments give the same day on every machine."""
    rng = random.Random(seed)
    places = [(_uuid(rng), _around(TOWN, HIGH_STREET_RADIUS_M, rng)) for _ in range(shops)]
    drawn = []
    for _ in range(jobs):
        visited = rng.sample(places, rng.choices([1, 2, 3], weights=[70, 20, 10])[0])
        pickups = tuple(Pickup(shop, (_uuid(rng),), place, rng.randint(1, 3)) for shop, place in visited)
        opens, closes = rng.choice(SLOTS)
        door = _around(TOWN, TOWN_RADIUS_M, rng)
        drawn.append(DeliveryJob(_uuid(rng), _uuid(rng), pickups, door, TimeWindow(opens, closes), FEE))
    riders = []
    for number in range(couriers):
        kind, capacity = VEHICLES[number % len(VEHICLES)]
        starts, ends = SHIFTS[number % len(SHIFTS)]
        home = _around(TOWN, HIGH_STREET_RADIUS_M, rng)
        shift = (DAY + timedelta(hours=starts), DAY + timedelta(hours=ends))
        riders.append(Courier(_uuid(rng), kind, capacity, home, *shift))
    return Day(f"{jobs} jobs, {couriers} couriers", tuple(drawn), tuple(riders), limit)


def nearest_neighbour(jobs: Sequence[DeliveryJob], couriers: Sequence[Courier]) -> dict[UUID, list[Coordinates]]:
    """The baseline: the couriers take turns, one stop each per turn, and each goes to the
    nearest stop it may serve next: a shop of a job it has taken (its other shops, before the
    customer), the customer of a job whose shops it has all visited, or the first shop of a
    job nobody has taken if the job's whole load fits beside what it has taken already.

    Capacity is kept (a job's load is counted from its taking until its hand-over); **time
    windows, shifts and speeds are ignored** (the baseline has no clock), so it answers an
    easier problem than the planner's. Jobs no courier can carry are left out. Returns, per
    courier, the places visited in order (its start first)."""
    waiting = {job.job_id: job for job in jobs}
    taken: dict[UUID, dict[UUID, set[UUID]]] = {c.courier_id: {} for c in couriers}
    """courier → job → shops of it still to visit."""
    committed = {c.courier_id: 0 for c in couriers}
    by_id = {job.job_id: job for job in jobs}
    tours = {c.courier_id: [c.position] for c in couriers}
    moved = True
    while moved:
        moved = False
        for courier in couriers:
            step = _nearest_step(courier, tours[courier.courier_id][-1], waiting, taken, committed, by_id)
            if step is None:
                continue
            job_id, shop, place = step
            mine = taken[courier.courier_id]
            if job_id in waiting:  # taken now: its load is on this courier until handed over
                del waiting[job_id]
                mine[job_id] = {pickup.merchant_id for pickup in by_id[job_id].pickups}
                committed[courier.courier_id] += by_id[job_id].load
            if shop is None:
                del mine[job_id]
                committed[courier.courier_id] -= by_id[job_id].load
            else:
                mine[job_id].discard(shop)
            tours[courier.courier_id].append(place)
            moved = True
    return tours


def _nearest_step(
    courier: Courier,
    here: Coordinates,
    waiting: dict[UUID, DeliveryJob],
    taken: dict[UUID, dict[UUID, set[UUID]]],
    committed: dict[UUID, int],
    by_id: dict[UUID, DeliveryJob],
) -> tuple[UUID, UUID | None, Coordinates] | None:
    """The nearest (job, shop or None for the customer, place) ``courier`` may go to next."""
    options: list[tuple[UUID, UUID | None, Coordinates]] = []
    for job_id, shops in taken[courier.courier_id].items():
        job = by_id[job_id]
        if shops:
            options += [(job_id, p.merchant_id, p.place) for p in job.pickups if p.merchant_id in shops]
        else:
            options.append((job_id, None, job.drop_off))
    room = courier.capacity - committed[courier.courier_id]
    for job in waiting.values():
        if job.load <= room:
            options += [(job.job_id, p.merchant_id, p.place) for p in job.pickups]
    return min(options, key=lambda option: haversine_m(here, option[2]), default=None)


def tour_km(places: Sequence[Coordinates]) -> float:
    return sum(haversine_m(one, other) for one, other in pairwise(places)) / 1000


def planned_tours(result: Plan, couriers: Sequence[Courier]) -> dict[UUID, list[Coordinates]]:
    """The plan's routes as places visited in order, each courier's start first."""
    routes = {route.courier_id: route.stops for route in result.routes}
    return {
        c.courier_id: [c.position] + [s.place for s in routes[c.courier_id]] if c.courier_id in routes else []
        for c in couriers
    }


def _measure(day: Day, label: str, settings: PlanningSettings) -> list[Figure]:
    started = time.perf_counter()
    result = plan(day.jobs, day.couriers, DAY, (), settings)
    took = time.perf_counter() - started
    served = {stop.job_id for route in result.routes for stop in route.stops}
    planner_km = sum(tour_km(places) for places in planned_tours(result, day.couriers).values())
    same = [job for job in day.jobs if job.job_id in served]
    baseline = nearest_neighbour(same, day.couriers)
    baseline_km = sum(tour_km(places) for places in baseline.values())
    ratio = planner_km / baseline_km if baseline_km else math.nan
    say(
        f"  {day.name}, {label}: {took:.2f} s, {len(served)}/{len(day.jobs)} jobs planned, "
        f"{planner_km:.1f} km against nearest neighbour's {baseline_km:.1f} km on the same jobs ({ratio:.2f})"
    )
    for reason, count in Counter(unplanned.reason for unplanned in result.unplanned).most_common():
        say(f"    {count} unplanned: {reason}")
    name = f"{day.name}, {label}"
    return [
        Figure(BENCHMARK, f"{name}: planning time", took, "s"),
        Figure(BENCHMARK, f"{name}: jobs planned", len(served), "jobs"),
        Figure(BENCHMARK, f"{name}: jobs unplanned", len(result.unplanned), "jobs"),
        Figure(BENCHMARK, f"(p) {name}: share of jobs planned", len(served) / len(day.jobs), "ratio", Target(0.95)),
        Figure(BENCHMARK, f"{name}: tours", planner_km, "km"),
        Figure(BENCHMARK, f"{name}: nearest neighbour, same jobs", baseline_km, "km"),
        Figure(BENCHMARK, f"(p) {name}: tours / nearest neighbour", ratio, "ratio", Target(0.85, at_least=False)),
    ]


def days() -> list[Day]:
    return [town_day(jobs, couriers, shops, limit, seed=17 + jobs) for jobs, couriers, shops, limit in SIZES]


def run(options: argparse.Namespace) -> list[Figure]:
    """``options`` is unused: the sizes are fixed so that runs compare."""
    del options
    figures: list[Figure] = []
    for day in days():
        say(f"dispatch planning: {day.name}")
        greedy = PlanningSettings(metaheuristic="greedy_descent", time_limit=day.limit)
        figures += _measure(day, "greedy descent", greedy)
        guided = PlanningSettings(metaheuristic="guided_local_search", time_limit=day.limit)
        figures += _measure(day, f"guided search {day.limit.total_seconds():g} s", guided)
    return figures


if __name__ == "__main__":
    from bench.report import summary_table

    print(summary_table(run(argparse.Namespace()), {}))
