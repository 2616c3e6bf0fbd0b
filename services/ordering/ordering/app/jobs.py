# SPDX-License-Identifier: AGPL-3.0-or-later
"""Ordering's scheduled work: an order whose answers do not come in time is rejected (a
courier order dispatch does not take into a job in time ends undelivered).

The deadlines are in the order's own ``OrderPlaced`` (``merchant_answer_by`` for the
merchant, ``answers_by`` for the catalog and vouchers; dispatch's in the private
``DispatchAnswerAwaited`` appended with the hand-off): the job finds orders past one in a
read model and lets each order decide, so the timer is as durable as the log, and a round
run twice (or by two replicas) changes nothing the first did not. The rejection is what the
others compensate on: the catalog releases what it reserved, vouchers reverses what it
redeemed, whenever their answers were made.
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
