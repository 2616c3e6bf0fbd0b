"""One request per Idempotency-Key at a time: a retry during the first is told to wait (409)."""

from __future__ import annotations

import asyncio

import pytest
from psycopg_pool import AsyncConnectionPool

from downtown_events.runtime.idempotency import RequestInFlight, one_at_a_time


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
