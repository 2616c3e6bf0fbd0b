# SPDX-License-Identifier: AGPL-3.0-or-later
"""The board's rows tell what the job's stream tells (the same fold), without the recipient;
a tour's row is its last plan."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from uuid import UUID, uuid4

from dispatch.domain import delivery
from dispatch.domain.delivery import RequestedPickup
from dispatch.projections.board import BOARD_JOBS, TOURS, Board, job_of
from downtown_events.contract import IntegrationEvent
from downtown_events.dispatch import ArrivalWindow, TourPlanned, TourStop
from downtown_events.geo import GeoPoint
from downtown_events.ordering import DeliveryDropOff
from downtown_events.runtime.projection import RowSet
from downtown_events.runtime.records import ReceivedEvent
from tests.support.received import received as received_event

AT = datetime(2026, 12, 7, 9, tzinfo=UTC)
SLOT = ArrivalWindow(starts_at=AT + timedelta(hours=1), ends_at=AT + timedelta(hours=3))
DOOR = DeliveryDropOff(
    name="Ada", street="Markt 1", postal_code="48249", city="Dülmen", pin=GeoPoint(lat=51.8, lon=7.3)
)


def received(event: IntegrationEvent, stream: UUID) -> ReceivedEvent:
    return received_event(event, stream, at=AT, topic="testtown.dispatch.events")


def test_a_jobs_row_is_its_fold_without_the_recipient() -> None:
    checkout, courier = uuid4(), uuid4()
    request = RequestedPickup(uuid4(), checkout, uuid4(), GeoPoint(lat=51.83, lon=7.28), 2, 390, 1, DOOR)
    history: list[IntegrationEvent] = []

    def decide(events: list[IntegrationEvent]) -> None:
        history.extend(events)

    decide(delivery.add_pickup(delivery.read_stream([]), request, zone_id=uuid4(), slot=SLOT, slot_kind="standard"))
    decide(delivery.unplan(delivery.replay(history), "no courier is on shift"))
    decide(delivery.pin(delivery.replay(history), courier))
    decide(delivery.plan(delivery.replay(history), courier_id=courier, tour_id=uuid4(), pickup_by=AT, arrives=SLOT))
    decide(delivery.pick_up(delivery.replay(history), order_id=request.order_id, courier_id=courier, at=AT))

    job_id = delivery.job_id_of(checkout)
    rows = Board().fold(RowSet(), [received(event, job_id) for event in history])
    row = rows.current(BOARD_JOBS, job_id)
    assert row is not None
    job = delivery.replay(history)
    assert job is not None
    assert job_of(row) == replace(job, drop_off=None)
    assert (row["door_lat"], row["door_lon"], row["pickup_by"]) == (51.8, 7.3, AT)
    assert "Ada" not in str(row) and "Markt" not in str(row)

    decide(delivery.fail_attempt(job, courier_id=courier, reason="not_at_home", at=AT, attempts_allowed=2))
    rows = Board().fold(rows, [received(history[-1], job_id)])
    after = rows.current(BOARD_JOBS, job_id)
    assert after is not None and job_of(after).status == "ready" and after["pickup_by"] is None


def test_a_tours_row_is_its_last_plan() -> None:
    tour_id, courier, job_id = uuid4(), uuid4(), uuid4()
    stop = TourStop(kind="drop_off", job_id=job_id, arrives_at=AT, load_after=0)
    first = TourPlanned(tour_id=tour_id, courier_id=courier, day=date(2026, 12, 7), stops=[stop], distance_m=900)
    emptied = first.model_copy(update={"stops": [], "distance_m": 0})
    rows = Board().fold(RowSet(), [received(first, tour_id), received(emptied, tour_id)])
    row = rows.current(TOURS, tour_id)
    assert row is not None and row["stops"] == [] and row["distance_m"] == 0 and row["courier_id"] == courier
