# SPDX-License-Identifier: AGPL-3.0-or-later
"""Merchants' product photos: checked, cleaned, resized and stored by content.

A photo arrives straight from a phone, so it is untrusted input that can also give away where
the merchant lives (GPS in EXIF and XMP). Everything that leaves this module is a freshly encoded
sRGB JPEG carrying no metadata at all, named by the SHA-256 of its largest variant.
"""

from __future__ import annotations

import hashlib
import io
import os
import re
import struct
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import ClassVar

import pi_heif
from PIL import Image, ImageCms, ImageOps

from downtown_events.catalog import PhotoVariant

# pi-heif decodes HEIC only (libheif and libde265, LGPL-3.0); pillow-heif would also bring the GPLv2
# x265 encoder into the image, which Downtown never uses (decision 35).
pi_heif.register_heif_opener()

VARIANTS: dict[str, int] = {"large": 1600, "medium": 800, "thumb": 320}
"""Longest edge in pixels per variant, largest first; smaller photos are never upscaled."""

CONTENT_TYPE = "image/jpeg"
JPEG_QUALITY = 85

# Handing Pillow only these decoders keeps hostile uploads away from the dozens of rarely used
# ones (PSD, TGA, FITS …). The JPEG decoder also opens multi-picture JPEGs, reported as "MPO",
# which many cameras write. HEIC reports itself as "HEIF".
_DECODERS = ["JPEG", "PNG", "WEBP", "HEIF"]
_ACCEPTED = "upload a JPEG, PNG, WebP or HEIC photo"

# What Pillow and pi-heif raise on malformed input: truncated data (OSError), broken PNG
# chunks (SyntaxError), libheif failures (RuntimeError, ValueError), mangled EXIF (struct.error).
_DECODE_ERRORS = (OSError, SyntaxError, ValueError, EOFError, RuntimeError, struct.error)

# Mode pairs a colour profile can convert directly; anything rarer is converted without it.
_PROFILE_CONVERSIONS = {("RGB", "RGB"), ("RGBA", "RGBA"), ("CMYK", "RGB"), ("L", "RGB")}
_SRGB = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB"))
_PHOTO_ID = re.compile(r"[0-9a-f]{64}")


class PhotoRejected(ValueError):
    """A photo the catalog will not take; ``reason`` tells the merchant what to do instead."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class PhotoTooLarge(PhotoRejected):
    """The upload has more bytes than allowed (HTTP 413)."""


class PhotoBusy(Exception):
    """Too many photos are being processed right now (HTTP 503); try again shortly."""

    def __init__(self, retry_after: int) -> None:
        super().__init__(f"too many photos are being processed right now; try again in {retry_after} seconds")
        self.retry_after = retry_after


class InvalidPhoto(PhotoRejected):
    """Not a decodable photo in an accepted format, or too many pixels to decode safely (HTTP 422)."""


@dataclass(frozen=True)
class PixelLimits:
    """How many pixels a photo may declare, by what decoding it costs.

    A JPEG is decoded straight at a fraction of its size (``draft``), so a 50 MP phone photo
    costs a few MB. PNG, WebP and HEIC have no such shortcut: every pixel is decompressed
    (3-4 bytes each, twice over while converting), and a few hundred KB can declare tens of
    megapixels. 24 MP covers what phones save in those formats.
    """

    jpeg: int = 50_000_000
    other: int = 24_000_000
    REDUCED_DECODING: ClassVar[frozenset[str]] = frozenset({"JPEG", "MPO"})

    def for_format(self, image_format: str | None) -> int:
        return self.jpeg if image_format in self.REDUCED_DECODING else self.other


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
    Raises ``PhotoTooLarge`` or ``InvalidPhoto``.
    """
    if len(data) > max_bytes:
        raise PhotoTooLarge(
            f"the photo is {_file_size(len(data))}, the limit is {_file_size(max_bytes)}; "
            "upload a smaller photo or export it at a lower resolution"
        )
    picture = _decode(data, limits=limits)
    variants = _encode_variants(picture)
    return ProcessedPhoto(photo_id=hashlib.sha256(variants[0][1]).hexdigest(), variants=variants)


def variant_size(size: tuple[int, int], longest_edge: int) -> tuple[int, int]:
    """Scale ``size`` so its longest edge is at most ``longest_edge``, keeping the aspect ratio."""
    width, height = size
    scale = longest_edge / max(width, height)
    if scale >= 1:
        return size
    return max(1, round(width * scale)), max(1, round(height * scale))


def _decode(data: bytes, *, limits: PixelLimits) -> Image.Image:
    """Open the upload twice: once to check header and structure, once to decode the pixels.

    Pillow's own decompression-bomb guard is a process-wide setting (``Image.MAX_IMAGE_PIXELS``)
    that other code may rely on, so this service's own limits are checked here instead,
    from the header, before any pixel is decompressed.
    """
    try:
        with _open(data, limits=limits) as probe:
            probe.verify()
        with _open(data, limits=limits) as image:
            # JPEG can decode straight at a fraction of its size, much cheaper for a phone-camera photo.
            image.draft(None, variant_size(image.size, VARIANTS["large"]))
            image.load()
            return _to_srgb(ImageOps.exif_transpose(image))
    except PhotoRejected:
        raise
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
        # The warning only arrives here where warnings are configured as errors.
        raise InvalidPhoto(
            "the image declares more megapixels than can be opened safely; "
            f"the limit is {_megapixels(limits.jpeg)} megapixels, upload a smaller photo"
        ) from exc
    except Image.UnidentifiedImageError as exc:
        raise InvalidPhoto(f"this file is not a photo in a supported format; {_ACCEPTED}") from exc
    except _DECODE_ERRORS as exc:
        raise InvalidPhoto(f"the photo is damaged or incomplete and cannot be read; {_ACCEPTED}") from exc


def _open(data: bytes, *, limits: PixelLimits) -> Image.Image:
    image = Image.open(io.BytesIO(data), formats=_DECODERS)
    width, height = image.size
    max_pixels = limits.for_format(image.format)
    if width * height > max_pixels:
        image.close()
        reduced = image.format in PixelLimits.REDUCED_DECODING
        advice = "upload a smaller photo" if reduced else "export it as JPEG or at a lower resolution"
        raise InvalidPhoto(
            f"the image has {_megapixels(width * height)} megapixels, the limit for {image.format} is "
            f"{_megapixels(max_pixels)}; {advice}"
        )
    return image


def _to_srgb(image: Image.Image) -> Image.Image:
    """Convert to sRGB with transparency flattened onto white.

    The result carries no colour profile, so colours are converted, not just relabelled: an
    iPhone's Display P3 photo would otherwise look dull once its profile is dropped.
    """
    mode = "RGBA" if image.has_transparency_data else "RGB"
    converted = _apply_profile(image, mode) or image.convert(mode)
    if mode == "RGBA":
        canvas = Image.new("RGBA", converted.size, "white")
        canvas.alpha_composite(converted)
        converted = canvas.convert("RGB")
    converted.info = {}  # Pillow's JPEG writer copies some entries (comment) from here
    return converted


def _apply_profile(image: Image.Image, mode: str) -> Image.Image | None:
    icc = image.info.get("icc_profile")
    if not icc or (image.mode, mode) not in _PROFILE_CONVERSIONS:
        return None
    try:
        source = ImageCms.ImageCmsProfile(io.BytesIO(icc))
        return ImageCms.profileToProfile(image, source, _SRGB, outputMode=mode)
    except (ImageCms.PyCMSError, OSError, ValueError):
        # A broken or mismatched profile: show the pixels as sRGB, as browsers do.
        return None


def _encode_variants(picture: Image.Image) -> list[tuple[PhotoVariant, bytes]]:
    """Each variant is resized from the next larger one, which is cheaper and looks the same."""
    variants: list[tuple[PhotoVariant, bytes]] = []
    current, encoded = picture, b""
    for name, longest_edge in VARIANTS.items():
        size = variant_size(current.size, longest_edge)
        if size != current.size or not encoded:
            if size != current.size:
                current = current.resize(size, Image.Resampling.LANCZOS, reducing_gap=3.0)
            encoded = _encode_jpeg(current)
        width, height = current.size
        variants.append((PhotoVariant(name=name, width=width, height=height, content_type=CONTENT_TYPE), encoded))
    return variants


def _encode_jpeg(image: Image.Image) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, format="JPEG", quality=JPEG_QUALITY, optimize=True, progressive=True)
    return buffer.getvalue()


def _file_size(size: int) -> str:
    return f"{size / 1_048_576:.1f} MB" if size >= 1_048_576 else f"{-(-size // 1024)} KB"


def _megapixels(pixels: int) -> str:
    return f"{round(pixels / 1_000_000, 1):g}"


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
