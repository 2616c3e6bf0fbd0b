"""Throttling counts tries per bucket and window, across every replica (one database)."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import pytest
from psycopg_pool import AsyncConnectionPool

from downtown_events.runtime.throttle import Limit, Throttle, Throttled

PER_CLIENT = Limit("lookup:client", tries=3, seconds=60)
PER_CODE = Limit("lookup:code", tries=5, seconds=60)


async def test_the_try_past_the_limit_is_refused_with_the_wait_and_other_buckets_are_untouched(
    pool: AsyncConnectionPool,
) -> None:
    throttle = Throttle(pool)
    now = datetime(2026, 12, 2, 10, 0, 15, tzinfo=UTC)
    for _ in range(3):
        await throttle.check([(PER_CLIENT, "10.0.0.1")], now=now)
    with pytest.raises(Throttled) as refused:
        await throttle.check([(PER_CLIENT, "10.0.0.1")], now=now)
    assert refused.value.retry_after == 45  # until the minute's window ends
    await throttle.check([(PER_CLIENT, "10.0.0.2")], now=now)
    await throttle.check([(PER_CLIENT, "10.0.0.1")], now=now + timedelta(minutes=1))  # a new window


async def test_concurrent_tries_from_many_replicas_never_get_past_the_limit(pool: AsyncConnectionPool) -> None:
    throttle = Throttle(pool)
    now = datetime(2026, 12, 2, 11, 0, 0, tzinfo=UTC)

    async def attempt() -> bool:
        try:
            await throttle.check([(PER_CODE, "hash-1")], now=now)
        except Throttled:
            return False
        return True

    results = await asyncio.gather(*(attempt() for _ in range(20)))
    assert results.count(True) == PER_CODE.tries
