"""``catalog-admin``: prepare a town's catalog: database, topics, migrations.

Locally ``make run`` calls ``provision --create-database``; on Kubernetes an init
container runs ``provision`` (the database and topics exist already as resources).
"""

from __future__ import annotations

import asyncio

import psycopg
import typer
from psycopg import sql

from catalog.bootstrap import SERVICE_MIGRATIONS
from catalog.projections import PROJECTIONS
from catalog.settings import SERVICE, CatalogSettings
from downtown_events.runtime.database import migrate, open_pool
from downtown_events.runtime.kafka import ensure_topics
from downtown_events.runtime.projection import ProjectionWriter

cli = typer.Typer(help=__doc__, no_args_is_help=True, add_completion=False)


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


@cli.command()
def provision(
    create_database: bool = typer.Option(False, help="create the database if missing (local development)"),
    topics: bool = typer.Option(True, help="create the town's topics if missing"),
) -> None:
    """Make the town's catalog ready to run; safe to repeat."""
    settings = CatalogSettings()  # type: ignore[call-arg]
    if create_database and create_database_if_missing(settings.database_url):
        typer.echo(f"created database for {settings.town}")
    if topics:
        created = asyncio.run(
            ensure_topics(
                settings.kafka_bootstrap,
                settings.town,
                SERVICE,
                partitions=settings.topic_partitions,
                replication=settings.topic_replication,
            )
        )
        if created:
            typer.echo(f"created topics {', '.join(created)}")
    applied = migrate(settings.database_url, *SERVICE_MIGRATIONS)
    asyncio.run(create_read_tables(settings.database_url))
    typer.echo(f"{settings.town}: catalog ready ({len(applied)} migrations applied now)")


async def create_read_tables(database_url: str) -> None:
    """The projections' tables exist before the API answers its first search."""
    pool = await open_pool(database_url, max_size=1, name=f"{SERVICE}-admin")
    try:
        async with pool.connection() as conn:
            for projection in PROJECTIONS:
                await ProjectionWriter(projection).create_tables(conn)
    finally:
        await pool.close()


@cli.command("migrate")
def migrate_only() -> None:
    """Apply pending schema migrations only."""
    settings = CatalogSettings()  # type: ignore[call-arg]
    applied = migrate(settings.database_url, *SERVICE_MIGRATIONS)
    typer.echo(f"{len(applied)} migrations applied")
