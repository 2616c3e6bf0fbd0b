# SPDX-License-Identifier: AGPL-3.0-or-later
"""Read-side queries behind the vouchers' reports, over the ledger and sales tables.

Liability, figures and settlement statements are sums over per-voucher rows (see
``ledger``), so they are right whatever order the streams were applied in. A period is
``[start, end]`` in whole days of the town's time zone. Sums are cast back to ``bigint``:
PostgreSQL sums ``bigint`` as ``numeric``, which would reach the API's clients as strings.

A settlement nets two flows of a town programme's money at one merchant: the association
owes the merchant what it redeemed (less what it reversed or refunded), and the merchant
holds the cash it took for town vouchers at its counter, which is the association's. Both
fall in the period by when they happened (redemption, payment).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any
from uuid import UUID
from zoneinfo import ZoneInfo

from psycopg import AsyncConnection

from vouchers.projections.code_masks import MASKS
from vouchers.projections.ledger import BALANCES, HISTORY
from vouchers.projections.merchants import MERCHANTS
from vouchers.projections.sales import CAMPAIGNS, PROGRAMMES, PURCHASES

Row = dict[str, Any]


@dataclass(frozen=True)
class Period:
    start: date
    end: date
    timezone: ZoneInfo

    def bounds(self) -> tuple[datetime, datetime]:
        """The period as instants: from the start day's midnight to the midnight after the end day."""
        return (
            datetime.combine(self.start, time(), self.timezone),
            datetime.combine(self.end + timedelta(days=1), time(), self.timezone),
        )


async def liability(conn: AsyncConnection[Row], merchant_id: UUID | None = None) -> list[Row]:
    """What vouchers still hold, per programme (and merchant, for merchant vouchers): the
    money the town's shops owe their customers in goods, the buyer's part and the bonus apart."""
    query = f"""
        SELECT b.programme_id, p.name AS programme_name, b.kind, b.merchant_id, m.name AS merchant_name,
               count(*) FILTER (WHERE b.balance_cents > 0) AS vouchers,
               coalesce(sum(b.balance_cents), 0)::bigint AS outstanding_cents,
               coalesce(sum(b.paid_balance_cents), 0)::bigint AS paid_outstanding_cents,
               coalesce(sum(b.bonus_balance_cents), 0)::bigint AS bonus_outstanding_cents
        FROM {BALANCES.name} b
        LEFT JOIN {PROGRAMMES.name} p USING (programme_id)
        LEFT JOIN {MERCHANTS.name} m ON m.merchant_id = b.merchant_id
        WHERE b.status <> 'expired' AND (%(merchant)s::uuid IS NULL OR b.merchant_id = %(merchant)s)
        GROUP BY b.programme_id, p.name, b.kind, b.merchant_id, m.name
        ORDER BY p.name, m.name
    """
    return list(await (await conn.execute(query, {"merchant": merchant_id})).fetchall())


async def figures(conn: AsyncConnection[Row], period: Period, *, bucket: str = "day") -> list[Row]:
    """Sales, redemptions, reversals, refunds, breakage and bonus per day (or hour) and programme."""
    if bucket not in {"hour", "day", "month"}:
        raise ValueError("bucket is hour, day or month")
    start, end = period.bounds()
    query = f"""
        SELECT date_trunc(%(bucket)s, h.at AT TIME ZONE %(zone)s) AS bucket, h.programme_id,
               (sum(h.amount_cents) FILTER (WHERE h.kind = 'issued'))::bigint AS sold_cents,
               (sum(h.paid_part_cents) FILTER (WHERE h.kind = 'issued'))::bigint AS sold_paid_cents,
               (sum(h.bonus_part_cents) FILTER (WHERE h.kind = 'issued'))::bigint AS bonus_granted_cents,
               count(*) FILTER (WHERE h.kind = 'issued') AS vouchers_sold,
               (sum(h.amount_cents) FILTER (WHERE h.kind = 'redeemed'))::bigint AS redeemed_cents,
               (sum(h.amount_cents) FILTER (WHERE h.kind = 'reversed'))::bigint AS reversed_cents,
               (sum(h.amount_cents) FILTER (WHERE h.kind = 'refunded'))::bigint AS refunded_cents,
               (sum(h.amount_cents) FILTER (WHERE h.kind = 'expired'))::bigint AS breakage_cents
        FROM {HISTORY.name} h
        WHERE h.at >= %(start)s AND h.at < %(end)s
        GROUP BY 1, 2 ORDER BY 1, 2
    """
    params = {"bucket": bucket, "zone": str(period.timezone), "start": start, "end": end}
    return list(await (await conn.execute(query, params)).fetchall())


async def settlement_lines(
    conn: AsyncConnection[Row], merchant_id: UUID, programme_id: UUID, period: Period
) -> list[Row]:
    """A town programme's redemptions at one merchant in the period, each with what of it
    was reversed or refunded in the period; and credits in the period of earlier ones. Each
    names the order it paid (``order_id``, none at a counter) and the voucher's masked code
    when the service knows it (see ``code_masks``)."""
    start, end = period.bounds()
    query = f"""
        WITH moves AS (
            SELECT h.redemption_id, h.voucher_id, h.kind, h.amount_cents, h.at, h.order_id
            FROM {HISTORY.name} h
            WHERE h.merchant_id = %(merchant)s AND h.programme_id = %(programme)s AND h.programme_kind = 'town'
              AND h.at >= %(start)s AND h.at < %(end)s AND h.kind IN ('redeemed', 'reversed', 'refunded')
        )
        SELECT mv.redemption_id, mv.voucher_id, min(mk.masked_code) AS masked_code,
               (array_agg(mv.order_id) FILTER (WHERE mv.order_id IS NOT NULL))[1] AS order_id,
               min(mv.at) FILTER (WHERE mv.kind = 'redeemed') AS redeemed_at, min(mv.at) AS first_at,
               coalesce(sum(mv.amount_cents) FILTER (WHERE mv.kind = 'redeemed'), 0)::bigint AS amount_cents,
               coalesce(sum(mv.amount_cents) FILTER (WHERE mv.kind <> 'redeemed'), 0)::bigint AS reversed_cents
        FROM moves mv LEFT JOIN {MASKS.name} mk USING (voucher_id)
        GROUP BY mv.redemption_id, mv.voucher_id ORDER BY min(mv.at), mv.redemption_id
    """
    params = {"merchant": merchant_id, "programme": programme_id, "start": start, "end": end}
    return list(await (await conn.execute(query, params)).fetchall())


_COUNTER_CASH = f"""
    SELECT b.programme_id, pu.cash_taken_by AS merchant_id,
           coalesce(sum(b.paid_cents), 0)::bigint AS counter_cash_cents,
           count(DISTINCT pu.purchase_id) AS counter_sales
    FROM {PURCHASES.name} pu JOIN {BALANCES.name} b USING (purchase_id)
    WHERE pu.method = 'cash' AND pu.cash_taken_by IS NOT NULL AND b.kind = 'town'
      AND pu.paid_at >= %(start)s AND pu.paid_at < %(end)s
    GROUP BY b.programme_id, pu.cash_taken_by
"""
"""Cash merchants took for town vouchers in the period: the buyer's money of each voucher
(its bonus is the town's own), per programme and merchant."""


async def settlement_summary(conn: AsyncConnection[Row], period: Period) -> list[Row]:
    """Per town programme and merchant: what the association owes for the period, net of the
    town's money the merchant holds (counter cash); a negative ``owed_cents`` is owed by the
    merchant."""
    start, end = period.bounds()
    query = f"""
        WITH redeemed AS (
            SELECT h.programme_id, h.merchant_id,
                   coalesce(sum(h.amount_cents) FILTER (WHERE h.kind = 'redeemed'), 0)::bigint AS redeemed_cents,
                   coalesce(sum(h.amount_cents) FILTER (WHERE h.kind IN ('reversed', 'refunded')), 0)::bigint
                       AS reversed_cents,
                   count(*) FILTER (WHERE h.kind = 'redeemed') AS redemptions
            FROM {HISTORY.name} h
            WHERE h.programme_kind = 'town' AND h.kind IN ('redeemed', 'reversed', 'refunded')
              AND h.at >= %(start)s AND h.at < %(end)s
            GROUP BY h.programme_id, h.merchant_id
        ), cash AS ({_COUNTER_CASH}), netted AS (
            SELECT coalesce(r.programme_id, c.programme_id) AS programme_id,
                   coalesce(r.merchant_id, c.merchant_id) AS merchant_id,
                   coalesce(r.redeemed_cents, 0)::bigint AS redeemed_cents,
                   coalesce(r.reversed_cents, 0)::bigint AS reversed_cents,
                   coalesce(r.redemptions, 0) AS redemptions,
                   coalesce(c.counter_cash_cents, 0)::bigint AS counter_cash_cents,
                   coalesce(c.counter_sales, 0) AS counter_sales
            FROM redeemed r FULL JOIN cash c ON c.programme_id = r.programme_id AND c.merchant_id = r.merchant_id
        )
        SELECT n.programme_id, p.name AS programme_name, n.merchant_id, m.name AS merchant_name,
               n.redeemed_cents, n.reversed_cents, n.redemptions, n.counter_cash_cents, n.counter_sales,
               (n.redeemed_cents - n.reversed_cents - n.counter_cash_cents)::bigint AS owed_cents
        FROM netted n
        LEFT JOIN {PROGRAMMES.name} p USING (programme_id)
        LEFT JOIN {MERCHANTS.name} m ON m.merchant_id = n.merchant_id
        ORDER BY p.name, m.name, n.programme_id, n.merchant_id
    """
    return list(await (await conn.execute(query, {"start": start, "end": end})).fetchall())


async def counter_cash_lines(
    conn: AsyncConnection[Row], merchant_id: UUID, programme_id: UUID, period: Period
) -> list[Row]:
    """The merchant's cash sales of the town programme's vouchers in the period, one line per
    purchase: the town's money it holds."""
    start, end = period.bounds()
    query = f"""
        SELECT pu.purchase_id, pu.paid_at, count(*) AS vouchers, coalesce(sum(b.paid_cents), 0)::bigint AS cash_cents
        FROM {PURCHASES.name} pu JOIN {BALANCES.name} b USING (purchase_id)
        WHERE pu.cash_taken_by = %(merchant)s AND pu.method = 'cash' AND b.programme_id = %(programme)s
          AND b.kind = 'town' AND pu.paid_at >= %(start)s AND pu.paid_at < %(end)s
        GROUP BY pu.purchase_id, pu.paid_at ORDER BY pu.paid_at, pu.purchase_id
    """
    params = {"merchant": merchant_id, "programme": programme_id, "start": start, "end": end}
    return list(await (await conn.execute(query, params)).fetchall())


async def history(conn: AsyncConnection[Row], voucher_id: UUID, merchant_id: UUID | None = None) -> list[Row]:
    """Every change of the voucher; for ``merchant_id`` its issue, its expiry and the
    merchant's own redemptions, reversals and refunds only (not where else it was spent)."""
    query = f"""
        SELECT version, kind, at, merchant_id, redemption_id, amount_cents, paid_part_cents, bonus_part_cents,
               balance_after_cents, channel, order_id
        FROM {HISTORY.name}
        WHERE voucher_id = %(voucher)s
          AND (%(merchant)s::uuid IS NULL OR kind IN ('issued', 'expired') OR merchant_id = %(merchant)s)
        ORDER BY version
    """
    return list(await (await conn.execute(query, {"voucher": voucher_id, "merchant": merchant_id})).fetchall())


async def open_programmes(
    conn: AsyncConnection[Row], *, limit: int, after: tuple[str, UUID] | None = None
) -> list[Row]:
    """Open programmes by name (and id, so that equal names keep an order), ``limit`` of them
    after the (name, id) of the last one a client saw: a page that stays right while
    programmes open and close between requests, unlike an offset."""
    query = f"""
        SELECT programme_id, kind, merchant_id, name, terms FROM {PROGRAMMES.name}
        WHERE open AND (%(name)s::text IS NULL OR (name, programme_id) > (%(name)s::text, %(id)s::uuid))
        ORDER BY name, programme_id LIMIT %(limit)s
    """
    name, programme_id = after if after is not None else (None, None)
    params = {"name": name, "id": programme_id, "limit": limit}
    return list(await (await conn.execute(query, params)).fetchall())


CAMPAIGNS_PAGE = 200
"""At most this many campaigns in the association's list: a town starts a few a year."""


async def newest_campaigns(conn: AsyncConnection[Row], *, limit: int = CAMPAIGNS_PAGE) -> list[Row]:
    """The town's campaigns, the latest started first (a row from before the list knew when a
    campaign started has no ``started_at`` and comes last), each with its budget's tallies."""
    if not 1 <= limit <= CAMPAIGNS_PAGE:
        raise ValueError(f"limit must be 1..{CAMPAIGNS_PAGE}")
    query = f"""
        SELECT campaign_id, programme_id, name, bonus_percent, budget_cents, reserved_cents, granted_cents,
               per_buyer_cap_cents, ends_at, ended, started_at
        FROM {CAMPAIGNS.name} ORDER BY started_at DESC NULLS LAST, campaign_id LIMIT %(limit)s
    """
    return list(await (await conn.execute(query, {"limit": limit})).fetchall())
