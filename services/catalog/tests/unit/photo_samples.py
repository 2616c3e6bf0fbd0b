# SPDX-License-Identifier: AGPL-3.0-or-later
"""Real, generated photos for tests, the seed script and e2e runs.

Checked-in binary fixtures rot and hide what they contain; these are drawn with Pillow on demand,
deterministic per seed, so a test says exactly what kind of photo it feeds the service (a JPEG
from a phone with GPS in its EXIF, a PNG with a transparent background, an iPhone HEIC …).

HEIC is the exception: the catalog decodes it with pi-heif, which has no encoder (decision 35:
pillow-heif's bundled x265 encoder is GPLv2), so the few HEIC photos the tests use are committed
in ``heic/``, drawn by this module and encoded by ``heic/make_fixtures.py`` (which needs
pillow-heif, installed by hand for that only). Asking for a HEIC sample that is not there says so.
"""

from __future__ import annotations

import io
import random
import struct
import zlib
from pathlib import Path
from typing import Literal

from PIL import Image, ImageDraw, ImageFont

PhotoKind = Literal["jpeg", "png", "webp", "heic", "gif", "mpo"]
KINDS: tuple[PhotoKind, ...] = ("jpeg", "png", "webp", "heic", "gif", "mpo")

_SAVE_FORMAT: dict[PhotoKind, str] = {
    "jpeg": "JPEG",
    "png": "PNG",
    "webp": "WEBP",
    "heic": "HEIF",
    "gif": "GIF",
    "mpo": "MPO",
}

_EXIF_MAKE, _EXIF_MODEL, _EXIF_DATETIME, _EXIF_ORIENTATION = 0x010F, 0x0110, 0x0132, 0x0112
_GPS_IFD = 0x8825

# The XMP a phone writes next to EXIF; it repeats the location, so it must go too.
GPS_XMP = (
    b'<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">'
    b'<rdf:Description xmlns:exif="http://ns.adobe.com/exif/1.0/" exif:GPSLatitude="52,31.2N" '
    b'exif:GPSLongitude="13,24.6E"/></rdf:RDF></x:xmpmeta>'
)
# Some apps also leave the place in a JPEG comment.
GPS_COMMENT = b"Shot at 52.52N 13.41E"

HEIC_FIXTURES = Path(__file__).parent / "heic"
RED, WHITE = (255, 0, 0), (255, 255, 255)


def sample_photo(
    kind: PhotoKind = "jpeg",
    *,
    width: int = 1200,
    height: int = 900,
    seed: int = 0,
    text: str | None = None,
    gps: bool = False,
    orientation: int = 1,
) -> bytes:
    """Encode a recognisable picture (gradient, shapes, optional caption) as ``kind``.

    ``gps`` adds a phone's EXIF (make, model, time, GPS position) and, for JPEG, matching XMP and a comment;
    ``orientation`` writes the EXIF orientation tag as a phone held upright would (6 = rotate 90°
    clockwise to display). PNG gets a transparent border so alpha handling is exercised.
    """
    if kind == "heic":
        return _heic_fixture(heic_fixture_name(width, height, seed=seed, text=text, gps=gps, orientation=orientation))
    return encode_sample(kind, width=width, height=height, seed=seed, text=text, gps=gps, orientation=orientation)


def encode_sample(
    kind: PhotoKind,
    *,
    width: int,
    height: int,
    seed: int = 0,
    text: str | None = None,
    gps: bool = False,
    orientation: int = 1,
) -> bytes:
    """What ``sample_photo`` returns, encoded with whatever encoder Pillow has for ``kind`` now."""
    image = draw_picture(width, height, seed=seed, text=text, alpha=kind == "png")
    options: dict[str, object] = {}
    if gps or orientation != 1:
        options["exif"] = _phone_exif(gps=gps, orientation=orientation).tobytes()
    if gps and kind in ("jpeg", "mpo"):
        options.update(xmp=GPS_XMP, comment=GPS_COMMENT)
    if kind in ("jpeg", "mpo", "webp", "heic"):
        options["quality"] = 90
    if kind == "mpo":
        # A multi-picture JPEG, as many cameras write: Pillow reports it as "MPO", not "JPEG".
        options.update(save_all=True, append_images=[image.resize((width // 2 or 1, height // 2 or 1))])
    buffer = io.BytesIO()
    image.save(buffer, format=_SAVE_FORMAT[kind], **options)
    return buffer.getvalue()


def draw_picture(
    width: int, height: int, *, seed: int = 0, text: str | None = None, alpha: bool = False
) -> Image.Image:
    """A gradient with a few shapes on it; the same seed always draws the same picture."""
    rng = random.Random(seed)
    start, end = _colour(rng), _colour(rng)
    mask = Image.linear_gradient("L").rotate(rng.choice((0, 45, 90, 135)), expand=False).resize((width, height))
    image = Image.composite(Image.new("RGB", (width, height), end), Image.new("RGB", (width, height), start), mask)
    draw = ImageDraw.Draw(image)
    for _ in range(6):
        x0, y0 = rng.randrange(width), rng.randrange(height)
        x1, y1 = (
            x0 + rng.randrange(width // 8 + 1, width // 3 + 2),
            y0 + rng.randrange(height // 8 + 1, height // 3 + 2),
        )
        shape = rng.choice((draw.ellipse, draw.rectangle))
        shape((x0, y0, x1, y1), fill=_colour(rng), outline=(255, 255, 255), width=max(1, width // 200))
    if text:
        font = ImageFont.load_default(size=max(10, height // 10))
        draw.text(
            (width // 20, height // 20), text, fill=(255, 255, 255), font=font, stroke_width=2, stroke_fill=(0, 0, 0)
        )
    if not alpha:
        return image
    # A transparent frame around an opaque middle, like a product cut out of its background.
    opacity = Image.new("L", (width, height), 0)
    ImageDraw.Draw(opacity).rectangle((width // 8, height // 8, width - width // 8, height - height // 8), fill=255)
    image.putalpha(opacity)
    return image


def marked_photo(kind: str, orientation: int) -> bytes:
    """White, with a red top-left quarter as stored in the file, and an EXIF orientation tag.

    ``kind`` is Pillow's format name; "HEIF" comes from the committed fixtures (see above).
    """
    if kind == "HEIF":
        return _heic_fixture(f"marked-orientation{orientation}.heic")
    return encode_marked_photo(kind, orientation)


def encode_marked_photo(kind: str, orientation: int) -> bytes:
    image = Image.new("RGB", (120, 90), WHITE)
    ImageDraw.Draw(image).rectangle((0, 0, 59, 44), fill=RED)
    exif = Image.Exif()
    exif[_EXIF_ORIENTATION] = orientation
    buffer = io.BytesIO()
    image.save(buffer, format=kind, exif=exif.tobytes(), quality=95)
    return buffer.getvalue()


def heic_fixture_name(
    width: int, height: int, *, seed: int = 0, text: str | None = None, gps: bool = False, orientation: int = 1
) -> str:
    """The file in ``heic/`` that holds ``sample_photo("heic", …)`` with these arguments."""
    parts = [f"{width}x{height}", f"seed{seed}"]
    if text:
        parts.append("text-" + "".join(c if c.isalnum() else "_" for c in text))
    if gps:
        parts.append("gps")
    if orientation != 1:
        parts.append(f"orientation{orientation}")
    return "-".join(parts) + ".heic"


def _heic_fixture(name: str) -> bytes:
    path = HEIC_FIXTURES / name
    if not path.is_file():
        raise FileNotFoundError(
            f"no HEIC sample {name}: the catalog has no HEIC encoder; add it to heic/make_fixtures.py and run "
            "that with pillow-heif installed by hand"
        )
    return path.read_bytes()


def decompression_bomb(width: int = 20_000, height: int = 20_000) -> bytes:
    """An all-black PNG that declares ``width`` × ``height`` pixels yet is only tens of kilobytes.

    Built by hand rather than with Pillow: drawing it with Pillow would need the very gigabytes
    of memory the bomb is meant to make a server allocate. One bit per pixel keeps the zlib
    stream quick to produce.
    """
    row = b"\x00" * (1 + (width + 7) // 8)  # filter byte "none", then the packed black pixels
    compressor = zlib.compressobj(9)
    rows_per_chunk = max(1, 1_000_000 // len(row))
    chunks = [
        compressor.compress(row * min(rows_per_chunk, height - done)) for done in range(0, height, rows_per_chunk)
    ]
    idat = b"".join(chunks) + compressor.flush()
    header = struct.pack(">IIBBBBB", width, height, 1, 0, 0, 0, 0)  # 1-bit greyscale, no interlace
    return b"\x89PNG\r\n\x1a\n" + _png_chunk(b"IHDR", header) + _png_chunk(b"IDAT", idat) + _png_chunk(b"IEND", b"")


def truncated_jpeg(*, seed: int = 0) -> bytes:
    """The first half of a real JPEG, like an upload cut off mid-transfer."""
    whole = sample_photo("jpeg", width=400, height=300, seed=seed)
    return whole[: len(whole) // 2]


def not_an_image() -> bytes:
    """Text someone picked by mistake in the file chooser."""
    return b"Shopping list:\n- bread\n- 6 eggs\n- oat milk\n"


def _phone_exif(*, gps: bool, orientation: int) -> Image.Exif:
    exif = Image.Exif()
    exif[_EXIF_MAKE] = "Apple"
    exif[_EXIF_MODEL] = "iPhone 15"
    exif[_EXIF_DATETIME] = "2024:05:04 10:15:00"
    if orientation != 1:
        exif[_EXIF_ORIENTATION] = orientation
    if gps:
        exif.get_ifd(_GPS_IFD).update({1: "N", 2: (52.0, 31.0, 12.0), 3: "E", 4: (13.0, 24.0, 36.0)})
    return exif


def _colour(rng: random.Random) -> tuple[int, int, int]:
    return rng.randrange(256), rng.randrange(256), rng.randrange(256)


def _png_chunk(kind: bytes, body: bytes) -> bytes:
    return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))
