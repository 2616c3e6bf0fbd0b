# SPDX-License-Identifier: Apache-2.0
"""Rebuild a projection from offset zero beside the live one, compare, and swap it in.

1. Fresh ``<table>__rebuild`` tables; the log is read from the beginning up to where it
   ended at the start (see ``rebuild_sources``: the projection's topics with plain
   aiokafka, or, for a projection of private events, the service's own store), folded in
   memory and written once (see ``rebuild_fold``: in one process, or two).
2. Wait until the live projection has read at least as far, then take the consumer's
   lock exclusively (every live batch holds it shared, so the workers pause), bring the
   rebuild to exactly the live offsets, and compare row counts and content checksums.
3. If they match (or ``force``), swap in one transaction: live tables become ``__old``
   and are dropped, rebuild tables take the live names, tracking rows move over. The
   live worker resumes on the new tables; readers never see a missing table.
"""

from __future__ import annotations

import asyncio
import logging
import os
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime

import psycopg
from psycopg import sql

from downtown_events.envelope import InvalidEnvelope
from downtown_events.runtime.database import Connection, Pool
from downtown_events.runtime.projection import LIVE, REBUILD, Projection, ProjectionWriter, table_checksums
from downtown_events.runtime.rebuild_fold import CAN_FORK, BulkFold, cyclic_gc_paused, fold_in_two
from downtown_events.runtime.rebuild_records import record_rebuild
from downtown_events.runtime.rebuild_sources import KafkaTopics, LogSource, Progress
from downtown_events.runtime.records import Decoded, KafkaRecord, UnreadableEvent, decode_record
from downtown_events.runtime.tracking import apply_tracked

__all__ = ["BulkFold", "ProjectionRebuild", "RebuildReport"]

log = logging.getLogger(__name__)


@dataclass
class RebuildReport:
    projection: str
    events_read: int = 0
    undecodable: int = 0
    seconds: float = 0.0
    live: dict[str, tuple[int, str]] = field(default_factory=dict)
    rebuilt: dict[str, tuple[int, str]] = field(default_factory=dict)
    swapped: bool = False
    note: str = ""

    @property
    def events_per_second(self) -> float:
        return self.events_read / self.seconds if self.seconds else 0.0

    @property
    def matches(self) -> bool:
        return bool(self.rebuilt) and self.live == self.rebuilt


TRACKING_TABLES = ("tracking", "tracking_offsets", "parked_events")
SWAP_LOCK_TIMEOUT = "200ms"  # how long searches may queue behind one swap attempt
SWAP_LOCK_ATTEMPTS = 60  # a second apart
PARALLEL_FROM = 10_000
"""Below this many records a second process saves less than it costs to start and combine."""


class ProjectionRebuild:
    """``processes``: 2 (where two cores are usable) lets a projection that allows it
    (``parallel_rebuild``) be folded in a second process when its topics hold at least
    ``parallel_from`` records (see ``rebuild_fold``); 1 never does."""

    def __init__(
        self,
        pool: Pool,
        projection: Projection,
        *,
        town: str,
        source: LogSource,
        processes: int | None = None,
        parallel_from: int = PARALLEL_FROM,
    ) -> None:
        self._pool = pool
        self._processes = _usable_cores() if processes is None else processes
        self._parallel_from = parallel_from
        self._projection = projection
        self._town = town
        self._source = source
        self._live = ProjectionWriter(projection, LIVE)
        self._reads = projection.reads()
        self._writer = ProjectionWriter(projection, REBUILD, consumer_name=projection.consumer_name + "@rebuild")
        self._report = RebuildReport(projection.name)
        self._bulk = BulkFold(projection, town)

    async def run(
        self,
        *,
        swap: bool = True,
        force: bool = False,
        progress: Progress | None = None,
        live_wait_seconds: float = 60.0,
    ) -> RebuildReport:
        """The run, recorded in ``projection_rebuilds`` when it ends (see ``rebuild_records``),
        also when it fails midway: then it does not match, and the note says why."""
        started, started_at = time.perf_counter(), datetime.now(UTC)
        try:
            await self._source.open()
            try:
                await self._reset_tables()
                with cyclic_gc_paused():
                    await self._bulk_phase(progress)
                self._report.seconds = time.perf_counter() - started
                await self._compare_and_swap(swap=swap, force=force, live_wait_seconds=live_wait_seconds)
            finally:
                await self._source.close()
        except (Exception, asyncio.CancelledError) as error:
            self._report.seconds = time.perf_counter() - started
            self._report.note = f"failed: {type(error).__name__}: {error}"[:2000]
            self._report.live = self._report.rebuilt = {}  # not compared to the end: no match to show
            await self._record(started_at, forced=force)
            raise
        await self._record(started_at, forced=force)
        return self._report

    async def _record(self, started_at: datetime, *, forced: bool) -> None:
        """Write the run's record; a database that cannot take it is logged, never raised
        over the run's own outcome (a swap that happened stays swapped)."""
        try:
            async with self._pool.connection() as conn:
                await record_rebuild(
                    conn, self._report, started_at=started_at, finished_at=datetime.now(UTC), forced=forced
                )
        except Exception:
            log.exception("the rebuild of %s could not be recorded in projection_rebuilds", self._projection.name)

    async def _bulk_phase(self, progress: Progress | None) -> None:
        """From offset zero to where the log ended at the start, folded in memory, written once."""
        source = self._source
        parallel = self._projection.parallel_rebuild and self._processes > 1 and CAN_FORK
        if parallel and isinstance(source, KafkaTopics):
            end = source.end_offsets
            if sum(end.values()) >= self._parallel_from and sum(1 for offset in end.values() if offset) > 1:
                folded = await fold_in_two(
                    self._pool,
                    self._projection,
                    self._writer,
                    town=self._town,
                    source=source,
                    progress=progress,
                    reset=self._reset_tables,
                )
                if folded is not None:
                    self._report.events_read, self._report.undecodable = folded.events_read, folded.undecodable
                    return
                log.warning("%s: folding in one process after all", self._projection.name)
                await self._start_over(source)
        await source.read_to_end(self._apply, progress)
        await self._bulk.write(self._pool, self._writer)

    async def _start_over(self, source: KafkaTopics) -> None:
        self._bulk = BulkFold(self._projection, self._town)
        self._report.events_read = self._report.undecodable = 0
        source.rewind({partition: 0 for partition in source.mark()})
        await self._reset_tables()

    async def _reset_tables(self) -> None:
        async with self._pool.connection() as conn, conn.transaction():
            for table in self._projection.tables:
                await conn.execute(sql.SQL("DROP TABLE IF EXISTS {}").format(sql.Identifier(REBUILD(table))))
            await self._writer.create_tables(conn, indexes=False)  # built after the bulk load
            await self._live.create_tables(conn)
            for tracking in TRACKING_TABLES:
                await conn.execute(
                    sql.SQL("DELETE FROM {} WHERE consumer = %s").format(sql.Identifier(tracking)),
                    (self._writer.consumer_name,),
                )

    async def _apply(self, records: list[KafkaRecord], conn: Connection | None) -> None:
        """Fold a batch: in memory during the bulk phase, tracked on ``conn`` under the lock."""
        if conn is None:
            self._report.undecodable += self._bulk.add(records)
            self._report.events_read += len(records)
            return
        events: list[Decoded] = []
        for record in records:  # the live consumer already dead-lettered what cannot be read
            try:
                event = decode_record(record, self._town, self._reads)
            except InvalidEnvelope:
                self._report.undecodable += 1
                continue
            self._report.undecodable += isinstance(event, UnreadableEvent)
            events.append(event)
        await apply_tracked(conn, self._writer, events, records)
        self._report.events_read += len(records)

    async def _compare_and_swap(self, *, swap: bool, force: bool, live_wait_seconds: float) -> None:
        """Catch up to the live consumer under its lock, compare, swap if they match (or
        ``force``). A live consumer that is behind the rebuild is waited for; past the
        deadline the swap is refused, forced or not: swapping would move the live
        projection back in time."""
        deadline = time.monotonic() + live_wait_seconds
        lock_attempts = 0
        while True:
            caught_up_to = self._source.mark()
            try:
                async with self._pool.connection() as conn, conn.transaction():
                    await conn.execute("SELECT pg_advisory_xact_lock(hashtext(%s))", (self._live.consumer_name,))
                    behind = await self._source.live_behind(conn, self._live.consumer_name)
                    if behind is None:
                        await self._source.catch_up(conn, self._live.consumer_name, self._apply)
                        self._report.live = await table_checksums(conn, self._projection, LIVE)
                        self._report.rebuilt = await table_checksums(conn, self._projection, REBUILD)
                        if swap and (self._report.matches or force):
                            # A reader holding the tables would make every later reader queue
                            # behind the swap's exclusive lock: give up quickly and try again.
                            await conn.execute(f"SET LOCAL lock_timeout = '{SWAP_LOCK_TIMEOUT}'")
                            await self._swap(conn)
                        return
            except psycopg.errors.LockNotAvailable:
                self._source.rewind(caught_up_to)  # what was read in the rolled-back transaction is read again
                lock_attempts += 1
                if lock_attempts >= SWAP_LOCK_ATTEMPTS:
                    self._report.note = (
                        f"the swap could not lock the live tables in {SWAP_LOCK_ATTEMPTS} attempts "
                        "(long-running reads hold them); nothing was changed, run the rebuild again later"
                    )
                    return
                log.info("the swap waited %s for readers of the live tables; trying again", SWAP_LOCK_TIMEOUT)
                await asyncio.sleep(1)
                continue
            if time.monotonic() > deadline:
                self._report.note = (
                    f"live projection is behind the rebuild on {behind}; "
                    "not swapped (a swap would move it back in time), run the rebuild again"
                )
                return
            await asyncio.sleep(0.5)

    async def _swap(self, conn: Connection) -> None:
        for table in self._projection.tables:
            live, rebuilt, old = LIVE(table), REBUILD(table), LIVE(table) + "__old"
            await conn.execute(sql.SQL("DROP TABLE IF EXISTS {}").format(sql.Identifier(old)))
            await conn.execute(
                sql.SQL("ALTER TABLE IF EXISTS {} RENAME TO {}").format(sql.Identifier(live), sql.Identifier(old))
            )
            await conn.execute(
                sql.SQL("ALTER TABLE {} RENAME TO {}").format(sql.Identifier(rebuilt), sql.Identifier(live))
            )
            await conn.execute(sql.SQL("DROP TABLE IF EXISTS {}").format(sql.Identifier(old)))
            await conn.execute(
                sql.SQL("ALTER INDEX {} RENAME TO {}").format(
                    sql.Identifier(f"{rebuilt}_pkey"), sql.Identifier(f"{live}_pkey")
                )
            )
            for index in range(len(table.indexes)):
                await conn.execute(
                    sql.SQL("ALTER INDEX {} RENAME TO {}").format(
                        sql.Identifier(f"{rebuilt}_i{index}"), sql.Identifier(f"{live}_i{index}")
                    )
                )
        # The live store checkpoint stays: the rebuild caught up to exactly it.
        for tracking in TRACKING_TABLES:
            await conn.execute(
                sql.SQL("DELETE FROM {} WHERE consumer = %s").format(sql.Identifier(tracking)),
                (self._live.consumer_name,),
            )
            await conn.execute(
                sql.SQL("UPDATE {} SET consumer = %s WHERE consumer = %s").format(sql.Identifier(tracking)),
                (self._live.consumer_name, self._writer.consumer_name),
            )
        self._report.swapped = True


def _usable_cores() -> int:
    try:
        return min(2, len(os.sched_getaffinity(0)))
    except AttributeError:  # not on Linux
        return min(2, os.cpu_count() or 1)
