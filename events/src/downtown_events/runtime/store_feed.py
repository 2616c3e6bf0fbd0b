# SPDX-License-Identifier: Apache-2.0
"""The service's own event store as a feed: for projections of events that are never published.

Private events (a voucher code's keyed hash, a buyer's e-mail) never reach Kafka, so a read
model built from them — looking a code up, for one — cannot be fed from a topic. It is fed
from the service's own ``events`` table instead, by the same :class:`TrackingConsumer` as
any projection: the feed turns stored rows into the very records the relay would publish
(the CloudEvents envelope, byte for byte), so decoding, tracking, parking and the
projection writer are the ones every consumer uses.

Completeness: positions commit out of order, so the feed reads only the events of
transactions that have ended (``tx_id`` below the horizon, :data:`_HORIZON`), in ``(tx_id,
position)`` order, and remembers the last pair it read (``store_checkpoints``). A stream's
versions may still come out of order (a transaction's id is fixed at its first write);
tracking parks and releases them as it does for Kafka. The checkpoint is saved in the
transaction that applies the batch (as Kafka offsets are), so the read model and the
cursor never disagree — which the rebuild relies on when it catches up to the live one.

Whatever the consumer cannot decode or apply goes to ``store_dead_letters``, never to the
dead-letter topic: a private event must not leave the service.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import Any

from downtown_events.runtime.consumer import TrackingConsumer
from downtown_events.runtime.database import Connection, Pool, advisory_key
from downtown_events.runtime.outbox import PendingEvent
from downtown_events.runtime.postgres_store import OUTBOX_CHANNEL
from downtown_events.runtime.records import KafkaRecord
from downtown_events.topics import event_source

log = logging.getLogger(__name__)

StorePosition = tuple[int, int]
"""(tx_id, position) of the last event read; (0, 0) before the first."""
START: StorePosition = (0, 0)


STORE_TX_HEADER = "downtown_store_tx"
"""The record header that carries the writing transaction's id (the cursor's first half)."""


def store_topic(town: str, service: str) -> str:
    """The name store-fed records carry where a Kafka record has its topic (never a real topic)."""
    return f"{town}.{service}.store"


_HORIZON = """coalesce(
    (SELECT min(running) FROM pg_snapshot_xip(pg_current_snapshot()) AS running
     WHERE mod(running::text::bigint, 4294967296) NOT IN (
        SELECT other.backend_xid::text::bigint FROM pg_stat_activity other
        WHERE other.backend_xid IS NOT NULL AND other.datname IS DISTINCT FROM current_database())),
    pg_snapshot_xmax(pg_current_snapshot()))"""
"""The oldest transaction still running that may write to this database; every event below it
has committed or never will. The snapshot's ``xmin`` would do, but it is the whole server's:
one town's long transaction (a rebuild's COPY, a bulk import) held back every other town's
feeds on a shared server, for as long as it ran (a store-fed read model 40 s late in a stress
run). Running transactions that ``pg_stat_activity`` places in another database (by their
32-bit id, which no two running transactions share) are passed over; one it cannot place (a
role without the right to see it, one that ended meanwhile) still holds the feed back, as before."""

_READ = f"""
SELECT e.tx_id::text AS tx_id, e.stream_id, e.version, e.position, e.event_id, e.event_type, e.schema_version,
       e.data::text AS data, e.metadata->>'traceparent' AS traceparent,
       e.metadata->>'tracestate' AS tracestate, e.recorded_at
FROM events e
WHERE (e.tx_id, e.position) > (%(tx_id)s::xid8, %(position)s)
  AND (e.tx_id, e.position) <= (%(until_tx_id)s::xid8, %(until_position)s)
  AND e.tx_id < {_HORIZON}
ORDER BY e.tx_id, e.position
LIMIT %(limit)s
"""
_END = f"""
SELECT coalesce(max(tx_id)::text, '0') AS tx_id, coalesce(max(position), 0) AS position
FROM events WHERE tx_id < {_HORIZON}
"""
_CHECKPOINT = "SELECT tx_id::text AS tx_id, position FROM store_checkpoints WHERE consumer = %s"
_SAVE_CHECKPOINT = """
INSERT INTO store_checkpoints (consumer, tx_id, position) VALUES (%s, %s::xid8, %s)
ON CONFLICT (consumer) DO UPDATE SET tx_id = EXCLUDED.tx_id, position = EXCLUDED.position
WHERE (store_checkpoints.tx_id, store_checkpoints.position) < (EXCLUDED.tx_id, EXCLUDED.position)
"""
FOREVER: StorePosition = (2**63 - 1, 2**63 - 1)


@dataclass(frozen=True)
class StoreBatch:
    records: list[KafkaRecord]
    last: StorePosition


class StoreReader:
    """Reads a service's stored events, in the order that misses none, as Kafka records."""

    def __init__(self, *, town: str, service: str, batch_size: int = 1000) -> None:
        self.topic = store_topic(town, service)
        self._town = town
        self._source = event_source(town, service)
        self._batch_size = batch_size

    async def read(self, conn: Connection, after: StorePosition, until: StorePosition = FOREVER) -> StoreBatch:
        """The next events after ``after`` (and up to ``until``) of transactions that ended."""
        params = {
            "tx_id": str(after[0]),
            "position": after[1],
            "until_tx_id": str(until[0]),
            "until_position": until[1],
            "limit": self._batch_size,
        }
        rows = await (await conn.execute(_READ, params, prepare=True)).fetchall()
        records = [self._record(row) for row in rows]
        last = (int(rows[-1]["tx_id"]), int(rows[-1]["position"])) if rows else after
        return StoreBatch(records, last)

    async def end(self, conn: Connection) -> StorePosition:
        """Where the final part of the store ends now: a rebuild reads up to here."""
        row = await (await conn.execute(_END)).fetchone()
        assert row is not None, "an aggregate query always returns a row"
        return int(row["tx_id"]), int(row["position"])

    def _record(self, row: dict[str, Any]) -> KafkaRecord:
        key, value, headers = PendingEvent.of(row).to_cloud_event(self._town, self._source).to_kafka()
        headers.append((STORE_TX_HEADER, row["tx_id"].encode()))
        return KafkaRecord(self.topic, 0, int(row["position"]), key, value, headers)


def position_of(record: KafkaRecord) -> StorePosition:
    tx_id = next(value for name, value in record.headers if name == STORE_TX_HEADER)
    return int(tx_id), record.offset


async def checkpoint(conn: Connection, consumer_name: str) -> StorePosition:
    row = await (await conn.execute(_CHECKPOINT, (consumer_name,))).fetchone()
    return (int(row["tx_id"]), int(row["position"])) if row else START


async def save_checkpoint(conn: Connection, consumer_name: str, position: StorePosition) -> None:
    """Move the cursor forward (never back: a slower replica's late save changes nothing)."""
    await conn.execute(_SAVE_CHECKPOINT, (consumer_name, str(position[0]), position[1]))


def checkpointing(consumer_name: str) -> Callable[[Connection, Sequence[KafkaRecord]], Awaitable[None]]:
    """The store feed's progress, for :class:`TrackingConsumer`: the cursor after the last
    record applied, saved in the same transaction."""

    async def save(conn: Connection, records: Sequence[KafkaRecord]) -> None:
        if records:
            await save_checkpoint(conn, consumer_name, position_of(records[-1]))

    return save


class StoreDeadLetters:
    """Dead letters of a store-fed consumer: a row in its own database, the event's position
    and the reason; the event itself stays where it is, in the store."""

    def __init__(self, pool: Pool, consumer_name: str) -> None:
        self._pool = pool
        self._consumer_name = consumer_name

    async def send(self, record: KafkaRecord, reason: str) -> None:
        async with self._pool.connection() as conn:
            await conn.execute(
                "INSERT INTO store_dead_letters (consumer, position, reason) VALUES (%s, %s, %s) "
                "ON CONFLICT (consumer, position) DO UPDATE SET reason = EXCLUDED.reason, failed_at = now()",
                (self._consumer_name, record.offset, reason[:2000]),
            )
        log.warning("store event at position %d set aside by %s: %s", record.offset, self._consumer_name, reason)


class StoreFeed:
    """Feeds one consumer from the store until stopped; one replica at a time (an advisory
    lock), woken by the appends' NOTIFY or every ``idle_poll_seconds``. The consumer must
    save the cursor as it applies (``progress=checkpointing(consumer_name)``)."""

    def __init__(
        self,
        pool: Pool,
        consumer: TrackingConsumer,
        consumer_name: str,
        reader: StoreReader,
        *,
        idle_poll_seconds: float = 0.5,
    ) -> None:
        self._pool = pool
        self._consumer = consumer
        self._consumer_name = consumer_name
        self._reader = reader
        self._idle_poll_seconds = idle_poll_seconds
        self._lock_key = advisory_key(f"feed:{consumer_name}")
        self._cursor: StorePosition | None = None
        """The saved checkpoint as this feed last read or saved it (None: read it again).
        Only the feed leading (holding the lock) saves it, so it need not be read per batch."""

    async def feed_once(self) -> int:
        """Apply the next batch, if any; return how many events it held."""
        async with self._pool.connection() as conn:
            if self._cursor is None:
                self._cursor = await checkpoint(conn, self._consumer_name)
            batch = await self._reader.read(conn, self._cursor)
        if batch.records:
            self._cursor = None  # until the batch is applied (and the checkpoint saved with it)
            await self._consumer.process(batch.records)
            self._cursor = batch.last
        return len(batch.records)

    async def run(self, stop: asyncio.Event) -> None:
        async with self._pool.connection() as listener:
            if not await self._lead(listener, stop):
                return
            try:
                await listener.execute(f"LISTEN {OUTBOX_CHANNEL}")
                while not stop.is_set():
                    while await self.feed_once():
                        pass
                    async for _ in listener.notifies(timeout=self._idle_poll_seconds, stop_after=1):
                        pass
            finally:
                await listener.execute(f"UNLISTEN {OUTBOX_CHANNEL}")
                await listener.execute("SELECT pg_advisory_unlock(%s)", (self._lock_key,))

    async def _lead(self, conn: Connection, stop: asyncio.Event) -> bool:
        while not stop.is_set():
            row = await (await conn.execute("SELECT pg_try_advisory_lock(%s) AS lead", (self._lock_key,))).fetchone()
            if row and row["lead"]:
                return True
            await asyncio.sleep(2)
        return False
