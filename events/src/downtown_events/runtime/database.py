"""Connection pools and schema migrations (yoyo) for a service's own database."""

from __future__ import annotations

import hashlib
from importlib import resources
from pathlib import Path
from typing import Any

from psycopg import AsyncConnection
from psycopg.rows import DictRow, dict_row
from psycopg_pool import AsyncConnectionPool
from yoyo import get_backend, read_migrations

Connection = AsyncConnection[DictRow]
"""Every connection of the runtime returns rows as dicts."""
Pool = AsyncConnectionPool[Connection]

RUNTIME_MIGRATIONS = Path(str(resources.files("downtown_events.runtime") / "migrations"))


async def open_pool(database_url: str, *, max_size: int = 10, name: str = "downtown") -> Pool:
    """An open pool of autocommit connections; callers open transactions explicitly."""
    kwargs: dict[str, Any] = {"autocommit": True, "row_factory": dict_row}
    pool = AsyncConnectionPool(
        database_url,
        connection_class=Connection,
        min_size=1,
        max_size=max_size,
        name=name,
        open=False,
        kwargs=kwargs,
    )
    await pool.open(wait=True, timeout=30)
    return pool


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
