# SPDX-License-Identifier: Apache-2.0
"""The fold itself: the whole log folded in memory (:class:`BulkFold`), then each row written once.

This is what one process does, and what each of two processes does with its partitions
(see ``in_two``). It is the only part of a rebuild that runs per record, so it is written
for speed: one pass per record, built only as far as needed, and Python's cyclic garbage
collector paused meanwhile (:func:`cyclic_gc_paused`).
"""

from __future__ import annotations

import asyncio
import gc
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from itertools import groupby
from operator import itemgetter

from psycopg import sql

from downtown_events.envelope import STREAMVERSION, SUBJECT, TOWN, TYPE, CloudEvent, InvalidEnvelope, kafka_attributes
from downtown_events.runtime.database import Connection, Pool
from downtown_events.runtime.projection import Projection, ProjectionWriter, RowSet
from downtown_events.runtime.records import (
    Decoded,
    KafkaRecord,
    ReceivedEvent,
    SkippedEvent,
    UnreadableEvent,
    decode_data,
)
from downtown_events.runtime.tracking import Parked, save_parked, save_progress, select_fresh

_PARTITION, _OFFSET = itemgetter(0, 1), itemgetter(2)  # of a KafkaRecord


@contextmanager
def cyclic_gc_paused() -> Iterator[None]:
    """While the read model grows in memory, each of Python's full collections walks all of
    it again; pausing them made the bulk phase ~40% faster. Decoding makes no reference
    cycles, so reference counting still frees everything meanwhile."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


class BulkFold:
    """The rebuild's fast path: fold the whole log in memory, then write each row once.

    The rebuild tables start empty and only the rebuild writes them, so every row a
    batch touches is already in memory: no reads, no per-batch tracking, and one ``COPY``
    per table in the end instead of one upsert per event; the secondary indexes are built
    last. The price is memory in proportion to the read model (a town's catalog, not its log).

    :meth:`add` does what the live consumer does to a batch (:func:`decode_record`, then
    :func:`select_fresh`, then the policy's ``fold``) in one pass per record, building only
    what is needed: most records of a log are of a type the projection does not read, or
    simply next in their stream, and need neither an envelope object nor a skipped event.
    """

    def __init__(self, projection: Projection, town: str, *, watch: bool = False) -> None:
        self._projection = projection
        self._town = town
        self._reads = projection.reads()
        self._read_types: dict[str, bool] = {}
        self._evolve = projection.evolve if type(projection).fold is Projection.fold else None
        self.rows = RowSet()
        if watch:  # folded apart from other partitions: note every row looked at (see fold_in_two)
            self.rows.read = set()
        self.versions: dict[str, int] = {}
        self.parked: Parked = {}
        self.offsets: dict[tuple[str, int], int] = {}
        self.events_read = 0
        self.undecodable = 0

    def add(self, records: Sequence[KafkaRecord]) -> int:
        """Fold a batch; returns how many of its records could not be decoded."""
        undecodable = 0
        town, versions, parked, read_types = self._town, self.versions, self.parked, self._read_types
        # Each event is folded as soon as it is decoded, and freed: kept for the batch, they
        # made the fold a third slower (the memory of 5,000 events no longer fits a cache).
        # A policy with its own fold() gets the batch's events at once, as the live writer gives them.
        evolve, rows = self._evolve, self.rows
        fresh: list[ReceivedEvent] = []
        for record in records:
            try:
                fields = kafka_attributes(record.key, record.value, record.headers)
            except InvalidEnvelope:  # the live consumer dead-lettered it
                undecodable += 1
                continue
            if fields[TOWN] != town:
                undecodable += 1
                continue
            ce_type = fields[TYPE]
            read = read_types.get(ce_type)
            if read is None:
                read = read_types[ce_type] = self._reads is None or ce_type.rpartition(".v")[0] in self._reads
            event: Decoded | None = None
            if read:
                event = decode_data(record, CloudEvent(*fields))
                if isinstance(event, UnreadableEvent):
                    undecodable += 1
            stream, version = fields[SUBJECT], fields[STREAMVERSION]
            if version == versions.get(stream, 0) + 1 and not (parked and stream in parked):
                versions[stream] = version  # next in its stream, as nearly every record of a log
                if isinstance(event, ReceivedEvent):
                    if evolve is not None:
                        evolve(rows, event)
                    else:
                        fresh.append(event)
            else:  # a duplicate, a gap, or the event that closes one: as the live consumer decides
                if event is None:
                    event = SkippedEvent(record, CloudEvent(*fields))
                for released in select_fresh([event], versions, parked):
                    if isinstance(released, ReceivedEvent):
                        if evolve is not None:
                            evolve(rows, released)
                        else:
                            fresh.append(released)
        if fresh:
            self._projection.fold(rows, fresh)
        for key, same in groupby(records, _PARTITION):  # a source hands over a partition's records together
            offset = max(map(_OFFSET, same)) + 1
            self.offsets[key] = max(self.offsets.get(key, 0), offset)
        self.events_read += len(records)
        self.undecodable += undecodable
        return undecodable

    async def write(self, pool: Pool, writer: ProjectionWriter, *, parallel: int = 2) -> None:
        """Rows on ``parallel`` connections at once (PostgreSQL computes the search vectors on
        as many cores) beside the progress, then the indexes. The rebuild tables stay private
        until the swap, so a failure part-way leaves nothing anyone reads."""

        async def write_shard(shard: RowSet) -> None:
            async with pool.connection() as conn, conn.transaction():
                await writer.copy(conn, shard)

        await asyncio.gather(self.save_progress(pool, writer), *map(write_shard, self.rows.shards(parallel)))
        await self.build_indexes(pool, writer)

    async def save_progress(self, pool: Pool, writer: ProjectionWriter) -> None:
        """The stream versions (``COPY``: the rebuild's consumer has no rows, they were cleared
        at the start), the offsets and what is still parked."""
        async with pool.connection() as conn, conn.transaction():
            await copy_versions(conn, writer.consumer_name, self.versions)
            await save_progress(conn, writer.consumer_name, {}, self.offsets)
            await save_parked(conn, writer.consumer_name, self.parked, set())

    async def build_indexes(self, pool: Pool, writer: ProjectionWriter) -> None:
        """Once the rows are written: the secondary indexes, side by side on the pool's connections."""

        async def build(index: sql.Composed) -> None:
            async with pool.connection() as conn:
                await conn.execute(index)

        await asyncio.gather(*map(build, writer.index_statements()))
        self.rows = RowSet()


async def copy_versions(conn: Connection, consumer_name: str, versions: dict[str, int]) -> None:
    """The stream versions of a rebuild's consumer, which has none yet (cleared at the start)."""
    if versions:
        async with conn.cursor().copy("COPY tracking (consumer, stream_id, version) FROM STDIN") as copy:
            for stream, version in versions.items():
                await copy.write_row((consumer_name, stream, version))
