# SPDX-License-Identifier: AGPL-3.0-or-later
"""A courier service's couriers and shifts: what the association may schedule, and what a
courier dropping out does."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from uuid import uuid4

import pytest

from dispatch.domain import courier_service as services
from dispatch.domain.courier_service import CourierService
from dispatch.domain.errors import AlreadyExists, InvalidChange, NotFound
from downtown_events.contract import IntegrationEvent
from downtown_events.dispatch import CourierDroppedOut, CourierRemoved, CourierShiftScheduled, CourierTokensRevoked
from downtown_events.geo import GeoPoint

EIGHT = datetime(2026, 12, 7, 8, tzinfo=UTC)
DEPOT = GeoPoint(lat=51.84, lon=7.27)
SERVICE, ANNA = uuid4(), uuid4()


def then(history: Sequence[IntegrationEvent], *decisions: Sequence[IntegrationEvent]) -> list[IntegrationEvent]:
    return [*history, *(event for decided in decisions for event in decided)]


def with_anna() -> list[IntegrationEvent]:
    registered = services.register(None, courier_service_id=SERVICE, name="Radkurier Dülmen", phone="02594 1")
    added = services.add_courier(
        services.replay(registered), courier_id=ANNA, display_name="Anna", vehicle="cargo_bike", capacity=8
    )
    return then(registered, added)


def shift_of(
    state: CourierService | None, starts: datetime, hours: float, courier: object = ANNA
) -> list[IntegrationEvent]:
    return list(
        services.schedule_shift(
            state,
            shift_id=uuid4(),
            courier_id=courier,  # type: ignore[arg-type]
            starts_at=starts,
            ends_at=starts + timedelta(hours=hours),
            start=DEPOT,
        )
    )


def test_a_registered_service_adds_couriers_and_schedules_their_shifts() -> None:
    history = with_anna()
    history += shift_of(services.replay(history), EIGHT, 8)
    service = services.replay(history)
    assert service is not None and service.name == "Radkurier Dülmen"
    assert service.couriers[ANNA].vehicle == "cargo_bike" and service.couriers[ANNA].capacity == 8
    [shift] = service.shifts
    assert (shift.starts_at, shift.ends_at, shift.start) == (EIGHT, EIGHT + timedelta(hours=8), DEPOT)
    assert isinstance(history[-1], CourierShiftScheduled)


def test_registering_twice_or_acting_on_an_unknown_service_is_refused() -> None:
    state = services.replay(with_anna())
    with pytest.raises(AlreadyExists):
        services.register(state, courier_service_id=SERVICE, name="again", phone="")
    with pytest.raises(NotFound, match="no courier service"):
        services.add_courier(None, courier_id=uuid4(), display_name="Ben", vehicle="bike", capacity=2)
    with pytest.raises(AlreadyExists):
        services.add_courier(state, courier_id=ANNA, display_name="Anna", vehicle="bike", capacity=2)


def test_what_the_contract_refuses_is_an_invalid_change_naming_the_field() -> None:
    state = services.replay(with_anna())
    with pytest.raises(InvalidChange, match="vehicle"):
        services.add_courier(state, courier_id=uuid4(), display_name="Ben", vehicle="rocket", capacity=2)
    with pytest.raises(InvalidChange, match="capacity"):
        services.add_courier(state, courier_id=uuid4(), display_name="Ben", vehicle="bike", capacity=0)
    with pytest.raises(InvalidChange, match="name"):
        services.register(None, courier_service_id=uuid4(), name="", phone="")


@pytest.mark.parametrize(
    ("starts", "hours", "reason"),
    [
        (EIGHT, 0, "ends after it starts"),
        (EIGHT, -2, "ends after it starts"),
        (EIGHT, 14.5, "at most 14 hours"),
        (EIGHT + timedelta(hours=7), 3, "has a shift from"),
        (EIGHT - timedelta(hours=1), 10, "has a shift from"),
    ],
)
def test_a_shift_ending_before_it_starts_too_long_or_overlapping_another_is_refused(
    starts: datetime, hours: float, reason: str
) -> None:
    history = with_anna()
    history += shift_of(services.replay(history), EIGHT, 8)
    with pytest.raises(InvalidChange, match=reason):
        shift_of(services.replay(history), starts, hours)


def test_shifts_that_only_touch_are_fine_and_another_courier_may_overlap() -> None:
    history = with_anna()
    history += shift_of(services.replay(history), EIGHT, 8)
    history += shift_of(services.replay(history), EIGHT + timedelta(hours=8), 4)
    ben = uuid4()
    history += services.add_courier(
        services.replay(history), courier_id=ben, display_name="Ben", vehicle="car", capacity=20
    )
    history += shift_of(services.replay(history), EIGHT, 8, courier=ben)
    assert len(services.replay(history).shifts) == 3  # type: ignore[union-attr]


def test_a_removed_or_unknown_courier_gets_no_shift_and_removing_twice_decides_nothing() -> None:
    history = with_anna()
    history += services.remove_courier(services.replay(history), courier_id=ANNA)
    assert isinstance(history[-1], CourierRemoved)
    state = services.replay(history)
    assert services.remove_courier(state, courier_id=ANNA) == []
    with pytest.raises(InvalidChange, match="removed"):
        shift_of(state, EIGHT, 4)
    with pytest.raises(NotFound, match="no courier of that id"):
        shift_of(state, EIGHT, 4, courier=uuid4())
    with pytest.raises(NotFound, match="no courier of that id"):
        services.remove_courier(state, courier_id=uuid4())


def test_a_naive_time_is_refused() -> None:
    with pytest.raises(InvalidChange, match="time zone"):
        shift_of(services.replay(with_anna()), datetime(2026, 12, 7, 8), 4)


def test_a_courier_drops_out_of_the_shift_running_and_only_once() -> None:
    history = with_anna()
    history += shift_of(services.replay(history), EIGHT, 8)
    at = EIGHT + timedelta(hours=3)
    flat_tyre = GeoPoint(lat=51.85, lon=7.26)
    history += services.drop_out(services.replay(history), courier_id=ANNA, at=at, position=flat_tyre, now=at)
    assert history[-1] == CourierDroppedOut(courier_service_id=SERVICE, courier_id=ANNA, at=at, position=flat_tyre)
    state = services.replay(history)
    assert state is not None and state.shifts[0].dropped_out_at == at
    later = at + timedelta(minutes=5)
    assert services.drop_out(state, courier_id=ANNA, at=later, position=None, now=later) == []


def test_a_drop_out_without_a_shift_running_is_refused() -> None:
    history = with_anna()
    history += shift_of(services.replay(history), EIGHT, 8)
    state = services.replay(history)
    for at in (EIGHT - timedelta(minutes=1), EIGHT + timedelta(hours=8)):
        with pytest.raises(InvalidChange, match="no shift running"):
            services.drop_out(state, courier_id=ANNA, at=at, position=None, now=at)


def test_a_drop_out_ahead_of_time_is_refused() -> None:
    history = with_anna()
    history += shift_of(services.replay(history), EIGHT, 8)
    with pytest.raises(InvalidChange, match="when it happens"):
        services.drop_out(
            services.replay(history), courier_id=ANNA, at=EIGHT + timedelta(hours=2), position=None, now=EIGHT
        )


def test_a_courier_signing_out_revokes_their_tokens_and_a_removed_or_unknown_one_cannot() -> None:
    history = with_anna()
    (revoked,) = services.revoke_tokens(services.replay(history), courier_id=ANNA, at=EIGHT)
    assert revoked == CourierTokensRevoked(courier_service_id=SERVICE, courier_id=ANNA, revoked_at=EIGHT)
    assert services.replay([*history, revoked]) == services.replay(history)  # the roster holds it, not the service

    removed = then(history, services.remove_courier(services.replay(history), courier_id=ANNA))
    with pytest.raises(InvalidChange):
        services.revoke_tokens(services.replay(removed), courier_id=ANNA, at=EIGHT)
    with pytest.raises(NotFound):
        services.revoke_tokens(services.replay(history), courier_id=uuid4(), at=EIGHT)
