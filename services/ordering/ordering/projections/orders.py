# SPDX-License-Identifier: AGPL-3.0-or-later
"""Orders as people look for them: the customer's history, the merchant's inbox, the town's
figures, and the deadlines for the time-out job (the merchant's, the catalog's and vouchers'
answers', and dispatch's answer to a courier order's hand-off).

Fed from ordering's own store (``from_store``): the customer record of an order is private
(who ordered, for their history; their name and phone for the merchant's inbox), so this read
model cannot be built from the topic. One row per order, written by the order's stream only;
rebuilt from the store like any projection.

What is left to pay is folded as the order folds it (``Order.owed_cents`` and ``Order.paid``
in ``ordering.domain.order``): the total less the voucher part, less what was taken on the
spot, less every payment recorded; nothing on an order that ended or whose invoice was
cancelled without a new one. The row keeps the parts and the result, so that the inbox's
``unpaid`` view is a filter on a column.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from downtown_events.ordering import (
    ORDER_EVENTS,
    InvoiceCancelled,
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
    OrderPaymentRecorded,
    OrderPlaced,
    OrderReadyForPickup,
    OrderRejected,
    OrderStockReserved,
    OrderVoucherRedeemed,
)
from downtown_events.runtime.projection import Projection, Row, RowSet, Table
from downtown_events.runtime.records import ReceivedEvent
from ordering.domain.private_events import DeliveryJobJoined, DispatchAnswerAwaited, OrderCustomerRecorded

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
        # Added for the merchant's inbox (who ordered, what is left to pay). Rows written
        # before hold null there until a forced rebuild (``downtown-projections rebuild
        # --service ordering --projection orders --force``: the checksums differ by these
        # columns), read as "not known": such an order is shown without them and is not in
        # the ``unpaid`` view. A null part keeps the sums it enters null; no guess is folded.
        "customer_phone": "text",
        "paid_on_spot_cents": "bigint",
        "payments_cents": "bigint",
        "invoice_cancelled": "boolean",
        "left_to_pay_cents": "bigint",
        "paid": "boolean",
        # A courier order handed to dispatch waits for its answer until dispatch_answer_by
        # (null: not a courier order, or a row from before; such orders were never handed off).
        "awaiting_dispatch": "boolean",
        "dispatch_answer_by": "timestamptz",
    },
    indexes=(
        "{table} (merchant_id, status)",
        "{table} (account_id, placed_at)",
        "{table} (status, answer_by)",
        "{table} (status, answers_by)",
        "{table} (awaiting_dispatch, dispatch_answer_by)",
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
_ENDINGS = ("rejected", "cancelled", "delivery_failed")
"""The statuses an order ends in: they stay, and nothing is owed on such an order."""


class OrderOverview(Projection):
    name = "orders"
    tables = (ORDERS,)
    event_types = (*ORDER_EVENTS, OrderCustomerRecorded, DispatchAnswerAwaited, DeliveryJobJoined)
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
            row.update(account_id=data.account_id, customer_name=data.name, customer_phone=data.phone)
        elif isinstance(data, OrderHandedOver | OrderDelivered):
            # What was taken on the spot (replaced, as the order's fold does), then its status.
            row["paid_on_spot_cents"] = data.paid_cents
            _advance(row, data)
        elif isinstance(data, OrderPaymentRecorded):
            row["payments_cents"] = _plus(row.get("payments_cents"), data.amount_cents)
        elif isinstance(data, InvoiceCancelled):
            row["invoice_cancelled"] = True
        elif isinstance(data, OrderAccepted):
            row["accepted"] = True
        elif isinstance(data, OrderStockReserved):
            row["awaiting_stock"] = False
        elif isinstance(data, OrderVoucherRedeemed):
            row["awaiting_voucher"] = False
        elif isinstance(data, DispatchAnswerAwaited):
            row.update(awaiting_dispatch=True, dispatch_answer_by=data.answer_by)
        elif isinstance(data, DeliveryJobJoined):
            row["awaiting_dispatch"] = False
        elif isinstance(data, InvoiceIssued):
            row.update(invoice_number=data.invoice_number, invoice_cancelled=False)
        else:
            _advance(row, data)
        row.update(_owing(row))
        row["updated_at"] = event.envelope.time
        rows.put(ORDERS, row)


def _advance(row: Row, data: Any) -> None:
    """The status an event moves the order to; an order that ended stays ended."""
    if type(data) in _STATUS and row["status"] not in _ENDINGS:
        row["status"] = _STATUS[type(data)]


def _plus(total: int | None, amount: int) -> int | None:
    return None if total is None else total + amount


def _owing(row: Row) -> Row:
    """``left_to_pay_cents`` and ``paid`` of the row as ``Order.owed_cents`` and ``Order.paid``
    decide them; both null while a part is not known (a row from before the columns)."""
    spot, payments, cancelled = row.get("paid_on_spot_cents"), row.get("payments_cents"), row.get("invoice_cancelled")
    if spot is None or payments is None or cancelled is None:
        return {"left_to_pay_cents": None, "paid": None}
    ended = row["status"] in _ENDINGS
    unpaid = row["total_cents"] - row["voucher_cents"] - spot - payments
    nothing_owed = ended or (cancelled and row["payment_method"] == "invoice")
    return {"left_to_pay_cents": 0 if nothing_owed else max(0, unpaid), "paid": not ended and unpaid <= 0}


def _placed(data: OrderPlaced, event: ReceivedEvent) -> Row:
    window = data.fulfilment.pickup_window
    row: Row = {
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
        "customer_phone": None,
        "paid_on_spot_cents": 0,
        "payments_cents": 0,
        "invoice_cancelled": False,
        "awaiting_dispatch": False,
        "dispatch_answer_by": None,
    }
    return row | _owing(row)
