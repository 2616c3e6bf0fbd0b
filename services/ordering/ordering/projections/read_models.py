# SPDX-License-Identifier: AGPL-3.0-or-later
"""The read models ordering's use cases consult (the app layer's ports), over their tables."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any
from uuid import UUID

from downtown_events.dispatch import DeliveryTermsSet
from downtown_events.ordering import TimeSlot
from downtown_events.runtime.database import Pool
from downtown_events.runtime.delivery_terms import DeliveryTermsReader
from downtown_events.runtime.merchant_replica import MerchantReader, ReplicatedMerchant, time_windows
from ordering.domain.facts import MerchantFacts, OfferFacts, TaxNumberKind
from ordering.projections.catalog_replica import MERCHANTS, OFFERS, SLOTS
from ordering.projections.delivery_terms import DELIVERY_TERMS
from ordering.projections.orders import ORDERS

_OFFERS = f"SELECT * FROM {OFFERS.name} WHERE offer_id = ANY(%s::uuid[])"
_MERCHANTS = MerchantReader(MERCHANTS)
_TERMS = DeliveryTermsReader(DELIVERY_TERMS.table)


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
        weekly_availability=time_windows(row["weekly_availability"]),
        # Held by video is the offer's own choice (the catalog's OfferListed.held), not every
        # service of a merchant with a video link; null (a row from before): in person.
        video_consultation=row.get("held") == "video" and row["kind"] == "service",
        vat_percent=_vat_percent(row.get("vat_percent")),
    )


def _vat_percent(value: Any) -> int | None:
    """The offer's own rate; None (listed before offers carried one, or a row from before the
    column): the merchant's configured rates decide (``MerchantFacts.vat_percent``)."""
    return int(value) if value in (7, 19) else None


def _tax_number_kind(kind: str) -> TaxNumberKind:
    return "steuernummer" if kind == "steuernummer" else "ust_idnr" if kind == "ust_idnr" else ""


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
            merchants = await _MERCHANTS.merchants(conn, merchant_ids)
        return {merchant_id: self._merchant(merchant) for merchant_id, merchant in merchants.items()}

    async def facts(
        self, offer_ids: Iterable[UUID], merchant_ids: Iterable[UUID]
    ) -> tuple[dict[UUID, OfferFacts], dict[UUID, MerchantFacts]]:
        """Offers and merchants on one connection, both queries sent before either answer
        is awaited: one round trip where :meth:`offers` then :meth:`merchants` take two."""
        async with self._pool.connection() as conn:
            async with conn.pipeline():
                offers = await conn.execute(_OFFERS, (list(offer_ids),))
                merchants = await _MERCHANTS.merchants(conn, merchant_ids)  # fetching sends both
            offer_rows = await offers.fetchall()
        return (
            {row["offer_id"]: _offer(row) for row in offer_rows},
            {merchant_id: self._merchant(merchant) for merchant_id, merchant in merchants.items()},
        )

    def _merchant(self, merchant: ReplicatedMerchant) -> MerchantFacts:
        standing = merchant.standing
        return MerchantFacts(
            merchant_id=merchant.merchant_id,
            name=merchant.name,
            category=merchant.category,
            suspended=standing.suspended,
            closed=standing.closed,
            closed_note=merchant.closed_note,
            offers_delivery=merchant.offers_delivery,
            offers_pickup=merchant.offers_pickup,
            opening_hours=merchant.opening_hours,
            vat_percent_by_category={k: v for k, v in self._vat.items() if k},
            approved=standing.approved,
            tax_number=merchant.tax_number,
            address=merchant.address,
            tax_number_kind=_tax_number_kind(merchant.tax_number_kind),
            iban=merchant.iban,
            bic=merchant.bic,
            account_holder=merchant.account_holder,
            location=merchant.location,
        )

    async def booked_slots(
        self, offer_ids: Iterable[UUID], since: datetime, until: datetime
    ) -> dict[UUID, list[TimeSlot]]:
        """The times orders booked of these services that overlap ``since`` to ``until``."""
        query = (
            f"SELECT offer_id, starts_at, ends_at FROM {SLOTS.name} "
            "WHERE offer_id = ANY(%s::uuid[]) AND starts_at < %s AND ends_at > %s ORDER BY starts_at"
        )
        async with self._pool.connection() as conn:
            rows = await (await conn.execute(query, (list(offer_ids), until, since))).fetchall()
        booked: dict[UUID, list[TimeSlot]] = {}
        for row in rows:
            slot = TimeSlot(starts_at=row["starts_at"], ends_at=row["ends_at"])
            booked.setdefault(row["offer_id"], []).append(slot)
        return booked

    async def tokens_valid_after(self, merchant_id: UUID) -> datetime | None:
        async with self._pool.connection() as conn:
            return await _MERCHANTS.tokens_valid_after(conn, merchant_id)


class PostgresDeliveryTerms:
    def __init__(self, pool: Pool) -> None:
        self._pool = pool

    async def current(self) -> DeliveryTermsSet | None:
        async with self._pool.connection() as conn:
            return await _TERMS.current(conn)


class PostgresDeadlines:
    def __init__(self, pool: Pool) -> None:
        self._pool = pool

    async def unanswered_orders(self, now: datetime, limit: int) -> list[UUID]:
        """Placed orders past the merchant's answer time unaccepted, or past the saga's answer
        time still awaiting the catalog or vouchers, and courier orders past dispatch's answer
        time not yet in a job; the oldest deadline first."""
        query = f"""
            SELECT order_id FROM (
                SELECT order_id, answer_by AS due FROM {ORDERS.name}
                WHERE status = 'placed' AND NOT accepted AND answer_by <= %(now)s
                UNION
                SELECT order_id, answers_by AS due FROM {ORDERS.name}
                WHERE status = 'placed' AND answers_by <= %(now)s AND (awaiting_stock OR awaiting_voucher)
                UNION
                SELECT order_id, dispatch_answer_by AS due FROM {ORDERS.name}
                WHERE awaiting_dispatch AND dispatch_answer_by <= %(now)s AND status IN ('confirmed', 'packed')
            ) AS due GROUP BY order_id ORDER BY min(due) LIMIT %(limit)s
        """
        async with self._pool.connection() as conn:
            rows = await (await conn.execute(query, {"now": now, "limit": limit})).fetchall()
        return [row["order_id"] for row in rows]
