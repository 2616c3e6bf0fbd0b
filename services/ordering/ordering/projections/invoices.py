# SPDX-License-Identifier: AGPL-3.0-or-later
"""The merchant's invoices: every invoice and cancellation invoice it issued, and what is
still open on each (its "Offene Posten").

Two tables of one projection, fed from ordering's own store (the customer's name is private):

- ``ordering_invoices``, a row per document (invoice or cancellation invoice), written once
  when it is issued; an invoice's row learns the number of the cancellation that cancelled
  it (the event names it, so the row's key is known without reading);
- ``ordering_invoice_orders``, a row per order: who ordered, what is due after the voucher
  part, what was received (on the spot, and every payment recorded).

What is open on an invoice is a question over both (:func:`invoice_list`): the order's due
less what it received, for an invoice not cancelled; nothing on a cancelled invoice or a
cancellation. So a payment changes one row, not every invoice of its order. Rebuilt from the
store like any projection.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any
from uuid import UUID, uuid5

from downtown_events.ordering import (
    InvoiceCancelled,
    InvoiceIssued,
    OrderDelivered,
    OrderHandedOver,
    OrderPaymentRecorded,
    OrderPlaced,
)
from downtown_events.runtime.database import Connection
from downtown_events.runtime.projection import Projection, RowSet, Table
from downtown_events.runtime.records import ReceivedEvent
from ordering.domain.private_events import OrderCustomerRecorded

INVOICES = Table(
    name="ordering_invoices",
    key="invoice_id",
    columns={
        "invoice_id": "uuid",
        "merchant_id": "uuid",
        "order_id": "uuid",
        "invoice_number": "text",
        "sequence": "integer",
        "kind": "text",
        "issued_on": "date",
        "customer_name": "text",
        "gross_cents": "bigint",
        "cancels_number": "text",
        "cancelled_by_number": "text",
    },
    indexes=("{table} (merchant_id, sequence)", "{table} (order_id)"),
)
INVOICE_ORDERS = Table(
    name="ordering_invoice_orders",
    key="order_id",
    columns={
        "order_id": "uuid",
        "merchant_id": "uuid",
        "customer_name": "text",
        "due_cents": "bigint",
        "received_cents": "bigint",
    },
)


def invoice_id(order_id: UUID, invoice_number: str) -> UUID:
    """A document's row: its number is unique in its merchant's sequence, and so per order."""
    return uuid5(order_id, f"invoice:{invoice_number}")


class InvoiceLedger(Projection):
    name = "invoices"
    tables = (INVOICES, INVOICE_ORDERS)
    event_types = (
        OrderPlaced,
        OrderCustomerRecorded,
        OrderHandedOver,
        OrderDelivered,
        OrderPaymentRecorded,
        InvoiceIssued,
        InvoiceCancelled,
    )
    from_store = True

    def touches(self, event: ReceivedEvent) -> Iterable[tuple[Table, Any]]:
        data: Any = event.event
        if not isinstance(data, self.event_types):
            return []
        touched: list[tuple[Table, Any]] = [(INVOICE_ORDERS, data.order_id)]
        if isinstance(data, InvoiceIssued | InvoiceCancelled):
            touched.append((INVOICES, invoice_id(data.order_id, data.invoice_number)))
        if isinstance(data, InvoiceCancelled):
            touched.append((INVOICES, invoice_id(data.order_id, data.cancels_invoice_number)))
        return touched

    def evolve(self, rows: RowSet, event: ReceivedEvent) -> None:
        data: Any = event.event
        if isinstance(data, OrderPlaced):
            due = data.total_cents - data.payment.voucher_cents
            row = {"order_id": data.order_id, "merchant_id": data.merchant_id, "customer_name": None}
            rows.put(INVOICE_ORDERS, row | {"due_cents": due, "received_cents": 0})
            return
        order = rows.get(INVOICE_ORDERS, data.order_id)
        if order is None:
            return  # its placement was unreadable
        if isinstance(data, OrderCustomerRecorded):
            order["customer_name"] = data.name
        elif isinstance(data, OrderHandedOver | OrderDelivered):
            order["received_cents"] += data.paid_cents
        elif isinstance(data, OrderPaymentRecorded):
            order["received_cents"] += data.amount_cents
        elif isinstance(data, InvoiceIssued):
            rows.put(INVOICES, _document(data, order, "invoice", data.gross_cents, None))
        elif isinstance(data, InvoiceCancelled):
            rows.put(INVOICES, _document(data, order, "cancellation", -data.gross_cents, data.cancels_invoice_number))
            cancelled = rows.get(INVOICES, invoice_id(data.order_id, data.cancels_invoice_number))
            if cancelled is not None:
                rows.put(INVOICES, cancelled | {"cancelled_by_number": data.invoice_number})
        rows.put(INVOICE_ORDERS, order)


def _document(
    data: InvoiceIssued | InvoiceCancelled, order: dict[str, Any], kind: str, gross: int, cancels: str | None
) -> dict[str, Any]:
    return {
        "invoice_id": invoice_id(data.order_id, data.invoice_number),
        "merchant_id": data.merchant_id,
        "order_id": data.order_id,
        "invoice_number": data.invoice_number,
        "sequence": data.sequence,
        "kind": kind,
        "issued_on": data.issued_on,
        "customer_name": order["customer_name"],
        "gross_cents": gross,
        "cancels_number": cancels,
        "cancelled_by_number": None,
    }


_STANDING = "i.kind = 'invoice' AND i.cancelled_by_number IS NULL"
STATUSES: dict[str, str] = {
    "open": f"{_STANDING} AND o.due_cents > o.received_cents",
    "paid": f"{_STANDING} AND o.due_cents <= o.received_cents",
    "all": "TRUE",
}
"""The merchant's invoice list filtered: open (something still to pay), paid, or every document."""


async def invoice_list(conn: Connection, merchant_id: UUID, *, status: str, limit: int) -> list[dict[str, Any]]:
    """The merchant's invoices and cancellation invoices, newest number first, each with what
    is open on it and its standing: ``open``, ``paid``, ``cancelled`` or ``cancellation``."""
    query = f"""
        SELECT i.invoice_number, i.kind, i.issued_on, i.order_id, i.customer_name, i.gross_cents,
               i.cancels_number, i.cancelled_by_number,
               CASE WHEN {_STANDING} THEN greatest(0, o.due_cents - o.received_cents) ELSE 0 END AS open_cents,
               CASE WHEN i.kind = 'cancellation' THEN 'cancellation'
                    WHEN i.cancelled_by_number IS NOT NULL THEN 'cancelled'
                    WHEN o.due_cents > o.received_cents THEN 'open'
                    ELSE 'paid' END AS status
        FROM {INVOICES.name} i JOIN {INVOICE_ORDERS.name} o USING (order_id)
        WHERE i.merchant_id = %(merchant_id)s AND {STATUSES[status]}
        ORDER BY i.sequence DESC LIMIT %(limit)s
    """
    rows = await (await conn.execute(query, {"merchant_id": merchant_id, "limit": limit})).fetchall()
    return [dict(row) for row in rows]


async def invoice_order(conn: Connection, merchant_id: UUID, invoice_number: str) -> UUID | None:
    """The order the merchant's invoice (or cancellation invoice) ``invoice_number`` belongs to."""
    query = f"SELECT order_id FROM {INVOICES.name} WHERE merchant_id = %s AND invoice_number = %s LIMIT 1"
    row = await (await conn.execute(query, (merchant_id, invoice_number))).fetchone()
    return None if row is None else row["order_id"]
