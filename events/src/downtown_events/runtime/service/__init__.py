# SPDX-License-Identifier: Apache-2.0
"""The service kit's processes: a service declares what it is, the kit runs its worker and
its set-up, the same way for every service.

A :class:`ServiceDefinition` names the service, its projections (read models fed from
topics, or from the service's own store for those that read private events), its
reactions (process managers), and its migrations. From it come the worker (one faust
app: an agent per projection and reaction, a store feed per private projection, the
outbox relay, health pages) and the admin commands (``provision``, ``migrate``). A
service's ``worker.py`` and ``admin.py`` only read its settings and call these.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TypeVar

import faust
import psycopg
import typer
from aiokafka import AIOKafkaProducer
from psycopg import sql

from downtown_events.runtime.consumer import KafkaDeadLetters, TrackingConsumer
from downtown_events.runtime.database import Pool, migrate, open_pool
from downtown_events.runtime.faust_worker import Lazy, LiveFigures, Subscription, build_worker_app, run_worker
from downtown_events.runtime.health import Readiness
from downtown_events.runtime.identity import trusted_keys
from downtown_events.runtime.jobs import ScheduledJob, run_once, scheduled
from downtown_events.runtime.kafka import ensure_topics, reliable_producer
from downtown_events.runtime.ledger import InvalidLog, export_log, import_log
from downtown_events.runtime.live_figures import CHANGELOG_CONFIG, LiveFigure, changelog_topic
from downtown_events.runtime.outbox import OutboxRelay
from downtown_events.runtime.principal import TownAuthenticator
from downtown_events.runtime.process_manager import ProcessManager
from downtown_events.runtime.projection import Projection, ProjectionWriter
from downtown_events.runtime.settings import ServiceSettings
from downtown_events.runtime.store_feed import StoreDeadLetters, StoreFeed, StoreReader, checkpointing
from downtown_events.runtime.telemetry import setup_telemetry
from downtown_events.runtime.tracking import EventHandler
from downtown_events.topics import dead_letter_topic, events_topic

T = TypeVar("T")
PROJECTION_BATCH = 1000
"""Records per transaction at most for a projection: a catch-up writes rows in bulk."""
PROJECTION_LINGER_SECONDS = 0.05
"""How long a projection's batch waits after its first event for more: a read model is
read, never waited on by the next step of a flow, so it trades a moment's staleness for
fewer transactions. A reaction does not wait: each step of a saga would add it."""
HandlerFactory = Callable[[Pool, ServiceSettings], EventHandler]
"""How the worker gets a consumer's handler once its pool is open (most just return theirs)."""


@dataclass(frozen=True)
class Reaction:
    """A consumer that acts on events — a process manager appending events of its own, or a
    notifier queueing e-mails — and where it reads them: the topics of ``sources`` (empty:
    the service's own), or the service's own store (``from_store``: private events too)."""

    manager: ProcessManager | EventHandler | HandlerFactory
    """The handler, or (when it needs the worker's pool or settings: a read model to consult,
    a key) a function making it from them, called once in the worker; ``name`` then says its
    consumer name up front."""
    sources: tuple[str, ...] = ()
    from_store: bool = False
    name: str = ""
    batch_size: int = 100
    """Records per transaction at most. A reaction's transaction holds the streams it
    appended to until it commits (an API writer of the same offer or voucher waits for it),
    so its batches are kept smaller than a projection's (1000): a backlog still moves in
    batches, and nobody waits for a thousand reactions' commit."""

    def __post_init__(self) -> None:
        if callable(self.manager) and not self.name:
            raise ValueError("a reaction made by a factory needs its consumer name")

    @property
    def consumer_name(self) -> str:
        return self.name or self.manager.consumer_name  # type: ignore[union-attr]

    def handler(self, pool: Pool, settings: ServiceSettings) -> EventHandler:
        if callable(self.manager):
            return self.manager(pool, settings)
        return self.manager


@dataclass(frozen=True)
class ServiceDefinition:
    name: str
    projections: Sequence[Projection] = ()
    reactions: Sequence[Reaction] = ()
    migrations: Sequence[Path] = field(default_factory=list)
    jobs: Sequence[ScheduledJob] = ()
    live_figures: Sequence[LiveFigure] = ()
    """Counted live from the service's own topic (faust windowed tables, see ``live_figures``)."""

    def topics_of(self, town: str, sources: Sequence[str]) -> list[str]:
        return [events_topic(town, source) for source in (sources or (self.name,))]

    def services_read(self) -> list[str]:
        """The other services whose topics this one's worker subscribes to."""
        sources = [source for projection in self.projections for source in projection.sources]
        sources += [source for reaction in self.reactions if not reaction.from_store for source in reaction.sources]
        return sorted(set(sources) - {self.name})


def _given(handler: EventHandler) -> HandlerFactory:
    return lambda _pool, _settings: handler


def worker_pool_size(service: ServiceDefinition) -> int:
    """Connections enough for everything of the worker at once: each consumer's batch, each
    store feed's listener and its batch, each job's lock and its round, the relay, the health
    checks. Too few and a job or feed holding its own starves the consumers silently."""
    consumers = len(service.projections) + len(service.reactions)
    return 3 + 2 * consumers + 2 * len(service.jobs)


def worker_app_id(town: str, service: str) -> str:
    """The worker's faust app id, also its consumer group and its internal topics' prefix."""
    return f"{town}.{service}.worker"


def build_worker(service: ServiceDefinition, settings: ServiceSettings) -> faust.App:
    """The service's worker for one town: projections, reactions, the outbox relay."""

    async def open_database() -> Pool:
        return await open_pool(settings.database_url, max_size=worker_pool_size(service), name=f"{service.name}-worker")

    async def start_producer() -> AIOKafkaProducer:
        producer = reliable_producer(settings.kafka_bootstrap, client_id=f"{settings.town}-{service.name}-worker")
        await producer.start()
        return producer

    pool = Lazy(open_database, close=lambda opened: opened.close())
    producer = Lazy(start_producer, close=lambda started: started.stop())

    def subscriptions(
        name: str,
        make: HandlerFactory,
        sources: Sequence[str],
        batch_size: int = PROJECTION_BATCH,
        linger_seconds: float = PROJECTION_LINGER_SECONDS,
    ) -> list[Subscription]:
        """One agent per topic read; they share one consumer (one tracking, one lock)."""

        async def build() -> TrackingConsumer:
            handler = make(await pool(), settings)
            if isinstance(handler, ProjectionWriter):
                async with (await pool()).connection() as conn:
                    await handler.create_tables(conn)
            topic = dead_letter_topic(settings.town, service.name)
            dead_letters = KafkaDeadLetters(await producer(), topic, handler.consumer_name, service.name)
            return TrackingConsumer(await pool(), handler, dead_letters, town=settings.town, service=service.name)

        consumer = Lazy(build)
        topics = service.topics_of(settings.town, sources)
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

    def store_feed(name: str, make: HandlerFactory) -> Callable[[asyncio.Event], Awaitable[None]]:
        """A consumer of private events reads the service's own store, not a topic."""

        async def feed(stop: asyncio.Event) -> None:
            opened = await pool()
            handler = make(opened, settings)
            if isinstance(handler, ProjectionWriter):
                async with opened.connection() as conn:
                    await handler.create_tables(conn)
            dead_letters = StoreDeadLetters(opened, handler.consumer_name)
            consumer = TrackingConsumer(
                opened,
                handler,
                dead_letters,
                town=settings.town,
                service=service.name,
                progress=checkpointing(handler.consumer_name),
            )
            reader = StoreReader(town=settings.town, service=service.name)
            await StoreFeed(opened, consumer, handler.consumer_name, reader).run(stop)

        feed.__name__ = f"store feed of {name}"
        return feed

    agents: list[Subscription] = []
    feeds: list[Callable[[asyncio.Event], Awaitable[None]]] = []
    for projection in service.projections:
        writer = ProjectionWriter(projection)
        if projection.from_store:
            feeds.append(store_feed(writer.consumer_name, _given(writer)))
        else:
            agents += subscriptions(projection.name, _given(writer), projection.sources)
    for reaction in service.reactions:
        if reaction.from_store:
            feeds.append(store_feed(reaction.consumer_name, reaction.handler))
        else:
            agents += subscriptions(
                reaction.consumer_name, reaction.handler, reaction.sources, reaction.batch_size, linger_seconds=0.0
            )

    async def relay(stop: asyncio.Event) -> None:
        await OutboxRelay(await pool(), await producer(), town=settings.town, service=service.name).run(stop)

    async def readiness() -> Readiness:
        return Readiness(await pool(), settings.database_url, settings.kafka_bootstrap, list(service.migrations))

    return build_worker_app(
        app_id=worker_app_id(settings.town, service.name),
        bootstrap=settings.kafka_bootstrap,
        web_port=settings.worker_port,
        data_dir=settings.worker_data_dir,
        subscriptions=agents,
        readiness=Lazy(readiness),
        background=[relay, *feeds, *(scheduled(job, pool, settings) for job in service.jobs)],
        resources=[producer, pool],
        replication=settings.topic_replication,
        live=LiveFigures(
            events_topic(settings.town, service.name),
            settings.town,
            settings.topic_partitions,
            service.live_figures,
            authenticator=TownAuthenticator(
                town=settings.town,
                trusted=trusted_keys(settings.trusted_token_keys),
                association_token=settings.association_token,
            ),
        ),
    )


def run_service_worker(service: ServiceDefinition, settings: ServiceSettings) -> None:
    """``<service>-worker``: telemetry, then the worker until SIGTERM."""
    setup_telemetry(f"{service.name}-worker", settings.town, log_level=settings.log_level)
    run_worker(build_worker(service, settings), settings.log_level, bootstrap=settings.kafka_bootstrap)


def admin_cli(service: ServiceDefinition, load_settings: Callable[[], ServiceSettings]) -> typer.Typer:
    """``<service>-admin provision | migrate``: prepare a town's instance; safe to repeat.

    Locally ``make run`` calls ``provision --create-database``; on Kubernetes an init
    container runs ``provision --no-topics`` (database and topics exist as resources).
    """
    cli = typer.Typer(help=admin_cli.__doc__, no_args_is_help=True, add_completion=False)

    @cli.command()
    def provision(
        create_database: bool = typer.Option(False, help="create the database if missing (local development)"),
        topics: bool = typer.Option(True, help="create the town's topics if missing"),
    ) -> None:
        """Make the town's instance ready to run."""
        settings = load_settings()
        if create_database and create_database_if_missing(settings.database_url):
            typer.echo(f"created database for {settings.town}")
        if topics:
            app_id = worker_app_id(settings.town, service.name)
            created = asyncio.run(
                ensure_topics(
                    settings.kafka_bootstrap,
                    settings.town,
                    service.name,
                    partitions=settings.topic_partitions,
                    replication=settings.topic_replication,
                    extra={changelog_topic(app_id, figure): CHANGELOG_CONFIG for figure in service.live_figures},
                )
            )
            for other in service.services_read():  # a worker can subscribe whichever service starts first
                created += asyncio.run(
                    ensure_topics(
                        settings.kafka_bootstrap,
                        settings.town,
                        other,
                        partitions=settings.topic_partitions,
                        replication=settings.topic_replication,
                    )
                )
            if created:
                typer.echo(f"created topics {', '.join(created)}")
        applied = migrate(settings.database_url, *service.migrations)
        asyncio.run(create_read_tables(service, settings.database_url))
        typer.echo(f"{settings.town}: {service.name} ready ({len(applied)} migrations applied now)")

    @cli.command("migrate")
    def migrate_only() -> None:
        """Apply pending schema migrations only."""
        applied = migrate(load_settings().database_url, *service.migrations)
        typer.echo(f"{len(applied)} migrations applied")

    @cli.command("run-job")
    def run_job(name: str = typer.Argument(..., help=", ".join(job.name for job in service.jobs) or "none")) -> None:
        """Run one round of a scheduled job now (the worker runs them on their interval)."""
        jobs = {job.name: job for job in service.jobs}
        if name not in jobs:
            raise typer.BadParameter(f"{service.name} has no job {name!r}; jobs: {', '.join(jobs) or 'none'}")
        settings = load_settings()
        done = asyncio.run(_with_pool(settings, service, lambda pool: run_once(jobs[name], pool, settings)))
        typer.echo("another replica is running it right now" if done is None else f"{name}: {done} done")

    @cli.command("export-log")
    def export(path: Path = typer.Argument(..., help="file to write (it holds private events: keep it safe)")) -> None:
        """Write the whole event log to a file, for another instance to import (a change of operator)."""
        settings = load_settings()
        with path.open("w", encoding="utf-8") as out:
            summary = asyncio.run(
                _with_pool(
                    settings, service, lambda pool: export_log(pool, out, service=service.name, town=settings.town)
                )
            )
        typer.echo(f"exported {summary.events} events of {settings.town}'s {service.name} (sha256 {summary.sha256})")

    @cli.command("import-log")
    def import_(path: Path = typer.Argument(..., exists=True, dir_okay=False, help="a file from export-log")) -> None:
        """Load an exported log into this (empty, provisioned) instance; it then publishes and projects it."""
        settings = load_settings()
        with path.open(encoding="utf-8") as lines:
            try:
                summary = asyncio.run(
                    _with_pool(settings, service, lambda pool: import_log(pool, iter(lines), service=service.name))
                )
            except InvalidLog as error:
                typer.echo(f"nothing imported: {error}", err=True)
                raise typer.Exit(1) from None
        typer.echo(
            f"imported {summary.events} events (from {summary.town}); the worker now publishes and projects them"
        )

    return cli


async def _with_pool(settings: ServiceSettings, service: ServiceDefinition, work: Callable[[Pool], Awaitable[T]]) -> T:
    pool = await open_pool(settings.database_url, max_size=2, name=f"{service.name}-admin")
    try:
        return await work(pool)
    finally:
        await pool.close()


def create_database_if_missing(database_url: str) -> bool:
    """Connects to the server's ``postgres`` database to create the service's own."""
    info = psycopg.conninfo.conninfo_to_dict(database_url)
    name = str(info["dbname"])
    maintenance = psycopg.conninfo.make_conninfo(database_url, dbname="postgres")
    with psycopg.connect(maintenance, autocommit=True) as conn:
        if conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,)).fetchone():
            return False
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
        return True


async def create_read_tables(service: ServiceDefinition, database_url: str) -> None:
    """The projections' tables exist before the API answers its first query."""
    pool = await open_pool(database_url, max_size=1, name=f"{service.name}-admin")
    try:
        async with pool.connection() as conn:
            for projection in service.projections:
                await ProjectionWriter(projection).create_tables(conn)
    finally:
        await pool.close()
