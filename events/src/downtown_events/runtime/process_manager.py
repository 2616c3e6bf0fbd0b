# SPDX-License-Identifier: Apache-2.0
"""Process managers: consumers that react to events by appending events of their own.

Catalog reserving stock because an order was placed, vouchers reversing a redemption
because an order was rejected: each reaction must happen exactly once, even though Kafka
delivers at least once and the process may die at any moment. So the reaction's new
events, their outbox rows and the consumer's tracking row are written in **one**
PostgreSQL transaction (the unit of work, as in the ``eventsourcing`` library's process
applications): :class:`ProcessManager` is the handler a :class:`TrackingConsumer` calls
inside its transaction, and it hands each reaction a :class:`TransactionalEventStore` on
that same transaction. A crash before the commit leaves nothing (the event comes again);
a crash after it leaves everything, and the tracking row drops the redelivery.

A reaction is an ordinary command through the runtime's command loop
(:func:`downtown_events.runtime.commands.execute`): load, decide (pure domain), append.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence

from downtown_events.contract import IntegrationEvent
from downtown_events.runtime.database import Connection
from downtown_events.runtime.faults import crash_point
from downtown_events.runtime.records import ReceivedEvent
from downtown_events.runtime.store import EventStore, TransactionalEventStore

Reaction = Callable[[ReceivedEvent, EventStore], Awaitable[None]]
"""Reacts to one event; appends through the store it is given (and nothing else)."""


class ProcessManager:
    """The :class:`~downtown_events.runtime.tracking.EventHandler` of a reacting consumer."""

    def __init__(
        self, name: str, *, service: str, reacts_to: tuple[type[IntegrationEvent], ...], react: Reaction
    ) -> None:
        self.consumer_name = f"process:{name}"
        self.reads = frozenset(kind.type_name() for kind in reacts_to)
        self._service = service
        self._reacts_to = reacts_to
        self._react = react

    async def handle(self, conn: Connection, events: Sequence[ReceivedEvent]) -> None:
        store = TransactionalEventStore(conn, service=self._service)
        for event in events:
            if isinstance(event.event, self._reacts_to):
                crash_point("process_manager.before_reaction")
                await self._react(event, store)
                crash_point("process_manager.after_reaction")
