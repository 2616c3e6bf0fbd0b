# SPDX-License-Identifier: AGPL-3.0-or-later
"""A courier on the road, on the kit's in-memory store: a scan picks an order up, a delivery is
handed over once (with its proof kept in the same unit as its events), a failed attempt
follows the town's terms, the goods go back; every refusal writes nothing."""

from __future__ import annotations

import hashlib
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime, time, timedelta
from uuid import UUID, uuid4

import pytest

from dispatch.app.courier import (
    CleanProof,
    CourierHandlers,
    CourierReads,
    Delivered,
    ProofPhotos,
    ProofRecording,
    town_cents,
)
from dispatch.domain import delivery
from dispatch.domain.errors import AlreadyExists, InvalidChange, NotFound
from dispatch.domain.private_events import DeliveryDropOffRecorded, DeliveryProofRecorded
from downtown_events.contract import IntegrationEvent
from downtown_events.dispatch import (
    ArrivalWindow,
    DeliveryAttemptFailed,
    DeliveryJobDelivered,
    DeliveryJobOpened,
    DeliveryJobPickupAdded,
    DeliveryJobPlanned,
    DeliveryJobReturned,
    DeliveryOrderPickedUp,
    DeliveryTermsSet,
    DeliveryZoneTerms,
    FeeRuleTerms,
    SlotKind,
    SlotTerms,
)
from downtown_events.geo import GeoPoint
from downtown_events.ordering import DeliveryDropOff
from downtown_events.runtime.clock import TownClock
from downtown_events.runtime.commands import events_of
from downtown_events.runtime.memory_store import InMemoryEventStore
from downtown_events.runtime.photos import InvalidPhoto
from downtown_events.runtime.store import EventStore

NOW = datetime(2026, 12, 7, 9, tzinfo=UTC)  # a Monday; 10:00 in the town
SLOT = ArrivalWindow(starts_at=NOW + timedelta(hours=2), ends_at=NOW + timedelta(hours=4))  # 12:00-14:00 there
CLOCK = TownClock(clock=lambda: NOW)
SHOP = GeoPoint(lat=51.831, lon=7.281)
DOOR = DeliveryDropOff(
    name="Ada", street="Markt 1", postal_code="48249", city="Dülmen", pin=GeoPoint(lat=51.83, lon=7.28)
)


def terms(fee: FeeRuleTerms, *, attempts: int = 2, round_fee: FeeRuleTerms | None = None) -> DeliveryTermsSet:
    slots = [SlotTerms(weekday=0, starts=time(12), ends=time(14), capacity=10)]
    if round_fee is not None:
        slots.append(
            SlotTerms(weekday=0, starts=time(12), ends=time(14), capacity=10, kind="town_round", fee=round_fee)
        )
    return DeliveryTermsSet(
        terms_id=uuid4(),
        courier_service_id=uuid4(),
        zones=[DeliveryZoneTerms(zone_id=uuid4(), name="Altstadt", postal_codes=["48249"])],
        fee=fee,
        slots=slots,
        attempts=attempts,
    )


class Reads(CourierReads):
    def __init__(self) -> None:
        self.orders: dict[UUID, UUID] = {}
        self.current: DeliveryTermsSet | None = None

    async def job_of_order(self, order_id: UUID) -> UUID | None:
        return self.orders.get(order_id)

    async def terms(self) -> DeliveryTermsSet | None:
        return self.current


class Recording(ProofRecording):
    def __init__(self, store: EventStore, kept: dict[str, bytes]) -> None:
        self.store = store
        self._kept = kept

    async def keep(self, job_id: UUID, photo: CleanProof, taken_at: datetime) -> None:
        self._kept[photo.sha256] = photo.jpeg


class Proofs(ProofPhotos):
    """Keeps photos only when the unit of work around the events commits."""

    def __init__(self, store: InMemoryEventStore) -> None:
        self.store = store
        self.kept: dict[str, bytes] = {}
        self.cleaned = 0

    async def clean(self, upload: bytes) -> CleanProof:
        self.cleaned += 1
        if not upload.startswith(b"JPEG"):
            raise InvalidPhoto("this file is not a photo in a supported format")
        stripped = upload.replace(b"+GPS", b"")
        return CleanProof(hashlib.sha256(stripped).hexdigest(), stripped)

    @asynccontextmanager
    async def recording(self) -> AsyncIterator[ProofRecording]:
        pending: dict[str, bytes] = {}
        async with self.store.unit_of_work() as unit:
            yield Recording(unit, pending)
        self.kept.update(pending)

    async def photo(self, sha256: str) -> bytes | None:
        return self.kept.get(sha256)


class Road:
    """One planned job of one order, its courier, and the handlers."""

    def __init__(self, *, slot_kind: SlotKind = "standard", fee_cents: int = 350, orders: int = 1) -> None:
        self.store = InMemoryEventStore()
        self.reads = Reads()
        self.proofs = Proofs(self.store)
        self.handlers = CourierHandlers(self.store, self.reads, self.proofs, CLOCK)
        self.courier = uuid4()
        self.job_id = uuid4()
        self.orders = [uuid4() for _ in range(orders)]
        history: list[IntegrationEvent] = [
            DeliveryJobOpened(
                job_id=self.job_id,
                checkout_id=uuid4(),
                zone_id=uuid4(),
                slot=SLOT,
                slot_kind=slot_kind,
                expected_orders=orders,
            ),
            *(
                DeliveryJobPickupAdded(
                    job_id=self.job_id, order_id=order, merchant_id=uuid4(), shop=SHOP, fee_cents=fee_cents
                )
                for order in self.orders
            ),
            DeliveryDropOffRecorded(job_id=self.job_id, drop_off=DOOR),
            DeliveryJobPlanned(
                job_id=self.job_id, courier_id=self.courier, tour_id=uuid4(), pickup_by=NOW, arrives=SLOT
            ),
        ]
        self.history = history
        self.reads.orders.update(dict.fromkeys(self.orders, self.job_id))

    async def events(self) -> list[IntegrationEvent]:
        return events_of(await self.store.read(str(self.job_id)))

    async def picked_up(self) -> None:
        for order in self.orders:
            await self.handlers.pick_up(self.courier, order)


async def planned(*, slot_kind: SlotKind = "standard", fee_cents: int = 350, orders: int = 1) -> Road:
    way = Road(slot_kind=slot_kind, fee_cents=fee_cents, orders=orders)
    await way.store.append(str(way.job_id), 0, way.history)
    return way


async def test_scanning_an_order_picks_it_up_and_scanning_again_decides_nothing() -> None:
    way = await planned()
    job = await way.handlers.pick_up(way.courier, way.orders[0])
    assert job.status == "picking_up"
    picked = (await way.events())[-1]
    assert isinstance(picked, DeliveryOrderPickedUp)
    assert (picked.order_id, picked.courier_id, picked.at) == (way.orders[0], way.courier, NOW)

    before = len(await way.events())
    await way.handlers.pick_up(way.courier, way.orders[0])
    assert len(await way.events()) == before


async def test_an_unknown_order_or_another_couriers_job_is_not_found_and_writes_nothing() -> None:
    way = await planned()
    before = len(await way.events())
    with pytest.raises(NotFound):
        await way.handlers.pick_up(way.courier, uuid4())
    with pytest.raises(NotFound):
        await way.handlers.pick_up(uuid4(), way.orders[0])
    with pytest.raises(NotFound):
        await way.handlers.deliver(uuid4(), way.job_id, Delivered("Ada", b"JPEG photo"))
    with pytest.raises(NotFound):
        await way.handlers.fail_attempt(uuid4(), way.job_id, "not_at_home")
    with pytest.raises(NotFound):
        await way.handlers.deliver(way.courier, uuid4(), Delivered("Ada"))
    assert len(await way.events()) == before
    assert way.proofs.cleaned == 0  # a stranger's photo is never decoded


async def test_a_delivery_with_a_photo_keeps_the_stripped_photo_named_by_the_proof() -> None:
    way = await planned()
    await way.picked_up()
    job = await way.handlers.deliver(way.courier, way.job_id, Delivered("Ada Lovelace", b"JPEG door+GPS"))
    assert job.status == "delivered"
    delivered, proof = (await way.events())[-2:]
    assert isinstance(delivered, DeliveryJobDelivered) and isinstance(proof, DeliveryProofRecorded)
    assert delivered.order_ids == way.orders and delivered.photo_proof and delivered.fee_cents == 350
    assert delivered.town_cents == 0  # no terms published: the town owes nothing
    assert proof.recipient_name == "Ada Lovelace" and proof.photo_sha256 == hashlib.sha256(b"JPEG door").hexdigest()
    assert await way.handlers.proof_photo(way.job_id) == b"JPEG door"


async def test_delivered_twice_is_refused_and_writes_one_delivery() -> None:
    way = await planned()
    await way.picked_up()
    await way.handlers.deliver(way.courier, way.job_id, Delivered("Ada"))
    with pytest.raises(AlreadyExists):
        await way.handlers.deliver(way.courier, way.job_id, Delivered("Ada", b"JPEG again"))
    assert sum(isinstance(e, DeliveryJobDelivered) for e in await way.events()) == 1
    assert way.proofs.kept == {} and way.proofs.cleaned == 0
    with pytest.raises(NotFound):  # delivered without a photo
        await way.handlers.proof_photo(way.job_id)


async def test_a_photo_that_is_no_photo_is_refused_and_nothing_is_written() -> None:
    way = await planned()
    await way.picked_up()
    before = len(await way.events())
    with pytest.raises(InvalidPhoto):
        await way.handlers.deliver(way.courier, way.job_id, Delivered("Ada", b"%PDF"))
    assert len(await way.events()) == before and way.proofs.kept == {}


async def test_goods_still_at_a_shop_cannot_be_delivered() -> None:
    way = await planned(orders=2)
    await way.handlers.pick_up(way.courier, way.orders[0])
    before = len(await way.events())
    with pytest.raises(InvalidChange, match="still to pick up"):
        await way.handlers.deliver(way.courier, way.job_id, Delivered("Ada", b"JPEG door"))
    assert len(await way.events()) == before and way.proofs.cleaned == 0


async def test_the_town_owes_what_its_terms_say() -> None:
    way = await planned()
    way.reads.current = terms(FeeRuleTerms(pricing="flat", cents=500, paid_by="town"))
    await way.picked_up()
    await way.handlers.deliver(way.courier, way.job_id, Delivered("Ada"))
    delivered = (await way.events())[-2]
    assert isinstance(delivered, DeliveryJobDelivered) and delivered.town_cents == 500


async def test_town_cents_follow_the_rule_of_the_slot_and_the_basket() -> None:
    job = delivery.replay(await (await planned(slot_kind="town_round", fee_cents=0)).events())
    assert job is not None
    customer_pays = FeeRuleTerms(pricing="flat", cents=400)
    town_round = FeeRuleTerms(pricing="flat", cents=200, paid_by="town")
    assert town_cents(terms(customer_pays), job, CLOCK) == 0
    assert town_cents(terms(customer_pays, round_fee=town_round), job, CLOCK) == 200
    waived = FeeRuleTerms(pricing="flat", cents=400, free_above_cents=5_000)
    assert town_cents(terms(waived), job, CLOCK) == 400  # the customer paid nothing: above the value
    paid = delivery.replay(await (await planned(fee_cents=400)).events())
    assert paid is not None and town_cents(terms(waived), paid, CLOCK) == 0
    assert town_cents(None, job, CLOCK) == 0


@pytest.mark.parametrize(("attempts", "then"), [(1, "return"), (2, "retry")])
async def test_a_failed_attempt_follows_the_towns_attempts(attempts: int, then: str) -> None:
    way = await planned()
    way.reads.current = terms(FeeRuleTerms(pricing="free"), attempts=attempts)
    await way.picked_up()
    await way.handlers.fail_attempt(way.courier, way.job_id, "not_at_home")
    failed = (await way.events())[-1]
    assert isinstance(failed, DeliveryAttemptFailed) and (failed.attempt, failed.then) == (1, then)


async def test_without_terms_a_failed_attempt_is_tried_again() -> None:
    way = await planned()
    await way.picked_up()
    job = await way.handlers.fail_attempt(way.courier, way.job_id, "not_at_home")
    assert job.status == "ready"


async def test_the_goods_go_back_by_the_jobs_courier_or_the_association() -> None:
    for courier in ("own", "association"):
        way = await planned()
        await way.picked_up()
        await way.handlers.fail_attempt(way.courier, way.job_id, "wrong_address")
        with pytest.raises(NotFound):
            await way.handlers.return_to_shops(way.job_id, uuid4())
        job = await way.handlers.return_to_shops(way.job_id, way.courier if courier == "own" else None)
        assert job.status == "returned" and isinstance((await way.events())[-1], DeliveryJobReturned)
        before = len(await way.events())
        await way.handlers.return_to_shops(way.job_id, None)  # told twice: nothing new
        assert len(await way.events()) == before


async def test_a_delivery_not_under_way_does_not_go_back() -> None:
    way = await planned()
    with pytest.raises(InvalidChange):
        await way.handlers.return_to_shops(way.job_id, way.courier)
