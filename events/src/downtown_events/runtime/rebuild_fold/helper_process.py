# SPDX-License-Identifier: Apache-2.0
"""The helper after the fork: its own event loop, Kafka reader, connections and frames.

A forked child inherits the first process's open connections, event loop, signal wake-up
descriptor and locked stream buffers, none of which it may use: it closes or replaces
them first (:func:`helper_process`), then folds the partitions it claims exactly as the
first process does (``bulk``), reports ``FOLDED``, and writes its share or hands its rows
back as the first process says (``frames`` has the conversation).
"""

from __future__ import annotations

import asyncio
import logging
import os
import signal
import sys
import traceback
from collections.abc import Sequence
from contextlib import AsyncExitStack, suppress
from typing import IO, Any

import psycopg
from psycopg.rows import dict_row

from downtown_events.runtime.database import Connection
from downtown_events.runtime.projection import REBUILD, ProjectionWriter, RowSet
from downtown_events.runtime.rebuild_fold.bulk import BulkFold, cyclic_gc_paused
from downtown_events.runtime.rebuild_fold.frames import (
    FAILED,
    FOLDED,
    PROGRESS,
    ROWS,
    WRITE,
    WRITTEN,
    FoldSummary,
    claim,
    read_frame,
    write_frame,
)
from downtown_events.runtime.rebuild_fold.share import Undo, write_share
from downtown_events.runtime.rebuild_sources import KafkaTopics
from downtown_events.runtime.records import KafkaRecord

log = logging.getLogger(__name__)


def helper_process(job: dict[str, Any], inbox: int, outbox: int, not_mine: tuple[int, ...]) -> None:
    """The helper (see ``helper.Helper``), just forked: its own event loop, connections and frames."""
    for fd in not_mine:  # the first process's ends of the pipes: the helper must see their end
        os.close(fd)
    signal.signal(signal.SIGINT, signal.default_int_handler)  # not the first process's loop's
    signal.set_wakeup_fd(-1)
    _own_std_streams()
    with os.fdopen(outbox, "wb") as frames:
        try:
            with cyclic_gc_paused(), os.fdopen(inbox, "rb") as orders:
                asyncio.run(_help(job, orders, frames))
        except EOFError:  # the first process gave up on this one
            return
        except BaseException:
            with suppress(OSError):
                write_frame(frames, FAILED, traceback.format_exc())
            raise SystemExit(1) from None


def _own_std_streams() -> None:
    """New ``sys.stdout``/``sys.stderr`` objects over the same files, for this process and its
    log handlers: a thread of the first process (a progress bar, say) may have been writing
    at the fork, and the lock of the stream's buffer it held would never be released here."""
    for name in ("stdout", "stderr"):
        inherited = getattr(sys, name)
        try:
            fd = inherited.fileno()
        except (AttributeError, OSError, ValueError):  # not a file (a test's capture): nothing to reopen
            continue
        errors = "backslashreplace" if name == "stderr" else "strict"
        fresh = open(fd, "w", buffering=1, encoding=inherited.encoding, errors=errors, closefd=False)  # noqa: SIM115
        setattr(sys, name, fresh)
        for logger in [logging.getLogger(), *logging.Logger.manager.loggerDict.values()]:
            for handler in getattr(logger, "handlers", ()):
                if isinstance(handler, logging.StreamHandler) and handler.stream is inherited:
                    handler.stream = fresh  # not setStream(): it would flush the inherited one first


async def _help(job: dict[str, Any], inbox: IO[bytes], frames: IO[bytes]) -> None:
    """Fold the claimed partitions, report, then write this side's share or hand it back."""
    source = KafkaTopics(job["topics"], job["bootstrap"], partitions=job["partitions"])
    bulk = BulkFold(job["projection"], job["town"], watch=True)
    connecting = asyncio.create_task(_connect(job["conninfo"]))  # meanwhile, off the critical path
    await _fold_claimed(job, source, bulk, frames)
    connections = await connecting
    merges = job["merges"]
    write_frame(frames, FOLDED, _summary(bulk, writes=connections is not None, merges=merges))
    if connections is None:  # the first process writes it all
        kind, wanted = read_frame(inbox)
        if kind == WRITE:
            _hand_back(frames, bulk.rows, wanted)
            write_frame(frames, WRITTEN, True)
        return
    writer = ProjectionWriter(job["projection"], REBUILD, consumer_name=job["consumer"])
    if await _write_own_share(connections, writer, bulk, merges=merges, inbox=inbox, frames=frames):
        write_frame(frames, WRITTEN, True)


async def _fold_claimed(job: dict[str, Any], source: KafkaTopics, bulk: BulkFold, frames: IO[bytes]) -> None:
    """Claim partitions until none is left, folding each and reporting progress per batch."""

    async def apply(records: list[KafkaRecord], conn: Connection | None) -> None:
        bulk.add(records)
        write_frame(frames, PROGRESS, bulk.events_read)

    await source.open()
    try:
        while (claimed := claim(job["claims"])) is not None:
            await source.read_partitions([job["order"][claimed]], job["end"], apply)
    finally:
        await source.close()


def _summary(bulk: BulkFold, *, writes: bool, merges: bool) -> FoldSummary:
    rows = bulk.rows
    return FoldSummary(
        versions=bulk.versions,
        parked=bulk.parked,
        offsets=bulk.offsets,
        touched=rows.changed | (rows.read or set()),
        changed=rows.changed,
        events_read=bulk.events_read,
        undecodable=bulk.undecodable,
        writes=writes,
        merges=merges,
    )


def _hand_back(frames: IO[bytes], rows: RowSet, wanted: set[tuple[str, str]]) -> None:
    """The rows the first process asked for, each with whether this side changed it."""
    write_frame(frames, ROWS, {key: (rows.row(*key), key in rows.changed) for key in wanted})


async def _write_own_share(
    connections: Sequence[Connection],
    writer: ProjectionWriter,
    bulk: BulkFold,
    *,
    merges: bool,
    inbox: IO[bytes],
    frames: IO[bytes],
) -> bool:
    """Write this side's share in transactions committed only on the first process's
    ``WRITE``: before it asks, if no row is ever merged (so it may be written while the
    other side still folds); after, without the rows it takes to merge, if rows are. False
    if told to roll back."""
    rows = bulk.rows
    async with AsyncExitStack() as stack:
        for connection in connections:
            await stack.enter_async_context(connection)
        try:
            async with AsyncExitStack() as transactions:
                for connection in connections:
                    await transactions.enter_async_context(connection.transaction())
                if not merges:  # no row is combined: write before the verdict, maybe while the other folds
                    await write_share(connections, writer, rows, bulk.versions)
                kind, wanted = read_frame(inbox)
                if kind != WRITE or (wanted and not merges):  # (the latter never asked: rows written here)
                    raise Undo("told to")
                _hand_back(frames, rows, wanted)
                if merges:  # the rows the first process does not combine
                    await write_share(connections, writer, rows.only(rows.changed - wanted), bulk.versions)
        except Undo:
            return False
    return True


async def _connect(conninfo: str | None) -> list[Connection] | None:
    """The helper's own two connections to write its rows, or None: then it hands them all back."""
    if conninfo is None:
        return None
    opened = await asyncio.gather(*(_connection(conninfo) for _ in range(2)), return_exceptions=True)
    failed = [result for result in opened if isinstance(result, BaseException)]
    if not failed:
        return [result for result in opened if not isinstance(result, BaseException)]
    for result in opened:
        if not isinstance(result, BaseException):
            await result.close()
    log.warning("the rebuild's helper cannot reach the database (%s); its rows go to the first process", failed[0])
    return None


async def _connection(conninfo: str) -> Connection:
    return await psycopg.AsyncConnection.connect(conninfo, autocommit=True, row_factory=dict_row)
