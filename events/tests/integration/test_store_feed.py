# SPDX-License-Identifier: Apache-2.0
"""A projection of private events: fed from the service's own store, rebuilt from it, never published."""

from __future__ import annotations

import asyncio
from collections.abc import Iterable
from typing import Any
from uuid import uuid4

import psycopg
from psycopg_pool import AsyncConnectionPool

from conftest import Databases
from downtown_events.runtime.consumer import TrackingConsumer
from downtown_events.runtime.postgres_store import PostgresEventStore
from downtown_events.runtime.projection import LIVE, Projection, ProjectionWriter, RowSet, Table, table_checksums
from downtown_events.runtime.rebuild import ProjectionRebuild
from downtown_events.runtime.rebuild_sources import ServiceStore
from downtown_events.runtime.records import ReceivedEvent
from downtown_events.runtime.store_feed import StoreDeadLetters, StoreFeed, StoreReader, checkpoint, checkpointing
from tests.support.local_stack import random_town
from tests.support.private_events import SERVICE, SecretNoted

SECRETS = Table(name="secret_lookup", key="secret_hash", columns={"secret_hash": "text", "holder_id": "text"})


class SecretLookup(Projection):
    name = "secret_lookup"
    tables = (SECRETS,)
    event_types = (SecretNoted,)
    from_store = True

    def touches(self, event: ReceivedEvent) -> Iterable[tuple[Table, Any]]:
        return [(SECRETS, event.event.secret_hash)] if isinstance(event.event, SecretNoted) else []

    def evolve(self, rows: RowSet, event: ReceivedEvent) -> None:
        if isinstance(event.event, SecretNoted):
            rows.put(SECRETS, {"secret_hash": event.event.secret_hash, "holder_id": event.event.holder_id})


def feed_for(pool: AsyncConnectionPool, town: str) -> StoreFeed:
    writer = ProjectionWriter(SecretLookup())
    dead_letters = StoreDeadLetters(pool, writer.consumer_name)
    consumer = TrackingConsumer(
        pool, writer, dead_letters, town=town, service=SERVICE, progress=checkpointing(writer.consumer_name)
    )
    return StoreFeed(pool, consumer, writer.consumer_name, StoreReader(town=town, service=SERVICE))


async def feed_all(feed: StoreFeed, expected: int, seconds: float = 15.0) -> int:
    """Feed until ``expected`` events were applied. The feed waits while any transaction on the
    server is writing (other tests run beside this one), so it may take a few rounds."""
    fed = 0
    deadline = asyncio.get_running_loop().time() + seconds
    while fed < expected and asyncio.get_running_loop().time() < deadline:
        applied = await feed.feed_once()
        if not applied:
            await asyncio.sleep(0.05)
        fed += applied
    return fed


async def note(store: PostgresEventStore, holder: str, secret: str, version: int = 0) -> None:
    await store.append(holder, version, [SecretNoted(holder_id=holder, secret_hash=secret)])


async def lookup(pool: AsyncConnectionPool) -> dict[str, str]:
    async with pool.connection() as conn:
        rows = await (await conn.execute("SELECT secret_hash, holder_id FROM secret_lookup")).fetchall()
    return {row["secret_hash"]: row["holder_id"] for row in rows}


async def create_tables(pool: AsyncConnectionPool) -> None:
    async with pool.connection() as conn:
        await ProjectionWriter(SecretLookup()).create_tables(conn)


async def test_private_events_feed_a_projection_and_never_reach_the_outbox(
    pool: AsyncConnectionPool, town: str
) -> None:
    store = PostgresEventStore(pool, service=SERVICE)
    await create_tables(pool)
    for n in range(5):
        await note(store, f"holder-{n}", f"hash-{n}")

    feed = feed_for(pool, town)
    assert await feed_all(feed, 5) == 5
    assert await feed.feed_once() == 0

    assert await lookup(pool) == {f"hash-{n}": f"holder-{n}" for n in range(5)}
    async with pool.connection() as conn:
        outbox = await (await conn.execute("SELECT count(*) AS n FROM outbox")).fetchone()
    assert outbox is not None and outbox["n"] == 0


async def test_an_event_committed_later_below_the_cursor_is_not_missed(pool: AsyncConnectionPool, town: str) -> None:
    """A transaction that took its position first but commits last: the feed waits for it."""
    store = PostgresEventStore(pool, service=SERVICE)
    await create_tables(pool)
    feed = feed_for(pool, town)
    async with pool.connection() as slow, slow.transaction():
        await store_in(slow, "slow-holder", "slow-hash")  # takes the lower position, stays open
        await note(store, "quick-holder", "quick-hash")  # commits first, with a higher position
        assert await feed.feed_once() == 0  # neither is final yet: the slow transaction is open
    assert await feed_all(feed, 2) == 2
    assert await lookup(pool) == {"slow-hash": "slow-holder", "quick-hash": "quick-holder"}


async def test_a_long_transaction_of_another_town_holds_no_feed_back(
    pool: AsyncConnectionPool, town: str, databases: Databases
) -> None:
    """Towns share a server but not a database: another town's open transaction (a rebuild's
    COPY, a bulk import) is no reason to wait. It held every feed of the server back before."""
    store = PostgresEventStore(pool, service=SERVICE)
    await create_tables(pool)
    feed = feed_for(pool, town)
    other_town = await psycopg.AsyncConnection.connect(databases.create(random_town(), "other"))
    try:
        await other_town.execute("SELECT pg_current_xact_id()")  # writes nothing, but holds a transaction id
        await note(store, "holder", "hash")
        assert await feed.feed_once() == 1
    finally:
        await other_town.close()
    assert await lookup(pool) == {"hash": "holder"}


async def store_in(conn: Any, holder: str, secret: str) -> None:
    from downtown_events.runtime.postgres_store import TransactionalEventStore

    await TransactionalEventStore(conn, service=SERVICE).append(
        holder, 0, [SecretNoted(holder_id=holder, secret_hash=secret)]
    )


async def test_an_unreadable_private_event_is_set_aside_in_the_database_and_the_feed_goes_on(
    pool: AsyncConnectionPool, town: str
) -> None:
    store = PostgresEventStore(pool, service=SERVICE)
    await create_tables(pool)
    async with pool.connection() as conn:
        await conn.execute(
            "INSERT INTO events (stream_id, version, event_id, event_type, schema_version, data, recorded_at) "
            "VALUES ('broken', 1, %s, 'downtown.testing.SecretNoted', 1, '{\"holder_id\": 7}', now())",
            (uuid4(),),
        )
    await note(store, "fine", "fine-hash")

    feed = feed_for(pool, town)
    assert await feed_all(feed, 2) == 2

    assert await lookup(pool) == {"fine-hash": "fine"}
    async with pool.connection() as conn:
        dead = await (await conn.execute("SELECT reason FROM store_dead_letters")).fetchall()
    assert len(dead) == 1 and "holder_id" in dead[0]["reason"]


async def test_a_store_fed_projection_is_rebuilt_from_the_store_compared_and_swapped(
    pool: AsyncConnectionPool, town: str
) -> None:
    store = PostgresEventStore(pool, service=SERVICE)
    await create_tables(pool)
    for n in range(50):
        await note(store, f"h{n}", f"s{n}")
    feed = feed_for(pool, town)
    assert await feed_all(feed, 50) == 50

    async def keep_writing() -> None:
        for n in range(50, 80):
            await note(store, f"h{n}", f"s{n}")
            await feed_all(feed, 1)

    writing = asyncio.create_task(keep_writing())
    job = ProjectionRebuild(pool, SecretLookup(), town=town, source=ServiceStore(pool, town=town, service=SERVICE))
    report = await job.run(swap=True, live_wait_seconds=10)
    await writing

    assert report.matches and report.swapped, report
    assert await lookup(pool) == {f"s{n}": f"h{n}" for n in range(80)}
    async with pool.connection() as conn:
        assert (await table_checksums(conn, SecretLookup(), LIVE))["secret_lookup"][0] == 80
        assert await checkpoint(conn, "projection:secret_lookup") != (0, 0)
