# SPDX-License-Identifier: Apache-2.0
"""What a service's worker process is made of, part by part (:class:`ServiceWorker`).

One faust app per town and service. Its parts, each a method below:

- two shared resources, opened on first use inside faust's loop and closed at shutdown:
  the database pool and the idempotent Kafka producer;
- per projection or reaction read from topics, one agent per topic, all feeding one
  :class:`TrackingConsumer` (one tracking, one lock) that dead-letters to the service's DLQ;
- per projection or reaction of private events, a store feed: a background task reading
  the service's own store, dead-lettering into the database;
- the outbox relay, the scheduled jobs, the health pages and the live figures.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Sequence
from functools import partial

import faust
from aiokafka import AIOKafkaProducer

from downtown_events.runtime.consumer import KafkaDeadLetters, TrackingConsumer
from downtown_events.runtime.database import Pool, open_pool
from downtown_events.runtime.faust_worker import Lazy, LiveFigures, Subscription, build_worker_app, run_worker
from downtown_events.runtime.health import Readiness
from downtown_events.runtime.identity import TownAuthenticator, trusted_keys
from downtown_events.runtime.jobs import scheduled
from downtown_events.runtime.kafka import reliable_producer
from downtown_events.runtime.outbox import OutboxRelay
from downtown_events.runtime.projection import ProjectionWriter
from downtown_events.runtime.service.definition import (
    HandlerFactory,
    ServiceDefinition,
    worker_app_id,
    worker_pool_size,
)
from downtown_events.runtime.settings import ServiceSettings
from downtown_events.runtime.store_feed import StoreDeadLetters, StoreFeed, StoreReader, checkpointing
from downtown_events.runtime.telemetry import setup_telemetry
from downtown_events.runtime.tracking import EventHandler
from downtown_events.topics import dead_letter_topic, events_topic

PROJECTION_BATCH = 1000
"""Records per transaction at most for a projection: a catch-up writes rows in bulk."""
PROJECTION_LINGER_SECONDS = 0.05
"""How long a projection's batch waits after its first event for more: a read model is
read, never waited on by the next step of a flow, so it trades a moment's staleness for
fewer transactions. A reaction does not wait: each step of a saga would add it."""
BackgroundTask = Callable[[asyncio.Event], Awaitable[None]]
"""What the worker runs beside its agents until told to stop (relay, store feeds, jobs)."""


def build_worker(service: ServiceDefinition, settings: ServiceSettings) -> faust.App:
    """The service's worker for one town: projections, reactions, the outbox relay."""
    return ServiceWorker(service, settings).app()


def run_service_worker(service: ServiceDefinition, settings: ServiceSettings) -> None:
    """``<service>-worker``: telemetry, then the worker until SIGTERM."""
    setup_telemetry(f"{service.name}-worker", settings.town, log_level=settings.log_level)
    run_worker(build_worker(service, settings), settings.log_level, bootstrap=settings.kafka_bootstrap)


class ServiceWorker:
    """The parts of one town's worker, built from the service's definition and settings.

    Nothing here opens a connection when constructed: faust runs the app in its own event
    loop, and pools and producers must be created in the loop that uses them, so each part
    asks the :class:`Lazy` resources for them when it starts.
    """

    def __init__(self, service: ServiceDefinition, settings: ServiceSettings) -> None:
        self.service = service
        self.settings = settings
        self.pool: Lazy[Pool] = Lazy(self._open_pool, close=_close_pool)
        self.producer: Lazy[AIOKafkaProducer] = Lazy(self._start_producer, close=_stop_producer)

    def app(self) -> faust.App:
        agents, feeds = self.consumers()
        settings = self.settings
        return build_worker_app(
            app_id=worker_app_id(settings.town, self.service.name),
            bootstrap=settings.kafka_bootstrap,
            web_port=settings.worker_port,
            data_dir=settings.worker_data_dir,
            subscriptions=agents,
            readiness=Lazy(self.readiness),
            background=[self.relay, *feeds, *self.jobs()],
            resources=[self.producer, self.pool],
            replication=settings.topic_replication,
            live=self.live_figures(),
        )

    # --- consumers ------------------------------------------------------------------------

    def consumers(self) -> tuple[list[Subscription], list[BackgroundTask]]:
        """Agents for what reads topics and store feeds for what reads the store, projections
        first, each in the order the service declares them."""
        agents: list[Subscription] = []
        feeds: list[BackgroundTask] = []
        for projection in self.service.projections:
            writer = ProjectionWriter(projection)
            if projection.from_store:
                feeds.append(self.store_feed(writer.consumer_name, _given(writer)))
            else:
                agents += self.subscriptions(projection.name, _given(writer), projection.sources)
        for reaction in self.service.reactions:
            if reaction.from_store:
                feeds.append(self.store_feed(reaction.consumer_name, reaction.handler))
            else:
                agents += self.subscriptions(
                    reaction.consumer_name, reaction.handler, reaction.sources, reaction.batch_size, linger_seconds=0.0
                )
        return agents, feeds

    def subscriptions(
        self,
        name: str,
        make: HandlerFactory,
        sources: Sequence[str],
        batch_size: int = PROJECTION_BATCH,
        linger_seconds: float = PROJECTION_LINGER_SECONDS,
    ) -> list[Subscription]:
        """One agent per topic read; they share one consumer (one tracking, one lock)."""
        consumer = Lazy(partial(self.topic_consumer, make))
        topics = self.service.topics_of(self.settings.town, sources)
        return [
            Subscription(
                topic,
                consumer,
                name=f"{name}@{topic}" if len(topics) > 1 else name,
                batch_size=batch_size,
                linger_seconds=linger_seconds,
            )
            for topic in topics
        ]

    async def topic_consumer(self, make: HandlerFactory) -> TrackingConsumer:
        """The consumer behind a topic's agents: records it cannot decode or apply go to the
        service's dead-letter topic."""
        handler = await self.handler(make)
        topic = dead_letter_topic(self.settings.town, self.service.name)
        dead_letters = KafkaDeadLetters(await self.producer(), topic, handler.consumer_name, self.service.name)
        return TrackingConsumer(
            await self.pool(), handler, dead_letters, town=self.settings.town, service=self.service.name
        )

    def store_feed(self, name: str, make: HandlerFactory) -> BackgroundTask:
        """A consumer of private events reads the service's own store, not a topic."""
        return _Named(f"store feed of {name}", partial(self.run_store_feed, make))

    async def run_store_feed(self, make: HandlerFactory, stop: asyncio.Event) -> None:
        """Private events are never published, so there is no topic to dead-letter to either:
        the feed's dead letters and its cursor are kept in the service's database."""
        pool = await self.pool()
        handler = await self.handler(make)
        consumer = TrackingConsumer(
            pool,
            handler,
            StoreDeadLetters(pool, handler.consumer_name),
            town=self.settings.town,
            service=self.service.name,
            progress=checkpointing(handler.consumer_name),
        )
        reader = StoreReader(town=self.settings.town, service=self.service.name)
        await StoreFeed(pool, consumer, handler.consumer_name, reader).run(stop)

    async def handler(self, make: HandlerFactory) -> EventHandler:
        """The consumer's handler, made once the pool is open; a projection's tables are
        created before its first batch (and again harmlessly by every replica)."""
        pool = await self.pool()
        handler = make(pool, self.settings)
        if isinstance(handler, ProjectionWriter):
            async with pool.connection() as conn:
                await handler.create_tables(conn)
        return handler

    # --- everything else the worker runs --------------------------------------------------

    async def relay(self, stop: asyncio.Event) -> None:
        await OutboxRelay(
            await self.pool(), await self.producer(), town=self.settings.town, service=self.service.name
        ).run(stop)

    def jobs(self) -> list[BackgroundTask]:
        return [scheduled(job, self.pool, self.settings) for job in self.service.jobs]

    async def readiness(self) -> Readiness:
        settings, migrations = self.settings, list(self.service.migrations)
        return Readiness(await self.pool(), settings.database_url, settings.kafka_bootstrap, migrations)

    def live_figures(self) -> LiveFigures:
        """Counted from the service's own topic; shown to the association's token only."""
        settings = self.settings
        return LiveFigures(
            events_topic(settings.town, self.service.name),
            settings.town,
            settings.topic_partitions,
            self.service.live_figures,
            authenticator=TownAuthenticator(
                town=settings.town,
                trusted=trusted_keys(settings.trusted_token_keys),
                association_token=settings.association_token,
            ),
        )

    # --- the shared resources -------------------------------------------------------------

    async def _open_pool(self) -> Pool:
        return await open_pool(
            self.settings.database_url, max_size=worker_pool_size(self.service), name=f"{self.service.name}-worker"
        )

    async def _start_producer(self) -> AIOKafkaProducer:
        producer = reliable_producer(
            self.settings.kafka_bootstrap, client_id=f"{self.settings.town}-{self.service.name}-worker"
        )
        await producer.start()
        return producer


class _Named:
    """A background task under the name the worker logs when it crashes and restarts."""

    def __init__(self, name: str, run: BackgroundTask) -> None:
        self.__name__ = name
        self._run = run

    async def __call__(self, stop: asyncio.Event) -> None:
        await self._run(stop)


def _given(handler: EventHandler) -> HandlerFactory:
    return lambda _pool, _settings: handler


async def _close_pool(pool: Pool) -> None:
    await pool.close()


async def _stop_producer(producer: AIOKafkaProducer) -> None:
    await producer.stop()
