# SPDX-License-Identifier: Apache-2.0
"""One request per Idempotency-Key at a time: a retry during the first is told to wait (409)."""

from __future__ import annotations

import asyncio
import uuid

import pytest
from psycopg_pool import AsyncConnectionPool

from downtown_events.runtime.database import open_pool
from downtown_events.runtime.idempotency import RequestInFlight
from downtown_events.runtime.request_leases import one_at_a_time


async def test_a_retry_while_the_first_runs_is_refused_and_after_it_runs(pool: AsyncConnectionPool) -> None:
    first_inside = asyncio.Event()
    release_first = asyncio.Event()

    async def first() -> None:
        async with one_at_a_time(pool, "checkout:b1", "key-12345678"):
            first_inside.set()
            await release_first.wait()

    running = asyncio.create_task(first())
    await first_inside.wait()
    with pytest.raises(RequestInFlight):
        async with one_at_a_time(pool, "checkout:b1", "key-12345678"):
            pytest.fail("a second request with the same key ran beside the first")
    async with one_at_a_time(pool, "checkout:b2", "key-12345678"):  # another scope is another request
        pass
    release_first.set()
    await running
    async with one_at_a_time(pool, "checkout:b1", "key-12345678"):  # the lock was let go
        pass


async def test_the_lock_is_let_go_when_the_block_fails(pool: AsyncConnectionPool) -> None:
    with pytest.raises(ValueError):
        async with one_at_a_time(pool, "checkout:b3", "key-abcdefgh"):
            raise ValueError("the handler failed")
    async with one_at_a_time(pool, "checkout:b3", "key-abcdefgh"):
        pass


async def test_without_a_key_nothing_is_locked(pool: AsyncConnectionPool) -> None:
    async with one_at_a_time(pool, "checkout:b4", None), one_at_a_time(pool, "checkout:b4", None):
        pass


async def test_requests_holding_their_keys_hold_no_connection_of_the_pool(database_url: str) -> None:
    """Thirty requests inside their blocks at once, on a pool of two: each still gets a
    connection for its work (a held session lock per request starved the pool)."""
    small = await open_pool(database_url, max_size=2, name="test-small")
    inside = 0
    all_inside = asyncio.Event()

    async def request(n: int) -> int:
        nonlocal inside
        async with one_at_a_time(small, "checkout:many", f"key-{n:08d}"):
            inside += 1
            if inside == 30:
                all_inside.set()
            await asyncio.wait_for(all_inside.wait(), timeout=10)
            async with small.connection(timeout=5) as conn:
                return int((await (await conn.execute("SELECT %s::int AS n", (n,))).fetchone())["n"])

    try:
        assert sorted(await asyncio.gather(*(request(n) for n in range(30)))) == list(range(30))
    finally:
        await small.close()


async def test_a_lease_left_by_a_killed_request_expires(pool: AsyncConnectionPool) -> None:
    async with pool.connection() as conn:  # a request whose process died inside its block
        await conn.execute(
            "INSERT INTO request_leases (lease, holder, expires_at) VALUES (%s, %s, now() + interval '1.5 s')",
            ("checkout:b5:key-killed-1", uuid.uuid4()),
        )
    with pytest.raises(RequestInFlight) as refused:
        async with one_at_a_time(pool, "checkout:b5", "key-killed-1"):
            pytest.fail("ran beside a live lease")
    assert refused.value.retry_after in (1, 2)
    await asyncio.sleep(1.6)
    async with one_at_a_time(pool, "checkout:b5", "key-killed-1"):
        pass
