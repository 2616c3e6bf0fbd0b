# SPDX-License-Identifier: Apache-2.0
"""The kit's photo cleaning: one JPEG, no metadata, named by its bytes; hostile uploads refused.

The catalog's tests (services/catalog/tests/unit/test_photos.py) go through every format,
orientation and colour case via its variants; these hold what a single clean photo promises.
"""

from __future__ import annotations

import asyncio
import hashlib
import io
import struct
import zlib

import pytest
from PIL import Image

from downtown_events.runtime.photos import (
    InvalidPhoto,
    PhotoBusy,
    PhotoSlots,
    PhotoTooLarge,
    PixelLimits,
    clean_photo,
)


def _phone_jpeg(width: int = 1200, height: int = 900) -> bytes:
    picture = Image.new("RGB", (width, height), (200, 40, 40))
    exif = Image.Exif()
    exif[0x010F] = "PhoneMaker"  # Make
    exif[0x0132] = "2026:12:06 12:00:00"  # DateTime
    buffer = io.BytesIO()
    picture.save(buffer, format="JPEG", exif=exif, comment=b"Shot at 52.52N 13.41E")
    return buffer.getvalue()


def _png_bomb(width: int = 20_000, height: int = 20_000) -> bytes:
    """A 1-bit PNG declaring 400 MP in a few tens of KB (drawn by hand: Pillow would need the RAM)."""

    def chunk(kind: bytes, body: bytes) -> bytes:
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))

    row = b"\x00" * (1 + (width + 7) // 8)
    idat = zlib.compress(row * height, 9)
    header = struct.pack(">IIBBBBB", width, height, 1, 0, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", idat) + chunk(b"IEND", b"")


def test_a_clean_photo_is_one_jpeg_within_the_edge_named_by_its_bytes() -> None:
    photo = clean_photo(_phone_jpeg(), longest_edge=800)

    image = Image.open(io.BytesIO(photo.jpeg))
    assert (image.format, image.size, (photo.width, photo.height)) == ("JPEG", (800, 600), (800, 600))
    assert photo.sha256 == hashlib.sha256(photo.jpeg).hexdigest()


def test_a_clean_photo_keeps_no_metadata() -> None:
    photo = clean_photo(_phone_jpeg(), longest_edge=1600)

    image = Image.open(io.BytesIO(photo.jpeg))
    assert not image.getexif()
    assert "comment" not in image.info and "icc_profile" not in image.info
    assert b"PhoneMaker" not in photo.jpeg and b"52.52N" not in photo.jpeg


def test_a_small_photo_is_not_upscaled() -> None:
    assert clean_photo(_phone_jpeg(300, 200), longest_edge=1600).width == 300


def test_too_many_bytes_is_refused_before_decoding() -> None:
    with pytest.raises(PhotoTooLarge, match="the limit is 1 KB"):
        clean_photo(_phone_jpeg(), longest_edge=800, max_bytes=1024)


def test_a_decompression_bomb_and_a_non_image_are_invalid() -> None:
    with pytest.raises(InvalidPhoto, match="megapixels"):
        clean_photo(_png_bomb(), longest_edge=800, limits=PixelLimits())
    with pytest.raises(InvalidPhoto, match="not a photo"):
        clean_photo(b"%PDF-1.7 not a photo at all", longest_edge=800)


async def test_beyond_the_slots_and_the_queue_work_is_told_to_come_back() -> None:
    slots = PhotoSlots(workers=1, queue=0)
    release = asyncio.Event()

    async def work() -> None:
        async with slots.admit():
            await release.wait()

    running = asyncio.create_task(work())
    await asyncio.sleep(0)
    with pytest.raises(PhotoBusy):
        async with slots.admit():
            pass
    release.set()
    await running
    async with slots.admit():  # the slot is free again
        pass
