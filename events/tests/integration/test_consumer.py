# SPDX-License-Identifier: Apache-2.0
"""The idempotent consumer against the real broker and database.

Records come the production way: appended to the event store, published by the relay,
read back from Kafka. The handler writes one row per event it is given, so a duplicate
that slipped through would show as a second row.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass
from uuid import uuid4

import psycopg
import pytest
from aiokafka import AIOKafkaProducer
from opentelemetry.sdk.metrics.export import InMemoryMetricReader
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import SpanKind

from conftest import read_topic
from downtown_events.catalog import OfferListed, OfferPriceChanged
from downtown_events.runtime import telemetry
from downtown_events.runtime.consumer import KafkaDeadLetters, TrackingConsumer
from downtown_events.runtime.database import Connection, Pool
from downtown_events.runtime.failures import ConsumerHalted
from downtown_events.runtime.kafka import ensure_topics, reliable_producer
from downtown_events.runtime.outbox import OutboxRelay
from downtown_events.runtime.postgres_store import PostgresEventStore
from downtown_events.runtime.records import KafkaRecord, ReceivedEvent
from downtown_events.topics import dead_letter_topic, events_topic


class RecordingHandler:
    """Writes a row per applied event; can be told to fail like a database or a bug would."""

    consumer_name = "test-recorder"

    def __init__(self) -> None:
        self.outages_left = 0
        self.broken = ""  # "bug": every event fails; "schema": its table lost a column

    async def handle(self, conn: Connection, events: Sequence[ReceivedEvent]) -> None:
        if self.outages_left:
            self.outages_left -= 1
            raise psycopg.OperationalError("server closed the connection unexpectedly")
        if self.broken == "bug":
            raise KeyError("a handler bug that every event meets")
        if self.broken == "schema":
            await conn.execute("INSERT INTO applied (no_such_column) VALUES (1)")
        for event in events:
            if getattr(event.event, "title", "") == "boom":
                raise ValueError("this handler cannot take a title of 'boom'")
            await conn.execute(
                "INSERT INTO applied (event_id, stream_id, version) VALUES (%s, %s, %s)",
                (event.envelope.id, event.stream_id, event.stream_version),
            )


@pytest.fixture
async def producer(kafka_bootstrap: str) -> AsyncIterator[AIOKafkaProducer]:
    started = reliable_producer(kafka_bootstrap, client_id="test")
    await started.start()
    yield started
    await started.stop()


@pytest.fixture
async def setup(pool: Pool, town: str, kafka_bootstrap: str) -> None:
    await ensure_topics(kafka_bootstrap, town, "catalog", partitions=3)
    async with pool.connection() as conn:
        await conn.execute("CREATE TABLE applied (event_id text, stream_id text, version int)")


def consumer_for(pool: Pool, handler: RecordingHandler, producer: AIOKafkaProducer, town: str) -> TrackingConsumer:
    dead_letters = KafkaDeadLetters(producer, dead_letter_topic(town, "catalog"), handler.consumer_name, "catalog")
    return TrackingConsumer(pool, handler, dead_letters, town=town, service="catalog", max_backoff_seconds=0.2)


async def publish_offers(
    pool: Pool, producer: AIOKafkaProducer, town: str, titles: list[str], kafka_bootstrap: str
) -> list[KafkaRecord]:
    """Append one offer per title (listed, then repriced), relay them, read them back."""
    store = PostgresEventStore(pool, service="catalog")
    for title in titles:
        listed = OfferListed(offer_id=uuid4(), merchant_id=uuid4(), kind="product", title=title, price_cents=100)
        repriced = OfferPriceChanged(
            offer_id=listed.offer_id, merchant_id=listed.merchant_id, price_cents=90, previous_price_cents=100
        )
        await store.append(str(listed.offer_id), 0, [listed, repriced])
    await OutboxRelay(pool, producer, town=town, service="catalog").publish_pending()
    records = await read_topic(kafka_bootstrap, events_topic(town, "catalog"), count=2 * len(titles))
    return sorted(
        (KafkaRecord(r.topic, r.partition, r.offset, r.key, r.value, list(r.headers)) for r in records),
        key=lambda r: (r.partition, r.offset),
    )


async def applied_rows(pool: Pool) -> list[tuple[str, int]]:
    async with pool.connection() as conn:
        rows = await (await conn.execute("SELECT stream_id, version FROM applied ORDER BY 1, 2")).fetchall()
    return [(row["stream_id"], row["version"]) for row in rows]


@pytest.mark.usefixtures("setup")
async def test_redelivered_and_relay_duplicated_events_change_nothing(
    pool: Pool, producer: AIOKafkaProducer, town: str, kafka_bootstrap: str
) -> None:
    records = await publish_offers(pool, producer, town, ["Wein", "Käse"], kafka_bootstrap)
    consumer = consumer_for(pool, RecordingHandler(), producer, town)

    await consumer.process(records)
    once = await applied_rows(pool)
    await consumer.process(records)  # Kafka redelivers after a crash before the offset commit
    copies = [KafkaRecord(r.topic, r.partition, r.offset + 1000, r.key, r.value, r.headers) for r in records]
    await consumer.process(copies)  # the relay published them twice: new offsets, same events

    assert len(once) == 4
    assert await applied_rows(pool) == once


@pytest.mark.usefixtures("setup")
async def test_a_poison_message_goes_to_the_dead_letter_topic_and_the_rest_flows(
    pool: Pool, producer: AIOKafkaProducer, town: str, kafka_bootstrap: str
) -> None:
    good = await publish_offers(pool, producer, town, ["Brot"], kafka_bootstrap)
    topic = events_topic(town, "catalog")
    poison = [
        KafkaRecord(topic, 0, 9001, b"k", b"\x00not json", list(good[0].headers)),
        KafkaRecord(topic, 0, 9002, b"k", b"{}", [("ce_specversion", b"1.0")]),
        KafkaRecord(
            topic,
            0,
            9003,
            b"k",
            good[0].value,
            [(k, b"elsewhere" if k == "ce_town" else v) for k, v in good[0].headers],
        ),
    ]
    await consumer_for(pool, RecordingHandler(), producer, town).process([good[0], *poison, good[1]])

    assert len(await applied_rows(pool)) == 2
    dead = await read_topic(kafka_bootstrap, dead_letter_topic(town, "catalog"), count=3)
    reasons = [dict(r.headers) for r in dead]
    assert len(dead) == 3
    assert b"not JSON" in reasons[0]["dlq_reason"]
    assert b"missing CloudEvents attributes" in reasons[1]["dlq_reason"]
    assert b"town 'elsewhere'" in reasons[2]["dlq_reason"]
    assert [h["dlq_origin_offset"] for h in reasons] == [b"9001", b"9002", b"9003"]
    assert all(h["dlq_origin_topic"] == topic.encode() and h["dlq_consumer"] == b"test-recorder" for h in reasons)
    assert dead[0].value == b"\x00not json"  # the original bytes, for whoever repairs it


@pytest.mark.usefixtures("setup")
async def test_a_database_outage_is_retried_until_the_batch_is_applied(
    pool: Pool, producer: AIOKafkaProducer, town: str, kafka_bootstrap: str
) -> None:
    records = await publish_offers(pool, producer, town, ["Honig"], kafka_bootstrap)
    handler = RecordingHandler()
    handler.outages_left = 3

    await consumer_for(pool, handler, producer, town).process(records)

    assert handler.outages_left == 0
    assert len(await applied_rows(pool)) == 2


@pytest.mark.usefixtures("setup")
async def test_an_event_the_handler_cannot_take_is_dead_lettered_alone(
    pool: Pool, producer: AIOKafkaProducer, town: str, kafka_bootstrap: str
) -> None:
    records = await publish_offers(pool, producer, town, ["Tee", "boom", "Kaffee"], kafka_bootstrap)

    await consumer_for(pool, RecordingHandler(), producer, town).process(records)

    applied = await applied_rows(pool)
    assert len(applied) == 5  # everything except the 'boom' listing; its later price change still flows
    dead = await read_topic(kafka_bootstrap, dead_letter_topic(town, "catalog"), count=1)
    assert b"cannot take a title of 'boom'" in dict(dead[0].headers)["dlq_reason"]


@pytest.mark.parametrize("broken", ["bug", "schema"])
@pytest.mark.usefixtures("setup")
async def test_a_fault_no_event_gets_past_halts_the_consumer_instead_of_dead_lettering_everything(
    broken: str, pool: Pool, producer: AIOKafkaProducer, town: str, kafka_bootstrap: str
) -> None:
    records = await publish_offers(pool, producer, town, ["Salz", "Pfeffer"], kafka_bootstrap)
    handler = RecordingHandler()
    handler.broken = broken

    with pytest.raises(ConsumerHalted, match="no_such_column" if broken == "schema" else "handler bug"):
        await consumer_for(pool, handler, producer, town).process(records)

    assert await applied_rows(pool) == []
    assert await read_topic(kafka_bootstrap, dead_letter_topic(town, "catalog"), count=1, seconds=2) == []
    async with pool.connection() as conn:
        tracked = await (await conn.execute("SELECT count(*) AS n FROM tracking")).fetchone()
    assert tracked is not None and tracked["n"] == 0  # nothing marked as applied: the batch comes again
    handler.broken = ""
    await consumer_for(pool, handler, producer, town).process(records)  # fixed: the same batch applies
    assert len(await applied_rows(pool)) == 4


@dataclass
class Captured:
    spans: InMemorySpanExporter
    metrics: InMemoryMetricReader

    def counter(self, name: str, **attributes: str) -> int:
        data = self.metrics.get_metrics_data()
        assert data is not None
        return sum(
            int(point.value)
            for resource in data.resource_metrics
            for scope in resource.scope_metrics
            for metric in scope.metrics
            if metric.name == name
            for point in metric.data.data_points  # type: ignore[union-attr]
            if all(point.attributes.get(key) == value for key, value in attributes.items())
        )


@pytest.fixture(scope="session")
def captured() -> Captured:
    """Telemetry set up once for the test process, recording in memory."""
    capture = Captured(InMemorySpanExporter(), InMemoryMetricReader())
    telemetry.setup_telemetry(
        "test",
        "test",
        extra_span_processors=[SimpleSpanProcessor(capture.spans)],
        extra_metric_readers=[capture.metrics],
    )
    return capture


@pytest.mark.usefixtures("setup")
async def test_one_trace_follows_an_event_from_the_request_through_kafka_into_the_consumer(
    pool: Pool, producer: AIOKafkaProducer, town: str, kafka_bootstrap: str, captured: Captured
) -> None:
    with telemetry.tracer.start_as_current_span("POST /offers/products", kind=SpanKind.SERVER) as request:
        trace_id = request.get_span_context().trace_id
        records = await publish_offers(pool, producer, town, ["Schokolade"], kafka_bootstrap)
    await consumer_for(pool, RecordingHandler(), producer, town).process(records)

    assert all(dict(r.headers)["traceparent"].decode().split("-")[1] == f"{trace_id:032x}" for r in records)
    finished = captured.spans.get_finished_spans()
    consumed = [s for s in finished if s.kind == SpanKind.CONSUMER and s.name.startswith(town)]
    published = [s for s in finished if s.kind == SpanKind.PRODUCER and s.name.startswith(town)]
    assert len(consumed) == 2 and len(published) == 2
    assert {s.context.trace_id for s in consumed + published} == {trace_id}


def with_headers(record: KafkaRecord, **changes: bytes) -> KafkaRecord:
    headers = [(key, changes.get(key, value)) for key, value in record.headers]
    return KafkaRecord(record.topic, record.partition, record.offset + 500, record.key, record.value, headers)


@pytest.mark.usefixtures("setup")
async def test_an_event_this_reader_cannot_decode_is_dead_lettered_and_its_stream_flows_on(
    pool: Pool, producer: AIOKafkaProducer, town: str, kafka_bootstrap: str
) -> None:
    listed, repriced = await publish_offers(pool, producer, town, ["Senf"], kafka_bootstrap)
    from_the_future = with_headers(repriced, ce_type=b"downtown.catalog.OfferPriceChanged.v7")
    later = with_headers(repriced, ce_streamversion=b"3", ce_id=str(uuid4()).encode())

    await consumer_for(pool, RecordingHandler(), producer, town).process([listed, from_the_future, later])

    assert [version for _, version in await applied_rows(pool)] == [1, 3]
    dead = await read_topic(kafka_bootstrap, dead_letter_topic(town, "catalog"), count=1)
    assert b"no version 7" in dict(dead[0].headers)["dlq_reason"]


@pytest.mark.usefixtures("setup")
async def test_appended_published_consumed_and_dead_lettered_events_are_counted(
    pool: Pool, producer: AIOKafkaProducer, town: str, kafka_bootstrap: str, captured: Captured
) -> None:
    before = {name: captured.counter(f"downtown.events.{name}") for name in ("appended", "published")}
    handler = RecordingHandler()
    handler.consumer_name = f"counted-{town}"
    records = await publish_offers(pool, producer, town, ["Kerze"], kafka_bootstrap)
    poison = KafkaRecord(records[0].topic, 0, 999, b"k", b"{}", [("ce_specversion", b"1.0")])

    await consumer_for(pool, handler, producer, town).process([*records, poison])

    assert captured.counter("downtown.events.appended") - before["appended"] == 2
    assert captured.counter("downtown.events.published") - before["published"] == 2
    assert captured.counter("downtown.events.consumed", consumer=handler.consumer_name) == 2
    assert captured.counter("downtown.events.dead_lettered", consumer=handler.consumer_name) == 1


@pytest.mark.usefixtures("setup")
async def test_a_version_that_skips_ahead_is_parked_until_the_gap_closes_never_dropped(
    pool: Pool, producer: AIOKafkaProducer, town: str, kafka_bootstrap: str
) -> None:
    """As after partitions were added: a stream's v2 arrives (and is acknowledged) before v1."""
    listed, repriced = await publish_offers(pool, producer, town, ["Senf"], kafka_bootstrap)
    consumer = consumer_for(pool, RecordingHandler(), producer, town)

    await consumer.process([repriced])
    async with pool.connection() as conn:
        waiting = await (await conn.execute("SELECT stream_id, version FROM parked_events")).fetchall()
    assert await applied_rows(pool) == []
    assert [(row["stream_id"], row["version"]) for row in waiting] == [(listed.key.decode(), 2)]

    await consumer.process([listed])

    assert await applied_rows(pool) == [(listed.key.decode(), 1), (listed.key.decode(), 2)]
    async with pool.connection() as conn:
        left = await (await conn.execute("SELECT count(*) AS n FROM parked_events")).fetchone()
    assert left is not None and left["n"] == 0
    await consumer.process([repriced])  # the relay's resend of v2 later changes nothing
    assert len(await applied_rows(pool)) == 2


async def test_database_statements_get_spans_in_the_trace(pool: Pool, captured: Captured) -> None:
    """The psycopg instrumentation, installed by setup_telemetry before the pool connects."""
    from downtown_events.runtime.database import open_pool

    traced_pool = await open_pool(pool.conninfo, max_size=1, name="traced")  # connects after set-up
    try:
        with telemetry.tracer.start_as_current_span("request") as request:
            store = PostgresEventStore(traced_pool, service="catalog")
            await store.read("no-such-stream")
    finally:
        await traced_pool.close()
    trace_id = request.get_span_context().trace_id
    database = [
        s
        for s in captured.spans.get_finished_spans()
        if s.context.trace_id == trace_id and (s.attributes or {}).get("db.system") == "postgresql"
    ]
    assert database and "SELECT" in str((database[0].attributes or {}).get("db.statement", ""))
