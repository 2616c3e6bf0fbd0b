# SPDX-License-Identifier: Apache-2.0
"""Process managers: consumers that react to events by appending events of their own.

Catalog reserving stock because an order was placed, vouchers reversing a redemption
because an order was rejected: each reaction must happen exactly once, even though Kafka
delivers at least once and the process may die at any moment. So the reaction's new
events, their outbox rows and the consumer's tracking row are written in **one**
PostgreSQL transaction (the unit of work, as in the ``eventsourcing`` library's process
applications): a :class:`~downtown_events.runtime.process_handler.ProcessManagerHandler`
is the handler a :class:`TrackingConsumer` calls inside its transaction, and it hands each
reaction of its :class:`ProcessManager` an event store on that same transaction. A crash
before the commit leaves nothing (the event comes again); a crash after it leaves
everything, and the tracking row drops the redelivery.

A reaction is an ordinary command through the runtime's command loop
(:func:`downtown_events.runtime.commands.execute`): load, decide (pure domain), append.
This module is what a service's ``app/`` declares a process manager with, and imports no
driver; its ``bootstrap`` wraps it in the handler that knows PostgreSQL.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from downtown_events.contract import IntegrationEvent
from downtown_events.runtime.records import ReceivedEvent
from downtown_events.runtime.store import EventStore

Reaction = Callable[[ReceivedEvent, EventStore], Awaitable[None]]
"""Reacts to one event; appends through the store it is given (and nothing else)."""


class ProcessManager:
    """A reacting consumer: its name, the events it reacts to, and its reaction to each."""

    def __init__(
        self, name: str, *, service: str, reacts_to: tuple[type[IntegrationEvent], ...], react: Reaction
    ) -> None:
        self.consumer_name = f"process:{name}"
        self.reads = frozenset(kind.type_name() for kind in reacts_to)
        self.service = service
        self.reacts_to = reacts_to
        self.react = react
