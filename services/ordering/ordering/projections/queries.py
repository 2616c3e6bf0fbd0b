# SPDX-License-Identifier: AGPL-3.0-or-later
"""The read side's questions, over the order overview (who may see which rows is decided here)."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from downtown_events.runtime.database import Connection
from downtown_events.runtime.principal import Principal
from ordering.projections.orders import ORDERS

ENDED = ("fulfilled", "rejected", "cancelled", "delivery_failed")
GOING_AHEAD = ("confirmed", "packed", "ready_for_pickup", "out_for_delivery", "fulfilled")
VIEWS: dict[str, str] = {
    "all": "TRUE",
    "new": "status = 'placed'",
    "to_accept": "status = 'placed' AND NOT accepted",
    "to_pack": "status = 'confirmed'",
    "pickup_today": (
        "fulfilment = 'pickup' AND status IN ('confirmed', 'packed', 'ready_for_pickup') "
        "AND (pickup_starts_at AT TIME ZONE %(timezone)s)::date = (now() AT TIME ZONE %(timezone)s)::date"
    ),
    "open": f"status NOT IN {ENDED}",
    "done": f"status IN {ENDED}",
    # What the shop still has to collect: it went ahead (confirmed, or handed over or
    # delivered) and something is left to pay. A row from before ``left_to_pay_cents``
    # (null until the read model's rebuild) is not among them.
    "unpaid": f"status IN {GOING_AHEAD} AND left_to_pay_cents > 0",
}
"""The merchant's inbox and the customer's history, as filters of one table."""

_COLUMNS = (
    "order_id, checkout_id, merchant_id, status, accepted, fulfilment, pickup_starts_at, total_cents, "
    "voucher_cents, payment_method, placed_by, placed_at, answer_by, invoice_number, left_to_pay_cents, paid"
)
_CUSTOMER = "customer_name, customer_phone"
"""Who ordered: selected for the order's merchant and the association only (as the single
order's view shows them, ``OrderHandlers.shows_customer``), never for a customer's list."""


async def order_list(
    conn: Connection, caller: Principal, *, view: str, merchant_id: UUID | None, limit: int, timezone: str
) -> list[dict[str, Any]]:
    """The caller's orders: a customer their own, a merchant its shop's, the association any;
    the merchant and the association with the customer's name and phone (``customer_name``,
    ``customer_phone``), which a customer's rows do not carry."""
    params: dict[str, Any] = {"timezone": timezone, "limit": limit}
    columns = f"{_COLUMNS}, {_CUSTOMER}" if caller.role in ("merchant", "association") else _COLUMNS
    if caller.role == "customer":
        params["account_id"] = caller.customer()
        whose = "account_id = %(account_id)s"
    elif caller.role == "merchant":
        params["merchant_id"] = caller.merchant()
        whose = "merchant_id = %(merchant_id)s"
    elif merchant_id is not None:
        params["merchant_id"] = merchant_id
        whose = "merchant_id = %(merchant_id)s"
    else:
        whose = "TRUE"
    query = (
        f"SELECT {columns} FROM {ORDERS.name} WHERE {whose} AND {VIEWS[view]} ORDER BY placed_at DESC LIMIT %(limit)s"
    )
    rows = await (await conn.execute(query, params)).fetchall()
    return [dict(row) for row in rows]


async def town_figures(conn: Connection) -> dict[str, Any]:
    """Orders by status and the money of the ones that stand, for the association's board."""
    by_status = {
        row["status"]: int(row["n"])
        for row in await (
            await conn.execute(f"SELECT status, count(*) AS n FROM {ORDERS.name} GROUP BY status")
        ).fetchall()
    }
    totals = await (
        await conn.execute(
            f"SELECT coalesce(sum(goods_cents), 0) AS goods, coalesce(sum(voucher_cents), 0) AS vouchers "
            f"FROM {ORDERS.name} "
            "WHERE status IN ('confirmed', 'packed', 'ready_for_pickup', 'out_for_delivery', 'fulfilled')"
        )
    ).fetchone()
    merchants = await (await conn.execute(f"SELECT count(DISTINCT merchant_id) AS n FROM {ORDERS.name}")).fetchone()
    first = await (await conn.execute(f"SELECT min(placed_at) AS since FROM {ORDERS.name}")).fetchone()
    assert totals is not None and merchants is not None and first is not None
    return {
        "orders": sum(by_status.values()),
        "by_status": by_status,
        "goods_cents_confirmed": int(totals["goods"]),
        "voucher_cents_confirmed": int(totals["vouchers"]),
        "merchants_with_orders": int(merchants["n"]),
        "since": first["since"],
    }
