# SPDX-License-Identifier: AGPL-3.0-or-later
"""What the delivery-jobs reaction reads besides its streams, over the read models (as ordering's
read_models): the sealed drop-off opened, the terms and merchant replicas, the board's bookings."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from datetime import date, datetime, timedelta
from uuid import UUID

from pydantic import ValidationError

from dispatch.app.jobs import Shop
from dispatch.app.planning import JobOnBoard, TourOnBoard
from dispatch.domain.tours import Courier
from dispatch.projections import DELIVERY_TERMS, MERCHANTS
from dispatch.projections.board import BoardReader
from dispatch.projections.couriers import CourierRoster
from downtown_events.delivery.slots import DeliverySlot
from downtown_events.dispatch import DeliveryTermsSet
from downtown_events.ordering import DROP_OFF_SEAL_PURPOSE, DeliveryDropOff
from downtown_events.runtime.database import Pool
from downtown_events.runtime.delivery_terms import DeliveryTermsReader
from downtown_events.runtime.merchant_replica import MerchantReader
from downtown_events.runtime.sealing import SealBroken, sealing_key, unseal


def open_drop_off(handoff_key: bytes, order_id: UUID, sealed: str) -> DeliveryDropOff | None:
    """The drop-off ordering sealed for ``order_id``; None for a text that does not open or
    does not hold a drop-off (a foreign key, another order's text, a changed one)."""
    try:
        plain = unseal(sealing_key(handoff_key, order_id, DROP_OFF_SEAL_PURPOSE), order_id, sealed)
        return DeliveryDropOff.model_validate_json(plain)
    except (SealBroken, ValidationError):
        return None


class PostgresDeliveryPorts:
    def __init__(self, pool: Pool, handoff_key: bytes) -> None:
        self._pool = pool
        self._key = handoff_key
        self._terms = DeliveryTermsReader(DELIVERY_TERMS.table)
        self._merchants = MerchantReader(MERCHANTS.table)
        self._board = BoardReader()

    def open_drop_off(self, order_id: UUID, sealed: str) -> DeliveryDropOff | None:
        return open_drop_off(self._key, order_id, sealed)

    async def terms(self) -> DeliveryTermsSet | None:
        async with self._pool.connection() as conn:
            return await self._terms.current(conn)

    async def shop(self, merchant_id: UUID) -> Shop | None:
        async with self._pool.connection() as conn:
            merchant = await self._merchants.merchant(conn, merchant_id)
        return None if merchant is None else Shop(merchant.name, merchant.location)

    async def booked(self, slots: Sequence[DeliverySlot]) -> dict[str, int]:
        if not slots:
            return {}
        starts = min(slot.starts_at for slot in slots)
        ends = max(slot.starts_at for slot in slots) + timedelta(seconds=1)
        async with self._pool.connection() as conn:
            jobs = await self._board.jobs_between(conn, starts, ends)
        taken = Counter(
            (board.job.slot.starts_at, board.job.slot_kind) for board in jobs if board.job.status != "withdrawn"
        )
        return {slot.slot_id: taken[(slot.starts_at, slot.kind)] for slot in slots}


class PostgresPlanningPorts:
    """The board's jobs and tours and the roster's couriers, for planning."""

    def __init__(self, pool: Pool) -> None:
        self._pool = pool
        self._board = BoardReader()
        self._roster = CourierRoster()

    async def jobs(self, starts: datetime, ends: datetime) -> list[JobOnBoard]:
        async with self._pool.connection() as conn:
            rows = await self._board.jobs_between(conn, starts, ends)
        return [JobOnBoard(row.job, row.door) for row in rows]

    async def couriers(self, starts: datetime, ends: datetime) -> list[Courier]:
        async with self._pool.connection() as conn:
            return await self._roster.couriers_on_shift(conn, starts, ends)

    async def tours(self, day: date) -> list[TourOnBoard]:
        async with self._pool.connection() as conn:
            tours = await self._board.tours(conn, day)
        return [TourOnBoard(tour.tour_id, tour.courier_id) for tour in tours]

    async def courier_rides(self, courier_id: UUID) -> bool:
        async with self._pool.connection() as conn:
            courier = await self._roster.courier(conn, courier_id)
        return courier is not None and courier.active
