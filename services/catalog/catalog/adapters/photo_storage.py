# SPDX-License-Identifier: AGPL-3.0-or-later
"""The handlers' photo port on top of the Pillow pipeline and the content-addressed files.

Image work is the most memory-hungry thing the API does, so it is admitted a few requests
at a time (:meth:`FilePhotoStorage.admit`, the kit's :class:`PhotoSlots`): the rest wait
holding only the upload that Starlette spooled to disk, and beyond a short queue they are
told to come back (503 with ``Retry-After``) instead of piling up. Files stored for a
request that then fails are removed again (:meth:`FilePhotoStorage.stored`), so nothing
unreferenced is left behind.
"""

from __future__ import annotations

import asyncio
import contextlib
import shutil
from collections.abc import AsyncIterator
from pathlib import Path

from catalog.adapters.photos import PhotoStore, process_photo
from downtown_events.catalog import PhotoVariant
from downtown_events.runtime.photos import PhotoSlots, PixelLimits


class FilePhotoStorage:
    """Runs the CPU-heavy image work in a thread so the event loop keeps serving."""

    def __init__(
        self, root: Path, *, max_bytes: int, limits: PixelLimits = PixelLimits(), workers: int = 2, queue: int = 8
    ) -> None:
        self.files = PhotoStore(root)
        self._max_bytes = max_bytes
        self._limits = limits
        self._slots = PhotoSlots(workers=workers, queue=queue)
        self._locks: dict[str, asyncio.Lock] = {}
        self._users: dict[str, int] = {}

    def admit(self) -> contextlib.AbstractAsyncContextManager[None]:
        """A slot for one upload's image work; waits in a bounded queue, else PhotoBusy."""
        return self._slots.admit()

    @contextlib.asynccontextmanager
    async def stored(self, data: bytes) -> AsyncIterator[tuple[str, list[PhotoVariant]]]:
        """Process and save the photo; if the block raises, remove what this call created.

        Photos are shared by content, so only a folder this call created is removed, and a
        per-photo lock keeps a second request with the same photo from relying on files a
        failing first one is about to remove. Replicas share the volume but not the lock: a
        replica storing the same photo in the same instant as another's failing request
        could lose its files (the event would then name a missing photo) — rare enough to
        accept until photos get a garbage collector instead.
        """
        processed = await asyncio.to_thread(process_photo, data, max_bytes=self._max_bytes, limits=self._limits)
        async with self._exclusive(processed.photo_id):
            folder = self.files.folder(processed.photo_id)
            created = not folder.exists()
            await asyncio.to_thread(self.files.save, processed)
            try:
                yield processed.photo_id, [variant for variant, _ in processed.variants]
            except BaseException:
                if created:
                    await asyncio.to_thread(shutil.rmtree, folder, True)
                raise

    @contextlib.asynccontextmanager
    async def _exclusive(self, photo_id: str) -> AsyncIterator[None]:
        """One request at a time per photo; the lock is forgotten when nobody needs it."""
        self._users[photo_id] = self._users.get(photo_id, 0) + 1
        lock = self._locks.setdefault(photo_id, asyncio.Lock())
        try:
            async with lock:
                yield
        finally:
            self._users[photo_id] -= 1
            if not self._users[photo_id]:
                del self._users[photo_id], self._locks[photo_id]
