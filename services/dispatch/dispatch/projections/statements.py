# SPDX-License-Identifier: AGPL-3.0-or-later
"""Who pays the courier: what each courier service delivered in a month, and who owes it what.

A delivery's price is paid by the customer (``fee_cents`` of ``DeliveryJobDelivered``), by
the town (``town_cents``: Dülmen delivered free for every merchant and paid the couriers
itself), or split between them. A courier service's monthly statement lists its deliveries
with both parts, and its failed attempts and returns, which it rode for but nobody paid.

Rows are facts as the events tell them, one per delivery, failed attempt or return, with
the courier who made it and the moment (``at``). A courier's service comes from
``CourierAdded`` (a table of this projection's own, so that a rebuild of the couriers' roster
does not empty the statements), and the month is cut at the town's midnights, both when the
statement is read: a courier's addition may reach this projection after its first delivery
(they are different streams, possibly different partitions), and the town's timezone is a
setting, not something an event says. A return names no courier; it is the job's last
courier's (who picked it up, or failed to hand it over). Every row is written by one stream:
a courier's by its service's, a job's and its lines by the job's.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from uuid import UUID, uuid5
from zoneinfo import ZoneInfo

from psycopg import sql

from dispatch.projections.couriers import COURIER_SERVICES
from downtown_events.dispatch import (
    CourierAdded,
    DeliveryAttemptFailed,
    DeliveryJobDelivered,
    DeliveryJobReturned,
    DeliveryOrderPickedUp,
)
from downtown_events.runtime.database import Connection
from downtown_events.runtime.projection import Projection, RowSet, Table
from downtown_events.runtime.records import ReceivedEvent

STATEMENT_COURIERS = Table(
    name="dispatch_statement_couriers",
    key="courier_id",
    columns={"courier_id": "uuid", "courier_service_id": "uuid"},
    indexes=("{table} (courier_service_id)",),
)
STATEMENT_JOBS = Table(
    name="dispatch_statement_jobs",
    key="job_id",
    columns={"job_id": "uuid", "courier_id": "uuid"},
)
"""The courier who last had each job in hand: whose a return is."""
STATEMENT_LINES = Table(
    name="dispatch_statement_lines",
    key="line_id",
    columns={
        "line_id": "uuid",
        "kind": "text",
        "job_id": "uuid",
        "courier_id": "uuid",
        "at": "timestamptz",
        "orders": "integer",
        "fee_cents": "bigint",
        "town_cents": "bigint",
        "attempt": "integer",
        "reason": "text",
    },
    indexes=("{table} (courier_id, at)",),
)
_LINE_IDS = UUID("3a9e7c41-0d5b-5f2e-8c6a-1b4d9e2f7a53")


def line_id(job_id: UUID, kind: str, attempt: int = 0) -> UUID:
    """A line's key from what its event says: the same event replayed, the same row."""
    return uuid5(_LINE_IDS, f"{job_id}:{kind}:{attempt}")


class StatementsProjection(Projection):
    """Deliveries, failed attempts and returns per courier (the projection ``statements``)."""

    name = "statements"
    tables = (STATEMENT_COURIERS, STATEMENT_JOBS, STATEMENT_LINES)
    event_types = (
        CourierAdded,
        DeliveryOrderPickedUp,
        DeliveryJobDelivered,
        DeliveryAttemptFailed,
        DeliveryJobReturned,
    )

    def touches(self, event: ReceivedEvent) -> Iterable[tuple[Table, Any]]:
        data = event.event
        if isinstance(data, CourierAdded):
            return [(STATEMENT_COURIERS, data.courier_id)]
        if isinstance(data, DeliveryOrderPickedUp):
            return [(STATEMENT_JOBS, data.job_id)]
        if isinstance(data, DeliveryJobDelivered):
            return [(STATEMENT_JOBS, data.job_id), (STATEMENT_LINES, line_id(data.job_id, "delivered"))]
        if isinstance(data, DeliveryAttemptFailed):
            return [(STATEMENT_JOBS, data.job_id), (STATEMENT_LINES, line_id(data.job_id, "failed", data.attempt))]
        if isinstance(data, DeliveryJobReturned):
            return [(STATEMENT_JOBS, data.job_id), (STATEMENT_LINES, line_id(data.job_id, "returned"))]
        return []

    def evolve(self, rows: RowSet, event: ReceivedEvent) -> None:
        data = event.event
        if isinstance(data, CourierAdded):
            rows.put(STATEMENT_COURIERS, {"courier_id": data.courier_id, "courier_service_id": data.courier_service_id})
        elif isinstance(data, DeliveryOrderPickedUp):
            rows.put(STATEMENT_JOBS, {"job_id": data.job_id, "courier_id": data.courier_id})
        elif isinstance(data, DeliveryJobDelivered):
            rows.put(STATEMENT_JOBS, {"job_id": data.job_id, "courier_id": data.courier_id})
            line = _line(data.job_id, "delivered", data.courier_id, data.at, len(data.order_ids))
            rows.put(STATEMENT_LINES, {**line, "fee_cents": data.fee_cents, "town_cents": data.town_cents})
        elif isinstance(data, DeliveryAttemptFailed):
            rows.put(STATEMENT_JOBS, {"job_id": data.job_id, "courier_id": data.courier_id})
            line = _line(data.job_id, "failed", data.courier_id, data.at, len(data.order_ids), data.attempt)
            rows.put(STATEMENT_LINES, {**line, "reason": data.reason})
        elif isinstance(data, DeliveryJobReturned):
            job = rows.current(STATEMENT_JOBS, data.job_id)
            courier_id = None if job is None else job["courier_id"]
            rows.put(STATEMENT_LINES, _line(data.job_id, "returned", courier_id, data.at, len(data.order_ids)))


def _line(
    job_id: UUID, kind: str, courier_id: UUID | None, at: datetime, orders: int, attempt: int = 0
) -> dict[str, Any]:
    return {
        "line_id": line_id(job_id, kind, attempt),
        "kind": kind,
        "job_id": job_id,
        "courier_id": courier_id,
        "at": at,
        "orders": orders,
        "fee_cents": 0,
        "town_cents": 0,
        "attempt": attempt or None,
        "reason": None,
    }


# --- reading ---------------------------------------------------------------------------


@dataclass(frozen=True)
class StatementLine:
    kind: str
    """``delivered``, ``failed`` (an attempt) or ``returned``."""
    job_id: UUID
    courier_id: UUID | None
    at: datetime
    orders: int
    fee_cents: int
    town_cents: int
    attempt: int | None
    reason: str | None


@dataclass(frozen=True)
class CourierService:
    courier_service_id: UUID
    name: str


@dataclass(frozen=True)
class MonthTotals:
    """A month's sums: what customers paid, what the town owes, and the rides nobody paid."""

    deliveries: int
    fee_cents: int
    town_cents: int
    failed_attempts: int
    returns: int

    @classmethod
    def of(cls, lines: Sequence[StatementLine]) -> MonthTotals:
        delivered = [line for line in lines if line.kind == "delivered"]
        others = [line.kind for line in lines if line.kind != "delivered"]
        return cls(
            deliveries=len(delivered),
            fee_cents=sum(line.fee_cents for line in delivered),
            town_cents=sum(line.town_cents for line in delivered),
            failed_attempts=others.count("failed"),
            returns=others.count("returned"),
        )


def month_bounds(year: int, month: int, zone: ZoneInfo) -> tuple[datetime, datetime]:
    """A calendar month of the town's as instants: from its first midnight to the next month's."""
    following = (year + 1, 1) if month == 12 else (year, month + 1)
    return datetime(year, month, 1, tzinfo=zone), datetime(*following, 1, tzinfo=zone)


class Statements:
    """The statements' tables read on the caller's connection: the one place their queries are written."""

    def __init__(self) -> None:
        names = {
            "services": sql.Identifier(COURIER_SERVICES.name),
            "couriers": sql.Identifier(STATEMENT_COURIERS.name),
            "lines": sql.Identifier(STATEMENT_LINES.name),
        }
        self._service = sql.SQL("SELECT courier_service_id, name FROM {services} WHERE courier_service_id = %s").format(
            **names
        )
        self._lines = sql.SQL(
            "SELECT l.kind, l.job_id, l.courier_id, l.at, l.orders, l.fee_cents, l.town_cents, l.attempt, l.reason"
            " FROM {lines} l JOIN {couriers} c ON c.courier_id = l.courier_id"
            " WHERE c.courier_service_id = %(service)s AND l.at >= %(starts)s AND l.at < %(ends)s"
            " ORDER BY l.at, l.job_id, l.attempt"
        ).format(**names)

    async def service(self, conn: Connection, courier_service_id: UUID) -> CourierService | None:
        row = await (await conn.execute(self._service, (courier_service_id,))).fetchone()
        return None if row is None else CourierService(row["courier_service_id"], row["name"])

    async def lines(
        self, conn: Connection, courier_service_id: UUID, starts: datetime, ends: datetime
    ) -> list[StatementLine]:
        """The service's lines from ``starts`` to before ``ends``, in the order they happened."""
        params = {"service": courier_service_id, "starts": starts, "ends": ends}
        rows = await (await conn.execute(self._lines, params)).fetchall()
        return [StatementLine(**row) for row in rows]
