# SPDX-License-Identifier: AGPL-3.0-or-later
"""A merchant's settlements month by month, across the town programmes it redeems for.

The same sums as ``queries.settlement_summary`` (redeemed − reversed − counter cash), for one
merchant and cut at the town's month boundaries: each row is one statement the merchant can
open, and its sums are the statement's, since both are drawn from the same ledger rows by the
same rules (a redemption, reversal or refund falls in the month it happened; counter cash in
the month it was paid).
"""

from __future__ import annotations

from typing import Any
from uuid import UUID

from psycopg import AsyncConnection

from vouchers.projections.ledger import BALANCES, HISTORY
from vouchers.projections.queries import Period
from vouchers.projections.sales import PROGRAMMES, PURCHASES

Row = dict[str, Any]


async def merchant_settlement_months(conn: AsyncConnection[Row], merchant_id: UUID, period: Period) -> list[Row]:
    """Per month (its first day, ``month``) and town programme with anything to settle: what
    the association owes the merchant, net of the town's money it took at its counter; the
    latest month first, programmes by name."""
    start, end = period.bounds()
    query = f"""
        WITH redeemed AS (
            SELECT date_trunc('month', h.at AT TIME ZONE %(zone)s)::date AS month, h.programme_id,
                   coalesce(sum(h.amount_cents) FILTER (WHERE h.kind = 'redeemed'), 0)::bigint AS redeemed_cents,
                   coalesce(sum(h.amount_cents) FILTER (WHERE h.kind IN ('reversed', 'refunded')), 0)::bigint
                       AS reversed_cents,
                   count(*) FILTER (WHERE h.kind = 'redeemed') AS redemptions
            FROM {HISTORY.name} h
            WHERE h.merchant_id = %(merchant)s AND h.programme_kind = 'town'
              AND h.kind IN ('redeemed', 'reversed', 'refunded') AND h.at >= %(start)s AND h.at < %(end)s
            GROUP BY 1, 2
        ), cash AS (
            SELECT date_trunc('month', pu.paid_at AT TIME ZONE %(zone)s)::date AS month, b.programme_id,
                   coalesce(sum(b.paid_cents), 0)::bigint AS counter_cash_cents,
                   count(DISTINCT pu.purchase_id) AS counter_sales
            FROM {PURCHASES.name} pu JOIN {BALANCES.name} b USING (purchase_id)
            WHERE pu.cash_taken_by = %(merchant)s AND pu.method = 'cash' AND b.kind = 'town'
              AND pu.paid_at >= %(start)s AND pu.paid_at < %(end)s
            GROUP BY 1, 2
        )
        SELECT coalesce(r.month, c.month) AS month, coalesce(r.programme_id, c.programme_id) AS programme_id,
               p.name AS programme_name,
               coalesce(r.redemptions, 0) AS redemptions,
               coalesce(r.redeemed_cents, 0)::bigint AS redeemed_cents,
               coalesce(r.reversed_cents, 0)::bigint AS reversed_cents,
               coalesce(c.counter_sales, 0) AS counter_sales,
               coalesce(c.counter_cash_cents, 0)::bigint AS counter_cash_cents,
               (coalesce(r.redeemed_cents, 0) - coalesce(r.reversed_cents, 0)
                - coalesce(c.counter_cash_cents, 0))::bigint AS owed_cents
        FROM redeemed r FULL JOIN cash c ON c.month = r.month AND c.programme_id = r.programme_id
        LEFT JOIN {PROGRAMMES.name} p ON p.programme_id = coalesce(r.programme_id, c.programme_id)
        ORDER BY 1 DESC, p.name, 2
    """
    params = {"merchant": merchant_id, "zone": str(period.timezone), "start": start, "end": end}
    return list(await (await conn.execute(query, params)).fetchall())
