# SPDX-License-Identifier: AGPL-3.0-or-later
"""Proof-of-delivery photos on the kit's photo cleaning and PostgreSQL.

A proof photo is cleaned by the kit (:mod:`downtown_events.runtime.photos`: checked against
the pixel limits, decoded, every piece of metadata dropped, re-encoded as one JPEG), a few
at a time and in a worker thread, before any connection is taken; it is then written in the
transaction that appends the delivery's events (``dispatch_proof_photos``, migration
``dispatch_0001``), so both are kept or neither.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import datetime
from uuid import UUID

from dispatch.app.courier import CleanProof, ProofPhotos, ProofRecording
from dispatch.settings import SERVICE
from downtown_events.runtime.database import Connection, Pool
from downtown_events.runtime.photos import PhotoSlots, PixelLimits, clean_photo
from downtown_events.runtime.postgres_store import TransactionalEventStore

PROOF_EDGE = 1600
"""The proof photo's longest edge: enough to read a house number on a door, no more."""

_KEEP = """
INSERT INTO dispatch_proof_photos (sha256, job_id, jpeg, taken_at) VALUES (%s, %s, %s, %s)
ON CONFLICT (sha256) DO NOTHING
"""
_PHOTO = "SELECT jpeg FROM dispatch_proof_photos WHERE sha256 = %s"


class _Recording(ProofRecording):
    def __init__(self, conn: Connection) -> None:
        self._conn = conn
        self.store = TransactionalEventStore(conn, service=SERVICE)

    async def keep(self, job_id: UUID, photo: CleanProof, taken_at: datetime) -> None:
        # The same picture sent for two jobs is kept once: each job's proof event names it.
        await self._conn.execute(_KEEP, (photo.sha256, job_id, photo.jpeg, taken_at))


class PostgresProofPhotos(ProofPhotos):
    def __init__(self, pool: Pool, *, max_bytes: int, limits: PixelLimits, slots: PhotoSlots) -> None:
        self._pool = pool
        self._max_bytes = max_bytes
        self._limits = limits
        self._slots = slots

    async def clean(self, upload: bytes) -> CleanProof:
        async with self._slots.admit():
            photo = await asyncio.to_thread(
                clean_photo, upload, longest_edge=PROOF_EDGE, max_bytes=self._max_bytes, limits=self._limits
            )
        return CleanProof(photo.sha256, photo.jpeg)

    @asynccontextmanager
    async def recording(self) -> AsyncIterator[ProofRecording]:
        async with self._pool.connection() as conn, conn.transaction():
            yield _Recording(conn)

    async def photo(self, sha256: str) -> bytes | None:
        async with self._pool.connection() as conn:
            row = await (await conn.execute(_PHOTO, (sha256,))).fetchone()
        return None if row is None else bytes(row["jpeg"])
