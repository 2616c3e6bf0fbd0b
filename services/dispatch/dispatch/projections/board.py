# SPDX-License-Identifier: AGPL-3.0-or-later
"""The dispatcher's board: every delivery job where it stands, and every courier's tour.

Fed from dispatch's own store (``from_store``: the pins and the doors on the map are private
events). A job's row is the job's state as :func:`dispatch.domain.delivery.evolve` folds it
(the same fold, so the board never tells another story than the stream), plus what the
board alone keeps: why the planner left it out, by when it is fetched, where its door is.
No name, phone or street of a recipient is kept here; a courier's view reads those from the
job's stream. A tour's row is its last :class:`~downtown_events.dispatch.TourPlanned`.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime
from types import MappingProxyType
from typing import Any
from uuid import UUID

from psycopg import sql

from dispatch.domain import delivery
from dispatch.domain.delivery import Delivery, PickupAt
from dispatch.domain.private_events import DeliveryDropOffRecorded, DeliveryJobPinned
from downtown_events.dispatch import (
    ArrivalWindow,
    DeliveryAttemptFailed,
    DeliveryJobDelivered,
    DeliveryJobOpened,
    DeliveryJobPickupAdded,
    DeliveryJobPickupWithdrawn,
    DeliveryJobPlanned,
    DeliveryJobReturned,
    DeliveryJobUnplanned,
    DeliveryOrderPickedUp,
    TourPlanned,
)
from downtown_events.geo import GeoPoint
from downtown_events.runtime.database import Connection
from downtown_events.runtime.projection import Projection, Row, RowSet, Table
from downtown_events.runtime.records import ReceivedEvent

BOARD_JOBS = Table(
    name="dispatch_board_jobs",
    key="job_id",
    columns={
        "job_id": "uuid",
        "checkout_id": "uuid",
        "zone_id": "uuid",
        "slot_starts": "timestamptz",
        "slot_ends": "timestamptz",
        "slot_kind": "text",
        "expected_orders": "integer",
        "pickups": "jsonb",
        "withdrawn": "jsonb",
        "door_lat": "double precision",
        "door_lon": "double precision",
        "courier_id": "uuid",
        "tour_id": "uuid",
        "arrives_from": "timestamptz",
        "arrives_until": "timestamptz",
        "pickup_by": "timestamptz",
        "pinned_to": "uuid",
        "attempts": "integer",
        "status": "text",
        "unplanned_reason": "text",
        "updated_at": "timestamptz",
    },
    indexes=("{table} (slot_starts)", "{table} (courier_id)"),
)
TOURS = Table(
    name="dispatch_tours",
    key="tour_id",
    columns={
        "tour_id": "uuid",
        "courier_id": "uuid",
        "day": "date",
        "stops": "jsonb",
        "distance_m": "integer",
        "planned_at": "timestamptz",
    },
    indexes=("{table} (day, courier_id)",),
)
_JOB_EVENTS = (
    DeliveryJobOpened,
    DeliveryJobPickupAdded,
    DeliveryJobPickupWithdrawn,
    DeliveryDropOffRecorded,
    DeliveryJobPinned,
    DeliveryJobPlanned,
    DeliveryJobUnplanned,
    DeliveryOrderPickedUp,
    DeliveryJobDelivered,
    DeliveryAttemptFailed,
    DeliveryJobReturned,
)


class Board(Projection):
    """Jobs and tours (the projection ``board``)."""

    name = "board"
    tables = (BOARD_JOBS, TOURS)
    event_types = (*_JOB_EVENTS, TourPlanned)
    from_store = True

    def touches(self, event: ReceivedEvent) -> Iterable[tuple[Table, Any]]:
        data: Any = event.event
        if isinstance(data, TourPlanned):
            return [(TOURS, data.tour_id)]
        return [(BOARD_JOBS, data.job_id)] if isinstance(data, _JOB_EVENTS) else []

    def evolve(self, rows: RowSet, event: ReceivedEvent) -> None:
        data: Any = event.event
        if isinstance(data, TourPlanned):
            rows.put(TOURS, _tour_row(data, event.envelope.time))
            return
        if not isinstance(data, _JOB_EVENTS):
            return
        row = rows.get(BOARD_JOBS, data.job_id)
        if row is None and not isinstance(data, DeliveryJobOpened):
            return  # its opening was unreadable
        state = delivery.evolve(None if row is None else job_of(row), data)
        new = {**(row or {}), **_state_columns(state)}
        if isinstance(data, DeliveryDropOffRecorded):
            pin = data.drop_off.pin
            new.update(door_lat=None if pin is None else pin.lat, door_lon=None if pin is None else pin.lon)
        elif isinstance(data, DeliveryJobPlanned):
            new["pickup_by"] = data.pickup_by
        elif isinstance(data, DeliveryJobUnplanned | DeliveryAttemptFailed):
            new["pickup_by"] = None
        new["updated_at"] = event.envelope.time
        rows.put(BOARD_JOBS, new)


def _state_columns(state: Delivery) -> Row:
    return {
        "job_id": state.job_id,
        "checkout_id": state.checkout_id,
        "zone_id": state.zone_id,
        "slot_starts": state.slot.starts_at,
        "slot_ends": state.slot.ends_at,
        "slot_kind": state.slot_kind,
        "expected_orders": state.expected_orders,
        "pickups": [_pickup_json(pickup) for pickup in state.pickups.values()],
        "withdrawn": sorted(str(order_id) for order_id in state.withdrawn),
        "courier_id": state.courier_id,
        "tour_id": state.tour_id,
        "arrives_from": None if state.arrives is None else state.arrives.starts_at,
        "arrives_until": None if state.arrives is None else state.arrives.ends_at,
        "pinned_to": state.pinned_to,
        "attempts": state.attempts,
        "status": state.status,
        "unplanned_reason": state.unplanned_reason,
    }


def _pickup_json(pickup: PickupAt) -> dict[str, Any]:
    return {
        "order_id": str(pickup.order_id),
        "merchant_id": str(pickup.merchant_id),
        "lat": pickup.shop.lat,
        "lon": pickup.shop.lon,
        "parcels": pickup.parcels,
        "fee_cents": pickup.fee_cents,
        "picked_up_at": None if pickup.picked_up_at is None else pickup.picked_up_at.isoformat(),
        "picked_up": pickup.picked_up,
    }


def _pickup_of(raw: dict[str, Any]) -> PickupAt:
    at = raw.get("picked_up_at")
    return PickupAt(
        order_id=UUID(raw["order_id"]),
        merchant_id=UUID(raw["merchant_id"]),
        shop=GeoPoint(lat=raw["lat"], lon=raw["lon"]),
        parcels=raw["parcels"],
        fee_cents=raw["fee_cents"],
        picked_up=bool(raw["picked_up"]),
        picked_up_at=None if at is None else datetime.fromisoformat(at),
    )


def job_of(row: Row) -> Delivery:
    """The job as the row keeps it (without its drop-off: the board holds no recipient)."""
    pickups = [_pickup_of(raw) for raw in row["pickups"] or []]
    arrives = (
        None
        if row["arrives_from"] is None
        else ArrivalWindow(starts_at=row["arrives_from"], ends_at=row["arrives_until"])
    )
    return Delivery(
        job_id=row["job_id"],
        checkout_id=row["checkout_id"],
        zone_id=row["zone_id"],
        slot=ArrivalWindow(starts_at=row["slot_starts"], ends_at=row["slot_ends"]),
        slot_kind=row["slot_kind"],
        expected_orders=row["expected_orders"],
        pickups=MappingProxyType({pickup.order_id: pickup for pickup in pickups}),
        withdrawn=frozenset(UUID(order_id) for order_id in row["withdrawn"] or []),
        courier_id=row["courier_id"],
        tour_id=row["tour_id"],
        arrives=arrives,
        pinned_to=row["pinned_to"],
        attempts=row["attempts"],
        status=row["status"],
        unplanned_reason=row["unplanned_reason"],
    )


def _tour_row(data: TourPlanned, at: datetime) -> Row:
    return {
        "tour_id": data.tour_id,
        "courier_id": data.courier_id,
        "day": data.day,
        "stops": [stop.model_dump(mode="json") for stop in data.stops],
        "distance_m": data.distance_m,
        "planned_at": at,
    }


# --- reading ---------------------------------------------------------------------------


@dataclass(frozen=True)
class BoardJob:
    """A job's row: the job, and what the board adds."""

    job: Delivery
    door: GeoPoint | None
    pickup_by: datetime | None
    unplanned_reason: str | None


@dataclass(frozen=True)
class BoardTour:
    tour_id: UUID
    courier_id: UUID
    day: date
    stops: list[dict[str, Any]]
    distance_m: int
    planned_at: datetime


class BoardReader:
    """The board's tables read on the caller's connection: the one place its queries are written."""

    def __init__(self) -> None:
        jobs, tours = sql.Identifier(BOARD_JOBS.name), sql.Identifier(TOURS.name)
        columns = sql.SQL(", ").join(map(sql.Identifier, BOARD_JOBS.columns))
        tour_columns = sql.SQL(", ").join(map(sql.Identifier, TOURS.columns))
        self._between = sql.SQL(
            "SELECT {} FROM {} WHERE slot_starts >= %s AND slot_starts < %s ORDER BY slot_starts, job_id"
        ).format(columns, jobs)
        self._job = sql.SQL("SELECT {} FROM {} WHERE job_id = %s").format(columns, jobs)
        self._tours = sql.SQL("SELECT {} FROM {} WHERE day = %s ORDER BY courier_id").format(tour_columns, tours)
        self._tour = sql.SQL("SELECT {} FROM {} WHERE tour_id = %s").format(tour_columns, tours)
        self._to_return = sql.SQL(
            "SELECT {} FROM {} WHERE courier_id = %s AND status = 'to_return' ORDER BY updated_at, job_id"
        ).format(columns, jobs)

    async def jobs_between(self, conn: Connection, starts: datetime, ends: datetime) -> list[BoardJob]:
        """Jobs whose slot starts in ``[starts, ends)``."""
        rows = await (await conn.execute(self._between, (starts, ends))).fetchall()
        return [_board_job(row) for row in rows]

    async def job(self, conn: Connection, job_id: UUID) -> BoardJob | None:
        row = await (await conn.execute(self._job, (job_id,))).fetchone()
        return None if row is None else _board_job(row)

    async def to_return(self, conn: Connection, courier_id: UUID) -> list[BoardJob]:
        """The courier's jobs whose last attempt failed and whose goods are not back at their
        shops yet, whatever day they were for (the planner leaves them off every tour)."""
        rows = await (await conn.execute(self._to_return, (courier_id,))).fetchall()
        return [_board_job(row) for row in rows]

    async def tours(self, conn: Connection, day: date) -> list[BoardTour]:
        return [BoardTour(**row) for row in await (await conn.execute(self._tours, (day,))).fetchall()]

    async def tour(self, conn: Connection, tour_id: UUID) -> BoardTour | None:
        row = await (await conn.execute(self._tour, (tour_id,))).fetchone()
        return None if row is None else BoardTour(**row)


def _board_job(row: Row) -> BoardJob:
    lat, lon = row["door_lat"], row["door_lon"]
    return BoardJob(
        job=job_of(row),
        door=None if lat is None or lon is None else GeoPoint(lat=lat, lon=lon),
        pickup_by=row["pickup_by"],
        unplanned_reason=row["unplanned_reason"],
    )
