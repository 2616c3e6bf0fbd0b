"""The handlers' photo port on top of the Pillow pipeline and the content-addressed files."""

from __future__ import annotations

import asyncio
from pathlib import Path

from catalog.adapters.photos import PhotoStore, process_photo
from downtown_events.catalog import PhotoVariant


class FilePhotoStorage:
    """Runs the CPU-heavy image work in a thread so the event loop keeps serving."""

    def __init__(self, root: Path, *, max_bytes: int) -> None:
        self.files = PhotoStore(root)
        self._max_bytes = max_bytes

    async def store(self, data: bytes) -> tuple[str, list[PhotoVariant]]:
        processed = await asyncio.to_thread(process_photo, data, max_bytes=self._max_bytes)
        await asyncio.to_thread(self.files.save, processed)
        return processed.photo_id, [variant for variant, _ in processed.variants]
