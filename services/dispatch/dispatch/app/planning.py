# SPDX-License-Identifier: AGPL-3.0-or-later
"""Planning a day: the day's open jobs onto the couriers on shift, then each job and each tour
told where it stands (on their streams).

The planner (:func:`dispatch.domain.planning.plan`) gets the jobs ready, planned or under
way, the couriers whose shift meets the day (the roster leaves out those who dropped out),
and the stops already done (pickups made), which never move: a job whose goods ride with a
courier stays with them. Each job is then planned (``DeliveryJobPlanned``) or taken back
with the reason (``DeliveryJobUnplanned``), and each courier's tour of the day
(``TourPlanned``, stream ``tour_id_of(courier, day)``) is written when its stops changed; a
courier who has no stops left any more (dropped out, or their jobs went to others) gets an
empty tour. Every decision repeated decides nothing, so a plan run twice writes once.

The worker plans today again (:class:`Replanner`) when something a plan depends on changed
since it last planned: a job ready or withdrawn, a pickup made, an attempt failed, a pin, a
courier's shift or drop-out. Its own plans change nothing of what it looks at.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta, tzinfo
from functools import partial
from itertools import pairwise
from typing import Protocol
from uuid import UUID, uuid5

from dispatch.domain import delivery
from dispatch.domain.delivery import Delivery
from dispatch.domain.errors import InvalidChange, NotFound
from dispatch.domain.jobs import DeliveryJob, Pickup, TimeWindow
from dispatch.domain.planning import plan
from dispatch.domain.tours import Courier, FixedStop, Plan, PlanningSettings, Route
from downtown_events.contract import IntegrationEvent
from downtown_events.delivery.fees import FeeQuote
from downtown_events.delivery.geo import Coordinates, haversine_m
from downtown_events.dispatch import ArrivalWindow, TourPlanned, TourStop
from downtown_events.geo import GeoPoint
from downtown_events.ordering import DeliveryDropOff
from downtown_events.runtime.commands import events_of, execute
from downtown_events.runtime.store import EventStore

PLANNED = ("ready", "planned", "picking_up")
"""The statuses of a job the planner places (waiting ones still miss orders; the others ended)."""
ARRIVAL_STEP = timedelta(minutes=15)
ARRIVAL_WINDOW = timedelta(minutes=30)
"""A customer is told a half hour, starting on a quarter: a replan that moves the courier
by a few minutes does not tell them again."""
PLAN_AHEAD = timedelta(days=31)
MAX_PLANNING_TIME = timedelta(seconds=20)
TOUR_NAMESPACE = UUID("8a3b5f0e-2d71-4c1a-b6f4-3e9d2c7a5b18")


def tour_id_of(courier_id: UUID, day: date) -> UUID:
    """A courier's tour of a day: the same courier and day always give the same tour."""
    return uuid5(TOUR_NAMESPACE, f"{courier_id}:{day.isoformat()}")


@dataclass(frozen=True)
class JobOnBoard:
    """A job as the board holds it, with its door on the map (None: not pinned)."""

    job: Delivery
    door: GeoPoint | None


@dataclass(frozen=True)
class TourOnBoard:
    tour_id: UUID
    courier_id: UUID


class PlanningPorts(Protocol):
    async def jobs(self, starts: datetime, ends: datetime) -> list[JobOnBoard]:
        """Jobs whose slot starts in ``[starts, ends)``."""
        ...

    async def couriers(self, starts: datetime, ends: datetime) -> list[Courier]: ...

    async def tours(self, day: date) -> list[TourOnBoard]: ...

    async def courier_rides(self, courier_id: UUID) -> bool:
        """The courier is on the roster and not removed."""
        ...


@dataclass(frozen=True)
class DayPlan:
    """What a plan decided: the tours (courier → stops) and the jobs left out, with why."""

    day: date
    planned_at: datetime
    plan: Plan
    distances_m: dict[UUID, int]
    seconds: float


class Planning:
    def __init__(
        self,
        store: EventStore,
        ports: PlanningPorts,
        *,
        timezone: tzinfo,
        clock: Callable[[], datetime],
        settings: PlanningSettings | None = None,
    ) -> None:
        self._store = store
        self._ports = ports
        self._timezone = timezone
        self._clock = clock
        self._settings = settings or PlanningSettings()

    def bounds(self, day: date) -> tuple[datetime, datetime]:
        """The day on the town's clock, as instants."""
        if not date.min + timedelta(days=1) < day < date.max - timedelta(days=1):
            raise InvalidChange(f"{day} is no day a delivery is planned for")
        starts = datetime.combine(day, datetime.min.time(), tzinfo=self._timezone)
        return starts, datetime.combine(day + timedelta(days=1), datetime.min.time(), tzinfo=self._timezone)

    def now(self) -> datetime:
        return self._clock()

    def today(self) -> date:
        return self._clock().astimezone(self._timezone).date()

    async def inputs(self, day: date) -> tuple[list[JobOnBoard], list[Courier]]:
        starts, ends = self.bounds(day)
        jobs = [board for board in await self._ports.jobs(starts, ends) if board.job.status in PLANNED]
        return jobs, await self._ports.couriers(starts, ends)

    async def plan_day(self, day: date) -> DayPlan:
        """Plan the day's jobs now, and write what changed."""
        now = self._clock()
        starts, ends = self.bounds(day)
        if ends <= now:
            raise InvalidChange(f"{day} has passed; only today and later days are planned")
        if starts - now > PLAN_AHEAD:
            raise InvalidChange(f"days are planned at most {PLAN_AHEAD.days} days ahead")
        jobs, couriers = await self.inputs(day)
        began = time.perf_counter()
        # the solver works for its time limit: off the event loop, which keeps answering meanwhile
        result = await asyncio.to_thread(plan_jobs, jobs, couriers, max(now, starts), self._settings)
        seconds = time.perf_counter() - began
        distances = {route.courier_id: route_distance_m(route, couriers, self._settings) for route in result.routes}
        await self._write(day, result, jobs, couriers, distances, now)
        return DayPlan(day, now, result, distances, seconds)

    async def pin(self, job_id: UUID, courier_id: UUID | None) -> Delivery:
        """A dispatcher keeps the job with one courier (None: lifts the pin); the next plan
        honours it."""
        if courier_id is not None and not await self._ports.courier_rides(courier_id):
            raise NotFound("no courier of that id rides for the town")
        return await execute(self._store, str(job_id), delivery.replay, partial(delivery.pin, courier_id=courier_id))

    async def drop_off(self, job_id: UUID) -> DeliveryDropOff | None:
        """Where and to whom the job goes (kept only on its stream, never on the board)."""
        job = delivery.replay(events_of(await self._store.read(str(job_id))))
        return None if job is None else job.drop_off

    async def _write(
        self,
        day: date,
        result: Plan,
        jobs: Sequence[JobOnBoard],
        couriers: Sequence[Courier],
        distances: dict[UUID, int],
        now: datetime,
    ) -> None:
        for route in result.routes:
            tour_id = tour_id_of(route.courier_id, day)
            for job_id, arrives, pickup_by in placements(route, now):
                decide = partial(
                    delivery.plan, courier_id=route.courier_id, tour_id=tour_id, pickup_by=pickup_by, arrives=arrives
                )
                await execute(self._store, str(job_id), delivery.replay, decide)
        for left in result.unplanned:
            await execute(self._store, str(left.job_id), delivery.replay, partial(delivery.unplan, reason=left.reason))
        routed = {route.courier_id: route for route in result.routes}
        # a courier with stops, or with a tour of the day already (which may have to be emptied)
        courier_ids = {route.courier_id for route in result.routes if route.stops} | {
            t.courier_id for t in await self._ports.tours(day)
        }
        for courier_id in sorted(courier_ids):
            mine = routed.get(courier_id)
            stops = [] if mine is None else tour_stops(mine)
            tour = TourPlanned(
                tour_id=tour_id_of(courier_id, day),
                courier_id=courier_id,
                day=day,
                stops=stops,
                distance_m=distances.get(courier_id, 0),
            )
            await execute(self._store, str(tour.tour_id), last_tour, partial(tour_changes, tour=tour))


def plan_jobs(
    jobs: Sequence[JobOnBoard], couriers: Sequence[Courier], now: datetime, settings: PlanningSettings
) -> Plan:
    """The planner's problem from the board's jobs, with time for the day's size: a busy day
    gets longer than the default (the solver needs about a second per hundred stops to place
    them all; a 500-job day in 2 s placed none)."""
    to_plan = [planning_job(board) for board in jobs if board.job.open_pickups]
    done = [stop for board in jobs for stop in fixed_stops(board.job)]
    return plan(to_plan, couriers, now, done, sized(settings, len(to_plan)))


def sized(settings: PlanningSettings, jobs: int) -> PlanningSettings:
    """At least the settings' time limit, and a second for every 30 jobs, at most 20 s (the
    worker plans again every ``replan_seconds``)."""
    wanted = min(MAX_PLANNING_TIME, timedelta(seconds=jobs / 30))
    return replace(settings, time_limit=max(settings.time_limit, wanted))


def planning_job(board: JobOnBoard) -> DeliveryJob:
    """A job as the planner takes it. A door the customer did not pin (a zone by postal code)
    is placed at the middle of its shops: the tour is planned, its arrival times are rough,
    and the courier reads the address (the board shows the door unpinned)."""
    job = board.job
    shops: dict[UUID, list[delivery.PickupAt]] = {}
    for pickup in job.open_pickups:
        shops.setdefault(pickup.merchant_id, []).append(pickup)
    pickups = tuple(
        Pickup(
            merchant_id,
            tuple(p.order_id for p in orders),
            Coordinates(lat=orders[0].shop.lat, lon=orders[0].shop.lon),
            sum(p.parcels for p in orders),
        )
        for merchant_id, orders in shops.items()
    )
    return DeliveryJob(
        job.job_id,
        job.checkout_id,
        pickups,
        door_of(board, pickups),
        TimeWindow(job.slot.starts_at, job.slot.ends_at),
        FeeQuote(job.fee_cents, job.fee_cents, 0),
        job.pinned_to,
    )


def door_of(board: JobOnBoard, pickups: Sequence[Pickup]) -> Coordinates:
    if board.door is not None:
        return Coordinates(lat=board.door.lat, lon=board.door.lon)
    return Coordinates(
        lat=sum(p.place.lat for p in pickups) / len(pickups), lon=sum(p.place.lon for p in pickups) / len(pickups)
    )


def fixed_stops(job: Delivery) -> list[FixedStop]:
    """The shops whose orders of the job are all with the courier: stops done."""
    if job.courier_id is None:
        return []
    stops = []
    for merchant_id in dict.fromkeys(p.merchant_id for p in job.open_pickups):
        orders = [p for p in job.open_pickups if p.merchant_id == merchant_id]
        times = [p.picked_up_at for p in orders if p.picked_up_at is not None]
        if len(times) == len(orders):
            stops.append(FixedStop(job.courier_id, job.job_id, "pickup", max(times), merchant_id))
    return stops


def placements(route: Route, now: datetime) -> list[tuple[UUID, ArrivalWindow, datetime]]:
    """Per job of the route: when the courier is at the door (told as a window) and by when
    the goods are fetched (its last shop; now when they are all on board)."""
    fetched: dict[UUID, datetime] = {}
    result = []
    for stop in route.stops:
        if stop.kind == "pickup":
            fetched[stop.job_id] = stop.arrives_at
        else:
            result.append((stop.job_id, arrival_window(stop.arrives_at), fetched.get(stop.job_id, now)))
    return result


def arrival_window(arrives_at: datetime) -> ArrivalWindow:
    step = int(ARRIVAL_STEP.total_seconds())
    starts = datetime.fromtimestamp(int(arrives_at.timestamp()) // step * step, tz=arrives_at.tzinfo)
    return ArrivalWindow(starts_at=starts, ends_at=starts + ARRIVAL_WINDOW)


def tour_stops(route: Route) -> list[TourStop]:
    return [
        TourStop(
            kind=stop.kind,
            job_id=stop.job_id,
            merchant_id=stop.merchant_id,
            arrives_at=stop.arrives_at,
            load_after=stop.load_after,
        )
        for stop in route.stops
    ]


def route_distance_m(route: Route, couriers: Sequence[Courier], settings: PlanningSettings) -> int:
    """The ride's length from the courier's start along the stops (as the planner estimates streets)."""
    courier = next((c for c in couriers if c.courier_id == route.courier_id), None)
    if courier is None or not route.stops:
        return 0
    places: list[Coordinates] = [courier.position, *(stop.place for stop in route.stops)]
    straight = sum(haversine_m(one, other) for one, other in pairwise(places))
    return round(straight * settings.detour_factor)


def last_tour(events: Sequence[IntegrationEvent]) -> TourPlanned | None:
    tours = [event for event in events if isinstance(event, TourPlanned)]
    return tours[-1] if tours else None


TOUR_SLACK = timedelta(minutes=5)


def tour_changes(last: TourPlanned | None, tour: TourPlanned) -> list[IntegrationEvent]:
    """A tour is written when its stops changed: another order, another stop, or an arrival
    moved by more than a few minutes (the same plan made a moment later is no news). A
    courier's first tour of a day with nothing in it is not written."""
    if last is None:
        return [tour] if tour.stops else []
    same = len(last.stops) == len(tour.stops) and all(
        (a.kind, a.job_id, a.merchant_id, a.load_after) == (b.kind, b.job_id, b.merchant_id, b.load_after)
        and abs(a.arrives_at - b.arrives_at) <= TOUR_SLACK
        for a, b in zip(last.stops, tour.stops, strict=True)
    )
    return [] if same else [tour]


def fingerprint(jobs: Sequence[JobOnBoard], couriers: Sequence[Courier]) -> tuple[object, ...]:
    """What a plan depends on and the plan itself does not change: not the jobs' couriers,
    tours or arrivals, but their orders, pickups, attempts, pins and doors; the couriers on
    shift and their shifts."""
    return (
        tuple(
            sorted(
                (
                    str(board.job.job_id),
                    "picking_up" if board.job.status == "picking_up" else "open",
                    tuple(sorted((str(p.order_id), p.picked_up) for p in board.job.open_pickups)),
                    board.job.attempts,
                    str(board.job.pinned_to),
                    board.door,
                )
                for board in jobs
            )
        ),
        tuple(sorted((str(c.courier_id), c.shift_starts, c.shift_ends, c.capacity) for c in couriers)),
    )


class Replanner:
    """The worker's round: today and tomorrow planned again when their inputs changed since
    this process last planned them (a new worker plans once on its first round), at most
    every ``every_seconds``. Tomorrow too: an evening's orders go into tomorrow's first slots,
    and couriers and customers want their tour and arrival before the day begins."""

    DAYS_AHEAD = 1

    def __init__(self, every_seconds: float) -> None:
        self._every = every_seconds
        self._last: dict[date, tuple[object, ...]] = {}
        self._at = float("-inf")

    async def round(self, planning: Planning) -> int:
        if time.monotonic() - self._at < self._every:
            return 0
        self._at = time.monotonic()
        today = planning.today()
        self._last = {day: seen for day, seen in self._last.items() if day >= today}
        placed = 0
        for offset in range(self.DAYS_AHEAD + 1):
            day = today + timedelta(days=offset)
            jobs, couriers = await planning.inputs(day)
            seen = fingerprint(jobs, couriers)
            if self._last.get(day) == seen:
                continue
            result = await planning.plan_day(day)
            self._last[day] = seen
            placed += sum(len(route.stops) for route in result.plan.routes) + len(result.plan.unplanned)
        return placed
