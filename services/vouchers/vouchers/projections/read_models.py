# SPDX-License-Identifier: AGPL-3.0-or-later
"""The read models the vouchers' use cases consult (the app layer's ports), over their tables."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime
from uuid import UUID

from downtown_events.runtime.database import Pool
from downtown_events.runtime.merchant_replica import MerchantReader, Standing
from vouchers.domain.merchant_standing import MerchantStanding, MerchantStatus
from vouchers.projections.buyers import BUYER_PURCHASES
from vouchers.projections.code_lookup import CODES
from vouchers.projections.ledger import BALANCES
from vouchers.projections.merchants import MERCHANTS
from vouchers.projections.sales import CAMPAIGNS, PROGRAMMES, PURCHASES

_MERCHANTS = MerchantReader(MERCHANTS)


class PostgresMerchantDirectory:
    def __init__(self, pool: Pool) -> None:
        self._pool = pool

    async def standing(self, merchant_id: UUID) -> MerchantStanding:
        async with self._pool.connection() as conn:
            return merchant_standing(await _MERCHANTS.standing(conn, merchant_id))

    async def tokens_valid_after(self, merchant_id: UUID) -> datetime | None:
        async with self._pool.connection() as conn:
            return await _MERCHANTS.tokens_valid_after(conn, merchant_id)


def merchant_standing(standing: Standing) -> MerchantStanding:
    """The replica's standing as the voucher rules take it (they give the reasons)."""
    if not standing.known:
        return MerchantStanding.unknown(standing.merchant_id)
    status: MerchantStatus = "suspended" if standing.suspended else "closed" if standing.closed else "active"
    return MerchantStanding(standing.merchant_id, standing.name, status, standing.approval)


class PostgresCodeIndex:
    def __init__(self, pool: Pool) -> None:
        self._pool = pool

    async def voucher_for(self, code_hash: str) -> UUID | None:
        async with self._pool.connection() as conn:
            query = f"SELECT voucher_id FROM {CODES.name} WHERE code_hash = %s"
            row = await (await conn.execute(query, (code_hash,))).fetchone()
        return row["voucher_id"] if row else None


class PostgresCampaignFinder:
    def __init__(self, pool: Pool) -> None:
        self._pool = pool

    async def running_for(self, programme_id: UUID, now: datetime) -> list[UUID]:
        async with self._pool.connection() as conn:
            query = (
                f"SELECT campaign_id FROM {CAMPAIGNS.name} "
                "WHERE programme_id = %s AND NOT ended AND ends_at > %s "
                "AND reserved_cents + granted_cents < budget_cents "
                "ORDER BY ends_at, campaign_id"
            )
            rows = await (await conn.execute(query, (programme_id, now))).fetchall()
        return [row["campaign_id"] for row in rows]


class PostgresBuyerPurchases:
    def __init__(self, pool: Pool) -> None:
        self._pool = pool

    async def open_unpaid(self, buyer_refs: Sequence[str], now: datetime) -> int:
        """Online purchases still payable: one past its time whose expiry is not recorded yet
        no longer counts (the hourly expiry job would end it anyway)."""
        query = (
            f"SELECT count(*) AS n FROM {BUYER_PURCHASES.name} "
            "WHERE buyer_ref = ANY(%s::text[]) AND status = 'pending' AND channel = 'online' AND expires_at > %s"
        )
        async with self._pool.connection() as conn:
            row = await (await conn.execute(query, (list(buyer_refs), now))).fetchone()
        return int(row["n"]) if row else 0

    async def ids_between(self, lowest: UUID, highest: UUID) -> list[UUID]:
        query = (
            f"SELECT purchase_id FROM {PURCHASES.name} WHERE purchase_id BETWEEN %s AND %s "
            "ORDER BY purchase_id LIMIT 20"
        )
        async with self._pool.connection() as conn:
            rows = await (await conn.execute(query, (lowest, highest))).fetchall()
        return [row["purchase_id"] for row in rows]


class PostgresProgrammeDirectory:
    def __init__(self, pool: Pool) -> None:
        self._pool = pool

    async def town_programme_names(self) -> list[str]:
        query = f"SELECT DISTINCT name FROM {PROGRAMMES.name} WHERE kind = 'town' AND name IS NOT NULL"
        async with self._pool.connection() as conn:
            rows = await (await conn.execute(query)).fetchall()
        return [str(row["name"]) for row in rows]

    async def open_programmes_of(self, merchant_id: UUID) -> int:
        query = f"SELECT count(*) AS n FROM {PROGRAMMES.name} WHERE merchant_id = %s AND open"
        async with self._pool.connection() as conn:
            row = await (await conn.execute(query, (merchant_id,))).fetchone()
        return int(row["n"]) if row else 0


class PostgresDeadlines:
    def __init__(self, pool: Pool) -> None:
        self._pool = pool

    async def vouchers_past_validity(self, today: date, limit: int) -> list[UUID]:
        query = (
            f"SELECT voucher_id FROM {BALANCES.name} WHERE status <> 'expired' AND expires_on < %s "
            "AND balance_cents > 0 ORDER BY expires_on LIMIT %s"
        )
        return await self._ids(query, (today, limit), "voucher_id")

    async def purchases_past_payment(self, now: datetime, limit: int) -> list[UUID]:
        query = (
            f"SELECT purchase_id FROM {PURCHASES.name} WHERE status = 'pending' AND expires_at <= %s "
            "ORDER BY expires_at LIMIT %s"
        )
        return await self._ids(query, (now, limit), "purchase_id")

    async def _ids(self, query: str, params: tuple[object, ...], column: str) -> list[UUID]:
        async with self._pool.connection() as conn:
            rows = await (await conn.execute(query, params)).fetchall()
        return [row[column] for row in rows]
