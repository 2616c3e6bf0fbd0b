"""Read-side queries behind the vouchers' reports, over the ledger and sales tables.

Liability, figures and settlement statements are sums over per-voucher rows (see
``ledger``), so they are right whatever order the streams were applied in. A period is
``[start, end]`` in whole days of the town's time zone. Sums are cast back to ``bigint``:
PostgreSQL sums ``bigint`` as ``numeric``, which would reach the API's clients as strings.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any
from uuid import UUID
from zoneinfo import ZoneInfo

from psycopg import AsyncConnection

from vouchers.projections.ledger import BALANCES, HISTORY
from vouchers.projections.merchants import MERCHANTS
from vouchers.projections.sales import PROGRAMMES

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
    was reversed or refunded in the period; and credits in the period of earlier ones."""
    start, end = period.bounds()
    query = f"""
        WITH moves AS (
            SELECT h.redemption_id, h.voucher_id, h.kind, h.amount_cents, h.at
            FROM {HISTORY.name} h
            WHERE h.merchant_id = %(merchant)s AND h.programme_id = %(programme)s AND h.programme_kind = 'town'
              AND h.at >= %(start)s AND h.at < %(end)s AND h.kind IN ('redeemed', 'reversed', 'refunded')
        )
        SELECT redemption_id, voucher_id,
               min(at) FILTER (WHERE kind = 'redeemed') AS redeemed_at, min(at) AS first_at,
               coalesce(sum(amount_cents) FILTER (WHERE kind = 'redeemed'), 0)::bigint AS amount_cents,
               coalesce(sum(amount_cents) FILTER (WHERE kind <> 'redeemed'), 0)::bigint AS reversed_cents
        FROM moves GROUP BY redemption_id, voucher_id ORDER BY min(at), redemption_id
    """
    params = {"merchant": merchant_id, "programme": programme_id, "start": start, "end": end}
    return list(await (await conn.execute(query, params)).fetchall())


async def settlement_summary(conn: AsyncConnection[Row], period: Period) -> list[Row]:
    """Per town programme and merchant: what the association owes for the period."""
    start, end = period.bounds()
    query = f"""
        SELECT h.programme_id, p.name AS programme_name, h.merchant_id, m.name AS merchant_name,
               coalesce(sum(h.amount_cents) FILTER (WHERE h.kind = 'redeemed'), 0)::bigint AS redeemed_cents,
               coalesce(sum(h.amount_cents) FILTER (WHERE h.kind IN ('reversed', 'refunded')), 0)::bigint
                   AS reversed_cents,
               count(*) FILTER (WHERE h.kind = 'redeemed') AS redemptions
        FROM {HISTORY.name} h
        LEFT JOIN {PROGRAMMES.name} p USING (programme_id)
        LEFT JOIN {MERCHANTS.name} m ON m.merchant_id = h.merchant_id
        WHERE h.programme_kind = 'town' AND h.kind IN ('redeemed', 'reversed', 'refunded')
          AND h.at >= %(start)s AND h.at < %(end)s
        GROUP BY h.programme_id, p.name, h.merchant_id, m.name
        ORDER BY p.name, m.name
    """
    return list(await (await conn.execute(query, {"start": start, "end": end})).fetchall())


async def history(conn: AsyncConnection[Row], voucher_id: UUID) -> list[Row]:
    query = f"""
        SELECT version, kind, at, merchant_id, redemption_id, amount_cents, paid_part_cents, bonus_part_cents,
               balance_after_cents, channel, order_id
        FROM {HISTORY.name} WHERE voucher_id = %s ORDER BY version
    """
    return list(await (await conn.execute(query, (voucher_id,))).fetchall())


async def open_programmes(conn: AsyncConnection[Row]) -> list[Row]:
    query = f"SELECT programme_id, kind, merchant_id, name, terms FROM {PROGRAMMES.name} WHERE open ORDER BY name"
    return list(await (await conn.execute(query)).fetchall())
