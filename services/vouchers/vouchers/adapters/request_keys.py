# SPDX-License-Identifier: AGPL-3.0-or-later
"""Idempotency-Keys claimed for one request across every voucher (see ``vouchers_0003``)."""

from __future__ import annotations

import random

from downtown_events.runtime.database import Pool
from downtown_events.runtime.idempotency import IdempotencyKeyReused

# On a conflict the row is "updated" to itself, so RETURNING gives the first request's fingerprint.
_CLAIM = """
INSERT INTO request_keys (scope, key, fingerprint) VALUES (%s, %s, %s)
ON CONFLICT (scope, key) DO UPDATE SET scope = request_keys.scope
RETURNING fingerprint
"""
_PRUNE = "DELETE FROM request_keys WHERE claimed_at < now() - interval '90 days'"


class PostgresRequestKeys:
    """The :class:`~vouchers.app.ports.RequestKeys` of the vouchers service."""

    def __init__(self, pool: Pool, *, prune_probability: float = 0.001) -> None:
        self._pool = pool
        self._prune_probability = prune_probability

    async def claim(self, scope: str, key: str, fingerprint: str, what: str) -> None:
        async with self._pool.connection() as conn:
            row = await (await conn.execute(_CLAIM, (scope, key, fingerprint))).fetchone()
            if random.random() < self._prune_probability:
                await conn.execute(_PRUNE)
        if row is not None and row["fingerprint"] != fingerprint:
            raise IdempotencyKeyReused(
                f"this Idempotency-Key was already used for a different {what}; "
                "use a new key for a new request, or repeat the first request unchanged"
            )
