# SPDX-License-Identifier: AGPL-3.0-or-later
"""What the API adds around the use cases: a list's cursor, and PDFs drawn off the event loop."""

from __future__ import annotations

import base64
import time
from uuid import uuid4

import anyio
import pytest

from vouchers.adapters.rendering import DocumentRenderer, RendererBusy
from vouchers.api.pages import decode_cursor, encode_cursor
from vouchers.domain.errors import InvalidChange


def test_a_cursor_gives_back_where_the_page_ended_and_refuses_what_no_page_gave() -> None:
    programme_id = uuid4()
    assert decode_cursor(encode_cursor("Münsteraner Weingutschein ☕", programme_id)) == (
        "Münsteraner Weingutschein ☕",
        programme_id,
    )
    made_up = [
        "kein-cursor",
        "ä",
        "",
        base64.urlsafe_b64encode(b'{"a": 1, "b": 2}').decode(),
        base64.urlsafe_b64encode(b"[1, 2]").decode(),
        base64.urlsafe_b64encode(f'["a\\u0000b", "{programme_id}"]'.encode()).decode(),  # NUL: not for PostgreSQL
        base64.urlsafe_b64encode(f'["\\ud800", "{programme_id}"]'.encode()).decode(),  # a lone surrogate
        base64.urlsafe_b64encode(b'["name", "not-a-uuid"]').decode(),
    ]
    for cursor in made_up:
        with pytest.raises(InvalidChange, match="not a cursor"):
            decode_cursor(cursor)


async def test_a_pdf_is_drawn_in_a_thread_and_one_past_the_limit_is_told_to_come_back() -> None:
    """A drawing holds its thread for seconds; the event loop must keep answering meanwhile."""
    renderer = DocumentRenderer(at_once=1, wait_seconds=0.2)
    answers: list[bytes | RendererBusy] = []

    def draw() -> bytes:
        time.sleep(1.0)  # reportlab holding the thread
        return b"%PDF"

    async def ask() -> None:
        try:
            answers.append(await renderer.render(draw))
        except RendererBusy as busy:
            answers.append(busy)

    async with anyio.create_task_group() as requests:
        requests.start_soon(ask)
        await anyio.sleep(0.05)
        requests.start_soon(ask)
        began = time.monotonic()
        await anyio.sleep(0.1)  # the loop is free while the first is drawn
        assert time.monotonic() - began < 0.5

    drawn, busy = answers[1], answers[0]  # the second was turned away before the first finished
    assert drawn == b"%PDF"
    assert isinstance(busy, RendererBusy) and busy.retry_after == 1 and "try again" in busy.reason
    assert await renderer.render(lambda: b"again") == b"again"  # the slot was given back


async def test_a_request_waits_for_a_renderer_within_its_bound() -> None:
    renderer = DocumentRenderer(at_once=1, wait_seconds=5.0)

    def draw() -> bytes:
        time.sleep(0.3)
        return b"x"

    async with anyio.create_task_group() as requests:
        for _ in range(3):
            requests.start_soon(renderer.render, draw)
    assert await renderer.render(lambda: b"y") == b"y"
