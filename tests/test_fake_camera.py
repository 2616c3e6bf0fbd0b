# SPDX-License-Identifier: AGPL-3.0-or-later
"""The browser tests' fake camera (tests/support/fake_camera.py): the video it writes is one
Chromium reads (a well-formed Y4M file) and shows a QR code a reader decodes back to the text."""

from __future__ import annotations

from pathlib import Path

import zxingcpp

from tests.support.fake_camera import FRAMES, HEIGHT, WIDTH, first_frame, write_qr_video

CODE = "TG-7QK4-M2XD-9PLR"


def test_the_video_is_a_y4m_file_of_whole_420_frames(tmp_path: Path) -> None:
    video = write_qr_video(tmp_path / "camera.y4m", CODE).read_bytes()

    header, _, frames = video.partition(b"\n")
    assert header == f"YUV4MPEG2 W{WIDTH} H{HEIGHT} F10:1 Ip A1:1 C420jpeg".encode()
    frame = len(b"FRAME\n") + WIDTH * HEIGHT * 3 // 2  # Y, then Cb and Cr at a quarter each
    assert len(frames) == FRAMES * frame
    assert all(frames[at : at + 6] == b"FRAME\n" for at in range(0, len(frames), frame))


def test_its_frame_shows_the_code_a_reader_decodes_back(tmp_path: Path) -> None:
    video = write_qr_video(tmp_path / "camera.y4m", CODE).read_bytes()

    picture = first_frame(video)
    found = zxingcpp.read_barcodes(picture, formats=zxingcpp.BarcodeFormats(zxingcpp.BarcodeFormat.QRCode))
    assert [code.text for code in found] == [CODE]
    # black on white, with the quiet zone white all round
    assert picture.getextrema() == (0, 255)
    assert {picture.getpixel((x, y)) for x in (0, WIDTH - 1) for y in (0, HEIGHT - 1)} == {255}


def test_its_colour_planes_are_neutral_grey(tmp_path: Path) -> None:
    """A black and white code carries no colour: every Cb and Cr byte is the middle, 128."""
    video = write_qr_video(tmp_path / "camera.y4m", CODE).read_bytes()

    start = video.index(b"FRAME\n") + len(b"FRAME\n") + WIDTH * HEIGHT
    chroma = video[start : start + WIDTH * HEIGHT // 2]
    assert set(chroma) == {128}
