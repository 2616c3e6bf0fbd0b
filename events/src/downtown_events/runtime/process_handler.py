# SPDX-License-Identifier: Apache-2.0
"""A process manager run by a tracking consumer, inside the consumer's transaction.

The adapter of :class:`~downtown_events.runtime.process_manager.ProcessManager`: each
reaction appends through a :class:`TransactionalEventStore` on the consumer's connection,
so its events, their outbox rows and the tracking row commit together (the unit of work).
"""

from __future__ import annotations

from collections.abc import Sequence

from downtown_events.runtime.database import Connection
from downtown_events.runtime.faults import crash_point
from downtown_events.runtime.postgres_store import TransactionalEventStore
from downtown_events.runtime.process_manager import ProcessManager
from downtown_events.runtime.records import ReceivedEvent


class ProcessManagerHandler:
    """The :class:`~downtown_events.runtime.tracking.EventHandler` of a reacting consumer."""

    def __init__(self, manager: ProcessManager) -> None:
        self.consumer_name = manager.consumer_name
        self.reads = manager.reads
        self._manager = manager

    async def handle(self, conn: Connection, events: Sequence[ReceivedEvent]) -> None:
        store = TransactionalEventStore(conn, service=self._manager.service)
        for event in events:
            if isinstance(event.event, self._manager.reacts_to):
                crash_point("process_manager.before_reaction")
                await self._manager.react(event, store)
                crash_point("process_manager.after_reaction")
