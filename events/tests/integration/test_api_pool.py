# SPDX-License-Identifier: Apache-2.0
"""An API's pool: bounded waiting, and connections that survive a database crash."""

from __future__ import annotations

import asyncio

import httpx
import pytest
from fastapi import FastAPI

from downtown_events.runtime.database import Pool, open_pool
from downtown_events.runtime.http.unavailable import DatabaseUnavailable
from tests.support.local_stack import OWN_STACK, crash_database_server


def slow_app(pool: Pool) -> FastAPI:
    app = FastAPI()

    async def slow() -> dict[str, int]:
        async with pool.connection() as conn:
            await conn.execute("SELECT pg_sleep(0.5)")
        return {"ok": 1}

    app.add_api_route("/slow", slow, methods=["POST"])
    app.add_middleware(DatabaseUnavailable)
    return app


async def test_past_the_pools_waiters_a_request_is_told_busy_at_once_never_left_hanging(database_url: str) -> None:
    pool = await open_pool(database_url, max_size=2, name="test-busy", wait_seconds=5.0, max_waiting=2)
    transport = httpx.ASGITransport(app=slow_app(pool))
    try:
        async with httpx.AsyncClient(transport=transport, base_url="http://test", timeout=30) as client:
            started = asyncio.get_running_loop().time()
            answers = await asyncio.gather(*(client.post("/slow") for _ in range(12)))
            took = asyncio.get_running_loop().time() - started
    finally:
        await pool.close()
    statuses = sorted(response.status_code for response in answers)
    assert statuses.count(200) >= 2  # those holding a connection and those waiting for one
    assert set(statuses) <= {200, 503} and 503 in statuses
    assert all(r.headers["retry-after"] == "2" for r in answers if r.status_code == 503)
    assert took < 5.0  # refused at once, not after the pool's timeout


@pytest.mark.skipif(not OWN_STACK, reason="crashes PostgreSQL: only on the stack `make test` started")
async def test_a_pool_opened_before_database_crashes_hands_out_live_connections_at_once_after(
    database_url: str,
) -> None:
    """Every idle connection died with the server. psycopg_pool alone tries them one by one,
    sleeping 1, 2, 4, 8 s between: the first request after a restart waited past its 15 s."""
    pool = await open_pool(database_url, max_size=10, name="test-crash", wait_seconds=10)
    try:
        async with asyncio.TaskGroup() as group:  # every connection open before the crash
            for _ in range(10):
                group.create_task(_hold(pool, 0.2))
        await asyncio.to_thread(crash_database_server)
        await asyncio.to_thread(crash_database_server)
        for _ in range(12):
            async with pool.connection() as conn:  # within the 10 s the pool waits at most
                assert (await (await conn.execute("SELECT 1 AS one")).fetchone())["one"] == 1
    finally:
        await pool.close()


async def _hold(pool: Pool, seconds: float) -> None:
    async with pool.connection() as conn:
        await conn.execute("SELECT pg_sleep(%s)", (seconds,))
