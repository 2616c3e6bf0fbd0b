# SPDX-License-Identifier: AGPL-3.0-or-later
"""Which delivery job an order rides in: what a courier's scan of an order's slip finds.

The QR code on an order's slip holds the order id, and a courier at the shop has nothing
else in hand; the job's stream is keyed by the job id, so this read model answers the one
question in between. Fed from the public job events on the service's own topic, rebuildable
like any other (``make rebuild PROJECTION=order_jobs``). An order withdrawn from its job
(cancelled, rejected before pickup) leaves it: a scan of it then finds nothing.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any
from uuid import UUID

from psycopg import sql

from downtown_events.dispatch import DeliveryJobPickupAdded, DeliveryJobPickupWithdrawn
from downtown_events.runtime.database import Connection
from downtown_events.runtime.projection import Projection, RowSet, Table
from downtown_events.runtime.records import ReceivedEvent

ORDER_JOBS = Table(
    name="dispatch_order_jobs",
    key="order_id",
    columns={"order_id": "uuid", "job_id": "uuid NOT NULL", "merchant_id": "uuid NOT NULL"},
)
_EVENTS = (DeliveryJobPickupAdded, DeliveryJobPickupWithdrawn)


class OrderJobs(Projection):
    name = "order_jobs"
    tables = (ORDER_JOBS,)
    event_types = _EVENTS
    parallel_rebuild = True  # an order's row is touched by its job's stream only

    def touches(self, event: ReceivedEvent) -> Iterable[tuple[Table, Any]]:
        return [(ORDER_JOBS, event.event.order_id)] if isinstance(event.event, _EVENTS) else []

    def evolve(self, rows: RowSet, event: ReceivedEvent) -> None:
        data = event.event
        if isinstance(data, DeliveryJobPickupAdded):
            rows.put(ORDER_JOBS, {"order_id": data.order_id, "job_id": data.job_id, "merchant_id": data.merchant_id})
        elif isinstance(data, DeliveryJobPickupWithdrawn):
            current = rows.get(ORDER_JOBS, data.order_id)
            if current is not None and str(current["job_id"]) == str(data.job_id):
                rows.delete(ORDER_JOBS, data.order_id)


class OrderJobReader:
    """The order-to-job table read on the caller's connection."""

    def __init__(self, table: Table = ORDER_JOBS) -> None:
        self._select = sql.SQL("SELECT job_id FROM {} WHERE order_id = %s").format(sql.Identifier(table.name))

    async def job_of(self, conn: Connection, order_id: UUID) -> UUID | None:
        """The job the order rides in (None: no such order, or not one dispatch delivers now)."""
        row = await (await conn.execute(self._select, (order_id,))).fetchone()
        return None if row is None else UUID(str(row["job_id"]))
