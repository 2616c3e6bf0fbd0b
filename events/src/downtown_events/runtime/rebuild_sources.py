# SPDX-License-Identifier: Apache-2.0
"""Where a rebuild reads the log from: the topics a projection declares, or the service's own store.

Both read from the very beginning to where the log ended when the rebuild started (the
bulk phase), then — under the live consumer's exclusive lock — forward to exactly where
the live projection is, so the two can be compared and swapped. Each knows its own
notion of "where": offsets per topic and partition for Kafka, the ``(tx_id, position)``
cursor for the store (see ``store_feed``).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from operator import itemgetter
from typing import Any, Protocol

from aiokafka import AIOKafkaConsumer, TopicPartition

from downtown_events.runtime.database import Connection, Pool
from downtown_events.runtime.kafka import topic_partitions
from downtown_events.runtime.projection import Projection
from downtown_events.runtime.records import KafkaRecord
from downtown_events.runtime.store_feed import START, StorePosition, StoreReader, checkpoint
from downtown_events.topics import events_topic

Apply = Callable[[list[KafkaRecord], Connection | None], Awaitable[None]]
"""The rebuild's fold of a batch: in memory (no connection) or tracked on the lock's connection."""
Progress = Callable[[int, int], None]
Offsets = dict[TopicPartition, int]
"""Next offset per partition of every topic a projection reads."""


class LogSource(Protocol):
    async def open(self) -> None: ...

    async def close(self) -> None: ...

    async def read_to_end(self, apply: Apply, progress: Progress | None) -> None:
        """From the beginning to where the log ends now."""

    async def live_behind(self, conn: Connection, live_consumer: str) -> str | None:
        """What the live consumer has not read yet that the rebuild has (None: it is level or ahead)."""

    async def catch_up(self, conn: Connection, live_consumer: str, apply: Apply) -> None:
        """Read forward to exactly where the live consumer is."""

    def mark(self) -> Any:
        """Where the rebuild is now, to :meth:`rewind` to when a swap attempt is rolled back."""

    def rewind(self, mark: Any) -> None: ...


def _record(fields: tuple[str, int, int, bytes | None, bytes | None, Sequence[tuple[str, bytes]]]) -> KafkaRecord:
    return tuple.__new__(KafkaRecord, fields)  # a rebuild makes millions: without the namedtuple's __new__


_OFFSET = itemgetter(2)


class KafkaTopics:
    """The topics a projection reads, every partition from offset 0, with plain aiokafka
    (no consumer group, nothing committed)."""

    def __init__(
        self,
        topics: Sequence[str],
        bootstrap: str,
        *,
        batch_size: int = 5000,
        bulk_batch_size: int = 250,
        partitions: Sequence[TopicPartition] | None = None,
    ) -> None:
        """``batch_size``: records per tracked batch (catching up under the live lock);
        ``bulk_batch_size``: per batch of the bulk phase, folded in memory, where small
        batches keep what is being decoded in the processor's cache (5,000 were 10% slower)."""
        self._topics = list(topics)
        self._bootstrap = bootstrap
        self._batch_size = batch_size
        self._bulk_batch_size = bulk_batch_size
        self._known_partitions = None if partitions is None else list(partitions)
        self._reader = AIOKafkaConsumer(
            bootstrap_servers=bootstrap,
            enable_auto_commit=False,
            group_id=None,
            auto_offset_reset="earliest",
            fetch_max_bytes=64 * 1024 * 1024,
            max_partition_fetch_bytes=16 * 1024 * 1024,
        )
        self._position: Offsets = {}
        self._end: Offsets = {}

    @property
    def topics(self) -> list[str]:
        return list(self._topics)

    @property
    def bootstrap(self) -> str:
        return self._bootstrap

    async def open(self) -> None:
        await self._reader.start()
        partitions = self._known_partitions
        if partitions is None:
            partitions = []
            for topic in self._topics:
                found = [TopicPartition(topic, p) for p in await topic_partitions(self._bootstrap, topic)]
                if not found:
                    raise RuntimeError(f"topic {topic} does not exist")
                partitions += found
        self._reader.assign(partitions)
        self._reader.pause(*partitions)  # nothing is fetched before a read asks for its partitions
        self._end = dict(await self._reader.end_offsets(partitions))
        await self._reader.seek_to_beginning(*partitions)
        self._position = {tp: 0 for tp in partitions}

    async def close(self) -> None:
        await self._reader.stop()

    async def read_to_end(self, apply: Apply, progress: Progress | None) -> None:
        await self._read_until(self.end_offsets, apply, progress, None)

    @property
    def end_offsets(self) -> Offsets:
        """Where every partition ended when the source was opened: what the bulk phase reads to."""
        return dict(self._end)

    async def read_partitions(
        self, partitions: Sequence[TopicPartition], end: Offsets, apply: Apply, progress: Progress | None = None
    ) -> None:
        """Only ``partitions``, from where the reader is to ``end``; the others stay where they are."""
        self._reader.pause(*self._position)
        await self._read_until({partition: end[partition] for partition in partitions}, apply, progress, None)

    def skip_to(self, offsets: Offsets) -> None:
        """Carry on from ``offsets``: what lies before them was read elsewhere (another process)."""
        self.rewind({**self._position, **offsets})

    async def live_behind(self, conn: Connection, live_consumer: str) -> str | None:
        live = await self._live_offsets(conn, live_consumer)
        behind = sorted(str(p) for p, offset in self._position.items() if live.get(p, 0) < offset)
        return f"partitions {', '.join(behind)}" if behind else None

    async def catch_up(self, conn: Connection, live_consumer: str, apply: Apply) -> None:
        await self._read_until(await self._live_offsets(conn, live_consumer), apply, None, conn)

    def mark(self) -> Offsets:
        return dict(self._position)

    def rewind(self, mark: Offsets) -> None:
        self._position = dict(mark)
        for partition, offset in mark.items():
            self._reader.seek(partition, offset)

    async def _read_until(self, end: Offsets, apply: Apply, progress: Progress | None, conn: Connection | None) -> None:
        total = sum(end.values())
        for partition, offset in end.items():  # partitions already there need no reading
            if self._position.get(partition, 0) >= offset:
                self._reader.pause(partition)
            else:
                self._reader.resume(partition)
        while any(self._position.get(p, 0) < offset for p, offset in end.items()):
            batch_size = self._batch_size if conn is not None else self._bulk_batch_size
            fetched = await self._reader.getmany(timeout_ms=500, max_records=batch_size)
            records: list[KafkaRecord] = []
            reached: Offsets = {}
            for tp, messages in fetched.items():
                limit = end.get(tp, 0)
                topic, partition = tp.topic, tp.partition
                wanted = [
                    _record((topic, partition, message.offset, message.key, message.value, message.headers))
                    for message in messages
                    if message.offset < limit
                ]
                if wanted:
                    reached[tp] = max(map(_OFFSET, wanted)) + 1
                    records += wanted
                if messages and messages[-1].offset + 1 >= limit:
                    self._reader.pause(tp)
                    if messages[-1].offset >= limit:  # fetched past the end: read those again later
                        self._reader.seek(tp, limit)
            if records:
                await apply(records, conn)
                for tp, offset in reached.items():
                    self._position[tp] = max(self._position.get(tp, 0), offset)
            if progress:
                progress(sum(min(self._position.get(p, 0), o) for p, o in end.items()), total)

    async def _live_offsets(self, conn: Connection, live_consumer: str) -> Offsets:
        rows = await (
            await conn.execute(
                "SELECT topic, partition, next_offset FROM tracking_offsets WHERE consumer = %s AND topic = ANY(%s)",
                (live_consumer, self._topics),
            )
        ).fetchall()
        return {TopicPartition(row["topic"], int(row["partition"])): int(row["next_offset"]) for row in rows}


class ServiceStore:
    """The service's own events table, private events included, in the feed's order."""

    def __init__(self, pool: Pool, *, town: str, service: str, batch_size: int = 5000) -> None:
        self._pool = pool
        self._reader = StoreReader(town=town, service=service, batch_size=batch_size)
        self._position: StorePosition = START

    async def open(self) -> None:
        self._position = START

    async def close(self) -> None:
        return None

    async def read_to_end(self, apply: Apply, progress: Progress | None) -> None:
        async with self._pool.connection() as conn:
            end = await self._reader.end(conn)
            await self._read_until(conn, end, apply, progress, bulk=True)

    async def live_behind(self, conn: Connection, live_consumer: str) -> str | None:
        live = await checkpoint(conn, live_consumer)
        return f"the store (live at {live}, rebuild at {self._position})" if live < self._position else None

    async def catch_up(self, conn: Connection, live_consumer: str, apply: Apply) -> None:
        await self._read_until(conn, await checkpoint(conn, live_consumer), apply, None, bulk=False)

    def mark(self) -> StorePosition:
        return self._position

    def rewind(self, mark: StorePosition) -> None:
        self._position = mark

    async def _read_until(
        self, conn: Connection, end: StorePosition, apply: Apply, progress: Progress | None, *, bulk: bool
    ) -> None:
        while self._position < end:
            batch = await self._reader.read(conn, self._position, end)
            if not batch.records:
                return
            await apply(batch.records, None if bulk else conn)
            self._position = batch.last
            if progress:
                progress(batch.last[1], end[1])


def source_of(projection: Projection, *, pool: Pool, town: str, service: str, bootstrap: str) -> LogSource:
    """What a projection of ``service`` is rebuilt from: its own store, or the topics it reads."""
    if projection.from_store:
        return ServiceStore(pool, town=town, service=service)
    return KafkaTopics([events_topic(town, source) for source in projection.sources or (service,)], bootstrap)
