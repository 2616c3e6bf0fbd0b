# SPDX-License-Identifier: Apache-2.0
"""Connection pools and schema migrations (yoyo) for a service's own database."""

from __future__ import annotations

import hashlib
import select
from importlib import resources
from pathlib import Path
from typing import Any

import psycopg
from psycopg import AsyncConnection, AsyncCursor
from psycopg.pq import TransactionStatus
from psycopg.rows import DictRow, dict_row
from psycopg_pool import AsyncConnectionPool
from yoyo import get_backend, read_migrations

from downtown_events.runtime.settings import RuntimeSettings

Connection = AsyncConnection[DictRow]
"""Every connection of the runtime returns rows as dicts."""
Pool = AsyncConnectionPool[Connection]

RUNTIME_MIGRATIONS = Path(str(resources.files("downtown_events.runtime") / "migrations"))


async def open_pool(
    database_url: str,
    *,
    max_size: int = 10,
    name: str = "downtown",
    wait_seconds: float = 30.0,
    max_waiting: int = 0,
) -> Pool:
    """An open pool of autocommit connections; callers open transactions explicitly.

    A connection is checked as it leaves the pool (see ``_alive``: what the server sent is
    read, without a round trip): after a database restart the pool's old connections are
    dead, and a request handed one failed.
    ``wait_seconds`` bounds the wait for a connection and ``max_waiting`` the queue of waiters (0: no bound);
    past either, the pool raises at once (``PoolTimeout``, ``TooManyRequests``), which an
    API answers with 503 and ``Retry-After``.
    """
    kwargs: dict[str, Any] = {"autocommit": True, "row_factory": dict_row}
    opened: list[Pool] = []

    async def check(conn: Connection) -> None:
        try:
            await _alive(conn)
        except psycopg.Error:
            # One dead connection means the server went away and came back: its idle siblings
            # are dead too. psycopg_pool would try them one by one, sleeping 1, 2, 4, 8 s between
            # (its backoff), so a request after a restart waited past its timeout; the pool's
            # own check of every idle connection replaces them all now, each failing at once.
            await opened[0].check()
            raise

    pool = AsyncConnectionPool(
        database_url,
        connection_class=Connection,
        min_size=1,
        max_size=max_size,
        name=name,
        open=False,
        kwargs=kwargs,
        check=check,
        timeout=wait_seconds,
        max_waiting=max_waiting,
    )
    opened.append(pool)
    await pool.open(wait=True, timeout=30)
    return pool


async def _alive(conn: Connection) -> None:
    """psycopg_pool's check, without a round trip where it can: a server that restarted or
    crashed ended its sessions, telling each client (a message, then the end of the socket),
    while an idle session of a live server has nothing to say. So an idle connection with
    nothing to read goes out as it is; any other gets the empty query, which fails on a dead
    one (the pool then discards it and hands out another).

    The empty query for every checkout cost a round trip each, about forty per order of the
    saga (a fifth of its statements). It runs on a plain cursor: a traced one would add a span
    to the trace of every request that takes a connection."""
    if conn.pgconn.transaction_status == TransactionStatus.IDLE and not conn.broken and _quiet(conn.pgconn.socket):
        return
    async with AsyncCursor(conn) as cursor:
        await cursor.execute("")


def _quiet(socket: int) -> bool:
    """Whether nothing (no data, no end of stream) waits to be read on ``socket``; never waits."""
    poller = select.poll()
    poller.register(socket, select.POLLIN | select.POLLPRI)
    return not poller.poll(0)


async def open_api_pool(settings: RuntimeSettings, service: str) -> Pool:
    """An API process's pool: a request waits at most ``database_pool_timeout_seconds`` for a
    connection, and at most ``database_pool_max_waiting`` requests wait at all; beyond that
    the API is busy (503) rather than slow for everyone."""
    return await open_pool(
        settings.database_url,
        max_size=settings.database_pool_size,
        name=f"{service}-api",
        wait_seconds=settings.database_pool_timeout_seconds,
        max_waiting=settings.database_pool_max_waiting,
    )


def advisory_key(name: str) -> int:
    """A PostgreSQL advisory lock key for a name (the relay of a topic, the feed of a consumer)."""
    return int.from_bytes(hashlib.sha256(name.encode()).digest()[:8], "big", signed=True)


def _yoyo_url(database_url: str) -> str:
    scheme, _, rest = database_url.partition("://")
    return f"postgresql+psycopg://{rest}" if scheme in {"postgresql", "postgres"} else database_url


def migrate(database_url: str, *service_migrations: Path) -> list[str]:
    """Apply the runtime's and the service's pending migrations; return their ids.

    Migration ids are prefixed (``runtime_…``, ``catalog_…``) so the folders never clash.
    """
    backend = get_backend(_yoyo_url(database_url))
    migrations = read_migrations(str(RUNTIME_MIGRATIONS), *(str(path) for path in service_migrations))
    with backend.lock():
        pending = backend.to_apply(migrations)
        backend.apply_migrations(pending)
    return [migration.id for migration in pending]


def pending_migrations(database_url: str, *service_migrations: Path) -> list[str]:
    """Ids of migrations not yet applied: a process is not ready while any remain."""
    backend = get_backend(_yoyo_url(database_url))
    migrations = read_migrations(str(RUNTIME_MIGRATIONS), *(str(path) for path in service_migrations))
    return [migration.id for migration in backend.to_apply(migrations)]
