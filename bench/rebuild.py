# SPDX-License-Identifier: AGPL-3.0-or-later
"""(b): projection rebuild rate from offset zero, against a raw aiokafka read of the same topic.

A fresh ``<town>.catalog.events`` (6 partitions) is filled with real CloudEvents straight
from the reliable producer: merchants register, list products, then change prices and
adjust stock at random; each stream's versions run 1..n in order. Then:

1. raw: plain aiokafka, no group, every partition from the beginning to the end offsets,
   records counted and not decoded (the upper bound of what any reader can do);
2. :class:`ProjectionRebuild` of ``town_catalog``, then of ``town_directory``, each into a
   fresh migrated database, without a swap and without waiting for a live projection;
3. raw again. The better raw figure is the baseline, so the ratio is never flattered by
   a slow first read (cold page cache, a JIT-less warm-up of the client).
"""

from __future__ import annotations

import argparse
import asyncio
import random
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime

from aiokafka import AIOKafkaConsumer, TopicPartition
from psycopg import sql

from bench import samples
from bench.report import Figure, Target, Throttled, rate, say
from bench.scratch import KAFKA, delete_topics, random_town, scratch_database
from catalog.bootstrap import SERVICE_MIGRATIONS
from catalog.projections import TownCatalog, TownDirectory
from downtown_events.contract import IntegrationEvent
from downtown_events.envelope import CloudEvent
from downtown_events.runtime.database import migrate, open_pool
from downtown_events.runtime.kafka import ensure_topics, reliable_producer, topic_partitions
from downtown_events.runtime.projection import REBUILD, Projection
from downtown_events.runtime.rebuild import ProjectionRebuild, RebuildReport
from downtown_events.runtime.rebuild_sources import KafkaTopics
from downtown_events.topics import event_source, events_topic

BENCHMARK = "rebuild"
SERVICE = "catalog"
PARTITIONS = 6
IN_FLIGHT = 10_000  # sends awaited together; the producer batches them per partition
FETCH = {"fetch_max_bytes": 64 * 1024 * 1024, "max_partition_fetch_bytes": 16 * 1024 * 1024}


@dataclass
class Offer:
    offer_id: uuid.UUID
    merchant_id: uuid.UUID
    version: int
    price_cents: int
    stock: int


def catalog_history(count: int, rng: random.Random) -> Iterator[tuple[uuid.UUID, int, IntegrationEvent]]:
    """``(aggregate id, stream version, event)`` in publishing order: 1% registrations,
    20% listings (at most 2,000 and 40,000), the rest price and stock changes."""
    merchants = [uuid.uuid4() for _ in range(min(2_000, max(1, count // 100)))]
    for merchant in merchants:
        yield merchant, 1, samples.merchant_registered(merchant, rng)
    offers: list[Offer] = []
    for _ in range(min(40_000, max(1, count // 5))):
        listed = samples.offer_listed(uuid.uuid4(), rng.choice(merchants), rng)
        offers.append(Offer(listed.offer_id, listed.merchant_id, 1, listed.price_cents, listed.stock or 0))
        yield listed.offer_id, 1, listed
    for _ in range(count - len(merchants) - len(offers)):
        offer = rng.choice(offers)
        offer.version += 1
        if rng.random() < 0.5:
            previous, offer.price_cents = offer.price_cents, max(50, offer.price_cents + rng.randrange(-200, 201))
            yield (
                offer.offer_id,
                offer.version,
                samples.price_changed(offer.offer_id, offer.merchant_id, offer.price_cents, previous),
            )
        else:
            delta = 10 if offer.stock == 0 else rng.choice([-1, -1, -2, 5])
            offer.stock = max(0, offer.stock + delta)
            yield (
                offer.offer_id,
                offer.version,
                samples.stock_adjusted(offer.offer_id, offer.merchant_id, offer.stock, delta),
            )


async def publish(town: str, topic: str, count: int) -> float:
    """Send ``count`` events with many sends in flight; returns the seconds it took."""
    producer = reliable_producer(KAFKA, client_id=f"{town}-bench-publisher")
    await producer.start()
    source = event_source(town, SERVICE)
    progress = Throttled("published")
    started = time.perf_counter()
    try:
        pending = []
        for sent, (aggregate, version, event) in enumerate(catalog_history(count, random.Random(7)), start=1):
            envelope = CloudEvent(
                id=str(uuid.uuid4()),
                source=source,
                type=type(event).ce_type(),
                subject=str(aggregate),
                time=datetime.now(UTC),
                town=town,
                streamversion=version,
                data=event.model_dump_json().encode(),
            )
            key, value, headers = envelope.to_kafka()
            pending.append(await producer.send(topic, value, key=key, headers=headers))
            if len(pending) >= IN_FLIGHT or sent == count:
                await asyncio.gather(*pending)
                pending.clear()
                progress(sent, count)
    finally:
        await producer.stop()
    return time.perf_counter() - started


async def raw_read(topic: str) -> tuple[int, float]:
    """Count every record up to the end offsets; the clock starts at the seek."""
    consumer = AIOKafkaConsumer(
        bootstrap_servers=KAFKA, group_id=None, enable_auto_commit=False, auto_offset_reset="earliest", **FETCH
    )
    await consumer.start()
    try:
        partitions = [TopicPartition(topic, p) for p in await topic_partitions(KAFKA, topic)]
        consumer.assign(partitions)
        end = await consumer.end_offsets(partitions)
        started = time.perf_counter()
        await consumer.seek_to_beginning(*partitions)
        remaining = {tp for tp in partitions if end[tp] > 0}
        count = 0
        while remaining:
            for tp, records in (await consumer.getmany(timeout_ms=500)).items():
                count += sum(1 for record in records if record.offset < end[tp])
                if records and records[-1].offset + 1 >= end[tp]:
                    remaining.discard(tp)
                    consumer.pause(tp)
        return count, time.perf_counter() - started
    finally:
        await consumer.stop()


async def rebuild(database_url: str, projection: Projection, town: str, topic: str) -> RebuildReport:
    pool = await open_pool(database_url, max_size=4, name="bench-rebuild")
    try:
        job = ProjectionRebuild(pool, projection, town=town, source=KafkaTopics([topic], KAFKA))
        report = await job.run(swap=False, live_wait_seconds=0, progress=Throttled(f"{projection.name} rebuilt"))
        async with pool.connection() as conn:
            for table in projection.tables:
                query = sql.SQL("SELECT count(*) AS n FROM {}").format(sql.Identifier(REBUILD(table)))
                row = await (await conn.execute(query)).fetchone()
                say(f"  {REBUILD(table)}: {row['n'] if row else 0:,} rows")
        return report
    finally:
        await pool.close()


def _raw(topic: str, label: str) -> float:
    count, seconds = asyncio.run(raw_read(topic))
    say(f"  raw read ({label}): {count:,} records in {seconds:.2f} s = {rate(count, seconds):,.0f} records/s")
    return rate(count, seconds)


def run(options: argparse.Namespace) -> list[Figure]:
    town = random_town()
    topic = events_topic(town, SERVICE)
    try:
        asyncio.run(ensure_topics(KAFKA, town, SERVICE, partitions=PARTITIONS))
        say(f"rebuild: publishing {options.events:,} events to {topic} ({PARTITIONS} partitions)")
        published = asyncio.run(publish(town, topic, options.events))
        say(f"  published in {published:.1f} s = {rate(options.events, published):,.0f} events/s")
        raw = [_raw(topic, "before")]
        rebuilt: dict[str, float] = {}
        for projection in (TownCatalog(), TownDirectory()):
            with scratch_database() as database_url:
                migrate(database_url, *SERVICE_MIGRATIONS)
                say(f"  rebuilding {projection.name} from offset zero")
                report = asyncio.run(rebuild(database_url, projection, town, topic))
            say(
                f"  {projection.name}: {report.events_read:,} events in {report.seconds:.2f} s = "
                f"{report.events_per_second:,.0f} events/s ({report.undecodable} undecodable)"
            )
            rebuilt[projection.name] = report.events_per_second
        raw.append(_raw(topic, "after"))
    finally:
        asyncio.run(delete_topics(town))
    baseline = max(raw)
    figures = [
        Figure(BENCHMARK, "publish (reliable producer)", rate(options.events, published), "events/s"),
        Figure(BENCHMARK, "raw aiokafka read, before", raw[0], "events/s"),
        Figure(BENCHMARK, "raw aiokafka read, after", raw[1], "events/s"),
    ]
    for name, events_per_second in rebuilt.items():
        figures += [
            Figure(BENCHMARK, f"rebuild {name}", events_per_second, "events/s"),
            Figure(BENCHMARK, f"(b) rebuild {name} / raw", events_per_second / baseline, "ratio", Target(0.5)),
        ]
    return figures
