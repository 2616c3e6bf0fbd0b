# SPDX-License-Identifier: AGPL-3.0-or-later
"""Orders as people look for them: the customer's history, the merchant's inbox, the town's
figures, and the deadlines for the time-out job (the merchant's, and the catalog's and
vouchers' answers').

Fed from ordering's own store (``from_store``): the customer record of an order is private
(who ordered, for their history), so this read model cannot be built from the topic. One row
per order, written by the order's stream only; rebuilt from the store like any projection.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from downtown_events.ordering import (
    ORDER_EVENTS,
    InvoiceIssued,
    OrderAccepted,
    OrderCancelled,
    OrderConfirmed,
    OrderDelivered,
    OrderDeliveryFailed,
    OrderFulfilled,
    OrderHandedOver,
    OrderOutForDelivery,
    OrderPacked,
    OrderPlaced,
    OrderReadyForPickup,
    OrderRejected,
    OrderStockReserved,
    OrderVoucherRedeemed,
)
from downtown_events.runtime.projection import Projection, Row, RowSet, Table
from downtown_events.runtime.records import ReceivedEvent
from ordering.domain.private_events import OrderCustomerRecorded

ORDERS = Table(
    name="ordering_orders",
    key="order_id",
    columns={
        "order_id": "uuid",
        "checkout_id": "uuid",
        "merchant_id": "uuid",
        "account_id": "uuid",
        "customer_name": "text",
        "status": "text",
        "accepted": "boolean",
        "fulfilment": "text",
        "pickup_starts_at": "timestamptz",
        "goods_cents": "bigint",
        "total_cents": "bigint",
        "voucher_cents": "bigint",
        "payment_method": "text",
        "placed_by": "text",
        "lines": "integer",
        "placed_at": "timestamptz",
        "answer_by": "timestamptz",
        "invoice_number": "text",
        "updated_at": "timestamptz",
        # The saga's own deadline: by ``answers_by`` the catalog's and vouchers' answers must
        # be in (null for orders placed before it existed, and in rows written before).
        "answers_by": "timestamptz",
        "awaiting_stock": "boolean",
        "awaiting_voucher": "boolean",
    },
    indexes=(
        "{table} (merchant_id, status)",
        "{table} (account_id, placed_at)",
        "{table} (status, answer_by)",
        "{table} (status, answers_by)",
        "{table} (placed_at)",
    ),
)
_STATUS: dict[type, str] = {
    OrderConfirmed: "confirmed",
    OrderPacked: "packed",
    OrderReadyForPickup: "ready_for_pickup",
    OrderOutForDelivery: "out_for_delivery",
    OrderHandedOver: "fulfilled",
    OrderDelivered: "fulfilled",
    OrderFulfilled: "fulfilled",
    OrderRejected: "rejected",
    OrderCancelled: "cancelled",
    OrderDeliveryFailed: "delivery_failed",
}


class OrderOverview(Projection):
    name = "orders"
    tables = (ORDERS,)
    event_types = (*ORDER_EVENTS, OrderCustomerRecorded)
    from_store = True

    def touches(self, event: ReceivedEvent) -> Iterable[tuple[Table, Any]]:
        data: Any = event.event
        return [(ORDERS, data.order_id)] if isinstance(data, self.event_types) else []

    def evolve(self, rows: RowSet, event: ReceivedEvent) -> None:
        data: Any = event.event
        if isinstance(data, OrderPlaced):
            rows.put(ORDERS, _placed(data, event))
            return
        row = rows.get(ORDERS, data.order_id)
        if row is None:
            return  # its placement was unreadable
        if isinstance(data, OrderCustomerRecorded):
            row.update(account_id=data.account_id, customer_name=data.name)
        elif isinstance(data, OrderAccepted):
            row["accepted"] = True
        elif isinstance(data, OrderStockReserved):
            row["awaiting_stock"] = False
        elif isinstance(data, OrderVoucherRedeemed):
            row["awaiting_voucher"] = False
        elif isinstance(data, InvoiceIssued):
            row["invoice_number"] = data.invoice_number
        elif type(data) in _STATUS and row["status"] not in ("rejected", "cancelled", "delivery_failed"):
            row["status"] = _STATUS[type(data)]
        row["updated_at"] = event.envelope.time
        rows.put(ORDERS, row)


def _placed(data: OrderPlaced, event: ReceivedEvent) -> Row:
    window = data.fulfilment.pickup_window
    return {
        "order_id": data.order_id,
        "checkout_id": data.checkout_id,
        "merchant_id": data.merchant_id,
        "account_id": None,
        "customer_name": None,
        "status": "placed",
        "accepted": False,
        "fulfilment": data.fulfilment.method,
        "pickup_starts_at": window.starts_at if window else None,
        "goods_cents": data.goods_cents,
        "total_cents": data.total_cents,
        "voucher_cents": data.payment.voucher_cents,
        "payment_method": data.payment.method,
        "placed_by": data.placed_by,
        "lines": len(data.lines),
        "placed_at": event.envelope.time,
        "answer_by": data.merchant_answer_by,
        "invoice_number": None,
        "updated_at": event.envelope.time,
        "answers_by": data.answers_by,
        "awaiting_stock": True,
        "awaiting_voucher": data.payment.voucher_cents > 0,
    }
