# SPDX-License-Identifier: AGPL-3.0-or-later
"""The order saga's ordering side: what the catalog and vouchers answered becomes the order's.

A process manager (one transaction per batch with its tracking rows, see the runtime's
``process_manager``) reads the catalog's and vouchers' topics: a reservation made or refused
for an order, a voucher redeemed for an order or its payment refused. Each answer is decided
on the order's stream, where late, repeated or reordered answers change nothing; the last
condition met confirms the order in the same decision, a refusal rejects it (and the others
compensate, reacting to the rejection), and an answer that contradicts the order is recorded,
never raised (a raised one was dead-lettered, and two in a batch halted this consumer).
Time-outs — the merchant's, and the catalog's or vouchers' answer missing — come from the
scheduled job in ``jobs``.
"""

from __future__ import annotations

from uuid import UUID

from downtown_events.catalog import OrderReservationMade, OrderReservationRefused
from downtown_events.contract import IntegrationEvent
from downtown_events.runtime.process_manager import ProcessManager
from downtown_events.runtime.records import ReceivedEvent
from downtown_events.runtime.store import EventStore
from downtown_events.vouchers import VoucherPaymentRefused, VoucherRedeemed
from ordering.app.context import order_of
from ordering.app.orders import OrderHandlers, Step
from ordering.domain import order as orders

ANSWERS = (OrderReservationMade, OrderReservationRefused, VoucherRedeemed, VoucherPaymentRefused)
SERVICE = "ordering"


def step_for(answer: IntegrationEvent) -> tuple[UUID, Step] | None:
    """The order an answer is about and the decision it calls for (None: not about an order)."""
    match answer:
        case OrderReservationMade(order_id=order_id):
            return order_id, orders.record_stock_reserved
        case OrderReservationRefused(order_id=order_id, reason=reason, detail=detail):
            return order_id, lambda state: orders.record_stock_refused(state, reason=reason, detail=detail)
        case VoucherRedeemed(order_id=order_id, channel="order") if order_id is not None:
            voucher_id, redemption_id, cents = answer.voucher_id, answer.redemption_id, answer.amount_cents
            return order_id, lambda state: orders.record_voucher_redeemed(
                state, voucher_id=voucher_id, redemption_id=redemption_id, voucher_cents=cents
            )
        case VoucherPaymentRefused(order_id=order_id, reason=reason):
            return order_id, lambda state: orders.record_voucher_refused(state, reason=reason)
    return None


def order_saga(handlers: OrderHandlers) -> ProcessManager:
    async def react(received: ReceivedEvent, store: EventStore) -> None:
        found = step_for(received.event)
        if found is None:
            return
        order_id, step = found
        if await order_of(store, order_id) is None:
            return  # not one of ours (an order of another service's test, a stray record): nothing to decide
        await handlers.decide(store, order_id, step)

    return ProcessManager("order_saga", service=SERVICE, reacts_to=ANSWERS, react=react)
