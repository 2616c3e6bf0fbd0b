# SPDX-License-Identifier: Apache-2.0
"""Throttling counts tries per bucket and window, across every replica (one database).

The tests take their moments from the real clock (a window's start, so the minute cannot
roll over mid-test) and their buckets are random: nothing here depends on the calendar or on
what an earlier run left in the table.
"""

from __future__ import annotations

import asyncio
import math
import uuid
from datetime import UTC, datetime, timedelta

import pytest
from psycopg_pool import AsyncConnectionPool

from downtown_events.runtime.throttle import Limit, Throttle, Throttled

PER_CLIENT = Limit("lookup:client", tries=3, seconds=60)
PER_CODE = Limit("lookup:code", tries=5, seconds=60)


def window_start(limit: Limit, *, days_ago: int = 0) -> datetime:
    """The start of the current window of ``limit`` (``days_ago`` days back), by the real clock."""
    now = datetime.now(UTC) - timedelta(days=days_ago)
    return datetime.fromtimestamp(math.floor(now.timestamp() / limit.seconds) * limit.seconds, UTC)


def bucket() -> str:
    return uuid.uuid4().hex


async def test_the_try_past_the_limit_is_refused_with_the_wait_and_other_buckets_are_untouched(
    pool: AsyncConnectionPool,
) -> None:
    throttle = Throttle(pool)
    now = window_start(PER_CLIENT) + timedelta(seconds=15)
    client, other = bucket(), bucket()
    for _ in range(3):
        await throttle.check([(PER_CLIENT, client)], now=now)
    with pytest.raises(Throttled) as refused:
        await throttle.check([(PER_CLIENT, client)], now=now)
    assert refused.value.retry_after == 45  # until the minute's window ends
    await throttle.check([(PER_CLIENT, other)], now=now)
    await throttle.check([(PER_CLIENT, client)], now=now + timedelta(minutes=1))  # a new window


async def test_concurrent_tries_from_many_replicas_never_get_past_the_limit(pool: AsyncConnectionPool) -> None:
    throttle = Throttle(pool)
    now = window_start(PER_CODE)
    code = bucket()

    async def attempt() -> bool:
        try:
            await throttle.check([(PER_CODE, code)], now=now)
        except Throttled:
            return False
        return True

    results = await asyncio.gather(*(attempt() for _ in range(20)))
    assert results.count(True) == PER_CODE.tries


@pytest.mark.parametrize("days_ago", [0, 3, 400])
async def test_pruning_on_every_check_never_forgets_the_window_being_counted(
    pool: AsyncConnectionPool, days_ago: int
) -> None:
    """The prune and the count share one clock: a window the caller counts in is never
    "older than a day" to the prune, whatever day the caller's clock says (a test's fixed
    moment, a replica whose clock differs from the database's)."""
    throttle = Throttle(pool, prune_probability=1.0)
    now = window_start(PER_CODE, days_ago=days_ago)
    code = bucket()
    for _ in range(PER_CODE.tries):
        await throttle.check([(PER_CODE, code)], now=now)
    with pytest.raises(Throttled):
        await throttle.check([(PER_CODE, code)], now=now)


async def test_a_window_older_than_a_day_is_pruned(pool: AsyncConnectionPool) -> None:
    throttle = Throttle(pool, prune_probability=1.0)
    now = window_start(PER_CODE)
    old = bucket()
    await throttle.check([(PER_CODE, old)], now=now - timedelta(days=2))
    await throttle.check([(PER_CODE, bucket())], now=now)
    async with pool.connection() as conn:
        rows = await (
            await conn.execute("SELECT 1 FROM throttle_hits WHERE bucket = %s", (f"lookup:code:{old}",))
        ).fetchall()
    assert rows == []
