# SPDX-License-Identifier: AGPL-3.0-or-later
"""The read models ordering's use cases consult (the app layer's ports), over their tables."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, time
from typing import Any
from uuid import UUID

from pydantic import ValidationError

from downtown_events.catalog import Address, TimeWindow
from downtown_events.runtime.database import Pool
from ordering.domain.facts import MerchantFacts, OfferFacts
from ordering.projections.catalog_replica import MERCHANTS, OFFERS
from ordering.projections.orders import ORDERS


def _windows(raw: Any) -> tuple[TimeWindow, ...]:
    return tuple(
        TimeWindow(weekday=w["weekday"], opens=time.fromisoformat(w["opens"]), closes=time.fromisoformat(w["closes"]))
        for w in raw or []
    )


_OFFERS = (
    f"SELECT o.*, m.video_consultation_url IS NOT NULL AS video FROM {OFFERS.name} o "
    f"LEFT JOIN {MERCHANTS.name} m USING (merchant_id) WHERE o.offer_id = ANY(%s::uuid[])"
)
_MERCHANTS = f"SELECT * FROM {MERCHANTS.name} WHERE merchant_id = ANY(%s::uuid[]) AND name IS NOT NULL"


def _address(row: dict[str, Any]) -> Address | None:
    """The shop's address as its invoices name it; None where the replica's is unusable."""
    try:
        return Address(street=row["street"] or "", postal_code=row["postal_code"] or "", city=row["city"] or "")
    except ValidationError:
        return None


def _offer(row: dict[str, Any]) -> OfferFacts:
    return OfferFacts(
        offer_id=row["offer_id"],
        merchant_id=row["merchant_id"],
        kind=row["kind"],
        title=row["title"],
        price_cents=int(row["price_cents"]),
        stock=row["stock"],
        withdrawn=bool(row["withdrawn"]),
        category=row["category"] or "",
        duration_minutes=row["duration_minutes"],
        weekly_availability=_windows(row["weekly_availability"]),
        video_consultation=bool(row["video"]) and row["kind"] == "service",
    )


class PostgresCatalogReplica:
    def __init__(self, pool: Pool, *, vat_by_category: dict[str, int]) -> None:
        self._pool = pool
        self._vat = vat_by_category

    async def offers(self, offer_ids: Iterable[UUID]) -> dict[UUID, OfferFacts]:
        async with self._pool.connection() as conn:
            rows = await (await conn.execute(_OFFERS, (list(offer_ids),))).fetchall()
        return {row["offer_id"]: _offer(row) for row in rows}

    async def merchants(self, merchant_ids: Iterable[UUID]) -> dict[UUID, MerchantFacts]:
        async with self._pool.connection() as conn:
            rows = await (await conn.execute(_MERCHANTS, (list(merchant_ids),))).fetchall()
        return {row["merchant_id"]: self._merchant(row) for row in rows}

    async def facts(
        self, offer_ids: Iterable[UUID], merchant_ids: Iterable[UUID]
    ) -> tuple[dict[UUID, OfferFacts], dict[UUID, MerchantFacts]]:
        """Offers and merchants on one connection, both queries sent before either answer
        is awaited: one round trip where :meth:`offers` then :meth:`merchants` take two."""
        async with self._pool.connection() as conn:
            async with conn.pipeline():
                offers = await conn.execute(_OFFERS, (list(offer_ids),))
                merchants = await conn.execute(_MERCHANTS, (list(merchant_ids),))
            offer_rows, merchant_rows = await offers.fetchall(), await merchants.fetchall()
        return (
            {row["offer_id"]: _offer(row) for row in offer_rows},
            {row["merchant_id"]: self._merchant(row) for row in merchant_rows},
        )

    def _merchant(self, row: dict[str, Any]) -> MerchantFacts:
        return MerchantFacts(
            merchant_id=row["merchant_id"],
            name=row["name"],
            category=row["category"] or "",
            suspended=bool(row["suspended"]),
            closed=bool(row["closed"]),
            offers_delivery=bool(row["offers_delivery"]),
            offers_pickup=bool(row["offers_pickup"]),
            opening_hours=_windows(row["opening_hours"]),
            vat_percent_by_category={k: v for k, v in self._vat.items() if k},
            approved=bool(row["approved"]),
            tax_number=(row["tax_number"] or "").strip(),
            address=_address(row),
        )

    async def merchant_row(self, merchant_id: UUID) -> dict[str, Any] | None:
        async with self._pool.connection() as conn:
            query = f"SELECT * FROM {MERCHANTS.name} WHERE merchant_id = %s"
            return await (await conn.execute(query, (merchant_id,))).fetchone()

    async def tokens_valid_after(self, merchant_id: UUID) -> datetime | None:
        row = await self.merchant_row(merchant_id)
        value = row["tokens_valid_after"] if row else None
        return value if isinstance(value, datetime) else None


class PostgresDeadlines:
    def __init__(self, pool: Pool) -> None:
        self._pool = pool

    async def unanswered_orders(self, now: datetime, limit: int) -> list[UUID]:
        """Placed orders past the merchant's answer time unaccepted, or past the saga's answer
        time still awaiting the catalog or vouchers; the oldest deadline first."""
        query = f"""
            SELECT order_id FROM (
                SELECT order_id, answer_by AS due FROM {ORDERS.name}
                WHERE status = 'placed' AND NOT accepted AND answer_by <= %(now)s
                UNION
                SELECT order_id, answers_by AS due FROM {ORDERS.name}
                WHERE status = 'placed' AND answers_by <= %(now)s AND (awaiting_stock OR awaiting_voucher)
            ) AS due GROUP BY order_id ORDER BY min(due) LIMIT %(limit)s
        """
        async with self._pool.connection() as conn:
            rows = await (await conn.execute(query, {"now": now, "limit": limit})).fetchall()
        return [row["order_id"] for row in rows]
