# SPDX-License-Identifier: Apache-2.0
"""Request leases: at most one request per Idempotency-Key runs at a time, across replicas.

The PostgreSQL side of :mod:`downtown_events.runtime.idempotency` (whose checks are pure,
for a service's ``app/``): an API route takes the lease around the handler it calls, so a
retry that arrives while the first request still runs gets :class:`RequestInFlight`
instead of racing it.
"""

from __future__ import annotations

import contextlib
import logging
import random
from collections.abc import AsyncIterator
from uuid import uuid4

import psycopg

from downtown_events.runtime.database import Pool
from downtown_events.runtime.idempotency import RequestInFlight

log = logging.getLogger(__name__)

LEASE_SECONDS = 60.0
"""A request holding a key's lease longer than this is presumed dead (its process was
killed); a retry may then run. Even so, the event store's version check keeps two of them
from both writing."""

# Taken when free or expired; the RETURNING row says whether it is ours.
_TAKE = """
INSERT INTO request_leases (lease, holder, expires_at) VALUES (%s, %s, now() + make_interval(secs => %s))
ON CONFLICT (lease) DO UPDATE SET holder = EXCLUDED.holder, expires_at = EXCLUDED.expires_at
    WHERE request_leases.expires_at <= now()
RETURNING holder
"""
_LEFT = "SELECT ceil(extract(epoch FROM expires_at - now()))::int AS seconds FROM request_leases WHERE lease = %s"
_GIVE_BACK = "DELETE FROM request_leases WHERE lease = %s AND holder = %s"
_PRUNE = "DELETE FROM request_leases WHERE expires_at < now() - interval '1 hour'"


@contextlib.asynccontextmanager
async def one_at_a_time(
    pool: Pool,
    scope: str,
    idempotency_key: str | None,
    *,
    lease_seconds: float = LEASE_SECONDS,
    prune_probability: float = 0.01,
) -> AsyncIterator[None]:
    """Run the block for at most one request per ``scope`` and key at a time, across replicas.

    A retry that arrives while the first request still runs is refused at once (the draft's
    409, with the lease's remaining time as ``Retry-After``) instead of racing it; once the
    first has ended, the retry replays its answer. The lease is a row, taken and given back
    by a statement each: no connection of the request's pool is held while the block runs
    (a session lock held a connection per waiting request, and thirty strangers' requests
    starved every other request of the pool). Callers authenticate and look up what the
    request names first, so that a stranger's request never takes a lease.
    """
    if idempotency_key is None:
        yield
        return
    lease, holder = f"{scope}:{idempotency_key}", uuid4()
    async with pool.connection() as conn:
        taken = await (await conn.execute(_TAKE, (lease, holder, lease_seconds))).fetchone()
        if taken is None:
            left = await (await conn.execute(_LEFT, (lease,))).fetchone()
            raise RequestInFlight(int(left["seconds"]) if left and left["seconds"] else 1)
        if random.random() < prune_probability:
            await conn.execute(_PRUNE)
    try:
        yield
    finally:
        try:
            async with pool.connection() as conn:
                await conn.execute(_GIVE_BACK, (lease, holder))
        except psycopg.Error as error:  # the database went away meanwhile: the lease expires by itself
            log.warning("could not give back the lease of %s (%r); it expires in %.0f s", scope, error, lease_seconds)
