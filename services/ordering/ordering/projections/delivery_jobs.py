# SPDX-License-Identifier: AGPL-3.0-or-later
"""When the town's couriers expect to be at a courier order's door: dispatch's plan of each
delivery job (``DeliveryJobPlanned.arrives``), by job, for the customer's order view.

Fed from dispatch's topic; an order knows its job from its own stream (``DeliveryJobJoined``,
recorded when dispatch took it into the job). A job planned again replaces its window; one
unplanned (no courier can take it as things stand) has none until it is planned again. A
job's events share its key, so they arrive in order.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any
from uuid import UUID

from downtown_events.dispatch import DeliveryJobPlanned, DeliveryJobUnplanned
from downtown_events.ordering import TimeSlot
from downtown_events.runtime.database import Connection
from downtown_events.runtime.projection import Projection, RowSet, Table
from downtown_events.runtime.records import ReceivedEvent

DELIVERY_JOBS = Table(
    name="ordering_delivery_jobs",
    key="job_id",
    columns={
        "job_id": "uuid",
        "arrives_from": "timestamptz",
        "arrives_until": "timestamptz",
        "updated_at": "timestamptz",
    },
)


class DeliveryJobs(Projection):
    name = "delivery_jobs"
    tables = (DELIVERY_JOBS,)
    event_types = (DeliveryJobPlanned, DeliveryJobUnplanned)
    sources = ("dispatch",)

    def touches(self, event: ReceivedEvent) -> Iterable[tuple[Table, Any]]:
        data: Any = event.event
        return [(DELIVERY_JOBS, data.job_id)] if isinstance(data, self.event_types) else []

    def evolve(self, rows: RowSet, event: ReceivedEvent) -> None:
        data: Any = event.event
        arrives = data.arrives if isinstance(data, DeliveryJobPlanned) else None
        rows.put(
            DELIVERY_JOBS,
            {
                "job_id": data.job_id,
                "arrives_from": arrives.starts_at if arrives else None,
                "arrives_until": arrives.ends_at if arrives else None,
                "updated_at": event.envelope.time,
            },
        )


async def expected_arrival(conn: Connection, job_id: UUID) -> TimeSlot | None:
    """The window the job's courier is expected at the door in (None: not planned, as far as
    ordering has heard)."""
    query = f"SELECT arrives_from, arrives_until FROM {DELIVERY_JOBS.name} WHERE job_id = %s"
    row = await (await conn.execute(query, (job_id,))).fetchone()
    if row is None or row["arrives_from"] is None:
        return None
    return TimeSlot(starts_at=row["arrives_from"], ends_at=row["arrives_until"])
