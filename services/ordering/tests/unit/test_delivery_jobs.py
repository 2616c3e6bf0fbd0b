# SPDX-License-Identifier: AGPL-3.0-or-later
"""The customer sees when the courier is expected: dispatch's plan of the order's job, replaced
when planned again, gone when unplanned; shown on the order once dispatch took it into a job."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from itertools import count
from uuid import UUID, uuid4

from downtown_events.contract import IntegrationEvent
from downtown_events.dispatch import ArrivalWindow, DeliveryJobPlanned, DeliveryJobUnplanned
from downtown_events.ordering import Fulfilment, OrderLine, OrderPlaced, Payment, TimeSlot
from downtown_events.runtime.projection import RowSet
from downtown_events.runtime.records import ReceivedEvent
from ordering.api.schemas import ExpectedDeliveryOut, OrderOut
from ordering.domain.order import Order, replay
from ordering.projections.delivery_jobs import DELIVERY_JOBS, DeliveryJobs
from tests.support.received import received as received_event

NOW = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
_offsets = count()


def received(event: IntegrationEvent, job_id: UUID, version: int) -> ReceivedEvent:
    return received_event(
        event, job_id, at=NOW + timedelta(minutes=version), topic="testtown.dispatch.events", version=version
    )


def planned(job_id: UUID, hours: int) -> DeliveryJobPlanned:
    arrives = ArrivalWindow(starts_at=NOW + timedelta(hours=hours), ends_at=NOW + timedelta(hours=hours, minutes=30))
    return DeliveryJobPlanned(
        job_id=job_id, courier_id=uuid4(), tour_id=uuid4(), pickup_by=NOW + timedelta(hours=1), arrives=arrives
    )


def window(*events: IntegrationEvent, job_id: UUID) -> tuple[object, object]:
    history = [received(event, job_id, version) for version, event in enumerate(events, start=1)]
    row = DeliveryJobs().fold(RowSet(), history).get(DELIVERY_JOBS, job_id)
    assert row is not None
    return row["arrives_from"], row["arrives_until"]


def test_the_latest_plan_of_a_job_is_its_window_and_an_unplanned_job_has_none() -> None:
    job_id = uuid4()
    assert window(planned(job_id, 3), planned(job_id, 5), job_id=job_id) == (
        NOW + timedelta(hours=5),
        NOW + timedelta(hours=5, minutes=30),
    )
    unplanned = DeliveryJobUnplanned(job_id=job_id, reason="no courier on shift")
    assert window(planned(job_id, 3), unplanned, job_id=job_id) == (None, None)


def courier_order() -> Order:
    slot = TimeSlot(starts_at=NOW + timedelta(hours=4), ends_at=NOW + timedelta(hours=6))
    placed = OrderPlaced(
        order_id=uuid4(),
        checkout_id=uuid4(),
        merchant_id=uuid4(),
        lines=[
            OrderLine(
                offer_id=uuid4(), kind="product", title="Honig", quantity=1, unit_price_cents=800, vat_rate_percent=7
            )
        ],
        fulfilment=Fulfilment(method="delivery", delivery_zone="Innenstadt", delivery_slot=slot),
        payment=Payment(method="cash_at_door"),
        goods_cents=800,
        total_cents=800,
        merchant_answer_by=NOW + timedelta(hours=2),
        cancellable_until=NOW + timedelta(minutes=15),
    )
    order = replay([placed])
    assert order is not None
    return order


def test_the_order_view_says_when_the_courier_is_expected() -> None:
    order = courier_order()
    arrival = TimeSlot(starts_at=NOW + timedelta(hours=5), ends_at=NOW + timedelta(hours=5, minutes=30))
    shown = OrderOut.of(order, arrival=arrival)
    assert shown.delivery == ExpectedDeliveryOut(expected_from=arrival.starts_at, expected_until=arrival.ends_at)
    assert OrderOut.of(order).delivery is None
