# SPDX-License-Identifier: Apache-2.0
"""The outbox relay against the real broker: order, and crashes that lose nothing."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
from collections import defaultdict
from typing import ClassVar
from uuid import UUID, uuid4

import pytest
from psycopg_pool import AsyncConnectionPool

from conftest import read_topic
from downtown_events.catalog import OfferListed, OfferPriceChanged, OfferStockAdjusted
from downtown_events.contract import PrivateEvent, registry
from downtown_events.runtime.kafka import ensure_topics, reliable_producer
from downtown_events.runtime.outbox import OutboxRelay, PendingEvent
from downtown_events.runtime.postgres_store import PostgresEventStore
from downtown_events.topics import events_topic


def offer_history(adjustments: int) -> list:  # type: ignore[type-arg]
    listed = OfferListed(offer_id=uuid4(), merchant_id=uuid4(), kind="product", title="Brot", price_cents=350, stock=0)
    return [listed] + [
        OfferStockAdjusted(offer_id=listed.offer_id, merchant_id=listed.merchant_id, delta=1, stock=n + 1)
        for n in range(adjustments)
    ]


def headers_of(record) -> dict[str, str]:  # type: ignore[no-untyped-def]
    return {key: value.decode() for key, value in record.headers}


async def publish_once(pool: AsyncConnectionPool, town: str, kafka_bootstrap: str) -> int:
    """One relay batch with a producer of its own; how many records went out."""
    producer = reliable_producer(kafka_bootstrap, client_id="test")
    await producer.start()
    try:
        return await OutboxRelay(pool, producer, town=town, service="catalog").publish_pending()
    finally:
        await producer.stop()


async def outbox_size(pool: AsyncConnectionPool) -> int:
    async with pool.connection() as conn:
        row = await (await conn.execute("SELECT count(*) AS n FROM outbox")).fetchone()
    return int(row["n"]) if row else 0


async def test_the_relay_publishes_each_stream_in_order_and_empties_the_outbox(
    pool: AsyncConnectionPool, town: str, kafka_bootstrap: str
) -> None:
    await ensure_topics(kafka_bootstrap, town, "catalog", partitions=3)
    store = PostgresEventStore(pool, service="catalog")
    streams = [offer_history(4) for _ in range(5)]
    for events in streams:
        await store.append(str(events[0].offer_id), 0, events)
    published = await publish_once(pool, town, kafka_bootstrap)

    records = await read_topic(kafka_bootstrap, events_topic(town, "catalog"), count=25)
    assert published == 25 and len(records) == 25
    assert await outbox_size(pool) == 0
    versions: dict[str, list[int]] = defaultdict(list)
    for record in records:
        headers = headers_of(record)
        assert record.key.decode() == headers["ce_subject"]
        assert headers["ce_source"] == f"/towns/{town}/catalog"
        versions[headers["ce_subject"]].append(int(headers["ce_streamversion"]))
    assert all(v == [1, 2, 3, 4, 5] for v in versions.values())


async def test_a_crash_between_send_and_mark_republishes_instead_of_losing(
    pool: AsyncConnectionPool, town: str, kafka_bootstrap: str
) -> None:
    await ensure_topics(kafka_bootstrap, town, "catalog", partitions=3)
    events = offer_history(2)
    await PostgresEventStore(pool, service="catalog").append(str(events[0].offer_id), 0, events)

    async def crash(_: list[PendingEvent]) -> None:
        raise RuntimeError("power cut after Kafka acknowledged, before the outbox was marked")

    producer = reliable_producer(kafka_bootstrap, client_id="test")
    await producer.start()
    try:
        with pytest.raises(RuntimeError, match="power cut"):
            await OutboxRelay(pool, producer, town=town, service="catalog", after_send=crash).publish_pending()
        assert await outbox_size(pool) == 3
        assert await OutboxRelay(pool, producer, town=town, service="catalog").publish_pending() == 3
    finally:
        await producer.stop()

    records = await read_topic(kafka_bootstrap, events_topic(town, "catalog"), count=6)
    ids = [headers_of(r)["ce_id"] for r in records]
    assert len(ids) == 6 and len(set(ids)) == 3  # every event twice, same ids: consumers drop the copies
    assert await outbox_size(pool) == 0


def start_relay(database_url: str, town: str, kafka_bootstrap: str) -> subprocess.Popen[bytes]:
    env = {
        **os.environ,
        "DOWNTOWN_TOWN": town,
        "DOWNTOWN_DATABASE_URL": database_url,
        "DOWNTOWN_KAFKA_BOOTSTRAP": kafka_bootstrap,
        "DOWNTOWN_LOG_LEVEL": "WARNING",
    }
    relay = os.path.join(os.path.dirname(sys.executable), "downtown-relay")
    return subprocess.Popen([relay, "--service", "catalog"], env=env)


async def test_killing_the_relay_mid_stream_loses_and_reorders_nothing(
    pool: AsyncConnectionPool, database_url: str, town: str, kafka_bootstrap: str
) -> None:
    await ensure_topics(kafka_bootstrap, town, "catalog", partitions=3)
    store = PostgresEventStore(pool, service="catalog")
    streams = [offer_history(0) for _ in range(40)]
    appended: set[tuple[str, int]] = set()

    async def write(versions: range) -> None:
        for version in versions:
            for events in streams:
                first = events[0]
                event = (
                    first
                    if version == 1
                    else OfferStockAdjusted(
                        offer_id=first.offer_id, merchant_id=first.merchant_id, delta=1, stock=version - 1
                    )
                )
                await store.append(str(first.offer_id), version - 1, [event])
                appended.add((str(first.offer_id), version))

    relay = start_relay(database_url, town, kafka_bootstrap)
    writing = asyncio.create_task(write(range(1, 11)))
    topic = events_topic(town, "catalog")
    await read_topic(kafka_bootstrap, topic, count=150, seconds=60)  # the relay is busy publishing
    relay.send_signal(signal.SIGKILL)  # no goodbye: between any two steps
    relay.wait()
    await writing
    await write(range(11, 16))  # committed while no relay runs
    assert await outbox_size(pool) > 0, "the kill should have left work behind"

    relay = start_relay(database_url, town, kafka_bootstrap)
    try:
        for _ in range(120):
            if await outbox_size(pool) == 0:
                break
            await asyncio.sleep(0.5)
    finally:
        relay.terminate()
        relay.wait(timeout=20)

    records = await read_topic(
        kafka_bootstrap,
        topic,
        count=len(appended),
        seconds=60,
        until=lambda got: {(h["ce_subject"], int(h["ce_streamversion"])) for h in map(headers_of, got)} >= appended,
    )
    seen: dict[str, list[int]] = defaultdict(list)
    for headers in map(headers_of, records):
        seen[headers["ce_subject"]].append(int(headers["ce_streamversion"]))
    assert {(s, v) for s, versions in seen.items() for v in versions} == appended
    for versions in seen.values():  # first sightings of each version arrive in stream order
        first_seen = list(dict.fromkeys(versions))
        assert first_seen == sorted(first_seen)


def test_the_standalone_relay_has_a_readiness_check(database_url: str, town: str, kafka_bootstrap: str) -> None:
    relay = os.path.join(os.path.dirname(sys.executable), "downtown-relay")
    env = {
        **os.environ,
        "DOWNTOWN_TOWN": town,
        "DOWNTOWN_DATABASE_URL": database_url,
        "DOWNTOWN_KAFKA_BOOTSTRAP": kafka_bootstrap,
    }
    ready = subprocess.run([relay, "--service", "catalog", "--check"], env=env, capture_output=True, text=True)
    no_broker = subprocess.run(
        [relay, "--service", "catalog", "--check"],
        capture_output=True,
        text=True,
        env={**env, "DOWNTOWN_KAFKA_BOOTSTRAP": "127.0.0.1:9"},
    )

    assert ready.returncode == 0 and '"status": "ready"' in ready.stdout
    assert no_broker.returncode == 1 and '"kafka": "failing' in no_broker.stdout


async def test_the_relay_publishes_what_was_stored_byte_for_byte_even_types_it_does_not_know(
    pool: AsyncConnectionPool, town: str, kafka_bootstrap: str
) -> None:
    """A newer writer's fields and a type this relay has never heard of (a rolling upgrade)."""
    await ensure_topics(kafka_bootstrap, town, "catalog", partitions=1)
    newer = '{"offer_id": "%s",  "merchant_id": "%s", "kind": "product", "title": "Brot", "price_cents": 1, "new": [1]}'
    stored = [
        ("downtown.catalog.OfferListed", 1, newer % (uuid4(), uuid4())),
        ("downtown.catalog.OfferTeleported", 3, '{"to":"Mars"}'),
    ]
    async with pool.connection() as conn:
        for number, (event_type, version, data) in enumerate(stored):
            await conn.execute(
                "WITH e AS (INSERT INTO events (stream_id, version, event_id, event_type, schema_version, data,"
                " recorded_at) VALUES (%s, 1, %s, %s, %s, %s::json, now()) RETURNING position)"
                " INSERT INTO outbox SELECT position FROM e",
                (f"stream-{number}", uuid4(), event_type, version, data),
            )
    published = await publish_once(pool, town, kafka_bootstrap)

    records = await read_topic(kafka_bootstrap, events_topic(town, "catalog"), count=2)
    assert published == 2 and await outbox_size(pool) == 0
    assert [(headers_of(r)["ce_type"], r.value.decode()) for r in records] == [
        (f"{event_type}.v{version}", data) for event_type, version, data in stored
    ]


class OfferSecretNoted(PrivateEvent):
    """A private event, as a service would define one (a secret that must not leave it)."""

    service: ClassVar[str] = "catalog"
    event_name: ClassVar[str] = "OfferSecretNoted"
    schema_version: ClassVar[int] = 1
    offer_id: UUID
    secret: str


async def test_private_events_are_stored_and_replayed_but_never_published(
    pool: AsyncConnectionPool, town: str, kafka_bootstrap: str
) -> None:
    await ensure_topics(kafka_bootstrap, town, "catalog", partitions=1)
    listed, *_ = offer_history(0)
    registry.register(OfferSecretNoted)
    store = PostgresEventStore(pool, service="catalog")
    secret = OfferSecretNoted(offer_id=listed.offer_id, secret="XK7-PQ2")
    await store.append(str(listed.offer_id), 0, [listed, secret])
    published = await publish_once(pool, town, kafka_bootstrap)

    records = await read_topic(kafka_bootstrap, events_topic(town, "catalog"), count=2, seconds=3)
    assert published == 1 and [headers_of(r)["ce_type"] for r in records] == [OfferListed.ce_type()]
    assert b"XK7" not in b"".join(r.value for r in records)
    assert [stored.event for stored in await store.read(str(listed.offer_id))] == [listed, secret]


async def test_private_events_leave_no_hole_in_the_published_stream_versions(
    pool: AsyncConnectionPool, town: str, kafka_bootstrap: str
) -> None:
    """A stream of public, private, public events is published as versions 1 and 2: a topic
    consumer must never wait for a version that is never published."""
    from tests.support.private_events import SecretNoted

    await ensure_topics(kafka_bootstrap, town, "catalog", partitions=1)
    store = PostgresEventStore(pool, service="catalog")
    listed = OfferListed(offer_id=uuid4(), merchant_id=uuid4(), kind="product", title="Tee", price_cents=1)
    stream = str(listed.offer_id)
    await store.append(stream, 0, [listed, SecretNoted(holder_id="h", secret_hash="s")])
    changed = OfferPriceChanged(
        offer_id=listed.offer_id, merchant_id=listed.merchant_id, price_cents=2, previous_price_cents=1
    )
    await store.append(stream, 2, [changed])

    producer = reliable_producer(kafka_bootstrap, client_id="test-relay")
    await producer.start()
    try:
        relay = OutboxRelay(pool, producer, town=town, service="catalog")
        assert await relay.publish_pending() == 2
    finally:
        await producer.stop()
    records = await read_topic(kafka_bootstrap, events_topic(town, "catalog"), count=2)
    headers = [dict(record.headers) for record in records]
    assert [(h["ce_type"], h["ce_streamversion"]) for h in headers] == [
        (b"downtown.catalog.OfferListed.v1", b"1"),
        (b"downtown.catalog.OfferPriceChanged.v1", b"2"),
    ]
