# SPDX-License-Identifier: Apache-2.0
"""What a service's admin process is made of: ``<service>-admin``'s commands.

Every command reads the settings itself (so ``--help`` works without a configured
environment), does one thing and is safe to repeat. :class:`AdminCommands` holds them as
methods bound to the service, and :func:`admin_cli` hands those to typer.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from functools import partial
from pathlib import Path
from typing import TypeVar

import psycopg
import typer
from psycopg import sql

from downtown_events.runtime.database import Pool, migrate, open_pool
from downtown_events.runtime.jobs import run_once
from downtown_events.runtime.kafka import ensure_topics
from downtown_events.runtime.ledger import InvalidLog, export_log, import_log
from downtown_events.runtime.live_figures import CHANGELOG_CONFIG, changelog_topic
from downtown_events.runtime.projection import ProjectionWriter
from downtown_events.runtime.service.definition import ServiceDefinition, worker_app_id
from downtown_events.runtime.settings import ServiceSettings

T = TypeVar("T")


def admin_cli(service: ServiceDefinition, load_settings: Callable[[], ServiceSettings]) -> typer.Typer:
    """``<service>-admin provision | migrate``: prepare a town's instance; safe to repeat.

    Locally ``make run`` calls ``provision --create-database``; on Kubernetes an init
    container runs ``provision --no-topics`` (database and topics exist as resources).
    """
    cli = typer.Typer(help=admin_cli.__doc__, no_args_is_help=True, add_completion=False)
    commands = AdminCommands(service, load_settings)
    jobs = ", ".join(job.name for job in service.jobs) or "none"
    cli.command("provision")(commands.provision)
    cli.command("migrate")(commands.migrate_only)
    cli.command("run-job", help=f"{AdminCommands.run_job.__doc__} Jobs: {jobs}.")(commands.run_job)
    cli.command("export-log")(commands.export)
    cli.command("import-log")(commands.import_)
    return cli


class AdminCommands:
    """The commands, bound to one service; typer reads each method's options and docstring."""

    def __init__(self, service: ServiceDefinition, load_settings: Callable[[], ServiceSettings]) -> None:
        self.service = service
        self.load_settings = load_settings

    def provision(
        self,
        create_database: bool = typer.Option(False, help="create the database if missing (local development)"),
        topics: bool = typer.Option(True, help="create the town's topics if missing"),
    ) -> None:
        """Make the town's instance ready to run."""
        settings = self.load_settings()
        if create_database and create_database_if_missing(settings.database_url):
            typer.echo(f"created database for {settings.town}")
        if topics:
            created = asyncio.run(ensure_service_topics(self.service, settings))
            if created:
                typer.echo(f"created topics {', '.join(created)}")
        applied = migrate(settings.database_url, *self.service.migrations)
        asyncio.run(create_read_tables(self.service, settings.database_url))
        typer.echo(f"{settings.town}: {self.service.name} ready ({len(applied)} migrations applied now)")

    def migrate_only(self) -> None:
        """Apply pending schema migrations only."""
        applied = migrate(self.load_settings().database_url, *self.service.migrations)
        typer.echo(f"{len(applied)} migrations applied")

    def run_job(self, name: str = typer.Argument(..., help="the job's name")) -> None:
        """Run one round of a scheduled job now (the worker runs them on their interval)."""
        jobs = {job.name: job for job in self.service.jobs}
        if name not in jobs:
            raise typer.BadParameter(f"{self.service.name} has no job {name!r}; jobs: {', '.join(jobs) or 'none'}")
        settings = self.load_settings()
        done = asyncio.run(with_pool(settings, self.service, lambda pool: run_once(jobs[name], pool, settings)))
        typer.echo("another replica is running it right now" if done is None else f"{name}: {done} done")

    def export(
        self, path: Path = typer.Argument(..., help="file to write (it holds private events: keep it safe)")
    ) -> None:
        """Write the whole event log to a file, for another instance to import (a change of operator)."""
        settings, service = self.load_settings(), self.service
        with path.open("w", encoding="utf-8") as out:
            write_log = partial(export_log, out=out, service=service.name, town=settings.town)
            summary = asyncio.run(with_pool(settings, service, write_log))
        typer.echo(f"exported {summary.events} events of {settings.town}'s {service.name} (sha256 {summary.sha256})")

    def import_(
        self, path: Path = typer.Argument(..., exists=True, dir_okay=False, help="a file from export-log")
    ) -> None:
        """Load an exported log into this (empty, provisioned) instance; it then publishes and projects it."""
        settings, service = self.load_settings(), self.service
        with path.open(encoding="utf-8") as lines:
            try:
                summary = asyncio.run(
                    with_pool(settings, service, lambda pool: import_log(pool, iter(lines), service=service.name))
                )
            except InvalidLog as error:
                typer.echo(f"nothing imported: {error}", err=True)
                raise typer.Exit(1) from None
        typer.echo(
            f"imported {summary.events} events (from {summary.town}); the worker now publishes and projects them"
        )


async def ensure_service_topics(service: ServiceDefinition, settings: ServiceSettings) -> list[str]:
    """The town's topics of this service (with its live figures' changelogs) and of every
    service it reads: a worker can subscribe whichever service starts first."""
    app_id = worker_app_id(settings.town, service.name)
    created = await ensure_topics(
        settings.kafka_bootstrap,
        settings.town,
        service.name,
        partitions=settings.topic_partitions,
        replication=settings.topic_replication,
        extra={changelog_topic(app_id, figure): CHANGELOG_CONFIG for figure in service.live_figures},
    )
    for other in service.services_read():
        created += await ensure_topics(
            settings.kafka_bootstrap,
            settings.town,
            other,
            partitions=settings.topic_partitions,
            replication=settings.topic_replication,
        )
    return created


async def with_pool(settings: ServiceSettings, service: ServiceDefinition, work: Callable[[Pool], Awaitable[T]]) -> T:
    """A small pool for one command's work, closed after it."""
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
