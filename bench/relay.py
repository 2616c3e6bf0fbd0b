# SPDX-License-Identifier: AGPL-3.0-or-later
"""The outbox relay's publish rate, against a raw aiokafka producer sending the same records.

A scratch town's event store is filled with catalog events (one append of several events
per offer, as listings and changes are appended). Then, each onto a fresh topic of 6
partitions:

1. ours: :class:`OutboxRelay` drains the outbox (read ≤1000 rows joined to ``events``,
   send verbatim, wait for every acknowledgement, delete the rows), batch after batch;
2. raw: the same records (key, value, CloudEvents headers), taken from the store
   beforehand, sent by a producer with the same settings (``reliable_producer``: acks=all,
   idempotent), in batches of 1000 awaited together — no database at all.

The ratio ours / raw says what the outbox costs over Kafka itself (target ≥ 0.5).
"""

from __future__ import annotations

import argparse
import asyncio
import random
import time
import uuid

from aiokafka import AIOKafkaProducer
from aiokafka.admin import AIOKafkaAdminClient, NewTopic

from bench import samples
from bench.report import Figure, Target, rate, say
from bench.scratch import KAFKA, delete_topics, random_town, scratch_database
from downtown_events.runtime.database import Pool, migrate, open_pool
from downtown_events.runtime.kafka import UNLIMITED_RETENTION, ensure_topics, reliable_producer
from downtown_events.runtime.outbox import _PENDING, OutboxRelay, PendingEvent
from downtown_events.runtime.postgres_store import PostgresEventStore
from downtown_events.topics import event_source

BENCHMARK = "relay"
PARTITIONS = 6
BATCH = 1000


async def _fill(pool: Pool, events: int, rng: random.Random) -> None:
    store = PostgresEventStore(pool, service="catalog")
    merchant = samples.merchant_registered(uuid.uuid4(), rng)
    written = 0
    while written < events:
        offer = uuid.uuid4()
        listed = samples.offer_listed(offer, merchant.merchant_id, rng, stock=10)
        prices = [listed.price_cents + step for step in range(1, 10)]
        history = [listed] + [samples.price_changed(offer, merchant.merchant_id, price, price - 1) for price in prices]
        await store.append(str(offer), 0, history)
        written += len(history)


Record = tuple[bytes, bytes, list[tuple[str, bytes]]]


async def _pending_records(pool: Pool, town: str) -> list[Record]:
    async with pool.connection() as conn:
        rows = await (await conn.execute(_PENDING, (10_000_000,))).fetchall()
    return [PendingEvent.of(row).to_cloud_event(town, event_source(town, "catalog")).to_kafka() for row in rows]


async def _topic(name: str) -> None:
    admin = AIOKafkaAdminClient(bootstrap_servers=KAFKA, client_id="bench-relay")
    await admin.start()
    try:
        await admin.create_topics([NewTopic(name, PARTITIONS, 1, topic_configs=UNLIMITED_RETENTION)])
    finally:
        await admin.close()


async def _raw(
    producer: AIOKafkaProducer, topic: str, records: list[tuple[bytes, bytes, list[tuple[str, bytes]]]]
) -> float:
    started = time.perf_counter()
    for start in range(0, len(records), BATCH):
        futures = [
            await producer.send(topic, value=value, key=key, headers=headers)
            for key, value, headers in records[start : start + BATCH]
        ]
        await asyncio.gather(*futures)
    return time.perf_counter() - started


async def _measure(database_url: str, events: int) -> dict[str, float]:
    town = random_town()
    pool = await open_pool(database_url, max_size=2, name="bench-relay")
    producer = reliable_producer(KAFKA, client_id="bench-relay")
    await producer.start()
    try:
        say(f"relay: appending {events:,} events")
        await _fill(pool, events, random.Random(7))
        records = await _pending_records(pool, town)
        await ensure_topics(KAFKA, town, "catalog", partitions=PARTITIONS)
        raw_topic = f"{town}.raw.events"
        await _topic(raw_topic)
        say("relay: raw producer, same records")
        raw_seconds = await _raw(producer, raw_topic, records)
        say("relay: outbox relay draining the outbox")
        relay = OutboxRelay(pool, producer, town=town, service="catalog", batch_size=BATCH)
        started = time.perf_counter()
        while await relay.publish_pending():
            pass
        ours_seconds = time.perf_counter() - started
    finally:
        await producer.stop()
        await pool.close()
        await delete_topics(town)
    return {"ours": rate(len(records), ours_seconds), "raw": rate(len(records), raw_seconds)}


def run(options: argparse.Namespace) -> list[Figure]:
    with scratch_database() as database_url:
        migrate(database_url)
        rates = asyncio.run(_measure(database_url, options.relay_events))
    return [
        Figure(BENCHMARK, "outbox relay publish", rates["ours"], "events/s"),
        Figure(BENCHMARK, "raw aiokafka producer, same records and settings", rates["raw"], "events/s"),
        Figure(BENCHMARK, "relay / raw producer", rates["ours"] / rates["raw"], "ratio", Target(0.5)),
    ]
