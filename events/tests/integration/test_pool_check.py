# SPDX-License-Identifier: Apache-2.0
"""The pool's check as a connection leaves it: free for a live one, a fresh one for a dead one.

(The database crash itself is in ``test_api_pool``; here one session is ended by the server,
as a restart ends them all.)
"""

from __future__ import annotations

import asyncio

import psycopg
from psycopg.rows import dict_row

from downtown_events.runtime.database import Pool, open_pool


async def test_a_connection_whose_session_the_server_ended_is_replaced_before_anyone_gets_it(
    database_url: str,
) -> None:
    pool = await open_pool(database_url, max_size=1, name="test-check")
    try:
        ended = await _backend(pool)
        with psycopg.connect(database_url, autocommit=True) as admin:
            admin.execute("SELECT pg_terminate_backend(%s)", (ended,))
            await _until_gone(admin, ended)
        assert await _backend(pool) != ended
    finally:
        await pool.close()


async def test_a_live_idle_connection_leaves_the_pool_without_a_round_trip(database_url: str) -> None:
    pool = await open_pool(database_url, max_size=1, name="test-check")
    try:
        async with pool.connection() as conn:
            await conn.execute("SELECT 'the last statement' AS marker")
            backend = conn.pgconn.backend_pid
        async with pool.connection() as conn:
            assert conn.pgconn.backend_pid == backend
            with psycopg.connect(database_url, autocommit=True, row_factory=dict_row) as admin:
                row = admin.execute("SELECT query FROM pg_stat_activity WHERE pid = %s", (backend,)).fetchone()
            assert row is not None and row["query"] == "SELECT 'the last statement' AS marker"  # no empty check query
    finally:
        await pool.close()


async def _backend(pool: Pool) -> int:
    async with pool.connection() as conn:
        row = await (await conn.execute("SELECT pg_backend_pid() AS pid")).fetchone()
    assert row is not None
    return int(row["pid"])


async def _until_gone(admin: psycopg.Connection[tuple[object, ...]], pid: int) -> None:
    for _ in range(100):
        if admin.execute("SELECT 1 FROM pg_stat_activity WHERE pid = %s", (pid,)).fetchone() is None:
            return
        await asyncio.sleep(0.05)
    raise AssertionError(f"backend {pid} still there")
