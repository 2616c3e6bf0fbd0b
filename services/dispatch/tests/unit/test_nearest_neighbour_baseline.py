# SPDX-License-Identifier: AGPL-3.0-or-later
"""The planning benchmark's baseline (``bench.dispatch_planning.nearest_neighbour``) on tiny
town days whose nearest-neighbour tours can be worked out by hand: a ratio against a wrong
baseline would flatter or shame the planner for nothing."""

from __future__ import annotations

import math
from datetime import UTC, datetime, timedelta
from uuid import UUID, uuid4

import pytest

from bench.dispatch_planning import nearest_neighbour, planned_tours, tour_km, town_day
from dispatch.domain.jobs import DeliveryJob, Pickup, TimeWindow
from dispatch.domain.planning import plan
from dispatch.domain.tours import Courier, PlanningSettings
from downtown_events.delivery.fees import FeeQuote
from downtown_events.delivery.geo import Coordinates

NOW = datetime(2026, 12, 7, 9, tzinfo=UTC)
TOWN = Coordinates(51.83, 7.28)
WINDOW = TimeWindow(NOW, NOW + timedelta(hours=2))


def east(metres: float) -> Coordinates:
    return Coordinates(TOWN.lat, TOWN.lon + metres / (111_195 * math.cos(math.radians(TOWN.lat))))


def job(shops: list[tuple[float, int]], door: float) -> DeliveryJob:
    pickups = tuple(Pickup(uuid4(), (uuid4(),), east(at), load) for at, load in shops)
    return DeliveryJob(uuid4(), uuid4(), pickups, east(door), WINDOW, FeeQuote(0, 0, 0))


def courier(at: float = 0, capacity: int = 10) -> Courier:
    return Courier(uuid4(), "bike", capacity, east(at), NOW, NOW + timedelta(hours=4))


def route(tours: dict[UUID, list[Coordinates]], rider: Courier) -> list[float]:
    """A courier's tour as metres east of the town's point."""
    metres_per_degree = 111_195 * math.cos(math.radians(TOWN.lat))
    return [round((place.lon - TOWN.lon) * metres_per_degree) for place in tours[rider.courier_id]]


def test_a_courier_delivers_the_nearer_job_before_fetching_the_farther() -> None:
    rider = courier()
    tours = nearest_neighbour([job([(1000, 1)], 1100), job([(100, 1)], 200)], [rider])
    assert route(tours, rider) == [0, 100, 200, 1000, 1100]
    assert tour_km(tours[rider.courier_id]) == pytest.approx(1.1, abs=0.001)


def test_capacity_makes_the_courier_hand_over_before_taking_the_next_job() -> None:
    rider = courier(capacity=2)
    tours = nearest_neighbour([job([(100, 2)], 900), job([(150, 2)], 1000)], [rider])
    assert route(tours, rider) == [0, 100, 900, 150, 1000]  # with room, 150 would come second


def test_every_shop_of_a_job_comes_before_its_customer() -> None:
    rider = courier()
    tours = nearest_neighbour([job([(500, 1), (-300, 1)], 50)], [rider])
    assert route(tours, rider) == [0, -300, 500, 50]


def test_couriers_take_turns_and_what_nobody_can_carry_is_left_out() -> None:
    west, east_side = courier(at=-1000), courier(at=1000)
    heavy = job([(0, 11)], 10)
    tours = nearest_neighbour([job([(-900, 1)], -800), job([(900, 1)], 800), heavy], [west, east_side])
    assert route(tours, west) == [-1000, -900, -800]
    assert route(tours, east_side) == [1000, 900, 800]


def test_the_planners_tours_are_read_from_each_couriers_start() -> None:
    rider, idle = courier(), courier(at=50)
    delivery = job([(100, 1)], 300)
    result = plan([delivery], [rider], NOW, (), PlanningSettings(metaheuristic="greedy_descent"))
    tours = planned_tours(result, [rider, idle])
    assert route(tours, rider) == [0, 100, 300] and tours[idle.courier_id] == []


def test_a_town_day_is_the_same_for_the_same_seed() -> None:
    one, other = (town_day(5, 2, 3, timedelta(seconds=1), seed=7) for _ in range(2))
    assert one == other and len(one.jobs) == 5 and len(one.couriers) == 2
