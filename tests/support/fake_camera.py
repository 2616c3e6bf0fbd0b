# SPDX-License-Identifier: AGPL-3.0-or-later
"""A camera for the browser tests: a QR code as a Y4M video that Chromium shows as its webcam.

Chromium takes a video file as its camera with ``--use-fake-device-for-media-stream
--use-file-for-fake-video-capture=<file.y4m>`` (and grants the page the camera without asking
with ``--use-fake-ui-for-media-stream``): a page's ``getUserMedia`` then plays the file's frames
in a loop. So a test can hold a voucher's or a slip's QR code up to the web front's scan button
(``web/downtown_web/static/scan.js``) in headless Chromium, which has no camera of its own.

The code is drawn with the QR encoder the printed vouchers use (reportlab's, level M), black on
white with a four-module quiet zone, as large as the frame allows; Y4M is the simplest format
Chromium reads (a text header, then raw YCbCr 4:2:0 planes per frame).
"""

from __future__ import annotations

from pathlib import Path

from PIL import Image, ImageDraw
from reportlab.graphics.barcode.qr import QrCodeWidget

WIDTH, HEIGHT = 640, 480
QUIET_MODULES = 4
FRAMES = 5
"""A few frames, all alike: Chromium loops the file, and a frame is 450 KB."""


def qr_picture(text: str, width: int = WIDTH, height: int = HEIGHT) -> Image.Image:
    """``text`` as a QR code, centred on a white ``width``×``height`` greyscale picture."""
    widget = QrCodeWidget(text, barLevel="M")
    widget.qr.make()
    modules: list[list[bool | None]] = widget.qr.modules
    count = len(modules)
    size = min(width, height) // (count + 2 * QUIET_MODULES)  # pixels per module
    assert size >= 2, f"{text!r} makes a code of {count} modules: too many for {width}×{height}"
    left, top = (width - count * size) // 2, (height - count * size) // 2
    picture = Image.new("L", (width, height), 255)
    draw = ImageDraw.Draw(picture)
    for row, cells in enumerate(modules):
        for column, dark in enumerate(cells):
            if dark:
                x, y = left + column * size, top + row * size
                draw.rectangle((x, y, x + size - 1, y + size - 1), fill=0)
    return picture


def y4m(picture: Image.Image, frames: int = FRAMES) -> bytes:
    """``picture`` as a Y4M video of ``frames`` frames at 10 per second: YCbCr 4:2:0 (the
    chroma planes halved in each direction, as ``C420jpeg`` says)."""
    width, height = picture.size
    assert width % 2 == 0 and height % 2 == 0, "4:2:0 halves the chroma planes: even sizes only"
    luma, blue, red = picture.convert("RGB").convert("YCbCr").split()
    half = (width // 2, height // 2)
    frame = b"FRAME\n" + luma.tobytes() + blue.resize(half).tobytes() + red.resize(half).tobytes()
    header = f"YUV4MPEG2 W{width} H{height} F10:1 Ip A1:1 C420jpeg\n".encode()
    return header + frame * frames


def write_qr_video(path: Path, text: str) -> Path:
    """Writes ``text``'s QR code as the camera's video (``path``, ending in ``.y4m``); ``path``."""
    assert path.suffix == ".y4m", "Chromium tells the file's format by its suffix"
    path.write_bytes(y4m(qr_picture(text)))
    return path


def first_frame(video: bytes) -> Image.Image:
    """The first frame's brightness (Y plane) of a Y4M video as written by ``y4m``: what the
    camera shows, in grey."""
    header, _, rest = video.partition(b"\n")
    fields = {field[:1]: field[1:] for field in header.split()[1:]}
    width, height = int(fields[b"W"]), int(fields[b"H"])
    assert rest.startswith(b"FRAME\n"), rest[:16]
    start = len(b"FRAME\n")
    return Image.frombytes("L", (width, height), rest[start : start + width * height])
