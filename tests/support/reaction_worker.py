# SPDX-License-Identifier: AGPL-3.0-or-later
"""A service whose only consumer is a process manager, for the runtime's crash tests.

``python -m tests.support.reaction_worker`` (settings from ``DOWNTOWN_*``) runs the service
kit's worker for it: it reacts to every ``OfferListed`` on the town's catalog topic by
appending one ``OfferReactedTo`` to the stream ``reactions-<offer_id>``, and its relay
publishes those on ``<town>.reactions.events``. The reaction is deliberately *not* idempotent by itself
(it always appends one more event), so a reaction applied twice shows as version 2: only
the runtime's unit of work stands between a crash and a duplicate.
"""

from __future__ import annotations

from typing import ClassVar
from uuid import UUID

from downtown_events.catalog import OfferListed
from downtown_events.contract import IntegrationEvent, registry
from downtown_events.runtime.commands import execute
from downtown_events.runtime.faust_worker import run_worker
from downtown_events.runtime.process_handler import ProcessManagerHandler
from downtown_events.runtime.process_manager import ProcessManager
from downtown_events.runtime.records import ReceivedEvent
from downtown_events.runtime.service import Reaction, ServiceDefinition, build_worker
from downtown_events.runtime.settings import ServiceSettings
from downtown_events.runtime.store import EventStore

SERVICE = "reactions"


@registry.register
class OfferReactedTo(IntegrationEvent):
    service: ClassVar[str] = "test"
    event_name: ClassVar[str] = "OfferReactedTo"
    schema_version: ClassVar[int] = 1
    offer_id: UUID


async def react(event: ReceivedEvent, store: EventStore) -> None:
    listed = event.event
    assert isinstance(listed, OfferListed)
    await execute(
        store,
        f"reactions-{listed.offer_id}",
        replay=lambda history: len(history),
        decide=lambda _: [OfferReactedTo(offer_id=listed.offer_id)],
    )


REACTIONS = ServiceDefinition(
    SERVICE,
    reactions=[
        Reaction(
            ProcessManagerHandler(ProcessManager("reactions", service=SERVICE, reacts_to=(OfferListed,), react=react)),
            sources=("catalog",),
        )
    ],
)


def main() -> None:
    settings = ServiceSettings()  # type: ignore[call-arg]
    run_worker(build_worker(REACTIONS, settings))


if __name__ == "__main__":
    main()
