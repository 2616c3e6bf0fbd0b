# SPDX-License-Identifier: Apache-2.0
"""The bulk phase in two processes (:func:`fold_in_two`), as the rebuilding process runs it.

Fork the helper, fold the partitions this process claims, then combine: each side writes
its share in its own transactions, rows touched by both are replaced by the policy's
merge, and the helper's versions, offsets and parked events are saved beside this side's.
Anything that makes the folds uncombinable rolls both back (:class:`~share.Undo`) and
the caller folds in one process; a helper that is gone leaves its partitions to this one.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Sequence
from contextlib import AsyncExitStack, suppress
from dataclasses import dataclass, field
from typing import Any

import psycopg
from aiokafka import TopicPartition

from downtown_events.runtime.database import Connection, Pool
from downtown_events.runtime.projection import CannotMerge, Projection, ProjectionWriter
from downtown_events.runtime.rebuild_fold.bulk import BulkFold, copy_versions
from downtown_events.runtime.rebuild_fold.frames import ABORT, FOLDED, ROWS, WRITE, WRITTEN, FoldSummary
from downtown_events.runtime.rebuild_fold.helper import Helper
from downtown_events.runtime.rebuild_fold.share import Undo, write_share
from downtown_events.runtime.rebuild_sources import KafkaTopics, Progress
from downtown_events.runtime.records import KafkaRecord
from downtown_events.runtime.tracking import save_parked, save_progress

log = logging.getLogger(__name__)

GONE = "the helper process is gone"
Keys = set[tuple[str, str]]
"""Rows as :attr:`RowSet.changed` names them: (table, key as text)."""


@dataclass
class Folded:
    """What :func:`fold_in_two` read: every record, counted as the rebuild reports them."""

    events_read: int
    undecodable: int


async def fold_in_two(
    pool: Pool,
    projection: Projection,
    writer: ProjectionWriter,
    *,
    town: str,
    source: KafkaTopics,
    progress: Progress | None,
    reset: Callable[[], Awaitable[None]],
) -> Folded | None:
    """The bulk phase in this process and a forked :class:`Helper`, each taking the next
    partition (largest first) as it is done with one, then combined and written; the source
    is left at its end offsets. None, with nothing written, if the folds cannot be combined
    (or no process can be forked): the caller folds in one process after all. ``reset``
    empties the rebuild tables (for a helper that is gone after writing part of its share).

    Combining is exact when no stream and no row was touched from both sides: the policy is
    pure, and each side saw its partitions in order. Rows touched from both (the directory's
    merchant rows, counted from offers on every partition) are combined by the policy's
    :meth:`~Projection.merge`; a policy without one is folded in one process.
    """
    end = source.end_offsets
    order = sorted((partition for partition, offset in end.items() if offset), key=lambda p: -end[p])
    helper = await _fork_helper(pool, projection, writer, town, source, order)
    if helper is None:
        return None
    try:
        this = _ThisSide(source, end, helper, progress, BulkFold(projection, town, watch=True))
        while (claimed := helper.claim()) is not None:
            await this.read(order[claimed])
        try:
            theirs = await _combine(pool, projection, writer, helper, this.bulk)
            their_read, their_undecodable = theirs["events_read"], theirs["undecodable"]
        except Undo as undone:
            if str(undone) != GONE:
                log.warning("%s: %s", projection.name, undone)
                return None
            # The helper is gone before this side took anything of its fold: read its share here.
            log.warning("%s: the rebuild's helper process is gone; reading its partitions here", projection.name)
            await this.take_over(order, pool, writer, reset)
            their_read = their_undecodable = 0
        else:
            await this.bulk.build_indexes(pool, writer)
        source.skip_to(end)
        return Folded(this.bulk.events_read + their_read, this.bulk.undecodable + their_undecodable)
    finally:
        await helper.stop()


async def _fork_helper(
    pool: Pool,
    projection: Projection,
    writer: ProjectionWriter,
    town: str,
    source: KafkaTopics,
    order: list[TopicPartition],
) -> Helper | None:
    """The helper, given all it needs to read, fold and write its share by itself (it
    writes only if it can reach the database with the pool's connection string)."""
    end = source.end_offsets
    return await Helper.start(
        order,
        projection=projection,
        town=town,
        topics=source.topics,
        bootstrap=source.bootstrap,
        partitions=list(end),
        end=end,
        conninfo=pool.conninfo if isinstance(pool.conninfo, str) else None,
        consumer=writer.consumer_name,
        merges=type(projection).merge is not Projection.merge,
    )


@dataclass
class _ThisSide:
    """This process's part of the fold: the partitions it read, folded into ``bulk``."""

    source: KafkaTopics
    end: dict[TopicPartition, int]
    helper: Helper
    progress: Progress | None
    bulk: BulkFold
    mine: list[TopicPartition] = field(default_factory=list)
    total: int = field(init=False)

    def __post_init__(self) -> None:
        self.total = sum(self.end.values())

    async def read(self, partition: TopicPartition) -> None:
        self.mine.append(partition)
        await self.source.read_partitions([partition], self.end, self._apply)

    async def take_over(
        self,
        order: Sequence[TopicPartition],
        pool: Pool,
        writer: ProjectionWriter,
        reset: Callable[[], Awaitable[None]],
    ) -> None:
        """The helper is gone: empty the tables of whatever it wrote, read its partitions
        here, and write everything from this process."""
        await self.helper.stop()
        await reset()
        for partition in order:
            if partition not in self.mine:
                await self.read(partition)
        await self.bulk.write(pool, writer)

    async def _apply(self, records: list[KafkaRecord], conn: Connection | None) -> None:
        self.bulk.add(records)
        if self.progress:
            self.progress(self.bulk.events_read + self.helper.events_read, self.total)


async def _combine(
    pool: Pool, projection: Projection, writer: ProjectionWriter, helper: Helper, bulk: BulkFold
) -> FoldSummary:
    """Write this process's share in a transaction begun as soon as its fold is done, and
    have the helper write its own; replace the rows both sides touched by their merge;
    commit; return what the helper said of its fold. Raises :class:`Undo` with both
    transactions rolled back if that cannot be done.

    Whoever finishes folding first writes while the other still folds. A policy whose rows
    are never touched from both sides has the helper write before the verdict too; one that
    merges has the helper wait for it, so that a row is never written by both transactions.
    """
    # Two connections, but only one where rows may have to be merged: a merged row replaces
    # this side's own in the same transaction (in another, its insert would wait for this one).
    width = 1 if type(projection).merge is not Projection.merge else min(2, pool.max_size)
    async with AsyncExitStack() as stack:
        connections = [await stack.enter_async_context(pool.connection()) for _ in range(width)]
        for connection in connections:
            await stack.enter_async_context(connection.transaction())
        copying = asyncio.create_task(write_share(connections, writer, bulk.rows, bulk.versions))
        try:
            theirs = await helper.receive(FOLDED)
            overlap, wanted = _verdict(helper, bulk, theirs)
            helper.send(WRITE, wanted)
        except BaseException:
            # Stop writing at once, never wait for it: rows both sides wrote before the verdict
            # can hold each side's COPY behind the other's open transaction, a wait across two
            # processes PostgreSQL cannot see as a deadlock. Cancelled (psycopg cancels it in
            # the server too) and rolled back, this side frees the helper to read its ABORT.
            copying.cancel()
            with suppress(asyncio.CancelledError, psycopg.Error):
                await copying
            raise
        await copying
        returned = await helper.receive(ROWS)
        if returned is None:
            raise Undo(GONE)
        await _merge_returned(projection, helper, bulk, returned, overlap)
        await _write_returned(connections[0], writer, bulk, theirs, returned, overlap)
        if await helper.receive(WRITTEN) is None:  # this side's fold holds some of its share by now
            raise Undo("the helper process ended before it had written its share")
    return theirs


def _verdict(helper: Helper, bulk: BulkFold, theirs: FoldSummary | None) -> tuple[Keys, Keys]:
    """The rows both sides touched, and the rows the helper is to hand back (those, or all of
    its rows if it cannot write); :class:`Undo` if the folds cannot be combined."""
    if theirs is None:
        raise Undo(GONE)
    reason = None
    touched = bulk.rows.changed | (bulk.rows.read or set())
    overlap = touched & theirs["touched"]
    if theirs["versions"].keys() & bulk.versions.keys():
        reason = "a stream was read on both sides (the same id on two topics)"
    elif overlap and not theirs["merges"]:
        reason = "rows were touched from both sides and the policy does not merge them"
    if reason:
        helper.send(ABORT, None)  # now: the helper rolls back, which may be what this side's writes wait for
        raise Undo(reason)
    return overlap, overlap if theirs["writes"] else overlap | theirs["changed"]


async def _merge_returned(
    projection: Projection, helper: Helper, bulk: BulkFold, returned: dict[tuple[str, str], Any], overlap: Keys
) -> None:
    """Place the rows the helper handed back in this side's fold, merged where both touched
    them. A policy that refuses to merge one undoes the fold in two, once the helper has
    committed its share (the caller starts over and resets the tables)."""
    tables = {table.name: table for table in projection.tables}
    try:
        for key, (row, changed) in returned.items():
            if key in overlap:
                row = projection.merge(tables[key[0]], bulk.rows.row(*key), row)
            bulk.rows.place(key, row, changed=changed)
    except CannotMerge as error:
        await helper.receive(WRITTEN)
        raise Undo(str(error)) from error


async def _write_returned(
    conn: Connection,
    writer: ProjectionWriter,
    bulk: BulkFold,
    theirs: FoldSummary,
    returned: dict[tuple[str, str], Any],
    overlap: Keys,
) -> None:
    """In this side's transaction: the merged rows instead of this side's own, the rows the
    helper handed back, its stream versions if it did not write them itself, and the
    offsets and parked events of both sides."""
    await writer.remove(conn, overlap & bulk.rows.changed)  # written before as this side folded them
    await writer.copy(conn, bulk.rows.only(returned.keys() & bulk.rows.changed))
    if not theirs["writes"]:
        await copy_versions(conn, writer.consumer_name, theirs["versions"])
    bulk.versions.update(theirs["versions"])
    bulk.parked.update(theirs["parked"])
    bulk.offsets.update(theirs["offsets"])
    await save_progress(conn, writer.consumer_name, {}, bulk.offsets)
    await save_parked(conn, writer.consumer_name, bulk.parked, set())
