# SPDX-License-Identifier: AGPL-3.0-or-later
"""Planning a day over the job streams: jobs planned onto tours and told why when left out,
tours written when they change, stops done kept with their courier, a courier who dropped
out leaving the rest to others; the worker plans again only when its inputs changed."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, date, datetime, timedelta
from uuid import UUID, uuid4
from zoneinfo import ZoneInfo

import pytest

from dispatch.app.planning import (
    JobOnBoard,
    Planning,
    Replanner,
    TourOnBoard,
    sized,
    tour_changes,
    tour_id_of,
)
from dispatch.domain import delivery
from dispatch.domain.delivery import RequestedPickup
from dispatch.domain.errors import InvalidChange, NotFound
from dispatch.domain.tours import Courier, PlanningSettings
from downtown_events.delivery.geo import Coordinates
from downtown_events.dispatch import ArrivalWindow, DeliveryJobPlanned, DeliveryJobUnplanned, TourPlanned
from downtown_events.geo import GeoPoint
from downtown_events.ordering import DeliveryDropOff
from downtown_events.runtime.commands import events_of
from downtown_events.runtime.memory_store import InMemoryEventStore

BERLIN = ZoneInfo("Europe/Berlin")
NOW = datetime(2026, 12, 7, 9, tzinfo=UTC)
TODAY = date(2026, 12, 7)
SHOP = GeoPoint(lat=51.8310, lon=7.2810)
DOOR = GeoPoint(lat=51.8350, lon=7.2900)
FAST = PlanningSettings(metaheuristic="greedy_descent", time_limit=timedelta(seconds=1))


class Ports:
    """The board and the roster, as the streams and a list say."""

    def __init__(self, store: InMemoryEventStore, couriers: list[Courier]) -> None:
        self.store = store
        self.job_ids: list[UUID] = []
        self.couriers_on_shift = couriers
        self.removed: set[UUID] = set()

    async def jobs(self, starts: datetime, ends: datetime) -> list[JobOnBoard]:
        boards = []
        for job_id in self.job_ids:
            job = delivery.replay(events_of(await self.store.read(str(job_id))))
            assert job is not None
            pin = None if job.drop_off is None else job.drop_off.pin
            boards.append(JobOnBoard(job, pin))
        return boards

    async def couriers(self, starts: datetime, ends: datetime) -> list[Courier]:
        return [c for c in self.couriers_on_shift if c.courier_id not in self.removed]

    async def tours(self, day: date) -> list[TourOnBoard]:
        ids = {c.courier_id for c in self.couriers_on_shift}
        return [TourOnBoard(tour_id_of(c, day), c) for c in ids if await self.store.read(str(tour_id_of(c, day)))]

    async def courier_rides(self, courier_id: UUID) -> bool:
        return any(c.courier_id == courier_id for c in self.couriers_on_shift)


def courier() -> Courier:
    return Courier(uuid4(), "bike", 10, Coordinates(lat=51.83, lon=7.28), NOW, NOW + timedelta(hours=8))


async def open_job(ports: Ports, pin: GeoPoint | None = DOOR) -> UUID:
    checkout = uuid4()
    door = DeliveryDropOff(name="Ada", street="Markt 1", postal_code="48249", city="Dülmen", pin=pin)
    request = RequestedPickup(uuid4(), checkout, uuid4(), SHOP, 1, 0, 1, door)
    slot = ArrivalWindow(starts_at=NOW + timedelta(hours=1), ends_at=NOW + timedelta(hours=3))
    events = delivery.add_pickup(delivery.read_stream([]), request, zone_id=uuid4(), slot=slot, slot_kind="standard")
    job_id = delivery.job_id_of(checkout)
    await ports.store.append(str(job_id), 0, events)
    ports.job_ids.append(job_id)
    return job_id


def planning(ports: Ports) -> Planning:
    return Planning(ports.store, ports, timezone=BERLIN, clock=lambda: NOW, settings=FAST)


async def kinds(store: InMemoryEventStore, stream: UUID) -> list[type]:
    return [type(e) for e in events_of(await store.read(str(stream)))]


@pytest.mark.asyncio
async def test_a_ready_job_goes_onto_the_couriers_tour_once() -> None:
    rider = courier()
    ports = Ports(InMemoryEventStore(), [rider])
    job_id = await open_job(ports)
    result = await planning(ports).plan_day(TODAY)
    assert result.plan.unplanned == ()
    assert [s.kind for s in result.plan.routes[0].stops] == ["pickup", "drop_off"]
    assert result.distances_m[rider.courier_id] > 0
    assert DeliveryJobPlanned in await kinds(ports.store, job_id)
    tour = events_of(await ports.store.read(str(tour_id_of(rider.courier_id, TODAY))))
    assert isinstance(tour[0], TourPlanned) and [s.job_id for s in tour[0].stops] == [job_id, job_id]

    before = len(await ports.store.read(str(job_id)))
    await planning(ports).plan_day(TODAY)
    assert len(await ports.store.read(str(job_id))) == before
    assert len(await ports.store.read(str(tour_id_of(rider.courier_id, TODAY)))) == 1


@pytest.mark.asyncio
async def test_a_door_without_a_pin_is_planned_at_its_shops_and_no_courier_says_so() -> None:
    ports = Ports(InMemoryEventStore(), [])
    unpinned = await open_job(ports, pin=None)
    result = await planning(ports).plan_day(TODAY)
    assert "no courier" in {left.job_id: left.reason for left in result.plan.unplanned}[unpinned]
    assert DeliveryJobUnplanned in await kinds(ports.store, unpinned)

    rider = courier()
    ports.couriers_on_shift.append(rider)
    result = await planning(ports).plan_day(TODAY)
    assert result.plan.unplanned == ()
    assert [s.job_id for s in result.plan.routes[0].stops] == [unpinned, unpinned]


def test_a_busy_day_gets_time_to_place_its_jobs() -> None:
    assert sized(PlanningSettings(), 10).time_limit == PlanningSettings().time_limit
    assert sized(PlanningSettings(), 300).time_limit == timedelta(seconds=10)
    assert sized(PlanningSettings(), 5_000).time_limit == timedelta(seconds=20)


@pytest.mark.asyncio
async def test_goods_on_board_stay_with_their_courier_and_a_drop_out_moves_the_rest() -> None:
    one, other = courier(), courier()
    ports = Ports(InMemoryEventStore(), [one, other])
    first, second = await open_job(ports), await open_job(ports)
    plans = planning(ports)
    await plans.pin(first, one.courier_id)
    await plans.pin(second, one.courier_id)
    await plans.plan_day(TODAY)
    job = delivery.replay(events_of(await ports.store.read(str(first))))
    assert job is not None and job.courier_id == one.courier_id
    order_id = job.order_ids[0]
    history = await ports.store.read(str(first))
    picked = delivery.pick_up(job, order_id=order_id, courier_id=one.courier_id, at=NOW)
    await ports.store.append(str(first), len(history), picked)
    await plans.pin(second, None)

    ports.removed.add(one.courier_id)  # dropped out
    result = await plans.plan_day(TODAY)
    reasons = {left.job_id: left.reason for left in result.plan.unplanned}
    assert "not on shift" in reasons[first]  # the goods ride with the courier who dropped out
    route = result.plan.route_of(other.courier_id)
    assert route is not None and {s.job_id for s in route.stops} == {second}
    emptied = events_of(await ports.store.read(str(tour_id_of(one.courier_id, TODAY))))
    assert isinstance(emptied[-1], TourPlanned) and emptied[-1].stops == []


@pytest.mark.asyncio
async def test_pins_name_a_courier_who_rides_and_days_past_are_not_planned() -> None:
    ports = Ports(InMemoryEventStore(), [courier()])
    job_id = await open_job(ports)
    with pytest.raises(NotFound):
        await planning(ports).pin(job_id, uuid4())
    with pytest.raises(InvalidChange):
        await planning(ports).plan_day(TODAY - timedelta(days=1))
    with pytest.raises(InvalidChange):
        await planning(ports).plan_day(TODAY + timedelta(days=40))
    with pytest.raises(InvalidChange):
        planning(ports).bounds(date.max)


@pytest.mark.asyncio
async def test_the_worker_plans_again_only_when_something_changed() -> None:
    ports = Ports(InMemoryEventStore(), [courier()])
    await open_job(ports)
    replanner = Replanner(every_seconds=0)
    assert await replanner.round(planning(ports)) > 0
    assert await replanner.round(planning(ports)) == 0  # its own plan changed nothing it looks at
    await open_job(ports)
    assert await replanner.round(planning(ports)) > 0


def test_a_tour_is_written_when_its_stops_change() -> None:
    courier_id, job_id = uuid4(), uuid4()

    def tour(minutes: int, stops: Sequence[str] = ("pickup", "drop_off")) -> TourPlanned:
        return TourPlanned.model_validate(
            {
                "tour_id": tour_id_of(courier_id, TODAY),
                "courier_id": courier_id,
                "day": TODAY,
                "stops": [
                    {"kind": k, "job_id": job_id, "arrives_at": NOW + timedelta(minutes=minutes), "load_after": 0}
                    for k in stops
                ],
                "distance_m": 100,
            }
        )

    assert tour_changes(None, tour(0)) == [tour(0)]
    assert tour_changes(None, tour(0, ())) == []
    assert tour_changes(tour(0), tour(3)) == []
    assert tour_changes(tour(0), tour(20)) == [tour(20)]
    assert tour_changes(tour(0), tour(0, ("drop_off",))) == [tour(0, ("drop_off",))]
