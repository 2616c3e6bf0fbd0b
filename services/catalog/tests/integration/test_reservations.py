# SPDX-License-Identifier: AGPL-3.0-or-later
"""The catalog's part of the order saga against a real PostgreSQL: ordering's records fed to
the reservations process manager inside the runtime's tracking consumer, many at once, as
several worker partitions would. Stock never goes below zero, a slot is held once, an
ending gives back once; and the town catalog's read model, fed what the relay would
publish, shows the stock the reservations left.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta
from itertools import count
from typing import Any
from uuid import UUID, uuid4
from zoneinfo import ZoneInfo

import pytest
from aiokafka import AIOKafkaProducer
from psycopg.rows import dict_row

from catalog.app.reservations import order_reservations
from catalog.bootstrap import CATALOG, SERVICE_MIGRATIONS
from catalog.domain import offer as offers
from catalog.domain import reservation as reservations
from catalog.projections.town_catalog import TownCatalog
from downtown_events.catalog import (
    Address,
    MerchantProfile,
    MerchantRegistered,
    OfferListed,
    OfferPriceChanged,
    OrderReservationMade,
    OrderReservationRefused,
    TimeWindow,
)
from downtown_events.contract import IntegrationEvent
from downtown_events.envelope import CloudEvent
from downtown_events.ordering import (
    Fulfilment,
    OrderCancelled,
    OrderDeliveryFailed,
    OrderLine,
    OrderPlaced,
    OrderRejected,
    Payment,
    TimeSlot,
)
from downtown_events.runtime.consumer import TrackingConsumer
from downtown_events.runtime.database import Pool, migrate, open_pool
from downtown_events.runtime.kafka import reliable_producer
from downtown_events.runtime.outbox import PendingEvent
from downtown_events.runtime.postgres_store import PostgresEventStore
from downtown_events.runtime.process_handler import ProcessManagerHandler
from downtown_events.runtime.projection import ProjectionWriter
from downtown_events.runtime.records import KafkaRecord
from downtown_events.topics import dead_letter_topic, event_source, events_topic
from tests.support.dead_letters import RecordingDeadLetters

pytestmark = pytest.mark.integration

BERLIN = ZoneInfo("Europe/Berlin")
PARTITIONS = 6
_offsets = count(1)


@dataclass
class Catalog:
    town: str
    pool: Pool
    store: PostgresEventStore
    consumer: TrackingConsumer
    dead_letters: RecordingDeadLetters
    merchant_id: UUID

    def record(self, event: IntegrationEvent, version: int) -> KafkaRecord:
        """An ordering event as the catalog worker receives it (its partition by order)."""
        order_id: UUID = getattr(event, "order_id")  # noqa: B009 - every order event has one
        envelope = CloudEvent(
            id=str(uuid4()),
            source=event_source(self.town, "ordering"),
            type=event.ce_type(),
            subject=str(order_id),
            time=datetime.now(UTC),
            town=self.town,
            streamversion=version,
            data=event.model_dump_json().encode(),
        )
        key, value, headers = envelope.to_kafka()
        topic = events_topic(self.town, "ordering")
        return KafkaRecord(topic, order_id.int % PARTITIONS, next(_offsets), key, value, headers)

    async def deliver(self, records: Sequence[KafkaRecord]) -> None:
        await self.consumer.process(records)

    async def product(self, stock: int | None) -> UUID:
        offer_id = uuid4()
        listed = OfferListed(
            offer_id=offer_id,
            merchant_id=self.merchant_id,
            kind="product",
            title="Klingel",
            price_cents=990,
            stock=stock,
        )
        await self.store.append(str(offer_id), 0, [listed])
        return offer_id

    async def service(self) -> UUID:
        offer_id = uuid4()
        listed = OfferListed(
            offer_id=offer_id,
            merchant_id=self.merchant_id,
            kind="service",
            title="Sitzanalyse",
            price_cents=4500,
            duration_minutes=60,
            weekly_availability=[TimeWindow(weekday=0, opens=time(9), closes=time(18))],
        )
        await self.store.append(str(offer_id), 0, [listed])
        return offer_id

    async def offer(self, offer_id: UUID) -> offers.Offer:
        state = offers.replay([stored.event for stored in await self.store.read(str(offer_id))])
        assert state is not None
        return state

    async def answer(self, order_id: UUID) -> list[IntegrationEvent]:
        stream = str(reservations.reservation_id_for(order_id))
        return [stored.event for stored in await self.store.read(stream) if stored.event.published]

    async def published(self, stream_id: UUID) -> list[KafkaRecord]:
        """The stream's records exactly as the outbox relay would send them."""
        query = """
            SELECT e.stream_id, e.published_version AS version, e.position, e.event_id, e.event_type,
                   e.schema_version, e.data::text AS data, NULL AS traceparent, NULL AS tracestate, e.recorded_at
            FROM outbox o JOIN events e ON e.position = o.position WHERE e.stream_id = %s ORDER BY e.position
        """
        async with self.pool.connection() as conn:
            cursor = conn.cursor(row_factory=dict_row)
            rows = await (await cursor.execute(query, (str(stream_id),))).fetchall()
        topic = events_topic(self.town, "catalog")
        records = []
        for row in rows:
            key, value, headers = (
                PendingEvent.of(row).to_cloud_event(self.town, event_source(self.town, "catalog")).to_kafka()
            )
            records.append(KafkaRecord(topic, 0, next(_offsets), key, value, headers))
        return records


@pytest.fixture
async def catalog(database_url: str, town: str, kafka_bootstrap: str) -> AsyncIterator[Catalog]:
    migrate(database_url, *SERVICE_MIGRATIONS)  # the town catalog's search index needs pg_trgm
    pool: Pool = await open_pool(database_url, max_size=16, name="test-reservations")
    producer: AIOKafkaProducer = reliable_producer(kafka_bootstrap, client_id="test-reservations")
    await producer.start()
    try:
        handler = ProcessManagerHandler(order_reservations(BERLIN))
        dead_letters = RecordingDeadLetters(
            producer, dead_letter_topic(town, "catalog"), handler.consumer_name, "catalog"
        )
        consumer = TrackingConsumer(pool, handler, dead_letters, town=town, service="catalog", max_backoff_seconds=0.5)
        store = PostgresEventStore(pool, service="catalog")
        merchant_id = uuid4()
        profile = MerchantProfile(
            name="Fahrradladen Speiche",
            category="Fahrräder",
            phone="02555 1234",
            email="laden@example.de",
            address=Address(street="Markt 3", postal_code="48624", city="Schöppingen"),
            tax_number="DE123456789",
        )
        await store.append(str(merchant_id), 0, [MerchantRegistered(merchant_id=merchant_id, profile=profile)])
        yield Catalog(town, pool, store, consumer, dead_letters, merchant_id)
    finally:
        await producer.stop()
        await pool.close()


def order(catalog: Catalog, line: OrderLine) -> OrderPlaced:
    now = datetime.now(UTC)
    return OrderPlaced(
        order_id=uuid4(),
        checkout_id=uuid4(),
        merchant_id=catalog.merchant_id,
        lines=[line],
        fulfilment=Fulfilment(method="pickup"),
        payment=Payment(method="at_pickup"),
        goods_cents=line.gross_cents,
        total_cents=line.gross_cents,
        merchant_answer_by=now + timedelta(hours=1),
        cancellable_until=now + timedelta(minutes=15),
    )


def bell(offer_id: UUID, quantity: int = 1) -> OrderLine:
    return OrderLine(
        offer_id=offer_id, kind="product", title="Klingel", quantity=quantity, unit_price_cents=990, vat_rate_percent=19
    )


def fitting(offer_id: UUID, starts: datetime) -> OrderLine:
    return OrderLine(
        offer_id=offer_id,
        kind="service",
        title="Sitzanalyse",
        quantity=1,
        unit_price_cents=4500,
        vat_rate_percent=19,
        slot=TimeSlot(starts_at=starts, ends_at=starts + timedelta(hours=1)),
    )


async def catalog_offer_row(catalog: Catalog, offer_id: UUID) -> dict[str, Any]:
    """The town catalog's row of the offer after it read everything the offer published."""
    writer = ProjectionWriter(TownCatalog())
    async with catalog.pool.connection() as conn:
        await writer.create_tables(conn)
    consumer = TrackingConsumer(catalog.pool, writer, catalog.dead_letters, town=catalog.town, service="catalog")
    await consumer.process(await catalog.published(offer_id))
    async with catalog.pool.connection() as conn:
        cursor = conn.cursor(row_factory=dict_row)
        row = await (await cursor.execute("SELECT * FROM catalog_offers WHERE offer_id = %s", (offer_id,))).fetchone()
    assert row is not None
    return row


def test_the_catalog_worker_runs_the_reservations_on_orderings_topic() -> None:
    (reaction,) = CATALOG.reactions
    assert (reaction.consumer_name, reaction.sources) == ("process:order_reservations", ("ordering",))


async def test_thirty_orders_at_once_for_a_stock_of_ten_reserve_exactly_ten(catalog: Catalog) -> None:
    offer_id = await catalog.product(stock=10)
    placed = [order(catalog, bell(offer_id)) for _ in range(30)]

    await asyncio.gather(*(catalog.deliver([catalog.record(each, 1)]) for each in placed))

    answers = {each.order_id: await catalog.answer(each.order_id) for each in placed}
    assert all(len(answer) == 1 for answer in answers.values())
    made = [o for o, (a,) in answers.items() if isinstance(a, OrderReservationMade)]
    refused = [a for (a,) in answers.values() if isinstance(a, OrderReservationRefused)]
    assert (len(made), len(refused)) == (10, 20)
    assert {r.reason for r in refused} == {"out_of_stock"}
    stocks = [stored.event.stock for stored in (await catalog.store.read(str(offer_id)))[1:]]  # type: ignore[attr-defined]
    assert sorted(stocks) == list(range(10)) and (await catalog.offer(offer_id)).stock == 0
    row = await catalog_offer_row(catalog, offer_id)
    assert row["stock"] == 0
    assert catalog.dead_letters.sent == []


async def test_ten_bookings_of_one_slot_at_once_leave_it_to_exactly_one(catalog: Catalog) -> None:
    offer_id = await catalog.service()
    monday_ten = datetime(2026, 12, 7, 10, tzinfo=BERLIN)
    # Five ask for 10:00 exactly, five for a time overlapping it (10:05 ... 10:45): any two collide.
    starts = [monday_ten if i % 2 == 0 else monday_ten + timedelta(minutes=i * 5) for i in range(10)]
    placed = [order(catalog, fitting(offer_id, start)) for start in starts]

    await asyncio.gather(*(catalog.deliver([catalog.record(each, 1)]) for each in placed))

    answers = [answer for each in placed for answer in await catalog.answer(each.order_id)]
    made = [answer.order_id for answer in answers if isinstance(answer, OrderReservationMade)]
    refused = [answer for answer in answers if isinstance(answer, OrderReservationRefused)]
    assert (len(made), len(refused)) == (1, 9)
    assert {r.reason for r in refused} == {"slot_taken"}
    bookings = (await catalog.offer(offer_id)).bookings
    assert [order_id for order_id, _ in bookings] == made

    # The offer's stream now holds bookings the town catalog does not read; what it does read
    # after them still arrives (a skipped version is not a gap).
    change = OfferPriceChanged(
        offer_id=offer_id, merchant_id=catalog.merchant_id, price_cents=5000, previous_price_cents=4500
    )
    await catalog.store.append(str(offer_id), len(await catalog.store.read(str(offer_id))), [change])
    assert (await catalog_offer_row(catalog, offer_id))["price_cents"] == 5000
    assert catalog.dead_letters.sent == []


async def test_an_ending_gives_stock_and_slot_back_once_however_often_it_comes(catalog: Catalog) -> None:
    product_id, service_id = await catalog.product(stock=3), await catalog.service()
    monday_ten = datetime(2026, 12, 7, 10, tzinfo=BERLIN)
    placed = order(catalog, bell(product_id, 2))
    booked = order(catalog, fitting(service_id, monday_ten))
    await catalog.deliver([catalog.record(placed, 1), catalog.record(booked, 1)])
    await catalog.deliver([catalog.record(placed, 1)])  # Kafka redelivers
    await catalog.deliver([catalog.record(placed.model_copy(), 1)])  # the relay sent it twice
    assert (await catalog.offer(product_id)).stock == 1

    rejected = catalog.record(
        OrderRejected(order_id=placed.order_id, merchant_id=catalog.merchant_id, reason="declined"), 2
    )
    failed = catalog.record(OrderDeliveryFailed(order_id=placed.order_id, merchant_id=catalog.merchant_id), 3)
    cancelled = catalog.record(
        OrderCancelled(order_id=booked.order_id, merchant_id=catalog.merchant_id, by="customer"), 2
    )
    await asyncio.gather(*(catalog.deliver([record]) for record in (rejected, rejected, failed, cancelled, cancelled)))
    await catalog.deliver([rejected._replace(offset=next(_offsets)), cancelled._replace(offset=next(_offsets))])

    history = [stored.event for stored in await catalog.store.read(str(product_id))]
    assert [(e.delta, e.stock) for e in history[1:]] == [(-2, 1), (2, 3)]  # type: ignore[attr-defined]
    assert (await catalog.offer(service_id)).bookings == {}
    for order_id in (placed.order_id, booked.order_id):
        kinds = [type(event).__name__ for event in await catalog.answer(order_id)]
        assert kinds == ["OrderReservationMade", "OrderReservationReleased"]
    assert (await catalog_offer_row(catalog, product_id))["stock"] == 3

    again = order(catalog, fitting(service_id, monday_ten))  # the slot is free again
    await catalog.deliver([catalog.record(again, 1)])
    assert isinstance((await catalog.answer(again.order_id))[0], OrderReservationMade)
    assert catalog.dead_letters.sent == []
