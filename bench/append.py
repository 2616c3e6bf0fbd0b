# SPDX-License-Identifier: AGPL-3.0-or-later
"""(a) and (d): append rate of the event store, against plain INSERTs and the eventsourcing library.

One workload, written three ways into one scratch database, sequentially, one append at a
time: every append starts a new stream (``expected_version`` 0). Batches of one event are
an ``OfferListed`` each; batches of 100 are an ``OfferListed`` and 99 ``OfferStockAdjusted``.

- **ours**: :class:`PostgresEventStore` (events + outbox + notify in one statement);
- **plain**: the same rows into a table with the same columns and key, with the cheapest
  SQL that still commits each append: one autocommitted INSERT per single-event append,
  ``executemany`` in one transaction per batch; no outbox, no position, no notify;
- **eventsourcing**: ``PostgresApplicationRecorder``, which numbers events for its
  notification log as ours does (it locks the table to do it in commit order).

Every implementation serialises the events inside the timed loop (any writer must), and
the rounds interleave the three so drift on a noisy machine hits them alike.
"""

from __future__ import annotations

import argparse
import asyncio
import random
import time
import uuid
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime

import psycopg
from eventsourcing.persistence import StoredEvent as EsStoredEvent
from eventsourcing.postgres import PostgresApplicationRecorder, PostgresDatastore

from bench import samples
from bench.report import Figure, Target, rate, say
from bench.scratch import scratch_database
from downtown_events.contract import IntegrationEvent
from downtown_events.runtime.database import Pool, migrate, open_pool
from downtown_events.runtime.postgres_store import PostgresEventStore

BENCHMARK = "append"
ROUNDS = 5
WARM_UP_APPENDS = 20

_PLAIN_TABLE = """
CREATE TABLE IF NOT EXISTS plain_events (
    stream_id       text        NOT NULL,
    version         integer     NOT NULL,
    event_id        uuid        NOT NULL,
    event_type      text        NOT NULL,
    schema_version  smallint    NOT NULL,
    data            json        NOT NULL,
    metadata        json        NOT NULL DEFAULT '{}',
    recorded_at     timestamptz NOT NULL,
    PRIMARY KEY (stream_id, version)
)
"""
_PLAIN_INSERT = """
INSERT INTO plain_events (stream_id, version, event_id, event_type, schema_version, data, metadata, recorded_at)
VALUES (%s, %s, %s, %s, %s, %s::json, %s::json, %s)
"""


@dataclass(frozen=True)
class Append:
    stream_id: uuid.UUID
    events: Sequence[IntegrationEvent]


Writer = Callable[[Append], Awaitable[None]]


@dataclass
class Timing:
    seconds: float = 0.0
    events: int = 0
    by_round: list[float] = field(default_factory=list)


def workload(appends: int, batch: int, rng: random.Random) -> list[Append]:
    merchant = uuid.uuid4()
    result = []
    for _ in range(appends):
        offer = uuid.uuid4()
        events: list[IntegrationEvent] = [samples.offer_listed(offer, merchant, rng, stock=batch * 2)]
        for version in range(2, batch + 1):
            events.append(samples.stock_adjusted(offer, merchant, stock=batch * 2 - version + 1, delta=-1))
        result.append(Append(offer, events))
    return result


def ours(pool: Pool) -> Writer:
    store = PostgresEventStore(pool, service="catalog")

    async def write(append: Append) -> None:
        await store.append(str(append.stream_id), 0, append.events)

    return write


def plain(pool: Pool) -> Writer:
    async def write(append: Append) -> None:
        now = datetime.now(UTC)
        stream_id = str(append.stream_id)
        rows = [
            (stream_id, version, uuid.uuid4(), type(e).type_name(), e.schema_version, e.model_dump_json(), "{}", now)
            for version, e in enumerate(append.events, start=1)
        ]
        async with pool.connection() as conn:
            if len(rows) == 1:
                await conn.execute(_PLAIN_INSERT, rows[0], prepare=True)  # autocommit: its own transaction
            else:
                async with conn.transaction(), conn.cursor() as cursor:
                    await cursor.executemany(_PLAIN_INSERT, rows)

    return write


def eventsourcing_recorder(database_url: str) -> tuple[PostgresDatastore, PostgresApplicationRecorder]:
    info = psycopg.conninfo.conninfo_to_dict(database_url)
    datastore = PostgresDatastore(
        dbname=str(info["dbname"]),
        host=str(info.get("host", "127.0.0.1")),
        port=str(info.get("port", 5432)),
        user=str(info.get("user", "")),
        password=str(info.get("password", "")),
        pool_size=1,
    )
    recorder = PostgresApplicationRecorder(datastore, events_table_name="es_stored_events")
    recorder.create_table()
    return datastore, recorder


def eventsourcing(recorder: PostgresApplicationRecorder) -> Writer:
    async def write(append: Append) -> None:
        stored = [
            EsStoredEvent(
                originator_id=append.stream_id,
                originator_version=version,
                topic=f"downtown_events.catalog:{type(e).__name__}",
                state=e.model_dump_json().encode(),
            )
            for version, e in enumerate(append.events, start=1)
        ]
        # The library is synchronous; called straight from the loop, it pays no thread hop.
        recorder.insert_events(stored)

    return write


async def _time(writer: Writer, appends: Sequence[Append]) -> float:
    started = time.perf_counter()
    for append in appends:
        await writer(append)
    return time.perf_counter() - started


async def _measure(database_url: str, appends: int, batch: int, rng: random.Random) -> dict[str, Timing]:
    pool = await open_pool(database_url, name="bench-append")
    async with pool.connection() as conn:
        await conn.execute(_PLAIN_TABLE)
    datastore, recorder = eventsourcing_recorder(database_url)
    writers = {"ours": ours(pool), "plain": plain(pool), "eventsourcing": eventsourcing(recorder)}
    try:
        for writer in writers.values():  # connections, prepared statements, caches
            for append in workload(WARM_UP_APPENDS, batch, rng):
                await writer(append)
        timings = {name: Timing() for name in writers}
        rounds = [workload(appends // ROUNDS, batch, rng) for _ in range(ROUNDS)]
        for index, chunk in enumerate(rounds):
            names = list(writers)
            order = names[index % len(names) :] + names[: index % len(names)]  # rotate who goes first
            for name in order:
                seconds = await _time(writers[name], chunk)
                timing = timings[name]
                timing.seconds += seconds
                timing.events += sum(len(a.events) for a in chunk)
                timing.by_round.append(seconds)
                speed = rate(len(chunk) * batch, seconds)
                say(f"  batch {batch}, round {index + 1}/{ROUNDS}: {name:<13} {speed:>9,.0f} events/s")
        return timings
    finally:
        datastore.close()
        await pool.close()


def run(options: argparse.Namespace) -> list[Figure]:
    rng = random.Random(42)
    figures: list[Figure] = []
    with scratch_database() as database_url:
        migrate(database_url)
        for appends, batch in ((options.appends, 1), (options.appends // 10, 100)):
            say(f"append: {appends:,} appends of {batch} event(s), each to a new stream, per implementation")
            timings = asyncio.run(_measure(database_url, appends, batch, rng))
            rates = {name: rate(t.events, t.seconds) for name, t in timings.items()}
            figures += [
                Figure(BENCHMARK, f"ours, batch {batch}", rates["ours"], "events/s"),
                Figure(BENCHMARK, f"plain INSERT, batch {batch}", rates["plain"], "events/s"),
                Figure(BENCHMARK, f"eventsourcing 9, batch {batch}", rates["eventsourcing"], "events/s"),
                Figure(
                    BENCHMARK, f"(a) ours / plain, batch {batch}", rates["ours"] / rates["plain"], "ratio", Target(0.5)
                ),
                Figure(
                    BENCHMARK,
                    f"(d) ours / eventsourcing, batch {batch}",
                    rates["ours"] / rates["eventsourcing"],
                    "ratio",
                    Target(1.5),
                ),
            ]
    return figures
