# SPDX-License-Identifier: Apache-2.0
"""Liveness and readiness, as Kubernetes probes them.

Live: the process answers. Ready: its database answers, every migration is applied, and
the Kafka broker answers a metadata request. Each check reports its own result so an
operator sees *which* dependency is missing.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from pathlib import Path

from aiokafka import AIOKafkaClient

from downtown_events.runtime.database import Pool, pending_migrations

Check = Callable[[], Awaitable[None]]

halted_consumers: dict[str, str] = {}
"""Consumers of this process that halted (see ``failures.py``), with why; a worker that has
one is not ready, so the platform sees it and nothing is silently skipped."""


PARKED_TOO_LONG_SECONDS = 300


async def _parked(pool: Pool) -> None:
    """Events waiting a while for earlier versions mean a version was lost on the way."""
    async with pool.connection(timeout=2) as conn:
        query = (
            "SELECT consumer, count(*) AS n, extract(epoch FROM now() - min(parked_at)) AS age "
            "FROM parked_events GROUP BY consumer HAVING min(parked_at) < now() - make_interval(secs => %s)"
        )
        rows = await (await conn.execute(query, (PARKED_TOO_LONG_SECONDS,))).fetchall()
    if rows:
        waiting = ", ".join(f"{row['consumer']}: {row['n']} for {row['age']:.0f}s" for row in rows)
        raise RuntimeError(f"events parked, waiting for earlier versions: {waiting}")


async def _consumers() -> None:
    if halted_consumers:
        raise RuntimeError("; ".join(f"{name}: {reason}" for name, reason in sorted(halted_consumers.items())))


async def _database(pool: Pool) -> None:
    async with pool.connection(timeout=2) as conn:
        await conn.execute("SELECT 1")


async def _broker(bootstrap: str) -> None:
    client = AIOKafkaClient(bootstrap_servers=bootstrap, request_timeout_ms=2000)
    try:
        await asyncio.wait_for(client.bootstrap(), timeout=3)
    finally:
        await client.close()


class Readiness:
    def __init__(self, pool: Pool, database_url: str, bootstrap: str, migrations: list[Path]) -> None:
        self._pool = pool
        self._database_url = database_url
        self._bootstrap = bootstrap
        self._migrations = migrations
        self._migrated = False

    async def _schema(self) -> None:
        if self._migrated:  # migrations only ever get applied, so one success is enough
            return
        pending = await asyncio.to_thread(pending_migrations, self._database_url, *self._migrations)
        if pending:
            raise RuntimeError(f"pending migrations: {', '.join(pending)}")
        self._migrated = True

    async def check(self) -> tuple[bool, dict[str, str]]:
        checks: dict[str, Check] = {
            "database": lambda: _database(self._pool),
            "migrations": self._schema,
            "kafka": lambda: _broker(self._bootstrap),
            "consumers": _consumers,
            "parked": lambda: _parked(self._pool),
        }
        results: dict[str, str] = {}
        for name, check in checks.items():
            try:
                await check()
                results[name] = "ok"
            except Exception as error:  # a probe reports, it never raises
                results[name] = f"failing: {error!r}"
        return all(value == "ok" for value in results.values()), results
