# SPDX-License-Identifier: Apache-2.0
"""Tracking: what a consumer has applied, recorded in the same transaction as the effect.

Per consumer and stream, the last applied version (``tracking``): a redelivered or
duplicated event has a version at or below it and is dropped; one that skips ahead is
*parked* (``parked_events``) until the versions before it are applied, and then applied in
the same transaction as the one that closed the gap. Per consumer and partition, the next
offset (``tracking_offsets``): for lag, and to line a rebuild up with the live projection.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Sequence
from typing import Protocol

from downtown_events.runtime import telemetry
from downtown_events.runtime.database import Connection
from downtown_events.runtime.records import Decoded, KafkaRecord, ReceivedEvent, decode_parked

log = logging.getLogger(__name__)


class EventHandler(Protocol):
    """Applies new events inside the consumer's transaction; must not commit or swallow.

    ``reads`` names the event types it handles (``downtown.catalog.OfferListed``), so the
    consumer decodes no other; None: every type.
    """

    consumer_name: str

    @property
    def reads(self) -> frozenset[str] | None: ...

    async def handle(self, conn: Connection, events: Sequence[ReceivedEvent]) -> None: ...


_LOCK_TRACKING = """
SELECT stream_id, version FROM tracking
WHERE consumer = %s AND stream_id = ANY(%s) FOR UPDATE
"""
# Stream versions and partition offsets in one statement (a statement per batch fewer).
_SAVE_PROGRESS = """
WITH versions AS (
    INSERT INTO tracking (consumer, stream_id, version)
    SELECT %(consumer)s, s, v FROM unnest(%(streams)s::text[], %(versions)s::int[]) AS x(s, v)
    ON CONFLICT (consumer, stream_id) DO UPDATE SET version = EXCLUDED.version
)
INSERT INTO tracking_offsets (consumer, topic, partition, next_offset)
SELECT %(consumer)s, t, p, o FROM unnest(%(topics)s::text[], %(partitions)s::int[], %(offsets)s::bigint[]) AS x(t, p, o)
ON CONFLICT (consumer, topic, partition) DO UPDATE
SET next_offset = GREATEST(tracking_offsets.next_offset, EXCLUDED.next_offset)
"""


def next_offsets(records: Sequence[KafkaRecord]) -> dict[tuple[str, int], int]:
    offsets: dict[tuple[str, int], int] = {}
    for record in records:
        key = (record.topic, record.partition)
        offsets[key] = max(offsets.get(key, 0), record.offset + 1)
    return offsets


Parked = dict[str, dict[int, Decoded]]
"""Events waiting for earlier versions: stream -> version -> event."""


def select_fresh(events: Sequence[Decoded], applied: dict[str, int], parked: Parked | None = None) -> list[Decoded]:
    """The events next in their streams, in order, advancing ``applied`` (stream -> version).

    A version at or below the applied one is a duplicate. One that skips ahead goes to
    ``parked``; when the version before it is applied, it follows, in order.
    """
    waiting: Parked = {} if parked is None else parked
    fresh: list[Decoded] = []
    for event in events:
        last = applied.get(event.stream_id, 0)
        if event.stream_version == last + 1:
            fresh.append(event)
            applied[event.stream_id] = event.stream_version
            if waiting and event.stream_id in waiting:  # rare: only after a gap
                fresh.extend(_released(waiting, applied, event.stream_id))
        elif event.stream_version > last + 1:
            log.warning("%s v%d arrived before v%d; parked", event.stream_id, event.stream_version, last + 1)
            waiting.setdefault(event.stream_id, {})[event.stream_version] = event
    return fresh


def _released(parked: Parked, applied: dict[str, int], stream_id: str) -> list[Decoded]:
    waiting = parked.get(stream_id, {})
    released = []
    while applied[stream_id] + 1 in waiting:
        released.append(waiting.pop(applied[stream_id] + 1))
        applied[stream_id] += 1
    for version in [v for v in waiting if v <= applied[stream_id]]:
        del waiting[version]  # already applied by another way (a redelivery)
    return released


async def save_progress(
    conn: Connection, consumer_name: str, versions: dict[str, int], offsets: dict[tuple[str, int], int]
) -> None:
    """Record applied stream versions and next partition offsets (in the effect's transaction)."""
    if not versions and not offsets:
        return
    params = {
        "consumer": consumer_name,
        "streams": list(versions),
        "versions": list(versions.values()),
        "topics": [topic for topic, _ in offsets],
        "partitions": [partition for _, partition in offsets],
        "offsets": list(offsets.values()),
    }
    await conn.execute(_SAVE_PROGRESS, params, prepare=True)


Also = Callable[[Connection, Sequence[KafkaRecord]], Awaitable[None]]
"""More to write with the progress (a store feed's cursor), in the same transaction."""


async def apply_tracked(
    conn: Connection,
    handler: EventHandler,
    events: Sequence[Decoded],
    records: Sequence[KafkaRecord],
    also: Also | None = None,
) -> int:
    """Within the caller's transaction: apply the events not yet applied, record progress
    (and ``also``). Returns how many events were new."""
    # Shared: the batches of a consumer's replicas run side by side (their partitions differ);
    # only a projection swap takes the lock exclusively and waits them out (see rebuild.py).
    await conn.execute("SELECT pg_advisory_xact_lock_shared(hashtext(%s))", (handler.consumer_name,))
    streams = sorted({event.stream_id for event in events})
    rows = await (await conn.execute(_LOCK_TRACKING, (handler.consumer_name, streams))).fetchall()
    applied: dict[str, int] = {row["stream_id"]: row["version"] for row in rows}
    parked = await load_parked(conn, handler.consumer_name, streams)
    before = _keys(parked)
    fresh = select_fresh(events, applied, parked)
    readable = [event for event in fresh if isinstance(event, ReceivedEvent)]
    if readable:
        await handler.handle(conn, readable)
    changed = {event.stream_id: applied[event.stream_id] for event in fresh}
    await save_progress(conn, handler.consumer_name, changed, next_offsets(records))
    await save_parked(conn, handler.consumer_name, parked, before)
    if also is not None:
        await also(conn, records)
    return len(fresh)


def _keys(parked: Parked) -> set[tuple[str, int]]:
    return {(stream, version) for stream, waiting in parked.items() for version in waiting}


_LOAD_PARKED = """
SELECT topic, "partition", "offset", key, value, header_names, header_values FROM parked_events
WHERE consumer = %s AND stream_id = ANY(%s) FOR UPDATE
"""
_PARK = """
INSERT INTO parked_events
    (consumer, stream_id, version, topic, "partition", "offset", key, value, header_names, header_values)
VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s) ON CONFLICT DO NOTHING
"""


async def load_parked(conn: Connection, consumer_name: str, streams: list[str]) -> Parked:
    rows = await (await conn.execute(_LOAD_PARKED, (consumer_name, streams))).fetchall()
    parked: Parked = {}
    for row in rows:
        record = KafkaRecord(
            row["topic"],
            row["partition"],
            row["offset"],
            row["key"],
            row["value"],
            list(zip(row["header_names"], row["header_values"], strict=True)),
        )
        event = decode_parked(record)
        parked.setdefault(event.stream_id, {})[event.stream_version] = event
    return parked


async def save_parked(conn: Connection, consumer_name: str, parked: Parked, before: set[tuple[str, int]]) -> None:
    """Park what newly waits, forget what was applied or turned out to be a duplicate."""
    now = _keys(parked)
    gone = before - now
    if gone:
        await conn.execute(
            "DELETE FROM parked_events WHERE consumer = %s AND (stream_id, version) IN "
            "(SELECT * FROM unnest(%s::text[], %s::int[]))",
            (consumer_name, [stream for stream, _ in gone], [version for _, version in gone]),
        )
    for stream, version in sorted(now - before):
        record = parked[stream][version].record
        names, values = [name for name, _ in record.headers], [value for _, value in record.headers]
        where = (record.topic, record.partition, record.offset)
        await conn.execute(_PARK, (consumer_name, stream, version, *where, record.key, record.value, names, values))
        telemetry.events_parked.add(1, {"consumer": consumer_name})
