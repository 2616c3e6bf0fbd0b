# SPDX-License-Identifier: AGPL-3.0-or-later
"""The town's courier services, their couriers, shifts and drop-outs, from dispatch's own events.

Planning asks one question of it (who rides in this period, from where, carrying how much:
:meth:`CourierRoster.couriers_on_shift`), a courier's token another (is this courier still
active, and were their tokens revoked since it was issued: :meth:`CourierRoster.courier`), the
association's set-up page a third (the services with their couriers and coming shifts:
:meth:`CourierRoster.services`).

A drop-out names the courier and the moment, not the shift (the contract's
``CourierDroppedOut``), and a policy can only touch rows it can name from the event; so
drop-outs have a table of their own, and a shift counts as dropped out when one of its
courier's drop-outs falls inside it. Every row is written by one courier service's stream,
so one partition, in order.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from uuid import UUID, uuid5

from psycopg import sql

from dispatch.domain.tours import Courier
from downtown_events.delivery.geo import Coordinates
from downtown_events.dispatch import (
    CourierAdded,
    CourierDroppedOut,
    CourierRemoved,
    CourierServiceRegistered,
    CourierShiftScheduled,
    CourierTokensRevoked,
)
from downtown_events.geo import GeoPoint
from downtown_events.runtime.database import Connection, Pool
from downtown_events.runtime.projection import Projection, Row, RowSet, Table
from downtown_events.runtime.records import ReceivedEvent

COURIER_SERVICES = Table(
    name="dispatch_courier_services",
    key="courier_service_id",
    columns={"courier_service_id": "uuid", "name": "text", "phone": "text", "registered_at": "timestamptz"},
)
COURIERS = Table(
    name="dispatch_couriers",
    key="courier_id",
    columns={
        "courier_id": "uuid",
        "courier_service_id": "uuid",
        "display_name": "text",
        "vehicle": "text",
        "capacity": "integer",
        "active": "boolean",
        "removed_at": "timestamptz",
        "tokens_valid_after": "timestamptz",
    },
    indexes=("{table} (courier_service_id)",),
)
SHIFTS = Table(
    name="dispatch_shifts",
    key="shift_id",
    columns={
        "shift_id": "uuid",
        "courier_id": "uuid",
        "courier_service_id": "uuid",
        "starts_at": "timestamptz",
        "ends_at": "timestamptz",
        "start_lat": "double precision",
        "start_lon": "double precision",
    },
    indexes=("{table} (courier_id, starts_at)", "{table} (ends_at)"),
)
DROP_OUTS = Table(
    name="dispatch_drop_outs",
    key="drop_out_id",
    columns={
        "drop_out_id": "uuid",
        "courier_id": "uuid",
        "at": "timestamptz",
        "lat": "double precision",
        "lon": "double precision",
    },
    indexes=("{table} (courier_id, at)",),
)
_EVENTS = (
    CourierServiceRegistered,
    CourierAdded,
    CourierRemoved,
    CourierTokensRevoked,
    CourierShiftScheduled,
    CourierDroppedOut,
)
_DROP_OUT_IDS = UUID("6f1c0a52-4d8e-5a51-9a55-2f8f2d1a0c11")


def drop_out_id(courier_id: UUID, at: datetime) -> UUID:
    """A drop-out's row key from what the event says (the same event replayed, the same row)."""
    return uuid5(_DROP_OUT_IDS, f"{courier_id}:{at.isoformat()}")


class CourierProjection(Projection):
    """Courier services, couriers, shifts and drop-outs, one row each (the projection ``couriers``)."""

    name = "couriers"
    tables = (COURIER_SERVICES, COURIERS, SHIFTS, DROP_OUTS)
    event_types = _EVENTS

    def touches(self, event: ReceivedEvent) -> Iterable[tuple[Table, Any]]:
        data = event.event
        if isinstance(data, CourierServiceRegistered):
            return [(COURIER_SERVICES, data.courier_service_id)]
        if isinstance(data, CourierAdded | CourierRemoved | CourierTokensRevoked):
            return [(COURIERS, data.courier_id)]
        if isinstance(data, CourierShiftScheduled):
            return [(SHIFTS, data.shift_id)]
        if isinstance(data, CourierDroppedOut):
            return [(DROP_OUTS, drop_out_id(data.courier_id, data.at))]
        return []

    def evolve(self, rows: RowSet, event: ReceivedEvent) -> None:
        data = event.event
        if isinstance(data, CourierServiceRegistered):
            rows.put(
                COURIER_SERVICES,
                {
                    "courier_service_id": data.courier_service_id,
                    "name": data.name,
                    "phone": data.phone,
                    "registered_at": event.envelope.time,
                },
            )
        elif isinstance(data, CourierAdded):
            rows.put(
                COURIERS,
                {
                    "courier_id": data.courier_id,
                    "courier_service_id": data.courier_service_id,
                    "display_name": data.display_name,
                    "vehicle": data.vehicle,
                    "capacity": data.capacity,
                    "active": True,
                    "removed_at": None,
                    "tokens_valid_after": None,
                },
            )
        elif isinstance(data, CourierRemoved):
            row = rows.get(COURIERS, data.courier_id)
            if row is not None:  # its addition was unreadable: there is nothing to remove
                rows.put(COURIERS, {**row, "active": False, "removed_at": event.envelope.time})
        elif isinstance(data, CourierTokensRevoked):
            row = rows.get(COURIERS, data.courier_id)
            if row is not None:
                rows.put(COURIERS, {**row, "tokens_valid_after": data.revoked_at})
        elif isinstance(data, CourierShiftScheduled):
            rows.put(SHIFTS, _shift_row(data))
        elif isinstance(data, CourierDroppedOut):
            position = data.position
            rows.put(
                DROP_OUTS,
                {
                    "drop_out_id": drop_out_id(data.courier_id, data.at),
                    "courier_id": data.courier_id,
                    "at": data.at,
                    "lat": None if position is None else position.lat,
                    "lon": None if position is None else position.lon,
                },
            )


def _shift_row(data: CourierShiftScheduled) -> Row:
    return {
        "shift_id": data.shift_id,
        "courier_id": data.courier_id,
        "courier_service_id": data.courier_service_id,
        "starts_at": data.starts_at,
        "ends_at": data.ends_at,
        "start_lat": data.start.lat,
        "start_lon": data.start.lon,
    }


# --- reading ---------------------------------------------------------------------------


@dataclass(frozen=True)
class RosterCourier:
    """A courier as the roster knows them; ``active`` is false once removed."""

    courier_id: UUID
    courier_service_id: UUID
    display_name: str
    vehicle: str
    capacity: int
    active: bool
    tokens_valid_after: datetime | None = None
    """When the courier last signed out: their tokens issued until then are void."""


@dataclass(frozen=True)
class RosterShift:
    """A shift; ``dropped_out_at`` (and where, if said) when its courier stopped during it."""

    shift_id: UUID
    courier_id: UUID
    starts_at: datetime
    ends_at: datetime
    start: GeoPoint
    dropped_out_at: datetime | None = None
    drop_out_position: GeoPoint | None = None


@dataclass(frozen=True)
class RosterService:
    """A courier service with its couriers (the removed ones too, marked) and its shifts."""

    courier_service_id: UUID
    name: str
    phone: str
    couriers: tuple[RosterCourier, ...]
    shifts: tuple[RosterShift, ...]


_COURIER_COLUMNS = "courier_id, courier_service_id, display_name, vehicle, capacity, active, tokens_valid_after"
_SHIFT_COLUMNS = (
    "s.shift_id, s.courier_id, s.starts_at, s.ends_at, s.start_lat, s.start_lon,"
    " d.at AS dropped_out_at, d.lat AS drop_lat, d.lon AS drop_lon"
)
_FIRST_DROP_OUT = (
    "LEFT JOIN LATERAL (SELECT at, lat, lon FROM {drop_outs} WHERE courier_id = s.courier_id"
    " AND at >= s.starts_at AND at < s.ends_at ORDER BY at LIMIT 1) d ON true"
)


class CourierRoster:
    """The roster's tables read on the caller's connection: the one place its queries are written."""

    def __init__(self) -> None:
        names = {
            "services": sql.Identifier(COURIER_SERVICES.name),
            "couriers": sql.Identifier(COURIERS.name),
            "shifts": sql.Identifier(SHIFTS.name),
            "drop_outs": sql.Identifier(DROP_OUTS.name),
        }
        self._courier = sql.SQL(f"SELECT {_COURIER_COLUMNS} FROM {{couriers}} WHERE courier_id = %s").format(**names)
        self._on_shift = sql.SQL(
            f"SELECT {_SHIFT_COLUMNS}, c.vehicle, c.capacity FROM {{shifts}} s"
            " JOIN {couriers} c ON c.courier_id = s.courier_id"
            f" {_FIRST_DROP_OUT}"
            " WHERE c.active AND s.starts_at < %(ends)s AND s.ends_at > %(starts)s AND d.at IS NULL"
            " ORDER BY s.starts_at, s.courier_id"
        ).format(**names)
        self._services = sql.SQL(
            "SELECT courier_service_id, name, phone FROM {services} ORDER BY name, courier_service_id"
        ).format(**names)
        self._couriers_of = sql.SQL(
            f"SELECT {_COURIER_COLUMNS} FROM {{couriers}} ORDER BY display_name, courier_id"
        ).format(**names)
        self._shifts_after = sql.SQL(
            f"SELECT {_SHIFT_COLUMNS}, s.courier_service_id FROM {{shifts}} s {_FIRST_DROP_OUT}"
            " WHERE s.ends_at > %s ORDER BY s.starts_at, s.shift_id LIMIT %s"
        ).format(**names)

    async def courier(self, conn: Connection, courier_id: UUID) -> RosterCourier | None:
        """The courier (removed ones too, ``active`` false); None if never added (or not read yet)."""
        row = await (await conn.execute(self._courier, (courier_id,))).fetchone()
        return None if row is None else _courier(row)

    async def couriers_on_shift(self, conn: Connection, starts: datetime, ends: datetime) -> list[Courier]:
        """Couriers with a shift overlapping ``[starts, ends)``, not removed and not dropped out
        of it, as planning takes them: from the shift's start, with its hours. A courier with
        two such shifts comes once, with the earlier (shifts of one courier never overlap)."""
        rows = await (await conn.execute(self._on_shift, {"starts": starts, "ends": ends})).fetchall()
        couriers: dict[UUID, Courier] = {}
        for row in rows:
            couriers.setdefault(
                row["courier_id"],
                Courier(
                    courier_id=row["courier_id"],
                    kind=row["vehicle"],
                    capacity=row["capacity"],
                    position=Coordinates(lat=row["start_lat"], lon=row["start_lon"]),
                    shift_starts=row["starts_at"],
                    shift_ends=row["ends_at"],
                ),
            )
        return list(couriers.values())

    async def service_ids(self, conn: Connection) -> list[UUID]:
        """Every courier service the roster knows."""
        return [row["courier_service_id"] for row in await (await conn.execute(self._services)).fetchall()]

    async def services(self, conn: Connection, *, shifts_after: datetime, limit: int = 500) -> list[RosterService]:
        """Every courier service with its couriers and the shifts ending after ``shifts_after``
        (at most ``limit`` of them, the earliest first)."""
        services = await (await conn.execute(self._services)).fetchall()
        couriers = [_courier(row) for row in await (await conn.execute(self._couriers_of)).fetchall()]
        shift_rows = await (await conn.execute(self._shifts_after, (shifts_after, limit))).fetchall()
        return [
            RosterService(
                courier_service_id=service["courier_service_id"],
                name=service["name"],
                phone=service["phone"],
                couriers=tuple(c for c in couriers if c.courier_service_id == service["courier_service_id"]),
                shifts=tuple(
                    _shift(row) for row in shift_rows if row["courier_service_id"] == service["courier_service_id"]
                ),
            )
            for service in services
        ]


def _courier(row: Row) -> RosterCourier:
    return RosterCourier(
        courier_id=row["courier_id"],
        courier_service_id=row["courier_service_id"],
        display_name=row["display_name"],
        vehicle=row["vehicle"],
        capacity=row["capacity"],
        active=bool(row["active"]),
        tokens_valid_after=row["tokens_valid_after"],
    )


def _shift(row: Row) -> RosterShift:
    dropped_at = row["dropped_out_at"]
    drop_lat, drop_lon = row["drop_lat"], row["drop_lon"]
    return RosterShift(
        shift_id=row["shift_id"],
        courier_id=row["courier_id"],
        starts_at=row["starts_at"],
        ends_at=row["ends_at"],
        start=GeoPoint(lat=row["start_lat"], lon=row["start_lon"]),
        dropped_out_at=dropped_at,
        drop_out_position=None if drop_lat is None or drop_lon is None else GeoPoint(lat=drop_lat, lon=drop_lon),
    )


class PooledRoster:
    """The roster read on a connection of its own, for a use case that holds none (the app's
    ``CourierLookup``)."""

    def __init__(self, pool: Pool, roster: CourierRoster) -> None:
        self._pool = pool
        self._roster = roster

    async def courier(self, courier_id: UUID) -> RosterCourier | None:
        async with self._pool.connection() as conn:
            return await self._roster.courier(conn, courier_id)

    async def service_ids(self) -> list[UUID]:
        async with self._pool.connection() as conn:
            return await self._roster.service_ids(conn)
