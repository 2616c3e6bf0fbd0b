# SPDX-License-Identifier: Apache-2.0
"""An event store in memory, for the unit tests of a service's handlers and domain.

It keeps the promises of :class:`~downtown_events.runtime.store.EventStore` that matter to
a handler (versions, all-or-nothing appends, conflicts at a stale expected version, the
metadata) without durability; the one contract suite in
``events/tests/integration/test_event_store_contract.py`` runs against it and against
PostgreSQL. ``outbox`` lists what would be published (private events never are), and
``conflicts_to_simulate`` makes the next appends fail as if a rival writer got there first.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import AsyncIterator, Mapping, Sequence
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from itertools import count
from uuid import uuid4

from downtown_events.contract import IntegrationEvent
from downtown_events.runtime.store import ConcurrencyConflict, EventStore, StoredEvent


class InMemoryEventStore(EventStore):
    def __init__(self) -> None:
        self.streams: dict[str, list[StoredEvent]] = defaultdict(list)
        self.outbox: list[StoredEvent] = []
        self.conflicts_to_simulate = 0
        self._positions = count(1)

    async def append(
        self,
        stream_id: str,
        expected_version: int,
        events: Sequence[IntegrationEvent],
        metadata: Mapping[str, str] | None = None,
    ) -> list[StoredEvent]:
        if not events:
            return []
        stream = self.streams[stream_id]
        if self.conflicts_to_simulate or len(stream) != expected_version:
            self.conflicts_to_simulate = max(self.conflicts_to_simulate - 1, 0)
            raise ConcurrencyConflict(stream_id, expected_version)
        now = datetime.now(UTC)
        stored = [
            StoredEvent(
                stream_id, expected_version + n, next(self._positions), uuid4(), event, now, dict(metadata or {})
            )
            for n, event in enumerate(events, start=1)
        ]
        stream.extend(stored)
        self.outbox.extend(event for event in stored if event.event.published)
        return stored

    async def read(self, stream_id: str) -> list[StoredEvent]:
        return list(self.streams.get(stream_id, []))

    @asynccontextmanager
    async def unit_of_work(self) -> AsyncIterator[EventStore]:
        streams = {stream_id: list(events) for stream_id, events in self.streams.items()}
        outbox = list(self.outbox)
        try:
            yield self
        except BaseException:
            self.streams.clear()
            self.streams.update(streams)
            self.outbox[:] = outbox
            raise
