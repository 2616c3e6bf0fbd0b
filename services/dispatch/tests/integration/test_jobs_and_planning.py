# SPDX-License-Identifier: AGPL-3.0-or-later
"""Delivery jobs from ordering's requests, planned onto a courier's tour, on the real broker
and databases (catalog and dispatch running; ordering played by the test, which publishes
``OrderDeliveryRequested`` on ``<town>.ordering.events`` as ordering would, the drop-off
sealed with the town's hand-off key).

Two orders of one checkout become one job; the worker's replanning puts it on the courier's
tour (the plan made on demand answers the same); the courier sees their stops with the shop
and the door; a door outside every zone is refused, and the refusal is published."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from datetime import time as wall_time
from typing import Any
from uuid import UUID, uuid4
from zoneinfo import ZoneInfo

import httpx
import pytest

from conftest import Databases
from dispatch.domain.delivery import job_id_of
from downtown_events.contract import IntegrationEvent
from downtown_events.dispatch import DeliveryJobRefused
from downtown_events.envelope import CloudEvent
from downtown_events.geo import GeoPoint
from downtown_events.ordering import DROP_OFF_SEAL_PURPOSE, DeliveryDropOff, OrderDeliveryRequested, TimeSlot
from downtown_events.runtime.clock_file import set_clock
from downtown_events.runtime.kafka import reliable_producer
from downtown_events.runtime.sealing import seal, sealing_key
from downtown_events.topics import event_source, events_topic
from tests.support.catalog_client import register
from tests.support.courier_town import Association
from tests.support.local_stack import KAFKA, RunningTown, random_town, start_town
from tests.support.polling import wait_until
from tests.support.topic_reader import events_on

pytestmark = pytest.mark.integration

BERLIN = ZoneInfo("Europe/Berlin")
SHOP = {"lat": 51.8310, "lon": 7.2810}
DEPOT = {"lat": 51.8300, "lon": 7.2800}
TOWN = [
    {"lat": 51.80, "lon": 7.24},
    {"lat": 51.86, "lon": 7.24},
    {"lat": 51.86, "lon": 7.32},
    {"lat": 51.80, "lon": 7.32},
]
DOOR = DeliveryDropOff(
    name="Ada Lovelace",
    phone="+49 2594 77",
    street="Marktstraße 3",
    postal_code="48249",
    city="Dülmen",
    note="bell: Lovelace",
    pin=GeoPoint(lat=51.8350, lon=7.2900),
)
FAR = DOOR.model_copy(update={"postal_code": "10115", "city": "Berlin", "pin": GeoPoint(lat=52.52, lon=13.40)})


DELIVERY_DAY = datetime.now(BERLIN).date() + timedelta(days=7)
"""The town's clock stands at 10:00 on this day (a clock file), a week ahead of the machine's:
whenever the test runs, today is a working day for the town's courier, never its evening."""


@pytest.fixture(scope="module")
def town(databases: Databases, tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningTown]:
    name = random_town()
    workdir = tmp_path_factory.mktemp("town")
    clock = workdir / "clock"
    set_clock(clock, datetime.combine(DELIVERY_DAY, wall_time(10, 0), tzinfo=BERLIN))
    running = start_town(
        name,
        ["catalog", "dispatch"],
        lambda service: databases.create(name, service),
        workdir,
        extra_env={"dispatch": {"DOWNTOWN_REPLAN_SECONDS": "1", "DOWNTOWN_CLOCK_FILE": str(clock)}},
    )
    try:
        yield running
    finally:
        running.stop()


def the_day() -> tuple[date, datetime, datetime]:
    """The day to deliver on (the town's today), the courier's shift on it: 08:00 to 18:00."""
    starts = datetime.combine(DELIVERY_DAY, wall_time(8, 0), tzinfo=BERLIN)
    return DELIVERY_DAY, starts.astimezone(UTC), (starts + timedelta(hours=10)).astimezone(UTC)


def the_slot(day: date) -> TimeSlot:
    starts = datetime.combine(day, datetime.min.time(), tzinfo=BERLIN)
    return TimeSlot(
        starts_at=starts.astimezone(UTC), ends_at=(starts + timedelta(hours=23, minutes=59)).astimezone(UTC)
    )


def request(
    town: RunningTown, merchant_id: UUID, checkout_id: UUID, orders: int, door: DeliveryDropOff, slot: TimeSlot
) -> OrderDeliveryRequested:
    order_id = uuid4()
    key = sealing_key(town["dispatch"].env["DOWNTOWN_DELIVERY_HANDOFF_KEY"].encode(), order_id, DROP_OFF_SEAL_PURPOSE)
    return OrderDeliveryRequested(
        order_id=order_id,
        merchant_id=merchant_id,
        checkout_id=checkout_id,
        courier_orders=orders,
        slot=slot,
        goods_cents=2500,
        parcels=1,
        fee_cents=390,
        sealed_drop_off=seal(key, order_id, door.model_dump_json().encode()),
    )


def envelope(town: RunningTown, event: OrderDeliveryRequested) -> CloudEvent:
    """As ordering's relay would write it, keyed by the order (its stream's first event, as far
    as this test's orders go)."""
    return CloudEvent(
        id=str(uuid4()),
        source=event_source(town.town, "ordering"),
        type=event.ce_type(),
        subject=str(event.order_id),
        time=datetime.now(UTC),
        town=town.town,
        streamversion=1,
        data=event.model_dump_json().encode(),
    )


def publish(town: RunningTown, *envelopes: CloudEvent) -> None:
    """On ordering's topic (an envelope given twice is a redelivery)."""

    async def send() -> None:
        producer = reliable_producer(KAFKA, client_id="test-ordering")
        await producer.start()
        try:
            for sent in envelopes:
                key, value, headers = sent.to_kafka()
                await producer.send_and_wait(events_topic(town.town, "ordering"), value=value, key=key, headers=headers)
        finally:
            await producer.stop()

    asyncio.run(send())


def published(town: RunningTown) -> list[IntegrationEvent]:
    """Everything on the town's dispatch topic so far."""
    return events_on(events_topic(town.town, "dispatch"))


@pytest.fixture(scope="module")
def delivery_town(town: RunningTown) -> dict[str, Any]:
    """A shop on the map, the town's terms (one zone, a slot all day every day), a courier on shift."""
    merchant_id, _ = register(town["catalog"], location=SHOP)
    association = Association(town)
    service_id = association.created("/courier-services", {"name": "Radkurier", "phone": "02594 1"})[
        "courier_service_id"
    ]
    courier_id = association.created(
        f"/courier-services/{service_id}/couriers", {"display_name": "Anna", "vehicle": "cargo_bike", "capacity": 8}
    )["courier_id"]
    day, starts, ends = the_day()
    shift = {"starts_at": starts.isoformat(), "ends_at": ends.isoformat(), "start": DEPOT}
    association.created(f"/courier-services/{service_id}/couriers/{courier_id}/shifts", shift)
    terms = {
        "courier_service_id": service_id,
        "zones": [{"name": "Dülmen", "polygon": TOWN}],
        "fee": {"pricing": "flat", "cents": 390},
        "slots": [{"weekday": d, "starts": "00:00", "ends": "23:59", "capacity": 50} for d in range(7)],
        "lead_minutes": 0,
        "attempts": 2,
    }
    put = association.call("PUT", "/delivery-terms", terms)
    assert put.status_code == 200, put.text

    def token() -> str | None:
        response = association.call("POST", f"/couriers/{courier_id}/token", {})
        return str(response.json()["token"]) if response.status_code == 201 else None

    courier_token = wait_until(token, what="the roster knows the courier, who gets a token")
    wait_until(lambda: httpx.get(f"{association.api}/delivery-terms").status_code == 200, what="the terms replica")
    return {"merchant_id": UUID(merchant_id), "courier_id": courier_id, "day": day, "token": courier_token}


def test_two_orders_of_a_checkout_become_one_job_planned_onto_the_couriers_tour(
    town: RunningTown, delivery_town: dict[str, Any]
) -> None:
    association, day = Association(town), delivery_town["day"]
    checkout = uuid4()
    first, second = (request(town, delivery_town["merchant_id"], checkout, 2, DOOR, the_slot(day)) for _ in range(2))
    once = envelope(town, first)
    publish(town, once, once, envelope(town, second))  # the first one redelivered
    job_id = job_id_of(checkout)

    def planned() -> dict[str, Any] | None:
        response = association.call("GET", f"/jobs/{job_id}")
        return response.json() if response.status_code == 200 and response.json()["status"] == "planned" else None

    job = wait_until(planned, seconds=90, what="the job opened, completed and planned by the worker")
    assert {o["order_id"] for o in job["orders"]} == {str(first.order_id), str(second.order_id)}
    assert job["courier_id"] == delivery_town["courier_id"] and job["parcels"] == 2 and job["door_pinned"]

    began = time.perf_counter()
    plan = association.call("POST", f"/plans/{day.isoformat()}")
    took = time.perf_counter() - began
    assert plan.status_code == 200, plan.text
    body = plan.json()
    tour = next(t for t in body["tours"] if t["courier_id"] == delivery_town["courier_id"])
    assert [(s["kind"], s["job_id"]) for s in tour["stops"]] == [("pickup", str(job_id)), ("drop_off", str(job_id))]
    assert tour["distance_m"] > 0 and body["seconds"] < took
    print(f"planning: {body['seconds']:.3f} s in the service, {took:.3f} s the request")

    board = association.call("GET", f"/board?day={day.isoformat()}").json()
    assert any(t["courier_id"] == delivery_town["courier_id"] and t["stops"] for t in board["tours"])

    mine = httpx.get(
        f"{association.api}/couriers/me/tour", headers={"Authorization": f"Bearer {delivery_town['token']}"}
    )
    assert mine.status_code == 200, mine.text
    stops = mine.json()["stops"]
    assert stops[0]["shop"]["name"] and stops[0]["shop"]["lat"] == SHOP["lat"]
    assert stops[1]["door"]["name"] == DOOR.name and stops[1]["door"]["note"] == DOOR.note
    refused_read = httpx.get(f"{association.api}/couriers/me/tour", headers=association.headers)
    assert refused_read.status_code in (401, 403), refused_read.text


def test_a_door_outside_every_zone_is_refused_and_the_refusal_published(
    town: RunningTown, delivery_town: dict[str, Any]
) -> None:
    far = request(town, delivery_town["merchant_id"], uuid4(), 1, FAR, the_slot(delivery_town["day"]))
    publish(town, envelope(town, far))

    def refusal() -> DeliveryJobRefused | None:
        return next(
            (e for e in published(town) if isinstance(e, DeliveryJobRefused) and e.order_id == far.order_id), None
        )

    refused = wait_until(refusal, seconds=60, every=0.5, what="DeliveryJobRefused on dispatch's topic")
    assert refused.reason == "outside_zone" and refused.job_id == job_id_of(far.checkout_id)
    missing = Association(town).call("GET", f"/jobs/{job_id_of(far.checkout_id)}")
    assert missing.status_code == 404


def test_the_board_and_plans_are_the_associations(town: RunningTown) -> None:
    api = town["dispatch"].api
    assert httpx.get(f"{api}/board").status_code == 401
    assert httpx.post(f"{api}/plans/2026-12-07").status_code == 401
    association = Association(town)
    assert association.call("POST", "/plans/not-a-day").status_code == 422
    assert association.call("POST", "/plans/2000-01-01").status_code == 422
    assert association.call("POST", "/plans/9999-12-31").status_code == 422
    assert association.call("GET", "/board?day=9999-12-31").status_code == 422
    assert association.call("GET", "/board?day=0001-01-01").status_code == 422
    assert association.call("PUT", f"/jobs/{uuid4()}/pin", {"courier_id": None}).status_code == 404
    assert association.call("PUT", f"/jobs/{uuid4()}/pin", {"courier": None}).status_code == 422


def test_a_courier_who_drops_out_leaves_their_jobs_to_a_new_plan(
    town: RunningTown, delivery_town: dict[str, Any]
) -> None:
    """Runs last: the town's only courier stops, and the worker plans again without them."""
    day = delivery_town["day"]
    association = Association(town)
    checkout = uuid4()
    publish(town, envelope(town, request(town, delivery_town["merchant_id"], checkout, 1, DOOR, the_slot(day))))

    def job(status: str) -> dict[str, Any] | None:
        response = association.call("GET", f"/jobs/{job_id_of(checkout)}")
        return response.json() if response.status_code == 200 and response.json()["status"] == status else None

    wait_until(lambda: job("planned"), seconds=90, what="the job planned by the worker")
    dropped = association.call("POST", f"/couriers/{delivery_town['courier_id']}/drop-out", {})
    assert dropped.status_code == 200, dropped.text
    left = wait_until(lambda: job("ready"), seconds=90, what="the job taken off the tour of a courier who dropped out")
    assert left["courier_id"] is None and "no courier" in left["unplanned_reason"]

    def emptied() -> bool:
        board = association.call("GET", f"/board?day={day.isoformat()}").json()
        tours = [t for t in board["tours"] if t["courier_id"] == delivery_town["courier_id"]]
        return (
            bool(tours) and tours[0]["stops"] == [] and any(j["job_id"] == left["job_id"] for j in board["unplanned"])
        )

    wait_until(emptied, what="the courier's tour emptied and the job on the board among the unplanned")
