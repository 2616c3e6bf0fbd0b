# SPDX-License-Identifier: Apache-2.0
"""Photos people send from their phones: checked, decoded, cleaned and re-encoded, one way
for every service (a merchant's product photo in the catalog, a courier's proof of delivery
in dispatch).

A photo is untrusted input (a decompression bomb, a file that is not a photo, a damaged
upload) that can also give away where someone lives or works (GPS in EXIF and XMP). What
leaves this module is a freshly encoded sRGB JPEG carrying no metadata at all; the service
decides what it makes of it (the catalog's variants, dispatch's one proof picture).

An adapter: it imports Pillow and pi-heif, so a service's ``app/`` never imports it, and
reaches it through a port of its own.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import io
import struct
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import ClassVar

import pi_heif
from PIL import Image, ImageCms, ImageOps

# pi-heif decodes HEIC only (libheif and libde265, LGPL-3.0); pillow-heif would also bring the GPLv2
# x265 encoder into the image, which Downtown never uses (decision 35).
pi_heif.register_heif_opener()

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


class PhotoRejected(ValueError):
    """A photo a service will not take; ``reason`` tells the sender what to do instead."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class PhotoTooLarge(PhotoRejected):
    """The upload has more bytes than allowed (HTTP 413)."""


class InvalidPhoto(PhotoRejected):
    """Not a decodable photo in an accepted format, or too many pixels to decode safely (HTTP 422)."""


class PhotoBusy(Exception):
    """Too many photos are being processed right now (HTTP 503); try again shortly."""

    def __init__(self, retry_after: int) -> None:
        super().__init__(f"too many photos are being processed right now; try again in {retry_after} seconds")
        self.retry_after = retry_after


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
class CleanPhoto:
    """One cleaned JPEG; ``sha256`` (hex) of exactly these bytes names it."""

    sha256: str
    jpeg: bytes
    width: int
    height: int


def clean_photo(
    data: bytes, *, longest_edge: int, max_bytes: int = 15 * 1024 * 1024, limits: PixelLimits = PixelLimits()
) -> CleanPhoto:
    """The upload as one clean JPEG at most ``longest_edge`` pixels on its longest side.

    Pure CPU work with no shared state touched, so callers can run it in a worker thread.
    Raises ``PhotoTooLarge`` or ``InvalidPhoto``.
    """
    picture = decode_photo(data, longest_edge=longest_edge, max_bytes=max_bytes, limits=limits)
    size = variant_size(picture.size, longest_edge)
    if size != picture.size:
        picture = picture.resize(size, Image.Resampling.LANCZOS, reducing_gap=3.0)
    jpeg = encode_jpeg(picture)
    return CleanPhoto(hashlib.sha256(jpeg).hexdigest(), jpeg, picture.width, picture.height)


def decode_photo(
    data: bytes, *, longest_edge: int, max_bytes: int = 15 * 1024 * 1024, limits: PixelLimits = PixelLimits()
) -> Image.Image:
    """Check, decode, orient and convert an upload to sRGB, with no metadata left.

    ``longest_edge`` is the largest size the caller will use: a JPEG is decoded reduced
    towards it (never below it), which is much cheaper for a phone-camera photo. Raises
    ``PhotoTooLarge`` or ``InvalidPhoto``.
    """
    if len(data) > max_bytes:
        raise PhotoTooLarge(
            f"the photo is {_file_size(len(data))}, the limit is {_file_size(max_bytes)}; "
            "upload a smaller photo or export it at a lower resolution"
        )
    return _decode(data, longest_edge=longest_edge, limits=limits)


def variant_size(size: tuple[int, int], longest_edge: int) -> tuple[int, int]:
    """Scale ``size`` so its longest edge is at most ``longest_edge``, keeping the aspect ratio."""
    width, height = size
    scale = longest_edge / max(width, height)
    if scale >= 1:
        return size
    return max(1, round(width * scale)), max(1, round(height * scale))


def encode_jpeg(image: Image.Image) -> bytes:
    """A progressive JPEG of the pixels alone (the image's ``info`` was emptied on decoding)."""
    buffer = io.BytesIO()
    image.save(buffer, format="JPEG", quality=JPEG_QUALITY, optimize=True, progressive=True)
    return buffer.getvalue()


def _decode(data: bytes, *, longest_edge: int, limits: PixelLimits) -> Image.Image:
    """Open the upload twice: once to check header and structure, once to decode the pixels.

    Pillow's own decompression-bomb guard is a process-wide setting (``Image.MAX_IMAGE_PIXELS``)
    that other code may rely on, so the caller's own limits are checked here instead,
    from the header, before any pixel is decompressed.
    """
    try:
        with _open(data, limits=limits) as probe:
            probe.verify()
        with _open(data, limits=limits) as image:
            image.draft(None, variant_size(image.size, longest_edge))
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


def _file_size(size: int) -> str:
    return f"{size / 1_048_576:.1f} MB" if size >= 1_048_576 else f"{-(-size // 1024)} KB"


def _megapixels(pixels: int) -> str:
    return f"{round(pixels / 1_000_000, 1):g}"


class PhotoSlots:
    """Image work is the most memory-hungry thing an API does, so it is admitted a few
    requests at a time: the rest wait holding only the upload Starlette spooled to disk, and
    beyond a short queue they are told to come back (:class:`PhotoBusy`, 503 with
    ``Retry-After``) instead of piling up."""

    def __init__(self, *, workers: int = 2, queue: int = 8) -> None:
        self._slots = asyncio.Semaphore(workers)
        self._admitted = 0
        self._capacity = workers + queue

    @contextlib.asynccontextmanager
    async def admit(self) -> AsyncIterator[None]:
        """A slot for one upload's image work; waits in a bounded queue, else PhotoBusy."""
        if self._admitted >= self._capacity:
            raise PhotoBusy(retry_after=5)
        self._admitted += 1
        try:
            async with self._slots:
                yield
        finally:
            self._admitted -= 1
