# SPDX-License-Identifier: AGPL-3.0-or-later
"""What the courier's use cases read of the read models: the job an order rides in, and the
town's delivery terms as last published."""

from __future__ import annotations

from uuid import UUID

from dispatch.app.courier import CourierReads
from dispatch.projections.order_jobs import OrderJobReader
from downtown_events.dispatch import DeliveryTermsSet
from downtown_events.runtime.database import Pool
from downtown_events.runtime.delivery_terms import DeliveryTermsReader


class PostgresCourierReads(CourierReads):
    def __init__(self, pool: Pool, terms: DeliveryTermsReader) -> None:
        self._pool = pool
        self._orders = OrderJobReader()
        self._terms = terms

    async def job_of_order(self, order_id: UUID) -> UUID | None:
        async with self._pool.connection() as conn:
            return await self._orders.job_of(conn, order_id)

    async def terms(self) -> DeliveryTermsSet | None:
        async with self._pool.connection() as conn:
            return await self._terms.current(conn)
