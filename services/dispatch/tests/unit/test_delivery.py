# SPDX-License-Identifier: AGPL-3.0-or-later
"""A delivery job's stream: opened by a checkout's first order, completed by the others,
refused orders counted out, planned, picked up, delivered, tried again and returned; every
decision repeated decides nothing."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from uuid import UUID, uuid4

import pytest

from dispatch.domain import delivery
from dispatch.domain.delivery import JobStream, RequestedPickup
from dispatch.domain.errors import InvalidChange, NotFound
from dispatch.domain.private_events import DeliveryDropOffRecorded, DeliveryJobPinned, DeliveryOrderFiled
from downtown_events.contract import IntegrationEvent
from downtown_events.dispatch import (
    ArrivalWindow,
    DeliveryAttemptFailed,
    DeliveryJobOpened,
    DeliveryJobPickupAdded,
    DeliveryJobPickupWithdrawn,
    DeliveryJobPlanned,
    DeliveryJobRefused,
    DeliveryJobReturned,
    DeliveryJobUnplanned,
)
from downtown_events.geo import GeoPoint
from downtown_events.ordering import DeliveryDropOff

NOW = datetime(2026, 12, 7, 9, tzinfo=UTC)
SLOT = ArrivalWindow(starts_at=NOW + timedelta(hours=2), ends_at=NOW + timedelta(hours=4))
ZONE = uuid4()
DOOR = DeliveryDropOff(
    name="Ada", street="Markt 1", postal_code="48249", city="Dülmen", pin=GeoPoint(lat=51.83, lon=7.28)
)


def request(checkout_id: UUID, orders: int = 1) -> RequestedPickup:
    return RequestedPickup(uuid4(), checkout_id, uuid4(), GeoPoint(lat=51.831, lon=7.281), 1, 350, orders, DOOR)


def add(history: list[IntegrationEvent], req: RequestedPickup) -> list[IntegrationEvent]:
    new = delivery.add_pickup(delivery.read_stream(history), req, zone_id=ZONE, slot=SLOT, slot_kind="standard")
    history.extend(new)
    return new


def test_the_first_order_opens_the_job_with_its_drop_off_and_waits_for_the_others() -> None:
    checkout = uuid4()
    history: list[IntegrationEvent] = []
    first = request(checkout, orders=2)
    new = add(history, first)
    assert [type(e) for e in new] == [DeliveryJobOpened, DeliveryJobPickupAdded, DeliveryDropOffRecorded]
    assert new[0].job_id == delivery.job_id_of(checkout)  # type: ignore[attr-defined]
    assert delivery.replay(history).status == "waiting"  # type: ignore[union-attr]
    assert add(history, first) == []  # redelivered
    second = add(history, request(checkout, orders=2))
    assert [type(e) for e in second] == [DeliveryJobPickupAdded]
    job = delivery.replay(history)
    assert job is not None and job.status == "ready" and job.parcels == 2 and job.fee_cents == 700


def test_a_refused_order_is_counted_out_before_or_after_the_job_opens() -> None:
    checkout = uuid4()
    job_id = delivery.job_id_of(checkout)
    history: list[IntegrationEvent] = []
    refused = uuid4()
    refusal = delivery.refuse(
        JobStream(None, frozenset()), job_id=job_id, order_id=refused, merchant_id=uuid4(), reason="outside_zone"
    )
    assert [type(e) for e in refusal] == [DeliveryJobRefused]
    history.extend(refusal)
    assert delivery.replay(history) is None
    stream = delivery.read_stream(history)
    assert delivery.refuse(stream, job_id=job_id, order_id=refused, merchant_id=uuid4(), reason="no_slot") == []
    new = add(history, request(checkout, orders=2))
    assert DeliveryJobPickupWithdrawn(job_id=job_id, order_id=refused) in new
    assert delivery.replay(history).status == "ready"  # type: ignore[union-attr]

    later = uuid4()
    after = delivery.refuse(
        delivery.read_stream(history), job_id=job_id, order_id=later, merchant_id=uuid4(), reason="no_terms"
    )
    assert [type(e) for e in after] == [DeliveryJobRefused, DeliveryJobPickupWithdrawn]


def test_a_job_every_order_of_which_ended_is_withdrawn() -> None:
    history: list[IntegrationEvent] = []
    first = request(uuid4())
    add(history, first)
    job = delivery.replay(history)
    history.extend(delivery.withdraw(job, first.order_id))
    job = delivery.replay(history)
    assert job is not None and job.status == "withdrawn"
    assert delivery.withdraw(job, first.order_id) == []
    assert delivery.withdraw(None, first.order_id) == []


def ready_job() -> tuple[list[IntegrationEvent], RequestedPickup]:
    history: list[IntegrationEvent] = []
    req = request(uuid4())
    add(history, req)
    return history, req


def test_plan_unplan_and_pin_decide_once() -> None:
    history, _ = ready_job()
    courier, tour = uuid4(), uuid4()
    arrives = ArrivalWindow(starts_at=SLOT.starts_at, ends_at=SLOT.starts_at + timedelta(minutes=30))
    job = delivery.replay(history)
    told = delivery.unplan(job, "no courier")
    assert [type(e) for e in told] == [DeliveryJobUnplanned]
    assert delivery.unplan(delivery.replay([*history, *told]), "no courier") == []  # told already
    planned = delivery.plan(job, courier_id=courier, tour_id=tour, pickup_by=NOW, arrives=arrives)
    assert [type(e) for e in planned] == [DeliveryJobPlanned]
    history.extend(planned)
    job = delivery.replay(history)
    assert delivery.plan(job, courier_id=courier, tour_id=tour, pickup_by=NOW, arrives=arrives) == []
    assert [type(e) for e in delivery.unplan(job, "over capacity")] == [DeliveryJobUnplanned]
    pinned = delivery.pin(job, courier)
    assert [type(e) for e in pinned] == [DeliveryJobPinned]
    history.extend(pinned)
    assert delivery.pin(delivery.replay(history), courier) == []
    with pytest.raises(NotFound):
        delivery.pin(None, courier)


def test_pick_up_deliver_and_a_failed_attempt_then_return() -> None:
    history, req = ready_job()
    courier = uuid4()
    job = delivery.replay(history)
    history.extend(delivery.plan(job, courier_id=courier, tour_id=uuid4(), pickup_by=NOW, arrives=SLOT))
    job = delivery.replay(history)
    with pytest.raises(NotFound):
        delivery.pick_up(job, order_id=req.order_id, courier_id=uuid4(), at=NOW)
    with pytest.raises(InvalidChange):
        delivery.deliver(job, courier_id=courier, at=NOW, recipient_name="Ada", photo_sha256=None, town_cents=0)
    history.extend(delivery.pick_up(job, order_id=req.order_id, courier_id=courier, at=NOW))
    job = delivery.replay(history)
    assert job is not None and job.status == "picking_up" and job.open_pickups[0].picked_up_at == NOW
    assert delivery.pick_up(job, order_id=req.order_id, courier_id=courier, at=NOW) == []
    assert delivery.withdraw(job, req.order_id) == []  # the goods ride on

    failed = delivery.fail_attempt(job, courier_id=courier, reason="not_at_home", at=NOW, attempts_allowed=2)
    assert isinstance(failed[0], DeliveryAttemptFailed) and failed[0].then == "retry"
    history.extend(failed)
    job = delivery.replay(history)
    assert job is not None and job.status == "ready" and job.courier_id is None and not job.begun

    history.extend(delivery.plan(job, courier_id=courier, tour_id=uuid4(), pickup_by=NOW, arrives=SLOT))
    history.extend(delivery.pick_up(delivery.replay(history), order_id=req.order_id, courier_id=courier, at=NOW))
    last = delivery.fail_attempt(
        delivery.replay(history), courier_id=courier, reason="not_at_home", at=NOW, attempts_allowed=2
    )
    assert last[0].then == "return"  # type: ignore[attr-defined]
    history.extend(last)
    with pytest.raises(InvalidChange, match="go back to their shops"):
        delivery.deliver(
            delivery.replay(history), courier_id=courier, at=NOW, recipient_name="Ada", photo_sha256=None, town_cents=0
        )
    returned = delivery.return_to_shops(delivery.replay(history), at=NOW)
    assert [type(e) for e in returned] == [DeliveryJobReturned]
    history.extend(returned)
    assert delivery.return_to_shops(delivery.replay(history), at=NOW) == []


def test_an_order_is_filed_under_its_job_once() -> None:
    order, job = uuid4(), uuid4()
    filed = delivery.file_order(None, order_id=order, job_id=job)
    assert filed == [DeliveryOrderFiled(order_id=order, job_id=job)]
    assert delivery.filed_job(filed) == job
    assert delivery.file_order(job, order_id=order, job_id=job) == []
    assert delivery.order_stream_of(order) != str(order)


def test_an_order_joining_a_delivery_under_way_is_refused() -> None:
    history, req = ready_job()
    courier = uuid4()
    history.extend(
        delivery.plan(delivery.replay(history), courier_id=courier, tour_id=uuid4(), pickup_by=NOW, arrives=SLOT)
    )
    history.extend(delivery.pick_up(delivery.replay(history), order_id=req.order_id, courier_id=courier, at=NOW))
    with pytest.raises(InvalidChange):
        add(history, request(req.checkout_id))
