# SPDX-License-Identifier: AGPL-3.0-or-later
"""What the crash test taught the job's stream: a courier's failed attempt told again after
the phone lost the answer decides nothing, whether the job went back to be planned again
(off the courier's tour by then) or its goods go back to the shops, and a new attempt after
a new pickup is decided as the first was (the repeat answered 404 and 422 before); a plan
made from a board that does not show a pickup yet leaves the job with the courier who has
the goods."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from uuid import UUID, uuid4

import pytest

from dispatch.domain import delivery
from dispatch.domain.delivery import RequestedPickup
from dispatch.domain.errors import NotFound
from downtown_events.contract import IntegrationEvent
from downtown_events.dispatch import ArrivalWindow, DeliveryAttemptFailed, FailureReason
from downtown_events.geo import GeoPoint
from downtown_events.ordering import DeliveryDropOff

NOW = datetime(2026, 12, 7, 9, tzinfo=UTC)
SLOT = ArrivalWindow(starts_at=NOW + timedelta(hours=2), ends_at=NOW + timedelta(hours=4))
DOOR = DeliveryDropOff(
    name="Ada", street="Markt 1", postal_code="48249", city="Dülmen", pin=GeoPoint(lat=51.8, lon=7.2)
)
COURIER = uuid4()


def on_board() -> tuple[list[IntegrationEvent], RequestedPickup]:
    """A job planned onto ``COURIER``'s tour, its one order picked up."""
    req = RequestedPickup(uuid4(), uuid4(), uuid4(), GeoPoint(lat=51.81, lon=7.21), 1, 390, 1, DOOR)
    history = delivery.add_pickup(delivery.read_stream([]), req, zone_id=uuid4(), slot=SLOT, slot_kind="standard")
    history += delivery.plan(delivery.replay(history), courier_id=COURIER, tour_id=uuid4(), pickup_by=NOW, arrives=SLOT)
    history += delivery.pick_up(delivery.replay(history), order_id=req.order_id, courier_id=COURIER, at=NOW)
    return history, req


def fail(
    history: list[IntegrationEvent], reason: FailureReason = "not_at_home", courier: UUID = COURIER
) -> list[IntegrationEvent]:
    job = delivery.replay(history)
    return delivery.fail_attempt(job, courier_id=courier, reason=reason, at=NOW, attempts_allowed=2)


@pytest.mark.parametrize(("reason", "then"), [("not_at_home", "retry"), ("refused", "return")])
def test_a_failed_attempt_told_again_decides_nothing(reason: FailureReason, then: str) -> None:
    history, _ = on_board()
    failed = fail(history, reason)
    assert [(type(e), e.then) for e in failed] == [(DeliveryAttemptFailed, then)]  # type: ignore[attr-defined]
    history += failed
    assert fail(history, reason) == []
    if then == "return":
        history += delivery.return_to_shops(delivery.replay(history), at=NOW)
        assert fail(history, reason) == []
    with pytest.raises(NotFound):
        fail(history, reason, courier=uuid4())  # another courier learns nothing of the job


def test_after_a_new_pickup_the_next_failure_is_decided_again() -> None:
    history, req = on_board()
    history += fail(history)
    history += delivery.plan(delivery.replay(history), courier_id=COURIER, tour_id=uuid4(), pickup_by=NOW, arrives=SLOT)
    history += delivery.pick_up(delivery.replay(history), order_id=req.order_id, courier_id=COURIER, at=NOW)
    again = fail(history)
    assert [(e.attempt, e.then) for e in again] == [(2, "return")]  # type: ignore[attr-defined]


def test_a_plan_never_takes_a_job_from_the_courier_who_has_its_goods() -> None:
    history, _ = on_board()
    job = delivery.replay(history)
    assert job is not None and job.begun
    other = delivery.plan(job, courier_id=uuid4(), tour_id=uuid4(), pickup_by=NOW, arrives=SLOT)
    assert other == []
    later = ArrivalWindow(starts_at=SLOT.ends_at, ends_at=SLOT.ends_at + timedelta(minutes=30))
    moved = delivery.plan(job, courier_id=COURIER, tour_id=uuid4(), pickup_by=NOW, arrives=later)
    assert [e.courier_id for e in moved] == [COURIER]  # type: ignore[attr-defined]  # the same courier: replanned
