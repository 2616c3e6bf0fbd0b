# SPDX-License-Identifier: AGPL-3.0-or-later
"""The photo port: a bounded queue for image work, and nothing left behind by a failure."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from photo_samples import sample_photo

from catalog.adapters.photo_storage import FilePhotoStorage
from downtown_events.runtime.photos import PhotoBusy


async def test_beyond_the_slots_and_the_queue_an_upload_is_told_to_come_back(tmp_path: Path) -> None:
    storage = FilePhotoStorage(tmp_path, max_bytes=1_000_000, workers=1, queue=1)
    release = asyncio.Event()

    async def upload() -> None:
        async with storage.admit():
            await release.wait()

    running = [asyncio.create_task(upload()) for _ in range(2)]  # one working, one waiting
    await asyncio.sleep(0)
    with pytest.raises(PhotoBusy) as busy:
        async with storage.admit():
            pass
    assert busy.value.retry_after > 0
    release.set()
    await asyncio.gather(*running)
    async with storage.admit():  # room again
        pass


async def test_a_failing_request_removes_the_photo_it_stored(tmp_path: Path) -> None:
    storage = FilePhotoStorage(tmp_path, max_bytes=5_000_000)
    with pytest.raises(RuntimeError):
        async with storage.stored(sample_photo("jpeg", seed=1)) as (photo_id, _):
            assert storage.files.path(photo_id, "large") is not None
            raise RuntimeError("the append failed")
    assert storage.files.path(photo_id, "large") is None
    assert not any(path.is_file() for path in tmp_path.rglob("*"))  # noqa: ASYNC240 - a test's tmp dir


async def test_a_failing_request_keeps_a_photo_that_was_stored_before(tmp_path: Path) -> None:
    storage = FilePhotoStorage(tmp_path, max_bytes=5_000_000)
    photo = sample_photo("jpeg", seed=2)
    async with storage.stored(photo) as (photo_id, _):
        pass
    with pytest.raises(RuntimeError):
        async with storage.stored(photo):
            raise RuntimeError("another offer's listing failed")
    assert storage.files.path(photo_id, "medium") is not None
