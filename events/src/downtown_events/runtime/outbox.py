# SPDX-License-Identifier: Apache-2.0
"""The outbox relay: publishes what the event store committed, in stream order, at least once.

Only one relay per town and service publishes at a time (a PostgreSQL advisory lock);
others wait as hot standbys. The loop: take the oldest outbox rows, send them with the
idempotent producer, and delete the rows Kafka acknowledged. A crash anywhere leaves the
unacknowledged rows in the outbox, so the next relay sends them again: nothing is lost,
and a duplicate carries the same ``ce_id`` and stream version, which consumers drop.

If one record of a batch fails, only the rows *before* it are deleted; everything from
it onwards is sent again, so a stream's events reach Kafka again in order after any
that overtook it (consumers ignore a version that skips ahead, see ``consumer.py``).

The relay publishes what was stored, byte for byte: the record value is the ``data``
column's text and the CloudEvents type comes from the stored type and version. It never
decodes an event, so a relay older than the writer (a rolling upgrade) neither drops
fields it does not know nor stalls on a type it has never heard of; readers upcast.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from aiokafka import AIOKafkaProducer
from opentelemetry.trace import SpanKind

from downtown_events.envelope import CloudEvent
from downtown_events.runtime import telemetry
from downtown_events.runtime.database import Connection, Pool, advisory_key
from downtown_events.runtime.postgres_store import OUTBOX_CHANNEL
from downtown_events.topics import event_source, events_topic

log = logging.getLogger(__name__)

# A published event's stream version is its place among the stream's published events.
_PENDING = """
SELECT e.stream_id, e.published_version AS version, e.position, e.event_id, e.event_type, e.schema_version,
       e.data::text AS data, e.metadata->>'traceparent' AS traceparent,
       e.metadata->>'tracestate' AS tracestate, e.recorded_at
FROM outbox o JOIN events e ON e.position = o.position
ORDER BY o.position LIMIT %s
"""


@dataclass(frozen=True)
class PendingEvent:
    """A stored event awaiting publication, exactly as stored (never decoded)."""

    position: int
    stream_id: str
    version: int
    event_id: str
    ce_type: str
    data: bytes
    recorded_at: datetime
    traceparent: str | None
    tracestate: str | None

    @classmethod
    def of(cls, row: dict[str, Any]) -> PendingEvent:
        return cls(
            position=row["position"],
            stream_id=row["stream_id"],
            version=row["version"],
            event_id=str(row["event_id"]),
            ce_type=f"{row['event_type']}.v{row['schema_version']}",
            data=row["data"].encode(),
            recorded_at=row["recorded_at"],
            traceparent=row["traceparent"],
            tracestate=row["tracestate"],
        )

    def to_cloud_event(self, town: str, source: str) -> CloudEvent:
        return CloudEvent(
            id=self.event_id,
            source=source,
            type=self.ce_type,
            subject=self.stream_id,
            time=self.recorded_at,
            town=town,
            streamversion=self.version,
            traceparent=self.traceparent,
            tracestate=self.tracestate,
            data=self.data,
        )


AfterSend = Callable[[list[PendingEvent]], Awaitable[None]]


async def _no_hook(_: list[PendingEvent]) -> None:
    return None


class OutboxRelay:
    def __init__(
        self,
        pool: Pool,
        producer: AIOKafkaProducer,
        *,
        town: str,
        service: str,
        batch_size: int = 1000,
        idle_poll_seconds: float = 1.0,
        after_send: AfterSend = _no_hook,
    ) -> None:
        self._pool = pool
        self._producer = producer
        self._town = town
        self._service = service
        self._topic = events_topic(town, service)
        self._source = event_source(town, service)
        self._batch_size = batch_size
        self._idle_poll_seconds = idle_poll_seconds
        self._after_send = after_send  # a seam for crash tests: runs between send and delete
        self._lock_key = advisory_key(self._topic)

    async def publish_pending(self) -> int:
        """Publish one batch of the oldest unpublished events; return how many went out."""
        async with self._pool.connection() as conn:
            rows = await (await conn.execute(_PENDING, (self._batch_size,))).fetchall()
            if not rows:
                return 0
            stored = [PendingEvent.of(row) for row in rows]
            delivered = await self._send(stored)
            await self._after_send(stored[:delivered])
            if delivered:
                positions = [event.position for event in stored[:delivered]]
                await conn.execute("DELETE FROM outbox WHERE position = ANY(%s)", (positions,))
                telemetry.events_published.add(delivered, {"service": self._service, "town": self._town})
            if delivered < len(stored):
                raise RuntimeError(f"Kafka refused record {delivered + 1} of {len(stored)}; will retry")
            return delivered

    async def _send(self, stored: list[PendingEvent]) -> int:
        """Send all records, wait for every acknowledgement; return the delivered prefix length."""
        futures = []
        span_name = f"{self._topic} publish"
        for event in stored:
            envelope = event.to_cloud_event(self._town, self._source)
            key, value, headers = envelope.to_kafka()
            # A producer span in the event's own trace (the request that wrote it); started and
            # ended directly, without making it current, as nothing runs inside it.
            span = telemetry.tracer.start_span(
                span_name,
                context=telemetry.context_from_headers(envelope.trace_headers()),
                kind=SpanKind.PRODUCER,
                attributes={
                    "messaging.system": "kafka",
                    "messaging.destination.name": self._topic,
                    "messaging.message.id": envelope.id,
                },
            )
            try:
                futures.append(await self._producer.send(self._topic, value=value, key=key, headers=headers))
            finally:
                span.end()
        results = await asyncio.gather(*futures, return_exceptions=True)
        for index, result in enumerate(results):
            if isinstance(result, BaseException):
                log.warning("publishing %s failed: %r", stored[index].event_id, result)
                return index
        return len(stored)

    async def run(self, stop: asyncio.Event) -> None:
        """Relay until ``stop`` is set, woken by NOTIFY from appends or every idle poll."""
        async with self._pool.connection() as listener:
            if not await self._become_leader(listener, stop):
                return
            try:
                await listener.execute(f"LISTEN {OUTBOX_CHANNEL}")
                log.info("outbox relay publishing to %s", self._topic)
                while not stop.is_set():
                    try:
                        while await self.publish_pending() == self._batch_size:
                            pass
                    except Exception:
                        log.exception("outbox relay batch failed; retrying")
                        await asyncio.sleep(1)
                    await self._wait_for_notify(listener)
            finally:  # the connection goes back to the pool: leave it as we found it
                await listener.execute(f"UNLISTEN {OUTBOX_CHANNEL}")
                await listener.execute("SELECT pg_advisory_unlock(%s)", (self._lock_key,))

    async def _become_leader(self, conn: Connection, stop: asyncio.Event) -> bool:
        while not stop.is_set():
            query = "SELECT pg_try_advisory_lock(%s) AS leader"
            row = await (await conn.execute(query, (self._lock_key,))).fetchone()
            if row and row["leader"]:
                return True
            log.info("another relay publishes %s; standing by", self._topic)
            await asyncio.sleep(2)
        return False

    async def _wait_for_notify(self, conn: Connection) -> None:
        gen = conn.notifies(timeout=self._idle_poll_seconds, stop_after=1)
        async for _ in gen:
            pass
