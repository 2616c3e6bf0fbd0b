# SPDX-License-Identifier: AGPL-3.0-or-later
"""Merchants' product photos: cleaned by the kit, resized into the catalog's variants, stored by content.

The kit (:mod:`downtown_events.runtime.photos`) checks and decodes the untrusted upload and
drops every piece of metadata (GPS in EXIF and XMP); this module makes the catalog's
variants of it, each a freshly encoded sRGB JPEG, named by the SHA-256 of the largest.
"""

from __future__ import annotations

import hashlib
import os
import re
import tempfile
from dataclasses import dataclass
from pathlib import Path

from PIL import Image

from downtown_events.catalog import PhotoVariant
from downtown_events.runtime.photos import CONTENT_TYPE, PixelLimits, decode_photo, encode_jpeg, variant_size

VARIANTS: dict[str, int] = {"large": 1600, "medium": 800, "thumb": 320}
"""Longest edge in pixels per variant, largest first; smaller photos are never upscaled."""

_PHOTO_ID = re.compile(r"[0-9a-f]{64}")


@dataclass(frozen=True)
class ProcessedPhoto:
    """A cleaned photo: ``photo_id`` is the SHA-256 hex of the "large" JPEG, variants largest first."""

    photo_id: str
    variants: list[tuple[PhotoVariant, bytes]]


def process_photo(
    data: bytes, *, max_bytes: int = 15 * 1024 * 1024, limits: PixelLimits = PixelLimits()
) -> ProcessedPhoto:
    """Decode, check, orient, clean and resize an uploaded photo into its JPEG variants.

    Pure CPU work with no shared state touched, so callers can run it in a worker thread.
    Raises the kit's ``PhotoTooLarge`` or ``InvalidPhoto``.
    """
    picture = decode_photo(data, longest_edge=VARIANTS["large"], max_bytes=max_bytes, limits=limits)
    variants = _encode_variants(picture)
    return ProcessedPhoto(photo_id=hashlib.sha256(variants[0][1]).hexdigest(), variants=variants)


def _encode_variants(picture: Image.Image) -> list[tuple[PhotoVariant, bytes]]:
    """Each variant is resized from the next larger one, which is cheaper and looks the same."""
    variants: list[tuple[PhotoVariant, bytes]] = []
    current, encoded = picture, b""
    for name, longest_edge in VARIANTS.items():
        size = variant_size(current.size, longest_edge)
        if size != current.size or not encoded:
            if size != current.size:
                current = current.resize(size, Image.Resampling.LANCZOS, reducing_gap=3.0)
            encoded = encode_jpeg(current)
        width, height = current.size
        variants.append((PhotoVariant(name=name, width=width, height=height, content_type=CONTENT_TYPE), encoded))
    return variants


class PhotoStore:
    """Content-addressed files: ``<root>/<id[:2]>/<id>/<variant>.jpg``.

    Each file appears whole or not at all (written to a temporary file, then renamed), and
    saving a photo that is already stored changes nothing, so a retried upload is harmless.
    """

    def __init__(self, root: Path) -> None:
        self.root = root

    def save(self, photo: ProcessedPhoto) -> None:
        folder = self.folder(photo.photo_id)
        folder.mkdir(parents=True, exist_ok=True)
        for variant, data in photo.variants:
            target = folder / f"{variant.name}.jpg"
            if not target.exists():
                _write_atomically(target, data)

    def path(self, photo_id: str, variant: str) -> Path | None:
        """The stored file, or None for an unknown variant, a malformed id or a missing file."""
        if variant not in VARIANTS or not _PHOTO_ID.fullmatch(photo_id):
            return None
        candidate = self.folder(photo_id) / f"{variant}.jpg"
        return candidate if candidate.is_file() else None

    def folder(self, photo_id: str) -> Path:
        if not _PHOTO_ID.fullmatch(photo_id):
            raise ValueError(f"not a photo id: {photo_id!r}")
        return self.root / photo_id[:2] / photo_id


def _write_atomically(target: Path, data: bytes) -> None:
    descriptor, temporary = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=".tmp")
    try:
        with os.fdopen(descriptor, "wb") as file:
            file.write(data)
            file.flush()
            os.fsync(file.fileno())  # the file must be durable before an event refers to it
        os.chmod(temporary, 0o644)  # mkstemp makes it private; the files are served publicly
        os.replace(temporary, target)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
