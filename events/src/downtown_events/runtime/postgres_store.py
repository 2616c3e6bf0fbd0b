# SPDX-License-Identifier: Apache-2.0
"""The event store in PostgreSQL: append-only streams, with the outbox in the same statement.

One ``INSERT … RETURNING`` inside a CTE writes the events *and* their outbox rows, so they
commit together (never a dual write) in a single round trip. Concurrency is the
database's job: the unique key on ``(stream_id, version)`` turns a concurrent writer into
a :class:`ConcurrencyConflict`; there is no read-then-check.

This is the adapter of the :class:`~downtown_events.runtime.store.EventStore` port, kept
apart from it so that a service's ``app/`` (which knows only the port) never imports psycopg.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import AsyncIterator, Mapping, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from uuid import UUID, uuid4

import psycopg
from opentelemetry.trace import SpanKind

from downtown_events.contract import IntegrationEvent, registry
from downtown_events.runtime import telemetry
from downtown_events.runtime.database import Connection, Pool
from downtown_events.runtime.store import Append, ConcurrencyConflict, EventStore, StoredEvent

OUTBOX_CHANNEL = "downtown_outbox"


# Private events (see ``PrivateEvent``) are stored like the others but get no outbox row and
# no published version: published events are numbered 1, 2, 3 … among themselves per stream.
_APPEND = """
WITH batch AS (
    SELECT * FROM json_to_recordset(%(batch)s::json)
         AS x(version int, event_id uuid, event_type text, schema_version int2, data json, published int)
), before AS (
    SELECT coalesce(max(published_version), 0) AS published FROM events WHERE stream_id = %(stream_id)s
), new_events AS (
    INSERT INTO events (stream_id, version, event_id, event_type, schema_version, data, metadata, recorded_at,
                        published_version)
    SELECT %(stream_id)s, b.version, b.event_id, b.event_type, b.schema_version, b.data,
           %(metadata)s::json, %(recorded_at)s, before.published + b.published
    FROM batch b, before
    WHERE %(expected_version)s = 0 OR EXISTS (
        SELECT 1 FROM events WHERE stream_id = %(stream_id)s AND version = %(expected_version)s)
    RETURNING position, version, published_version
), queued AS (
    INSERT INTO outbox (position) SELECT position FROM new_events WHERE published_version IS NOT NULL
)
SELECT position, pg_notify('downtown_outbox', '') FROM new_events ORDER BY position
"""


def _batch_json(versions: Sequence[int], event_ids: Sequence[UUID], events: Sequence[IntegrationEvent]) -> str:
    """The new events as one JSON array parameter: PostgreSQL's JSON parser takes it apart
    about twice as fast as it parses the equivalent text arrays. ``published`` is a published
    event's place among the batch's published events (null for a private one)."""
    rows = []
    published = 0
    for version, event_id, event in zip(versions, event_ids, events, strict=True):
        published += event.published
        rows.append(
            f'{{"version":{version},"event_id":"{event_id}","event_type":{json.dumps(type(event).type_name())},'
            f'"schema_version":{type(event).schema_version},"published":{published if event.published else "null"},'
            f'"data":{event.model_dump_json()}}}'
        )
    return f"[{','.join(rows)}]"


_READ = """
SELECT stream_id, version, position, event_id, event_type, schema_version, data, metadata, recorded_at
FROM events WHERE stream_id = %s ORDER BY version
"""


def decode_row(row: dict[str, Any]) -> StoredEvent:
    """A row of ``events`` as a :class:`StoredEvent`, upcast to the newest model."""
    return StoredEvent(
        stream_id=row["stream_id"],
        version=row["version"],
        position=row["position"],
        event_id=row["event_id"],
        event=registry.decode(row["event_type"], row["schema_version"], row["data"]),
        recorded_at=row["recorded_at"],
        metadata=row["metadata"],
    )


@dataclass(frozen=True)
class _Prepared:
    """An append's statement parameters, and the events as they will be stored."""

    service: str
    stream_id: str
    events: Sequence[IntegrationEvent]
    params: dict[str, Any]
    versions: list[int]
    event_ids: list[UUID]
    recorded_at: datetime
    metadata: dict[str, str]

    @classmethod
    def of(
        cls,
        service: str,
        stream_id: str,
        expected_version: int,
        events: Sequence[IntegrationEvent],
        metadata: Mapping[str, str] | None,
    ) -> _Prepared:
        stored_metadata = {**(metadata or {}), **telemetry.current_trace_headers()}
        recorded_at = datetime.now(UTC)
        event_ids = [uuid4() for _ in events]
        versions = list(range(expected_version + 1, expected_version + 1 + len(events)))
        params = {
            "stream_id": stream_id,
            "expected_version": expected_version,
            "metadata": json.dumps(stored_metadata),
            "recorded_at": recorded_at,
            "batch": _batch_json(versions, event_ids, events),
        }
        return cls(service, stream_id, events, params, versions, event_ids, recorded_at, stored_metadata)

    def stored(self, rows: Sequence[dict[str, Any]]) -> list[StoredEvent]:
        """The events as stored, from the statement's rows; a conflict if it wrote none."""
        if len(rows) != len(self.events):
            raise ConcurrencyConflict(self.stream_id, self.params["expected_version"])
        for type_name, count in Counter(type(event).type_name() for event in self.events).items():
            telemetry.events_appended.add(count, {"service": self.service, "type": type_name})
        return [
            StoredEvent(self.stream_id, version, row["position"], event_id, event, self.recorded_at, self.metadata)
            for version, event_id, event, row in zip(self.versions, self.event_ids, self.events, rows, strict=True)
        ]


async def append_on(
    conn: Connection,
    service: str,
    stream_id: str,
    expected_version: int,
    events: Sequence[IntegrationEvent],
    metadata: Mapping[str, str] | None = None,
) -> list[StoredEvent]:
    """Append on ``conn``: alone on an autocommit connection, or as one step of the
    caller's transaction (then it commits or rolls back with everything else)."""
    if not events:
        return []
    prepared = _Prepared.of(service, stream_id, expected_version, events, metadata)
    with telemetry.tracer.start_as_current_span("event_store.append", kind=SpanKind.INTERNAL) as span:
        span.set_attribute("downtown.stream_id", stream_id)
        span.set_attribute("downtown.event_count", len(events))
        try:
            rows = await (await conn.execute(_APPEND, prepared.params, prepare=True)).fetchall()
        except psycopg.errors.UniqueViolation:
            raise ConcurrencyConflict(stream_id, expected_version) from None
    return prepared.stored(rows)


async def append_together_on(conn: Connection, service: str, appends: Sequence[Append]) -> None:
    """Every append in one transaction on ``conn`` (autocommit), their statements sent at
    once with the ``BEGIN``: two round trips in all (with the ``COMMIT``) where a unit of
    work takes two per append, and two more for the savepoint around each."""
    prepared = [
        _Prepared.of(service, a.stream_id, a.expected_version, a.events, a.metadata) for a in appends if a.events
    ]
    with telemetry.tracer.start_as_current_span("event_store.append_together", kind=SpanKind.INTERNAL) as span:
        span.set_attribute("downtown.stream_ids", [p.stream_id for p in prepared])
        try:
            async with conn.pipeline(), conn.transaction():
                cursors = [await conn.execute(_APPEND, p.params, prepare=True) for p in prepared]
                for append, cursor in zip(prepared, cursors, strict=True):
                    append.stored(await cursor.fetchall())
        except psycopg.errors.UniqueViolation as error:
            raise _conflict_of(error, prepared) from None


def _conflict_of(error: psycopg.errors.UniqueViolation, prepared: Sequence[_Prepared]) -> ConcurrencyConflict:
    """The conflict of the append the database refused (its key is in the error's detail)."""
    detail = error.diag.message_detail or ""
    refused = next((p for p in prepared if p.stream_id in detail), prepared[0])
    return ConcurrencyConflict(refused.stream_id, refused.params["expected_version"])


async def read_on(conn: Connection, stream_id: str) -> list[StoredEvent]:
    rows = await (await conn.execute(_READ, (stream_id,), prepare=True)).fetchall()
    return [decode_row(row) for row in rows]


class PostgresEventStore(EventStore):
    """Each append is its own transaction, on a connection from the pool."""

    def __init__(self, pool: Pool, *, service: str) -> None:
        self._pool = pool
        self._service = service

    async def append(
        self,
        stream_id: str,
        expected_version: int,
        events: Sequence[IntegrationEvent],
        metadata: Mapping[str, str] | None = None,
    ) -> list[StoredEvent]:
        if not events:
            return []
        async with self._pool.connection() as conn:
            return await append_on(conn, self._service, stream_id, expected_version, events, metadata)

    async def read(self, stream_id: str) -> list[StoredEvent]:
        async with self._pool.connection() as conn:
            return await read_on(conn, stream_id)

    async def append_together(self, appends: Sequence[Append]) -> None:
        if any(append.events for append in appends):
            async with self._pool.connection() as conn:
                await append_together_on(conn, self._service, appends)

    @asynccontextmanager
    async def unit_of_work(self) -> AsyncIterator[EventStore]:
        async with self._pool.connection() as conn, conn.transaction():
            yield TransactionalEventStore(conn, service=self._service)


class TransactionalEventStore(EventStore):
    """The event store inside a transaction someone else owns: a reacting consumer's.

    Its appends, their outbox rows and the consumer's tracking row commit together or not
    at all (the unit of work). Each append runs in a savepoint, so a concurrency conflict
    undoes only that append and the caller may reload and decide again.
    """

    holds_transaction = True

    def __init__(self, conn: Connection, *, service: str) -> None:
        self._conn = conn
        self._service = service

    async def append(
        self,
        stream_id: str,
        expected_version: int,
        events: Sequence[IntegrationEvent],
        metadata: Mapping[str, str] | None = None,
    ) -> list[StoredEvent]:
        if not events:
            return []
        async with self._conn.transaction():  # a savepoint inside the consumer's transaction
            return await append_on(self._conn, self._service, stream_id, expected_version, events, metadata)

    async def read(self, stream_id: str) -> list[StoredEvent]:
        return await read_on(self._conn, stream_id)

    @asynccontextmanager
    async def unit_of_work(self) -> AsyncIterator[EventStore]:
        async with self._conn.transaction():  # a savepoint: the owner's transaction decides in the end
            yield self
