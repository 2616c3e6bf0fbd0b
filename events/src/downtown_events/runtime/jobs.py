# SPDX-License-Identifier: Apache-2.0
"""Scheduled jobs: work a service does on the clock (vouchers expiring, unpaid purchases lapsing).

A job is a function of the service's database pool that does one round of work and says
how much it did. It must be idempotent — it decides through the aggregates, which refuse
to expire a voucher twice — so running it twice, or in two replicas at once, changes
nothing; an advisory lock still keeps replicas from doing the same round side by side.
The worker runs every job on its interval; ``<service>-admin run-job NAME`` runs one round
now (by hand, or from a CronJob).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from downtown_events.runtime.database import Pool, advisory_key

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class ScheduledJob:
    name: str
    every_seconds: float
    run: Callable[[Pool, Any], Awaitable[int]]
    """One round, given the pool and the service's settings; returns how many things it changed."""


async def run_once(job: ScheduledJob, pool: Pool, settings: Any) -> int | None:
    """One round, unless another replica is running this job right now (then None)."""
    async with pool.connection() as conn:
        row = await (
            await conn.execute("SELECT pg_try_advisory_lock(%s) AS mine", (advisory_key(job.name),))
        ).fetchone()
        if not (row and row["mine"]):
            return None
        try:
            done = await job.run(pool, settings)
        finally:
            await conn.execute("SELECT pg_advisory_unlock(%s)", (advisory_key(job.name),))
    if done:
        log.info("job %s: %d done", job.name, done)
    return done


def scheduled(
    job: ScheduledJob, pool: Callable[[], Awaitable[Pool]], settings: Any
) -> Callable[[asyncio.Event], Awaitable[None]]:
    """The worker's background task for ``job``: a round now, then one every interval."""

    async def every_interval(stop: asyncio.Event) -> None:
        while not stop.is_set():
            try:
                await run_once(job, await pool(), settings)
            except Exception:
                log.exception("job %s failed; next round in %.0f s", job.name, job.every_seconds)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), timeout=job.every_seconds)

    every_interval.__name__ = f"job {job.name}"
    return every_interval
