# SPDX-License-Identifier: AGPL-3.0-or-later
"""The read models the vouchers' use cases consult (the app layer's ports), over their tables."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime
from uuid import UUID

from downtown_events.runtime.database import Pool
from vouchers.domain.merchant_standing import Approval, MerchantStanding, MerchantStatus
from vouchers.projections.buyers import BUYER_PURCHASES
from vouchers.projections.code_lookup import CODES
from vouchers.projections.ledger import BALANCES
from vouchers.projections.merchants import MERCHANTS
from vouchers.projections.sales import CAMPAIGNS, PROGRAMMES, PURCHASES


class PostgresMerchantDirectory:
    def __init__(self, pool: Pool) -> None:
        self._pool = pool

    async def _row(self, merchant_id: UUID) -> dict[str, object] | None:
        async with self._pool.connection() as conn:
            query = (
                "SELECT name, closed, suspended, approved, approval_withdrawn, tokens_valid_after "
                f"FROM {MERCHANTS.name} WHERE merchant_id = %s"
            )
            return await (await conn.execute(query, (merchant_id,))).fetchone()

    async def standing(self, merchant_id: UUID) -> MerchantStanding:
        row = await self._row(merchant_id)
        if row is None:
            return MerchantStanding.unknown(merchant_id)
        status: MerchantStatus = "suspended" if row["suspended"] else "closed" if row["closed"] else "active"
        # A null (a row from before approvals were replicated) is no approval: the safe side.
        approval: Approval = "approved" if row["approved"] else "withdrawn" if row["approval_withdrawn"] else "none"
        return MerchantStanding(merchant_id, str(row["name"]), status, approval)

    async def tokens_valid_after(self, merchant_id: UUID) -> datetime | None:
        row = await self._row(merchant_id)
        valid_after = row["tokens_valid_after"] if row else None
        return valid_after if isinstance(valid_after, datetime) else None


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
