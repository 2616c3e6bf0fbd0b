# SPDX-License-Identifier: AGPL-3.0-or-later
"""Ordering's requests become jobs or refusals: the sealed drop-off opened, the terms' zones
and slots, the shop's place; a shop not yet known waits; cancelled orders are withdrawn."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime, time, timedelta
from uuid import UUID, uuid4
from zoneinfo import ZoneInfo

import pytest

from dispatch.app.jobs import DeliveryJobs, Shop
from dispatch.domain import delivery
from dispatch.projections.delivery_ports import open_drop_off
from downtown_events.delivery.slots import DeliverySlot
from downtown_events.dispatch import DeliveryJobRefused, DeliveryTermsSet, SlotTerms
from downtown_events.geo import GeoPoint
from downtown_events.ordering import DROP_OFF_SEAL_PURPOSE, DeliveryDropOff, OrderDeliveryRequested, TimeSlot
from downtown_events.runtime.commands import events_of
from downtown_events.runtime.failures import NotYetDecidable
from downtown_events.runtime.memory_store import InMemoryEventStore
from downtown_events.runtime.sealing import seal, sealing_key

KEY = b"a test town's hand-off key, long enough"
AT = datetime(2026, 12, 7, 8, tzinfo=UTC)  # a Monday, 09:00 in Berlin
DOOR = DeliveryDropOff(
    name="Ada",
    phone="+49 2594 1",
    street="Markt 1",
    postal_code="48249",
    city="Dülmen",
    pin=GeoPoint(lat=51.83, lon=7.28),
)
TERMS = DeliveryTermsSet.model_validate(
    {
        "terms_id": uuid4(),
        "courier_service_id": uuid4(),
        "zones": [{"zone_id": uuid4(), "name": "Dülmen", "postal_codes": ["48249"]}],
        "fee": {"pricing": "flat", "cents": 350},
        "slots": [{"weekday": day, "starts": time(10), "ends": time(12), "capacity": 1} for day in range(7)],
        "lead_minutes": 30,
    }
)


class Ports:
    def __init__(self, terms: DeliveryTermsSet | None = TERMS) -> None:
        self.the_terms = terms
        self.shops: dict[UUID, Shop] = {}
        self.bookings: dict[str, int] = {}

    def open_drop_off(self, order_id: UUID, sealed: str) -> DeliveryDropOff | None:
        return open_drop_off(KEY, order_id, sealed)

    async def terms(self) -> DeliveryTermsSet | None:
        return self.the_terms

    async def shop(self, merchant_id: UUID) -> Shop | None:
        return self.shops.get(merchant_id)

    async def booked(self, slots: Sequence[DeliverySlot]) -> dict[str, int]:
        return self.bookings


def requested(
    ports: Ports,
    checkout_id: UUID | None = None,
    orders: int = 1,
    door: DeliveryDropOff = DOOR,
    slot: TimeSlot | None = None,
    sealed: str | None = None,
) -> OrderDeliveryRequested:
    order_id, merchant_id = uuid4(), uuid4()
    ports.shops[merchant_id] = Shop("Buchhandlung", GeoPoint(lat=51.831, lon=7.281))
    key = sealing_key(KEY, order_id, DROP_OFF_SEAL_PURPOSE)
    return OrderDeliveryRequested(
        order_id=order_id,
        merchant_id=merchant_id,
        checkout_id=checkout_id or uuid4(),
        courier_orders=orders,
        slot=slot,
        goods_cents=2000,
        fee_cents=350,
        sealed_drop_off=sealed or seal(key, order_id, door.model_dump_json().encode()),
    )


async def stream(store: InMemoryEventStore, request: OrderDeliveryRequested) -> delivery.JobStream:
    return delivery.read_stream(events_of(await store.read(str(delivery.job_id_of(request.checkout_id)))))


async def refused_with(store: InMemoryEventStore, request: OrderDeliveryRequested) -> DeliveryJobRefused:
    events = events_of(await store.read(str(delivery.job_id_of(request.checkout_id))))
    return next(e for e in events if isinstance(e, DeliveryJobRefused))


@pytest.mark.asyncio
async def test_two_orders_of_a_checkout_make_one_job_in_the_next_free_slot() -> None:
    ports, store = Ports(), InMemoryEventStore()
    jobs = DeliveryJobs(ports, ZoneInfo("Europe/Berlin"))
    checkout = uuid4()
    first, second = requested(ports, checkout, 2), requested(ports, checkout, 2)
    await jobs.on_delivery_requested(store, first, AT)
    await jobs.on_delivery_requested(store, first, AT)  # redelivered
    await jobs.on_delivery_requested(store, second, AT)
    job = (await stream(store, first)).job
    assert job is not None and job.status == "ready" and set(job.order_ids) == {first.order_id, second.order_id}
    assert job.slot.starts_at == datetime(2026, 12, 7, 9, tzinfo=UTC)  # 10:00 in Berlin, today
    assert job.drop_off == DOOR

    await jobs.on_order_ended(store, second.order_id)
    job = (await stream(store, first)).job
    assert job is not None and job.order_ids == [first.order_id]


@pytest.mark.asyncio
async def test_a_full_slot_moves_to_the_next_and_a_chosen_one_is_kept() -> None:
    ports, store = Ports(), InMemoryEventStore()
    ports.bookings = {"standard:20261207T0900Z": 1}
    jobs = DeliveryJobs(ports, ZoneInfo("Europe/Berlin"))
    request = requested(ports)
    await jobs.on_delivery_requested(store, request, AT)
    job = (await stream(store, request)).job
    assert job is not None and job.slot.starts_at == datetime(2026, 12, 8, 9, tzinfo=UTC)

    chosen = TimeSlot(starts_at=datetime(2026, 12, 9, 9, tzinfo=UTC), ends_at=datetime(2026, 12, 9, 11, tzinfo=UTC))
    other = requested(ports, slot=chosen)
    await jobs.on_delivery_requested(store, other, AT)
    job = (await stream(store, other)).job
    assert job is not None and job.slot.starts_at == chosen.starts_at


@pytest.mark.asyncio
async def test_a_town_round_sharing_a_standard_slots_times_is_taken_as_the_round() -> None:
    rounds = [
        {"weekday": day, "starts": time(10), "ends": time(12), "capacity": 5, "kind": "town_round"} for day in range(7)
    ]
    terms = TERMS.model_copy(update={"slots": [*TERMS.slots, *map(SlotTerms.model_validate, rounds)]})
    ports, store = Ports(terms), InMemoryEventStore()
    chosen = TimeSlot(starts_at=datetime(2026, 12, 9, 9, tzinfo=UTC), ends_at=datetime(2026, 12, 9, 11, tzinfo=UTC))
    request = requested(ports, slot=chosen).model_copy(update={"slot_kind": "town_round"})
    await DeliveryJobs(ports, ZoneInfo("Europe/Berlin")).on_delivery_requested(store, request, AT)
    job = (await stream(store, request)).job
    assert job is not None and job.slot_kind == "town_round" and job.slot.starts_at == chosen.starts_at


@pytest.mark.asyncio
async def test_refusals_say_why() -> None:
    store, zone = InMemoryEventStore(), ZoneInfo("Europe/Berlin")
    ports = Ports()
    outside = requested(ports, door=DOOR.model_copy(update={"postal_code": "10115", "city": "Berlin", "pin": None}))
    await DeliveryJobs(ports, zone).on_delivery_requested(store, outside, AT)
    assert (await refused_with(store, outside)).reason == "outside_zone"

    broken = requested(ports, sealed="not a sealed text")
    await DeliveryJobs(ports, zone).on_delivery_requested(store, broken, AT)
    assert (await refused_with(store, broken)).reason == "unreadable_address"

    no_terms = Ports(terms=None)
    bare = requested(no_terms)
    await DeliveryJobs(no_terms, zone).on_delivery_requested(store, bare, AT)
    assert (await refused_with(store, bare)).reason == "no_terms"

    full = Ports()
    full.bookings = {f"standard:{(AT + timedelta(days=d)).strftime('%Y%m%d')}T0900Z": 1 for d in range(15)}
    late = requested(full)
    await DeliveryJobs(full, zone).on_delivery_requested(store, late, AT)
    assert (await refused_with(store, late)).reason == "no_slot"

    unmapped = requested(ports)
    ports.shops[unmapped.merchant_id] = Shop("Ohne Karte", None)
    await DeliveryJobs(ports, zone).on_delivery_requested(store, unmapped, AT)
    refused = await refused_with(store, unmapped)
    assert refused.reason == "unreadable_address" and "Ohne Karte" in refused.detail


@pytest.mark.asyncio
async def test_a_shop_not_yet_known_makes_the_consumer_wait() -> None:
    ports, store = Ports(), InMemoryEventStore()
    request = requested(ports)
    del ports.shops[request.merchant_id]
    with pytest.raises(NotYetDecidable):
        await DeliveryJobs(ports, ZoneInfo("Europe/Berlin")).on_delivery_requested(store, request, AT)
    assert await store.read(str(delivery.job_id_of(request.checkout_id))) == []


@pytest.mark.asyncio
async def test_a_refused_order_of_a_checkout_is_not_waited_for() -> None:
    ports, store = Ports(), InMemoryEventStore()
    jobs = DeliveryJobs(ports, ZoneInfo("Europe/Berlin"))
    checkout = uuid4()
    refused = requested(ports, checkout, 2)
    ports.shops[refused.merchant_id] = Shop("Ohne Karte", None)
    taken = requested(ports, checkout, 2)
    await jobs.on_delivery_requested(store, refused, AT)
    await jobs.on_delivery_requested(store, taken, AT)
    job = (await stream(store, taken)).job
    assert job is not None and job.status == "ready" and job.order_ids == [taken.order_id]
    await jobs.on_order_ended(store, refused.order_id)  # nothing filed for it: nothing to do
    await jobs.on_order_ended(store, uuid4())
