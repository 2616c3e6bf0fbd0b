# SPDX-License-Identifier: Apache-2.0
"""Throttling by counting: so many tries per bucket and time window, shared by every replica.

A bucket names who or what is tried (``balance:client:<address>``, ``balance:code:<hash>``).
Counting in PostgreSQL, one upsert per check, keeps every API replica of the service
honest without another moving part; windows are fixed (a burst at a window's edge may
get twice the limit once, which is acceptable for stopping guessing). Refused tries count
too, so hammering a closed window keeps it closed.
"""

from __future__ import annotations

import math
import random
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from downtown_events.runtime.database import Pool


class Throttled(Exception):
    """Too many tries (HTTP 429 with ``Retry-After`` in every service)."""

    def __init__(self, reason: str, retry_after: int) -> None:
        super().__init__(reason)
        self.reason = reason
        self.retry_after = retry_after


@dataclass(frozen=True)
class Limit:
    """At most ``tries`` per ``seconds``, per bucket of ``kind``."""

    kind: str
    tries: int
    seconds: int


_HIT = """
INSERT INTO throttle_hits (bucket, window_start, hits) VALUES (%s, to_timestamp(%s), 1)
ON CONFLICT (bucket, window_start) DO UPDATE SET hits = throttle_hits.hits + 1
RETURNING hits
"""
# Windows older than a day are forgotten, measured on the clock the windows were counted by
# (the caller's ``now``), never the database's: a count and its pruning must agree on time.
_PRUNE = "DELETE FROM throttle_hits WHERE window_start < to_timestamp(%s) - interval '1 day'"


class Throttle:
    def __init__(self, pool: Pool, *, prune_probability: float = 0.01) -> None:
        self._pool = pool
        self._prune_probability = prune_probability

    async def check(self, checks: Sequence[tuple[Limit, str]], *, now: datetime | None = None) -> None:
        """Count one try in every ``(limit, key)`` bucket; raise :class:`Throttled` if any is over."""
        moment = (now or datetime.now(UTC)).timestamp()
        refused: list[int] = []
        async with self._pool.connection() as conn, conn.transaction():
            for limit, key in checks:
                window = math.floor(moment / limit.seconds) * limit.seconds
                row = await (await conn.execute(_HIT, (f"{limit.kind}:{key}", window))).fetchone()
                if row is not None and row["hits"] > limit.tries:
                    refused.append(math.ceil(window + limit.seconds - moment))
            if random.random() < self._prune_probability:
                await conn.execute(_PRUNE, (moment,))
        if refused:
            wait = max(refused)
            raise Throttled(f"too many tries; wait {wait} s before trying again", retry_after=max(wait, 1))
