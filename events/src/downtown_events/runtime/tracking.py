"""Tracking: what a consumer has applied, recorded in the same transaction as the effect.

Per consumer and stream, the last applied version (``tracking``): a redelivered or
duplicated event has a version at or below it and is dropped; one that skips ahead waits
for the relay to publish what is missing. Per consumer and partition, the next offset
(``tracking_offsets``): for lag, and to line a rebuild up with the live projection.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Protocol

from downtown_events.runtime.database import Connection
from downtown_events.runtime.records import Decoded, KafkaRecord, ReceivedEvent

log = logging.getLogger(__name__)


class EventHandler(Protocol):
    """Applies new events inside the consumer's transaction; must not commit or swallow."""

    consumer_name: str

    async def handle(self, conn: Connection, events: Sequence[ReceivedEvent]) -> None: ...


_LOCK_TRACKING = """
SELECT stream_id, version FROM tracking
WHERE consumer = %s AND stream_id = ANY(%s) FOR UPDATE
"""
_SAVE_TRACKING = """
INSERT INTO tracking (consumer, stream_id, version)
SELECT %s, s, v FROM unnest(%s::text[], %s::int[]) AS x(s, v)
ON CONFLICT (consumer, stream_id) DO UPDATE SET version = EXCLUDED.version
"""
_SAVE_OFFSETS = """
INSERT INTO tracking_offsets (consumer, topic, partition, next_offset)
SELECT %s, t, p, o FROM unnest(%s::text[], %s::int[], %s::bigint[]) AS x(t, p, o)
ON CONFLICT (consumer, topic, partition) DO UPDATE
SET next_offset = GREATEST(tracking_offsets.next_offset, EXCLUDED.next_offset)
"""


def next_offsets(records: Sequence[KafkaRecord]) -> dict[tuple[str, int], int]:
    offsets: dict[tuple[str, int], int] = {}
    for record in records:
        key = (record.topic, record.partition)
        offsets[key] = max(offsets.get(key, 0), record.offset + 1)
    return offsets


def select_fresh(events: Sequence[Decoded], applied: dict[str, int]) -> list[Decoded]:
    """The events next in their streams, in order, advancing ``applied`` (stream -> version).

    A version at or below the applied one is a duplicate; one that skips ahead means the
    relay will publish the missing events and this one again, so it is left for then.
    """
    fresh: list[Decoded] = []
    for event in events:
        last = applied.get(event.stream_id, 0)
        if event.stream_version == last + 1:
            fresh.append(event)
            applied[event.stream_id] = event.stream_version
        elif event.stream_version > last + 1:
            log.warning(
                "%s v%d arrived before v%d; waiting for the relay to resend",
                event.stream_id,
                event.stream_version,
                last + 1,
            )
    return fresh


async def save_progress(
    conn: Connection, consumer_name: str, versions: dict[str, int], offsets: dict[tuple[str, int], int]
) -> None:
    """Record applied stream versions and next partition offsets (in the effect's transaction)."""
    if versions:
        await conn.execute(_SAVE_TRACKING, (consumer_name, list(versions), list(versions.values())))
    if offsets:
        topics, partitions = [topic for topic, _ in offsets], [partition for _, partition in offsets]
        await conn.execute(_SAVE_OFFSETS, (consumer_name, topics, partitions, list(offsets.values())))


async def apply_tracked(
    conn: Connection,
    handler: EventHandler,
    events: Sequence[Decoded],
    records: Sequence[KafkaRecord],
) -> int:
    """Within the caller's transaction: apply the events not yet applied, record progress.

    Returns how many events were new.
    """
    # Shared: the batches of a consumer's replicas run side by side (their partitions differ);
    # only a projection swap takes the lock exclusively and waits them out (see rebuild.py).
    await conn.execute("SELECT pg_advisory_xact_lock_shared(hashtext(%s))", (handler.consumer_name,))
    streams = sorted({event.stream_id for event in events})
    rows = await (await conn.execute(_LOCK_TRACKING, (handler.consumer_name, streams))).fetchall()
    applied: dict[str, int] = {row["stream_id"]: row["version"] for row in rows}
    fresh = select_fresh(events, applied)
    readable = [event for event in fresh if isinstance(event, ReceivedEvent)]
    if readable:
        await handler.handle(conn, readable)
    changed = {event.stream_id: applied[event.stream_id] for event in fresh}
    await save_progress(conn, handler.consumer_name, changed, next_offsets(records))
    return len(fresh)
