# SPDX-License-Identifier: AGPL-3.0-or-later
"""The dispatcher's board (the association's): a day's tours and the jobs left out with why,
one job explained, a plan made now, a job pinned to a courier."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Literal
from uuid import UUID

from fastapi import APIRouter, Query
from pydantic import BaseModel, ConfigDict, Field

from dispatch.api.deps import Caller, Container, ReadDb
from dispatch.app.planning import DayPlan, tour_id_of
from dispatch.domain.errors import NotFound
from dispatch.projections.board import BoardJob, BoardReader, BoardTour

router = APIRouter(tags=["board"])
BOARD = BoardReader()
LATE_AFTER = timedelta(minutes=15)
"""A stop still on a tour this long after its expected arrival is late."""


class OrderOut(BaseModel):
    order_id: UUID
    merchant_id: UUID
    parcels: int
    picked_up: bool
    withdrawn: bool


class JobOut(BaseModel):
    job_id: UUID
    checkout_id: UUID
    status: str
    slot_starts: datetime
    slot_ends: datetime
    slot_kind: str
    courier_id: UUID | None
    tour_id: UUID | None
    arrives_from: datetime | None
    arrives_until: datetime | None
    pickup_by: datetime | None
    unplanned_reason: str | None
    attempts: int
    pinned_to: UUID | None
    parcels: int
    door_pinned: bool
    orders: list[OrderOut]
    explanation: str = Field(description="where the job stands, in a sentence")


class StopOut(BaseModel):
    kind: Literal["pickup", "drop_off"]
    job_id: UUID
    merchant_id: UUID | None
    arrives_at: datetime
    load_after: int
    late: bool


class TourOut(BaseModel):
    tour_id: UUID
    courier_id: UUID
    day: date
    distance_m: int
    planned_at: datetime | None
    stops: list[StopOut]


class BoardOut(BaseModel):
    day: date
    tours: list[TourOut]
    unplanned: list[JobOut]
    waiting: list[JobOut] = Field(description="jobs still waiting for orders of their checkout")
    late: list[StopOut]


class UnplannedOut(BaseModel):
    job_id: UUID
    reason: str


class PlanOut(BaseModel):
    day: date
    planned_at: datetime
    seconds: float = Field(description="how long the planner took")
    tours: list[TourOut]
    unplanned: list[UnplannedOut]


class PinIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    courier_id: UUID | None = Field(description="the courier to keep the job with; null lifts the pin")


def explain(board: BoardJob) -> str:
    job = board.job
    missing = job.expected_orders - len(job.pickups.keys() | job.withdrawn)
    texts = {
        "waiting": f"waiting for {missing} more order(s) of the checkout",
        "ready": f"not on a tour: {board.unplanned_reason}" if board.unplanned_reason else "to be planned",
        "planned": "on a courier's tour, nothing picked up yet",
        "picking_up": "goods on board with the courier",
        "delivered": "delivered",
        "to_return": "the last attempt failed; the goods go back to their shops",
        "returned": "the goods are back at their shops",
        "withdrawn": "every order of it ended before pickup",
    }
    return texts[job.status]


def job_out(board: BoardJob) -> JobOut:
    job = board.job
    return JobOut(
        job_id=job.job_id,
        checkout_id=job.checkout_id,
        status=job.status,
        slot_starts=job.slot.starts_at,
        slot_ends=job.slot.ends_at,
        slot_kind=job.slot_kind,
        courier_id=job.courier_id,
        tour_id=job.tour_id,
        arrives_from=None if job.arrives is None else job.arrives.starts_at,
        arrives_until=None if job.arrives is None else job.arrives.ends_at,
        pickup_by=board.pickup_by,
        unplanned_reason=board.unplanned_reason,
        attempts=job.attempts,
        pinned_to=job.pinned_to,
        parcels=job.parcels,
        door_pinned=board.door is not None,
        orders=[
            OrderOut(
                order_id=p.order_id,
                merchant_id=p.merchant_id,
                parcels=p.parcels,
                picked_up=p.picked_up,
                withdrawn=p.order_id in job.withdrawn,
            )
            for p in job.pickups.values()
        ],
        explanation=explain(board),
    )


def _late(kind: str, arrives_at: datetime, slot_ends: datetime | None, now: datetime) -> bool:
    return arrives_at + LATE_AFTER < now or (kind == "drop_off" and slot_ends is not None and arrives_at > slot_ends)


def tour_out(tour: BoardTour, slot_ends: dict[UUID, datetime], now: datetime) -> TourOut:
    stops = []
    for raw in tour.stops:
        arrives_at = datetime.fromisoformat(raw["arrives_at"])
        job_id = UUID(raw["job_id"])
        stops.append(
            StopOut(
                kind=raw["kind"],
                job_id=job_id,
                merchant_id=raw.get("merchant_id"),
                arrives_at=arrives_at,
                load_after=raw["load_after"],
                late=_late(raw["kind"], arrives_at, slot_ends.get(job_id), now),
            )
        )
    return TourOut(
        tour_id=tour.tour_id,
        courier_id=tour.courier_id,
        day=tour.day,
        distance_m=tour.distance_m,
        planned_at=tour.planned_at,
        stops=stops,
    )


@router.get("/board", summary="A day's tours, the jobs left out and why, the late stops")
async def board(caller: Caller, container: Container, db: ReadDb, day: date | None = Query(default=None)) -> BoardOut:
    caller.association()
    planning = container.planning
    day = day or planning.today()
    starts, ends = planning.bounds(day)
    jobs = await BOARD.jobs_between(db, starts, ends)
    tours = await BOARD.tours(db, day)
    now = planning.now()
    slot_ends = {board.job.job_id: board.job.slot.ends_at for board in jobs}
    tours_out = [tour_out(tour, slot_ends, now) for tour in tours]
    return BoardOut(
        day=day,
        tours=tours_out,
        unplanned=[job_out(board) for board in jobs if board.job.status == "ready"],
        waiting=[job_out(board) for board in jobs if board.job.status == "waiting"],
        late=[stop for tour in tours_out for stop in tour.stops if stop.late],
    )


@router.get("/jobs/{job_id}", summary="One delivery job, explained")
async def job(job_id: UUID, caller: Caller, db: ReadDb) -> JobOut:
    caller.association()
    found = await BOARD.job(db, job_id)
    if found is None:
        raise NotFound("no delivery job of that id (a new one may take a moment to show)")
    return job_out(found)


@router.post("/plans/{day}", summary="Plan the day's jobs now")
async def plan_now(day: date, caller: Caller, container: Container) -> PlanOut:
    """Plans the day's open jobs onto the couriers on shift and writes what changed (jobs
    planned or left out, tours); answers the plan."""
    caller.association()
    return plan_out(await container.planning.plan_day(day))


def plan_out(result: DayPlan) -> PlanOut:
    tours = []
    for route in result.plan.routes:
        stops = [
            StopOut(
                kind=stop.kind,
                job_id=stop.job_id,
                merchant_id=stop.merchant_id,
                arrives_at=stop.arrives_at,
                load_after=stop.load_after,
                late=False,
            )
            for stop in route.stops
        ]
        tours.append(
            TourOut(
                tour_id=tour_id_of(route.courier_id, result.day),
                courier_id=route.courier_id,
                day=result.day,
                distance_m=result.distances_m.get(route.courier_id, 0),
                planned_at=result.planned_at,
                stops=stops,
            )
        )
    return PlanOut(
        day=result.day,
        planned_at=result.planned_at,
        seconds=round(result.seconds, 3),
        tours=tours,
        unplanned=[UnplannedOut(job_id=left.job_id, reason=left.reason) for left in result.plan.unplanned],
    )


@router.put("/jobs/{job_id}/pin", summary="Keep a job with one courier, or lift the pin")
async def pin(job_id: UUID, body: PinIn, caller: Caller, container: Container) -> dict[str, UUID | None]:
    caller.association()
    job = await container.planning.pin(job_id, body.courier_id)
    return {"job_id": job.job_id, "pinned_to": job.pinned_to}
