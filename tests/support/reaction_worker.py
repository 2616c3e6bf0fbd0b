"""A worker whose only consumer is a process manager, for the runtime's crash tests.

``python -m tests.support.reaction_worker`` (settings from ``DOWNTOWN_*``) reacts to every
``OfferListed`` on the town's catalog topic by appending one ``OfferReactedTo`` to the
stream ``reactions-<offer_id>``. The reaction is deliberately *not* idempotent by itself
(it always appends one more event), so a reaction applied twice shows as version 2: only
the runtime's unit of work stands between a crash and a duplicate.
"""

from __future__ import annotations

from pathlib import Path
from typing import ClassVar
from uuid import UUID

from aiokafka import AIOKafkaProducer

from downtown_events.catalog import OfferListed
from downtown_events.contract import IntegrationEvent, registry
from downtown_events.runtime.commands import execute
from downtown_events.runtime.consumer import KafkaDeadLetters, TrackingConsumer
from downtown_events.runtime.database import Pool, open_pool
from downtown_events.runtime.faust_worker import Lazy, Subscription, build_worker_app, run_worker
from downtown_events.runtime.health import Readiness
from downtown_events.runtime.kafka import reliable_producer
from downtown_events.runtime.process_manager import ProcessManager
from downtown_events.runtime.records import ReceivedEvent
from downtown_events.runtime.settings import RuntimeSettings
from downtown_events.runtime.store import EventStore
from downtown_events.topics import dead_letter_topic, events_topic

SERVICE = "reactions"


@registry.register
class OfferReactedTo(IntegrationEvent):
    service: ClassVar[str] = "test"
    event_name: ClassVar[str] = "OfferReactedTo"
    schema_version: ClassVar[int] = 1
    offer_id: UUID


class ReactionSettings(RuntimeSettings):
    worker_port: int
    worker_data_dir: str


async def react(event: ReceivedEvent, store: EventStore) -> None:
    listed = event.event
    assert isinstance(listed, OfferListed)
    await execute(
        store,
        f"reactions-{listed.offer_id}",
        replay=lambda history: len(history),
        decide=lambda _: [OfferReactedTo(offer_id=listed.offer_id)],
    )


def main() -> None:
    settings = ReactionSettings()  # type: ignore[call-arg]

    async def open_database() -> Pool:
        return await open_pool(settings.database_url, max_size=2, name="reaction-worker")

    async def start_producer() -> AIOKafkaProducer:
        producer = reliable_producer(settings.kafka_bootstrap, client_id="reaction-worker")
        await producer.start()
        return producer

    pool = Lazy(open_database, close=lambda opened: opened.close())
    producer = Lazy(start_producer, close=lambda started: started.stop())
    manager = ProcessManager("reactions", service=SERVICE, reacts_to=(OfferListed,), react=react)

    async def consumer() -> TrackingConsumer:
        topic = dead_letter_topic(settings.town, "catalog")
        dead_letters = KafkaDeadLetters(await producer(), topic, manager.consumer_name, SERVICE)
        return TrackingConsumer(await pool(), manager, dead_letters, town=settings.town, service=SERVICE)

    async def readiness() -> Readiness:
        return Readiness(await pool(), settings.database_url, settings.kafka_bootstrap, [])

    app = build_worker_app(
        app_id=f"{settings.town}.reactions.worker",
        bootstrap=settings.kafka_bootstrap,
        web_port=settings.worker_port,
        data_dir=Path(settings.worker_data_dir),
        subscriptions=[Subscription(events_topic(settings.town, "catalog"), Lazy(consumer), name="reactions")],
        readiness=Lazy(readiness),
        resources=[producer, pool],
    )
    run_worker(app)


if __name__ == "__main__":
    main()
