# SPDX-License-Identifier: Apache-2.0
"""How a rebuild folds the log in memory: :class:`BulkFold` in one process, or two.

A projection that allows it (``Projection.parallel_rebuild``) and is rebuilt from topics
is folded by this process and a forked :class:`Helper`, each taking whole partitions, so
each stream stays in one process and in order (:func:`fold_in_two`). The two folds are
combined exactly when no stream and no row was touched from both sides; rows touched from
both are combined by the policy's ``merge``; otherwise nothing is kept and the rebuild
folds in one process after all.
"""

from __future__ import annotations

import asyncio
import gc
import logging
import multiprocessing
import multiprocessing.process
import os
import pickle
import signal
import sys
import time
import traceback
from collections.abc import Awaitable, Callable, Iterator, Sequence
from contextlib import AsyncExitStack, contextmanager, suppress
from dataclasses import dataclass
from itertools import groupby
from operator import itemgetter
from typing import IO, Any

import psycopg
from aiokafka import TopicPartition
from psycopg import sql
from psycopg.rows import dict_row

from downtown_events.envelope import STREAMVERSION, SUBJECT, TOWN, TYPE, CloudEvent, InvalidEnvelope, kafka_attributes
from downtown_events.runtime.database import Connection, Pool
from downtown_events.runtime.projection import REBUILD, CannotMerge, Projection, ProjectionWriter, RowSet
from downtown_events.runtime.rebuild_sources import KafkaTopics, Progress
from downtown_events.runtime.records import (
    Decoded,
    KafkaRecord,
    ReceivedEvent,
    SkippedEvent,
    UnreadableEvent,
    decode_data,
)
from downtown_events.runtime.tracking import Parked, save_parked, save_progress, select_fresh

log = logging.getLogger(__name__)

HELPER_SILENCE = 120.0
"""Seconds the helper may go without a word before it is given up for dead."""
PROGRESS, FOLDED, WRITE, ABORT, ROWS, WRITTEN, FAILED = range(7)
"""The kinds of frames between a rebuild and its helper process."""
GONE = "the helper process is gone"
CAN_FORK = "fork" in multiprocessing.get_all_start_methods()
_TOKEN = 4  # bytes per claim token in the claims pipe
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
    helper = await Helper.start(
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
    if helper is None:
        return None
    try:
        bulk = BulkFold(projection, town, watch=True)
        total = sum(end.values())

        async def apply(records: list[KafkaRecord], conn: Connection | None) -> None:
            bulk.add(records)
            if progress:
                progress(bulk.events_read + helper.events_read, total)

        mine: list[TopicPartition] = []
        while (claimed := helper.claim()) is not None:
            mine.append(order[claimed])
            await source.read_partitions([order[claimed]], end, apply)
        try:
            theirs = await _combine(pool, projection, writer, helper, bulk)
        except _Undo as undone:
            if str(undone) != GONE:
                log.warning("%s: %s", projection.name, undone)
                return None
            # The helper is gone before this side took anything of its fold: read its share here.
            log.warning("%s: the rebuild's helper process is gone; reading its partitions here", projection.name)
            await helper.stop()
            await reset()  # whatever it may have written
            for partition in order:
                if partition not in mine:
                    await source.read_partitions([partition], end, apply)
            await bulk.write(pool, writer)
            theirs = {"events_read": 0, "undecodable": 0}
        else:
            await bulk.build_indexes(pool, writer)
        source.skip_to(end)
        return Folded(bulk.events_read + theirs["events_read"], bulk.undecodable + theirs["undecodable"])
    finally:
        await helper.stop()


class _Undo(Exception):
    """Roll back what a process wrote of its share: the folds cannot be combined as they are."""


async def _combine(
    pool: Pool, projection: Projection, writer: ProjectionWriter, helper: Helper, bulk: BulkFold
) -> dict[str, Any]:
    """Write this process's share in a transaction begun as soon as its fold is done, and
    have the helper write its own; replace the rows both sides touched by their merge;
    commit; return what the helper said of its fold. Raises :class:`_Undo` with both
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
        copying = asyncio.create_task(_write_share(connections, writer, bulk.rows, bulk.versions))
        try:
            theirs = await helper.receive(FOLDED)
            overlap, wanted = _verdict(helper, bulk, theirs)
            helper.send(WRITE, wanted)
        except BaseException:
            with suppress(psycopg.Error):  # e.g. a deadlock with the helper's own writes, now moot
                await copying
            raise
        await copying
        returned = await helper.receive(ROWS)
        if returned is None:
            raise _Undo(GONE)
        tables = {table.name: table for table in projection.tables}
        try:
            for key, (row, changed) in returned.items():
                if key in overlap:
                    row = projection.merge(tables[key[0]], bulk.rows.row(*key), row)
                bulk.rows.place(key, row, changed=changed)
        except CannotMerge as error:  # the helper commits its share: the caller starts over
            await helper.receive(WRITTEN)
            raise _Undo(str(error)) from error
        conn = connections[0]
        await writer.remove(conn, overlap & bulk.rows.changed)  # written above as this side folded them
        await writer.copy(conn, bulk.rows.only(returned.keys() & bulk.rows.changed))
        if not theirs["writes"]:
            await copy_versions(conn, writer.consumer_name, theirs["versions"])
        bulk.versions.update(theirs["versions"])
        bulk.parked.update(theirs["parked"])
        bulk.offsets.update(theirs["offsets"])
        await save_progress(conn, writer.consumer_name, {}, bulk.offsets)
        await save_parked(conn, writer.consumer_name, bulk.parked, set())
        if await helper.receive(WRITTEN) is None:  # this side's fold holds some of its share by now
            raise _Undo("the helper process ended before it had written its share")
    return theirs


def _verdict(
    helper: Helper, bulk: BulkFold, theirs: dict[str, Any] | None
) -> tuple[set[tuple[str, str]], set[tuple[str, str]]]:
    """The rows both sides touched, and the rows the helper is to hand back (those, or all of
    its rows if it cannot write); :class:`_Undo` if the folds cannot be combined."""
    if theirs is None:
        raise _Undo(GONE)
    reason = None
    overlap = (bulk.rows.changed | (bulk.rows.read or set())) & theirs["touched"]
    if theirs["versions"].keys() & bulk.versions.keys():
        reason = "a stream was read on both sides (the same id on two topics)"
    elif overlap and not theirs["merges"]:
        reason = "rows were touched from both sides and the policy does not merge them"
    if reason:
        helper.send(ABORT, None)  # now: the helper rolls back, which may be what this side's writes wait for
        raise _Undo(reason)
    return overlap, overlap if theirs["writes"] else overlap | theirs["changed"]


async def _write_share(
    connections: Sequence[Connection], writer: ProjectionWriter, rows: RowSet, versions: dict[str, int]
) -> None:
    """One side's rows and versions, each split over its connections (PostgreSQL computes the
    search vectors on as many cores, using the one the other side leaves when it is done first)."""
    streams = list(versions.items())
    count = len(connections)

    async def write(conn: Connection, shard: RowSet, index: int) -> None:
        await writer.copy(conn, shard)
        await copy_versions(conn, writer.consumer_name, dict(streams[index::count]))

    shards = rows.shards(count)
    await asyncio.gather(*(write(conn, shards[index], index) for index, conn in enumerate(connections)))


# --- the helper process -------------------------------------------------------------------


def _write_frame(out: IO[bytes], kind: int, payload: Any) -> None:
    data = pickle.dumps(payload, protocol=pickle.HIGHEST_PROTOCOL)
    out.write(kind.to_bytes(1, "big") + len(data).to_bytes(8, "big") + data)
    out.flush()


def _read_frame(source: IO[bytes]) -> tuple[int, Any]:
    head = source.read(9)
    if len(head) < 9:
        raise EOFError("the other process closed the pipe")
    return head[0], pickle.loads(source.read(int.from_bytes(head[1:], "big")))


def _claim(claims: int) -> int | None:
    """The next partition nobody has taken yet (an index into the shared order), or None.

    The tokens were written to a pipe at once and its writing end closed: each read of one
    token is atomic, so two processes reading it share the partitions out without a lock.
    """
    token = os.read(claims, _TOKEN)
    return int.from_bytes(token, "big") if token else None


class Helper:
    """The second process of a rebuild's bulk phase, as the first one sees it.

    A fork of this process (so it starts in milliseconds, with every module imported and
    the policy object as it is) that reads and folds partitions with its own aiokafka
    reader, exactly like the first process, and talks over two pipes in pickled frames. It
    never touches what it inherited of this process's connections or event loop, and ends
    without running this process's clean-ups. The partitions are handed out through a pipe
    of tokens both processes read from, largest first, so whoever is faster takes more. When
    both are done, the first compares what each touched, asks for the rows that need
    combining (or for all of them, if the helper cannot reach the database itself), and each
    writes its own share (see :func:`_combine`).
    """

    def __init__(
        self,
        process: multiprocessing.process.BaseProcess,
        claims: int,
        reader: asyncio.StreamReader,
        writer: asyncio.StreamWriter,
    ) -> None:
        self._process = process
        self._claims = claims
        self._writer = writer
        self._frames: asyncio.Queue[tuple[int, Any] | None] = asyncio.Queue()
        self._heard = time.monotonic()
        self.events_read = 0
        self._listening = asyncio.create_task(self._listen(reader))

    @classmethod
    async def start(cls, order: list[TopicPartition], **job: Any) -> Helper | None:
        """Fork the helper with its job (``order``: the partitions the tokens stand for); None
        where processes cannot be forked."""
        try:
            context = multiprocessing.get_context("fork")
        except ValueError:
            return None
        claims, hand_out = os.pipe()
        os.write(hand_out, b"".join(index.to_bytes(_TOKEN, "big") for index in range(len(order))))
        os.close(hand_out)  # before the fork: when the tokens are gone, both readers see the end
        inbox, to_helper = os.pipe()
        from_helper, outbox = os.pipe()
        job = {**job, "order": order, "claims": claims}
        process = context.Process(
            target=_helper_process,
            args=(job, inbox, outbox, (to_helper, from_helper)),
            name="rebuild-helper",
            daemon=True,  # should this process end without stopping it, it ends too
        )
        try:
            process.start()
        except OSError as error:
            log.warning("no second process for the rebuild (%s); folding in one", error)
            for fd in (claims, to_helper, from_helper):
                os.close(fd)
            return None
        finally:
            os.close(inbox)
            os.close(outbox)
        loop = asyncio.get_running_loop()
        reader = asyncio.StreamReader()
        await loop.connect_read_pipe(lambda: asyncio.StreamReaderProtocol(reader), os.fdopen(from_helper, "rb", 0))
        transport, protocol = await loop.connect_write_pipe(
            asyncio.streams.FlowControlMixin, os.fdopen(to_helper, "wb", 0)
        )
        return cls(process, claims, reader, asyncio.StreamWriter(transport, protocol, None, loop))

    def claim(self) -> int | None:
        return _claim(self._claims)

    def send(self, kind: int, payload: Any) -> None:
        data = pickle.dumps(payload, protocol=pickle.HIGHEST_PROTOCOL)
        self._writer.write(kind.to_bytes(1, "big") + len(data).to_bytes(8, "big") + data)

    async def receive(self, kind: int) -> Any:
        """The helper's next message, which must be ``kind``; None if it failed or fell silent."""
        while True:
            try:
                frame = await asyncio.wait_for(self._frames.get(), timeout=5)
            except TimeoutError:
                if time.monotonic() - self._heard > HELPER_SILENCE:
                    log.warning("the rebuild's helper process fell silent; carrying on without it")
                    return None
                continue
            if frame is None:
                return None
            if frame[0] == FAILED:
                log.warning("the rebuild's helper process failed:\n%s", frame[1])
                return None
            if frame[0] != kind:
                raise RuntimeError(f"the rebuild's helper sent message {frame[0]}, expected {kind}")
            return frame[1]

    async def _listen(self, reader: asyncio.StreamReader) -> None:
        try:
            while True:
                head = await reader.readexactly(9)
                payload = pickle.loads(await reader.readexactly(int.from_bytes(head[1:], "big")))
                self._heard = time.monotonic()
                if head[0] == PROGRESS:
                    self.events_read = payload
                else:
                    self._frames.put_nowait((head[0], payload))
        except (asyncio.IncompleteReadError, ConnectionError):
            pass  # it ended; what it did not send is done here
        except Exception:
            log.exception("the rebuild's helper process sent what cannot be read")
        finally:
            self._frames.put_nowait(None)

    async def stop(self) -> None:
        """Ask the helper to roll back what it has not committed and end; make sure it does."""
        if self._claims < 0:
            return
        os.close(self._claims)
        self._claims = -1
        with suppress(ConnectionError, RuntimeError):
            self.send(ABORT, None)
            await self._writer.drain()
        self._writer.close()
        with suppress(TimeoutError):  # its end closes the pipe it writes to
            await asyncio.wait_for(asyncio.shield(self._listening), timeout=2)
        if self._process.exitcode is None:  # (its database session, if any, ends with it)
            self._process.kill()
        self._process.join()  # ended or killed: nothing to wait for
        self._process.close()


def _helper_process(job: dict[str, Any], inbox: int, outbox: int, not_mine: tuple[int, ...]) -> None:
    """The helper (see :class:`Helper`), just forked: its own event loop, connections and frames."""
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
                _write_frame(frames, FAILED, traceback.format_exc())
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
    projection: Projection = job["projection"]
    source = KafkaTopics(job["topics"], job["bootstrap"], partitions=job["partitions"])
    bulk = BulkFold(projection, job["town"], watch=True)

    async def apply(records: list[KafkaRecord], conn: Connection | None) -> None:
        bulk.add(records)
        _write_frame(frames, PROGRESS, bulk.events_read)

    connecting = asyncio.create_task(_connect(job["conninfo"]))  # meanwhile, off the critical path
    await source.open()
    try:
        while (claimed := _claim(job["claims"])) is not None:
            await source.read_partitions([job["order"][claimed]], job["end"], apply)
    finally:
        await source.close()
    connections = await connecting
    rows = bulk.rows
    touched = rows.changed | (rows.read or set())
    summary = {"versions": bulk.versions, "parked": bulk.parked, "offsets": bulk.offsets, "touched": touched}
    summary |= {"changed": rows.changed, "events_read": bulk.events_read, "undecodable": bulk.undecodable}
    merges = job["merges"]
    _write_frame(frames, FOLDED, summary | {"writes": connections is not None, "merges": merges})
    if connections is None:  # the first process writes it all
        kind, wanted = _read_frame(inbox)
        if kind == WRITE:
            _write_frame(frames, ROWS, {key: (rows.row(*key), key in rows.changed) for key in wanted})
            _write_frame(frames, WRITTEN, True)
        return
    writer = ProjectionWriter(projection, REBUILD, consumer_name=job["consumer"])
    async with AsyncExitStack() as stack:
        for connection in connections:
            await stack.enter_async_context(connection)
        try:
            async with AsyncExitStack() as transactions:
                for connection in connections:
                    await transactions.enter_async_context(connection.transaction())
                if not merges:  # no row is combined: write before the verdict, maybe while the other folds
                    await _write_share(connections, writer, rows, bulk.versions)
                kind, wanted = _read_frame(inbox)
                if kind != WRITE or (wanted and not merges):  # (the latter never asked: rows written here)
                    raise _Undo("told to")
                _write_frame(frames, ROWS, {key: (rows.row(*key), key in rows.changed) for key in wanted})
                if merges:  # the rows the first process does not combine
                    await _write_share(connections, writer, rows.only(rows.changed - wanted), bulk.versions)
        except _Undo:
            return
    _write_frame(frames, WRITTEN, True)


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
