# SPDX-License-Identifier: Apache-2.0
"""The event store port: append-only streams with optimistic concurrency.

What a use case (a service's ``app/``) and the command loop need to know of the store:
the :class:`EventStore` contract, the events as recorded, and the conflict it raises. No
driver is imported here, so ``app/`` can depend on the store without reaching PostgreSQL;
the implementations are :mod:`downtown_events.runtime.postgres_store` (production, wired
by a service's ``bootstrap``) and :mod:`downtown_events.runtime.memory_store` (tests).
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Mapping, Sequence
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass, field
from datetime import datetime
from uuid import UUID

from downtown_events.contract import IntegrationEvent


class ConcurrencyConflict(Exception):
    """Someone else appended to the stream first; reload and decide again."""

    def __init__(self, stream_id: str, expected_version: int) -> None:
        super().__init__(f"stream {stream_id} is no longer at version {expected_version}")
        self.stream_id = stream_id
        self.expected_version = expected_version


@dataclass(frozen=True)
class StoredEvent:
    """An event as recorded: its place in the stream and the log, and its metadata."""

    stream_id: str
    version: int
    position: int
    event_id: UUID
    event: IntegrationEvent
    recorded_at: datetime
    metadata: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Append:
    """Events for one stream, at the version they were decided on (0: a new stream)."""

    stream_id: str
    expected_version: int
    events: Sequence[IntegrationEvent]
    metadata: Mapping[str, str] | None = None


class EventStore(ABC):
    """Append-only streams of events with optimistic concurrency.

    Guarantees: an append is all-or-nothing; after ``append(s, n, events)`` the stream
    ``s`` holds versions ``n+1 … n+len(events)`` or the call raised
    :class:`ConcurrencyConflict` and nothing was written; every appended event will be
    published (the outbox), in stream order. ``metadata`` (e.g. the fingerprint of the
    request that caused the events) is stored with each event and never published.
    """

    holds_transaction: bool = False
    """Whether this store works inside an open transaction (a consumer's, a unit of work's):
    whoever retries on it must not sleep, since the transaction's locks are held meanwhile."""

    @abstractmethod
    async def append(
        self,
        stream_id: str,
        expected_version: int,
        events: Sequence[IntegrationEvent],
        metadata: Mapping[str, str] | None = None,
    ) -> list[StoredEvent]: ...

    @abstractmethod
    async def read(self, stream_id: str) -> list[StoredEvent]: ...

    async def append_together(self, appends: Sequence[Append]) -> None:
        """Every append or none, in one transaction; a stale version anywhere raises
        :class:`ConcurrencyConflict` and writes nothing (unlike a unit of work, where one
        append's conflict undoes only that append, so its caller can decide again)."""
        async with self.unit_of_work() as unit:
            for append in appends:
                await unit.append(append.stream_id, append.expected_version, append.events, append.metadata)

    @abstractmethod
    def unit_of_work(self) -> AbstractAsyncContextManager[EventStore]:
        """A store whose appends, to any number of streams, commit together when the block
        ends, or none of them if it raises (a sale issuing ten vouchers and settling its
        campaign bonus). A conflict inside still undoes only that append, so the command
        loop may reload and decide again within the unit."""
