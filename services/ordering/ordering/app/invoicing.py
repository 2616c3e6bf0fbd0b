# SPDX-License-Identifier: AGPL-3.0-or-later
"""What is owed and what documents it: payments the merchant records, and an issued invoice
cancelled (Stornorechnung) or corrected.

Only the order's merchant (or the association acting for it) does these. Payments are
decided on the order's stream alone; a cancellation or a correction takes numbers of the
merchant's invoice sequence, so it appends to both streams in one unit of work, at the
versions it decided on, as the invoice itself is issued (:mod:`ordering.app.orders`).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from uuid import UUID

from downtown_events.ordering import PaymentReceivedBy
from downtown_events.runtime.commands import HOT_STREAM_RETRIES, decide_again_on_conflict, execute
from downtown_events.runtime.idempotency import created_id
from downtown_events.runtime.principal import Principal
from downtown_events.runtime.store import EventStore
from ordering.app.context import Context, order_of
from ordering.app.ports import CatalogReplica
from ordering.domain import invoice as invoices
from ordering.domain import order as orders
from ordering.domain import payments
from ordering.domain.errors import NotFound
from ordering.domain.invoice_correction import cancel_invoice, correct_invoice
from ordering.domain.invoice_document import InvoiceDocument, InvoiceParty, recorded_document
from ordering.domain.invoice_issuer import invoice_seller
from ordering.domain.order import Order


@dataclass(frozen=True)
class _Read:
    """What a cancellation or correction decides on, read in its unit of work."""

    sequence: invoices.InvoiceSequence | None
    sequence_version: int
    order: Order
    original: InvoiceDocument


class InvoicingHandlers:
    def __init__(self, context: Context, replica: CatalogReplica) -> None:
        self._context = context
        self._store = context.store
        self._replica = replica

    async def record_payment(
        self,
        principal: Principal,
        order_id: UUID,
        *,
        received_by: PaymentReceivedBy,
        amount_cents: int,
        paid_on: date | None,
        idempotency_key: str,
    ) -> Order:
        """The merchant received money for its order; the same key reports the same payment."""
        order = await self._merchants(principal, order_id)
        merchant = (await self._replica.merchants([order.merchant_id])).get(order.merchant_id)
        payments.ensure_takes_money(merchant)
        payment_id = created_id(f"payment:{order_id}", idempotency_key)
        today = self._context.today()
        return await execute(
            self._store,
            str(order_id),
            orders.replay,
            lambda state: payments.record_payment(
                state,
                payment_id=payment_id,
                received_by=received_by,
                amount_cents=amount_cents,
                paid_on=paid_on or today,
                today=today,
            ),
            retries=HOT_STREAM_RETRIES,
        )

    async def cancel_invoice(self, principal: Principal, order_id: UUID, reason: str, idempotency_key: str) -> Order:
        """A cancellation invoice for the order's current invoice, with the merchant's next
        number; the same key again cancels nothing more."""
        read = await self._merchants(principal, order_id)
        today = self._context.today()
        request_id = created_id(f"invoice-correction:{order_id}", idempotency_key)

        async def decide(store: EventStore) -> Order:
            read_now = await self._read(store, read)
            decision = cancel_invoice(
                read_now.sequence,
                read_now.order,
                original=read_now.original,
                today=today,
                reason=reason,
                request_id=request_id,
            )
            return await self._append(store, read_now, decision)

        async with self._store.unit_of_work() as unit:
            return await decide_again_on_conflict(unit, decide)

    async def correct_invoice(
        self, principal: Principal, order_id: UUID, reason: str, buyer: InvoiceParty | None, idempotency_key: str
    ) -> Order:
        """The order's invoice cancelled and issued anew (to ``buyer``, if given), two numbers
        in a row; the same key again corrects nothing more. The merchant is read before the
        unit of work, which holds no connection while it waits for another."""
        read = await self._merchants(principal, order_id)
        request_id = created_id(f"invoice-correction:{order_id}", idempotency_key)
        merchant = (await self._replica.merchants([read.merchant_id])).get(read.merchant_id)
        invoice_seller(merchant)  # refused before anything is read again: the shop cannot issue one
        today = self._context.today()
        standard = self._context.town.standard_vat_percent

        async def decide(store: EventStore) -> Order:
            read_now = await self._read(store, read)
            decision = correct_invoice(
                read_now.sequence,
                read_now.order,
                original=read_now.original,
                merchant=merchant,
                today=today,
                standard_vat_percent=standard,
                buyer=buyer,
                reason=reason,
                request_id=request_id,
            )
            return await self._append(store, read_now, decision)

        async with self._store.unit_of_work() as unit:
            return await decide_again_on_conflict(unit, decide)

    async def _read(self, store: EventStore, read: Order) -> _Read:
        sequence_history = await store.read(str(invoices.invoice_sequence_id(read.merchant_id)))
        history = await store.read(str(read.order_id))
        order = orders.ensure_exists(orders.replay(stored.event for stored in history))
        if order.invoice is None:
            raise NotFound("this order has no invoice")
        original = recorded_document((stored.event for stored in history), order.invoice.invoice_number)
        if original is None:
            raise NotFound(
                f"invoice {order.invoice.invoice_number} was issued before its particulars were kept; "
                "it cannot be cancelled here"
            )
        sequence = invoices.replay(stored.event for stored in sequence_history)
        return _Read(sequence, len(sequence_history), order, original)

    async def _append(self, store: EventStore, read: _Read, decision: invoices.InvoiceDecision) -> Order:
        """Both streams at the versions decided on: a rival's number or step means deciding again."""
        if not decision.order_events:
            return read.order  # a retried request: done before
        await store.append(str(decision.sequence_id), read.sequence_version, list(decision.sequence_events))
        await store.append(str(read.order.order_id), read.order.version, list(decision.order_events))
        return orders.ensure_exists(await order_of(store, read.order.order_id))

    async def _merchants(self, principal: Principal, order_id: UUID) -> Order:
        """The merchant's own order (the association may act for any merchant)."""
        order = orders.ensure_exists(await order_of(self._store, order_id))
        if principal.role != "association" and principal.merchant() != order.merchant_id:
            raise NotFound("no such order")
        return order
