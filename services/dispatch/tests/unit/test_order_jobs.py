# SPDX-License-Identifier: AGPL-3.0-or-later
"""The read model a courier's scan looks an order up in: an order added to a job finds the
job, an order withdrawn finds nothing, and a withdrawal from another job leaves it be."""

from __future__ import annotations

from datetime import UTC, datetime
from uuid import UUID, uuid4

from dispatch.projections.order_jobs import ORDER_JOBS, OrderJobs
from downtown_events.contract import IntegrationEvent
from downtown_events.dispatch import DeliveryJobPickupAdded, DeliveryJobPickupWithdrawn
from downtown_events.geo import GeoPoint
from downtown_events.runtime.projection import RowSet
from downtown_events.runtime.records import ReceivedEvent
from tests.support.received import received as received_event

AT = datetime(2026, 12, 7, 9, tzinfo=UTC)


def received(event: IntegrationEvent, job_id: UUID) -> ReceivedEvent:
    return received_event(event, job_id, at=AT, topic="testtown.dispatch.events")


def added(job_id: UUID, order_id: UUID, merchant_id: UUID) -> ReceivedEvent:
    shop = GeoPoint(lat=51.83, lon=7.28)
    return received(
        DeliveryJobPickupAdded(job_id=job_id, order_id=order_id, merchant_id=merchant_id, shop=shop), job_id
    )


def test_an_order_added_to_a_job_finds_it_until_it_is_withdrawn() -> None:
    projection, rows = OrderJobs(), RowSet()
    job, order, merchant = uuid4(), uuid4(), uuid4()

    projection.fold(rows, [added(job, order, merchant)])
    assert rows.current(ORDER_JOBS, order) == {"order_id": order, "job_id": job, "merchant_id": merchant}

    other_job = uuid4()
    projection.fold(rows, [received(DeliveryJobPickupWithdrawn(job_id=other_job, order_id=order), other_job)])
    assert rows.current(ORDER_JOBS, order) is not None  # not that job's order: nothing changes

    projection.fold(rows, [received(DeliveryJobPickupWithdrawn(job_id=job, order_id=order), job)])
    assert rows.current(ORDER_JOBS, order) is None


def test_only_pickups_touch_the_table() -> None:
    job, order = uuid4(), uuid4()
    event = added(job, order, uuid4())
    assert list(OrderJobs().touches(event)) == [(ORDER_JOBS, order)]
    assert OrderJobs.reads() == {DeliveryJobPickupAdded.type_name(), DeliveryJobPickupWithdrawn.type_name()}
