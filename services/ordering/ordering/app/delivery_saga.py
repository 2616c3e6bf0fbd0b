# SPDX-License-Identifier: AGPL-3.0-or-later
"""The order saga after the hand-off: what dispatch says of a courier order becomes the order's.

A process manager on dispatch's topic (one transaction per batch with its tracking rows, like
``saga``): a job took the order (the hand-off's answer) or refused it, the courier picked it
up, the job was delivered or its goods went back to the shops. Each is decided on the order's
stream by :mod:`ordering.domain.courier`, where repeated, late or reordered news changes
nothing and news that contradicts the order is recorded, never raised. A delivery fulfils the
order with its invoice or receipt, as the merchant's would. Dispatch's silence is the time-out
job's (``jobs``): past ``DispatchAnswerAwaited.answer_by`` the order ends undelivered.
"""

from __future__ import annotations

from uuid import UUID

from downtown_events.contract import IntegrationEvent
from downtown_events.dispatch import (
    DeliveryJobDelivered,
    DeliveryJobPickupAdded,
    DeliveryJobRefused,
    DeliveryJobReturned,
    DeliveryOrderPickedUp,
)
from downtown_events.runtime.process_manager import ProcessManager
from downtown_events.runtime.records import ReceivedEvent
from downtown_events.runtime.store import EventStore
from ordering.app.orders import OrderHandlers, Step
from ordering.domain import courier

NEWS = (DeliveryJobPickupAdded, DeliveryJobRefused, DeliveryOrderPickedUp, DeliveryJobDelivered, DeliveryJobReturned)
SERVICE = "ordering"


def steps_for(news: IntegrationEvent) -> list[tuple[UUID, Step]]:
    """The orders a piece of dispatch's news is about, each with the decision it calls for."""
    match news:
        case DeliveryJobPickupAdded(order_id=order_id, job_id=job_id):
            return [(order_id, lambda state: courier.join_job(state, job_id=job_id))]
        case DeliveryJobRefused(order_id=order_id, reason=reason, detail=detail):
            return [(order_id, lambda state: courier.refuse(state, reason=reason, detail=detail))]
        case DeliveryOrderPickedUp(order_id=order_id, job_id=job_id):
            return [(order_id, lambda state: courier.pick_up(state, job_id=job_id))]
        case DeliveryJobDelivered(order_ids=order_ids, job_id=job_id):
            return [(order_id, lambda state: courier.deliver(state, job_id=job_id)) for order_id in order_ids]
        case DeliveryJobReturned(order_ids=order_ids):
            return [(order_id, courier.bring_back) for order_id in order_ids]
    return []


def delivery_saga(handlers: OrderHandlers) -> ProcessManager:
    async def react(received: ReceivedEvent, store: EventStore) -> None:
        for order_id, step in steps_for(received.event):
            await handlers.follow_courier(store, order_id, step)

    return ProcessManager("delivery_saga", service=SERVICE, reacts_to=NEWS, react=react)
