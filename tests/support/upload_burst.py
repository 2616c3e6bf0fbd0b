# SPDX-License-Identifier: AGPL-3.0-or-later
"""Bursts of hostile and ordinary uploads at a running catalog API, and its memory.

Shared by the memory test (``services/catalog/tests/e2e/test_hostile_uploads_memory.py``)
and ``make bench`` (``bench/hostile_uploads.py``). Traffic goes to the loopback API only,
in a fixed number of requests.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
from photo_samples import decompression_bomb, sample_photo

CHUNKED_UPLOAD_BYTES = 100 * 1024 * 1024
_PHOTO_PART = (
    b'--x\r\nContent-Disposition: form-data; name="photo"; filename="big.jpg"\r\nContent-Type: image/jpeg\r\n\r\n'
)


def memory_kib(pid: int) -> dict[str, int]:
    """``VmRSS`` (now) and ``VmHWM`` (peak since start) of a process, in KiB."""
    fields = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        name, _, value = line.partition(":")
        if name in {"VmRSS", "VmHWM"}:
            fields[name] = int(value.split()[0])
    return fields


def hostile_payloads() -> list[tuple[str, bytes | None]]:
    """What the security review sent: PNGs declaring just under and far over the pixel
    limits (tiny files, huge decodes), and chunked uploads with no end in sight (None)."""
    under_limit = decompression_bomb(width=4_890, height=4_890)  # 23.9 MP: allowed, decoded whole
    over_limit = decompression_bomb(width=7_700, height=7_700)  # 59 MP: refused from the header
    return [("under.png", under_limit)] * 6 + [("over.png", over_limit)] * 6 + [("chunked", None)] * 4


def ordinary_payloads(count: int = 16) -> list[tuple[str, bytes | None]]:
    return [(f"IMG_{n}.jpg", sample_photo("jpeg", width=1600, height=1200, seed=n)) for n in range(count)]


async def _endless(total: int) -> AsyncIterator[bytes]:
    yield _PHOTO_PART
    for _ in range(total // (256 * 1024)):
        yield b"\xff" * (256 * 1024)


CUT_OFF = 0
"""The status recorded when the server ended an endless upload by closing the connection."""


async def _send(client: httpx.AsyncClient, auth: dict[str, str], name: str, payload: bytes | None) -> int:
    if payload is None:
        try:
            response = await client.post(
                "/offers/products",
                headers={**auth, "Content-Type": "multipart/form-data; boundary=x"},
                content=_endless(CHUNKED_UPLOAD_BYTES),
            )
        except (httpx.ReadError, httpx.WriteError, httpx.RemoteProtocolError):
            return CUT_OFF  # past what the server drains, it answers 413 and closes mid-upload
    else:
        response = await client.post(
            "/offers/products",
            headers=auth,
            files={"photo": (name, payload, "image/png" if name.endswith(".png") else "image/jpeg")},
            data={"price": "1,00", "title": name},
        )
    return response.status_code


async def burst(api: str, auth: dict[str, str], payloads: list[tuple[str, bytes | None]]) -> list[int]:
    """Send every payload at once; the statuses in the same order."""
    async with httpx.AsyncClient(base_url=api, timeout=120) as client:
        return await asyncio.gather(*(_send(client, auth, name, payload) for name, payload in payloads))
