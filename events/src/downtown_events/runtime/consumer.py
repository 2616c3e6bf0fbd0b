# SPDX-License-Identifier: Apache-2.0
"""Idempotent consumption: at-least-once delivery made effectively-once.

:class:`TrackingConsumer` takes a batch of Kafka records from any transport (the faust
worker, or plain aiokafka in a rebuild) and:

1. decodes each record; one that is not a valid Downtown CloudEvent of this town goes to
   the dead-letter topic with the reason and its origin in headers, and is not retried;
2. in **one** database transaction: drops events already applied (their stream version is
   ``<=`` the one in ``tracking``), lets the handler apply the rest, and records the new
   stream versions and partition offsets;
3. returns only after that commit, so the transport acknowledges (commits the Kafka
   offset) only what is durably applied.

What a failure means is decided in ``failures.py``: a database or broker outage is
retried with backoff, never skipped; an event whose handling fails (data the handler
cannot take, a bug meeting one event) is isolated by retrying the batch one event at a
time, and the failing one is dead-lettered with the error while the rest flow. A failure
that no event can get past (the schema changed under a projection), or one that every
event of a batch meets, halts the consumer instead (:class:`ConsumerHalted`): nothing is
dead-lettered, the batch is retried until code or schema are fixed, and health says why.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Sequence
from datetime import UTC, datetime
from functools import partial
from typing import Protocol

from aiokafka import AIOKafkaProducer
from opentelemetry.trace import SpanKind

from downtown_events.envelope import InvalidEnvelope
from downtown_events.runtime import telemetry
from downtown_events.runtime.database import Connection, Pool
from downtown_events.runtime.driver_failures import classify
from downtown_events.runtime.failures import ConsumerHalted, Failure
from downtown_events.runtime.faults import crash_point
from downtown_events.runtime.records import Decoded, KafkaRecord, ReceivedEvent, UnreadableEvent, decode_record
from downtown_events.runtime.tracking import EventHandler, apply_tracked

log = logging.getLogger(__name__)


class DeadLetters(Protocol):
    async def send(self, record: KafkaRecord, reason: str) -> None: ...


class KafkaDeadLetters:
    """Dead-letter records keep the original key, value and headers, plus why and whence."""

    def __init__(self, producer: AIOKafkaProducer, topic: str, consumer_name: str, service: str) -> None:
        self._producer = producer
        self._topic = topic
        self._consumer_name = consumer_name
        self._service = service

    async def send(self, record: KafkaRecord, reason: str) -> None:
        headers = [
            *record.headers,
            ("dlq_reason", reason[:2000].encode()),
            ("dlq_origin_topic", record.topic.encode()),
            ("dlq_origin_partition", str(record.partition).encode()),
            ("dlq_origin_offset", str(record.offset).encode()),
            ("dlq_consumer", self._consumer_name.encode()),
            ("dlq_failed_at", datetime.now(UTC).isoformat().encode()),
        ]
        await self._producer.send_and_wait(self._topic, value=record.value, key=record.key, headers=headers)
        telemetry.events_dead_lettered.add(1, {"service": self._service, "consumer": self._consumer_name})
        log.warning("dead-lettered %s[%d]@%d: %s", record.topic, record.partition, record.offset, reason)


class _Skipping:
    reads = None

    def __init__(self, consumer_name: str) -> None:
        self.consumer_name = consumer_name

    async def handle(self, conn: Connection, events: Sequence[ReceivedEvent]) -> None:
        return None


Progress = Callable[[Connection, Sequence[KafkaRecord]], Awaitable[None]]
"""Records how far a transport has read, in the transaction that applies what it read."""


class TrackingConsumer:
    def __init__(
        self,
        pool: Pool,
        handler: EventHandler,
        dead_letters: DeadLetters,
        *,
        town: str,
        service: str,
        max_backoff_seconds: float = 30.0,
        progress: Progress | None = None,
    ) -> None:
        self._pool = pool
        self._handler = handler
        self._dead_letters = dead_letters
        self._town = town
        self._service = service
        self._max_backoff = max_backoff_seconds
        self._progress = progress

    async def process(self, records: Sequence[KafkaRecord]) -> None:
        """Apply a batch durably; return only when every record is applied or dead-lettered."""
        events: list[Decoded] = []
        for record in records:
            try:
                event = decode_record(record, self._town, getattr(self._handler, "reads", None))
            except InvalidEnvelope as error:
                await self._retry_transient(partial(self._dead_letters.send, record, str(error)))
                continue
            if isinstance(event, UnreadableEvent):
                await self._retry_transient(partial(self._dead_letters.send, record, event.reason))
            events.append(event)
        try:
            await self._retry_transient(partial(self._apply, events, records))
        except Exception as error:
            self._halt_if(classify(error) is Failure.HALT, error)
            log.exception("applying a batch of %d failed; isolating the failing event", len(records))
            await self._retry_transient(partial(self._halt_if_every_event_fails, events, records))
            await self._apply_one_by_one(events, records)

    def _halt_if(self, condition: bool, error: BaseException) -> None:
        if condition:
            raise ConsumerHalted(f"{self._handler.consumer_name} halted: {error!r}") from error

    async def _halt_if_every_event_fails(self, events: list[Decoded], records: Sequence[KafkaRecord]) -> None:
        """Try each event once in a transaction that is then rolled back; if two or more
        were tried and every one failed, the fault is not in the events: halt."""
        tried, failures = 0, list[Exception]()
        async with self._pool.connection() as conn:
            await conn.execute("BEGIN")
            try:
                for event in events:
                    try:
                        async with conn.transaction():  # a savepoint per event
                            tried += await apply_tracked(conn, self._handler, [event], [event.record])
                    except Exception as error:
                        self._halt_if(classify(error) is Failure.HALT, error)
                        if classify(error) is Failure.TRANSIENT:
                            raise
                        tried, failures = tried + 1, [*failures, error]
            finally:
                await conn.execute("ROLLBACK")
        self._halt_if(tried >= 2 and len(failures) == tried, failures[-1] if failures else RuntimeError())

    async def _apply_one_by_one(self, events: list[Decoded], records: Sequence[KafkaRecord]) -> None:
        """Each record in its own transaction; one the handler cannot take is dead-lettered
        and recorded as processed, so it neither blocks the partition nor comes back."""
        by_offset = {(e.record.topic, e.record.partition, e.record.offset): e for e in events}
        for record in records:
            event = by_offset.get((record.topic, record.partition, record.offset))
            try:
                await self._retry_transient(partial(self._apply, [event] if event else [], [record]))
            except Exception as error:
                self._halt_if(classify(error) is Failure.HALT, error)
                await self._retry_transient(partial(self._dead_letters.send, record, f"handler failed: {error!r}"))
                await self._retry_transient(partial(self._skip, [event] if event else [], [record]))

    async def _skip(self, events: Sequence[Decoded], records: Sequence[KafkaRecord]) -> None:
        """Record a dead-lettered event as processed, so its stream's later events still flow."""
        async with self._pool.connection() as conn, conn.transaction():
            await apply_tracked(conn, _Skipping(self._handler.consumer_name), events, records, also=self._progress)

    async def _apply(self, events: Sequence[Decoded], records: Sequence[KafkaRecord]) -> None:
        with telemetry.tracer.start_as_current_span(f"{self._handler.consumer_name} apply") as batch_span:
            batch_span.set_attribute("downtown.batch_size", len(records))
            for event in events:
                if isinstance(event, ReceivedEvent):
                    self._record_consume_span(event)
            async with self._pool.connection() as conn, conn.transaction():
                fresh = await apply_tracked(conn, self._handler, events, records, also=self._progress)
                crash_point("consumer.before_commit")
            crash_point("consumer.after_commit")
        telemetry.events_consumed.add(fresh, {"service": self._service, "consumer": self._handler.consumer_name})

    def _record_consume_span(self, event: ReceivedEvent) -> None:
        """A consumer span per event, child of the span that appended it (across Kafka)."""
        parent = telemetry.context_from_headers(event.envelope.trace_headers())
        with telemetry.tracer.start_as_current_span(
            f"{event.record.topic} process", context=parent, kind=SpanKind.CONSUMER
        ) as span:
            span.set_attribute("messaging.system", "kafka")
            span.set_attribute("messaging.message.id", event.envelope.id)
            span.set_attribute("messaging.consumer.group.name", self._handler.consumer_name)
            span.set_attribute("messaging.kafka.offset", event.record.offset)

    async def _retry_transient(self, action: Callable[[], Awaitable[None]]) -> None:
        delay = 0.2
        while True:
            try:
                await action()
                return
            except Exception as error:
                if classify(error) is not Failure.TRANSIENT:
                    raise
                log.warning("transient failure (%r); retrying in %.1fs", error, delay)
            await asyncio.sleep(delay)
            delay = min(delay * 2, self._max_backoff)
