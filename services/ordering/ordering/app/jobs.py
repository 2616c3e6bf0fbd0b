"""Ordering's scheduled work: a merchant who has not answered in time times the order out.

The deadline is in the order's own ``OrderPlaced`` (``merchant_answer_by``): the job finds
orders past it in a read model and lets each order decide, so the timer is as durable as the
log, and a round run twice (or by two replicas) changes nothing the first did not.
"""

from __future__ import annotations

import logging

from ordering.app.context import Context
from ordering.app.orders import OrderHandlers
from ordering.app.ports import Deadlines
from ordering.domain import order as orders
from ordering.domain.errors import DomainError

log = logging.getLogger(__name__)
BATCH = 200


async def time_out_unanswered(context: Context, handlers: OrderHandlers, deadlines: Deadlines) -> int:
    now = context.now()
    done = 0
    for order_id in await deadlines.unanswered_orders(now, BATCH):
        try:
            async with context.store.unit_of_work() as unit:
                before = await unit.read(str(order_id))
                after = await handlers.decide(unit, order_id, lambda state: orders.time_out(state, now=now))
            done += after.version > len(before)
        except DomainError as refused:  # the read model was behind: answered after all
            log.info("order %s not timed out: %s", order_id, refused.reason)
    return done
