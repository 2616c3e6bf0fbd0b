"""``catalog-worker``: the town's catalog projections (faust agents) and its outbox relay.

One process per town (scale out by running more: faust splits the partitions among
them, and only one relay publishes at a time).
"""

from __future__ import annotations

import asyncio

import faust
from aiokafka import AIOKafkaProducer

from catalog.bootstrap import SERVICE_MIGRATIONS
from catalog.projections import PROJECTIONS
from catalog.settings import SERVICE, CatalogSettings
from downtown_events.runtime.consumer import KafkaDeadLetters, TrackingConsumer
from downtown_events.runtime.database import Pool, open_pool
from downtown_events.runtime.faust_worker import Lazy, Subscription, build_worker_app, run_worker
from downtown_events.runtime.health import Readiness
from downtown_events.runtime.kafka import reliable_producer
from downtown_events.runtime.outbox import OutboxRelay
from downtown_events.runtime.projection import Projection, ProjectionWriter
from downtown_events.runtime.telemetry import setup_telemetry
from downtown_events.topics import dead_letter_topic, events_topic


def build_worker(settings: CatalogSettings) -> faust.App:
    async def open_database() -> Pool:
        return await open_pool(settings.database_url, max_size=4, name=f"{SERVICE}-worker")

    async def start_producer() -> AIOKafkaProducer:
        producer = reliable_producer(settings.kafka_bootstrap, client_id=f"{settings.town}-{SERVICE}-worker")
        await producer.start()
        return producer

    pool = Lazy(open_database, close=lambda opened: opened.close())
    producer = Lazy(start_producer, close=lambda started: started.stop())

    def consumer_for(projection: Projection) -> Subscription:
        async def build() -> TrackingConsumer:
            writer = ProjectionWriter(projection)
            async with (await pool()).connection() as conn:
                await writer.create_tables(conn)
            dead_letters = KafkaDeadLetters(
                await producer(), dead_letter_topic(settings.town, SERVICE), writer.consumer_name, SERVICE
            )
            return TrackingConsumer(await pool(), writer, dead_letters, town=settings.town, service=SERVICE)

        return Subscription(events_topic(settings.town, SERVICE), Lazy(build), name=projection.name)

    async def relay(stop: asyncio.Event) -> None:
        await OutboxRelay(await pool(), await producer(), town=settings.town, service=SERVICE).run(stop)

    async def readiness() -> Readiness:
        return Readiness(await pool(), settings.database_url, settings.kafka_bootstrap, SERVICE_MIGRATIONS)

    return build_worker_app(
        app_id=f"{settings.town}.{SERVICE}.worker",
        bootstrap=settings.kafka_bootstrap,
        web_port=settings.worker_port,
        data_dir=settings.worker_data_dir,
        subscriptions=[consumer_for(projection) for projection in PROJECTIONS],
        readiness=Lazy(readiness),
        background=[relay],
        resources=[producer, pool],
        replication=settings.topic_replication,
    )


def main() -> None:
    settings = CatalogSettings()  # type: ignore[call-arg]
    setup_telemetry(f"{SERVICE}-worker", settings.town, log_level=settings.log_level)
    run_worker(build_worker(settings), settings.log_level)
