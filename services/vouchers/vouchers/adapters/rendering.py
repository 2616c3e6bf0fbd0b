# SPDX-License-Identifier: AGPL-3.0-or-later
"""Drawing documents off the event loop, a few at a time.

reportlab draws a PDF in pure Python, holding the thread that calls it: ten voucher PDFs
drawn on the API's event loop held every other request (and ``/healthz/ready``) for 3.7 s,
a 500-voucher bulk PDF for 8.6 s. So a document is drawn in a worker thread, and at most
``at_once`` of them per process at the same time (each still takes the interpreter's lock
in turns with the loop, so more threads would only slow the loop down more). A request that
finds every renderer busy waits up to ``wait_seconds`` for one, then is told to come back
(:class:`RendererBusy`, HTTP 503 with ``Retry-After``): it has written nothing yet, and
whatever it asked for (codes shown once) is still there to ask for again.
"""

from __future__ import annotations

import math
from collections.abc import Callable

import anyio
import anyio.to_thread


class RendererBusy(Exception):
    """Every renderer stayed busy for as long as a request may wait."""

    def __init__(self, retry_after: int) -> None:
        super().__init__(f"every document renderer is busy; try again in {retry_after} s (nothing was used up)")
        self.reason = str(self)
        self.retry_after = retry_after


class DocumentRenderer:
    def __init__(self, at_once: int, wait_seconds: float) -> None:
        self._slots = anyio.CapacityLimiter(at_once)
        self._wait_seconds = wait_seconds

    async def render(self, draw: Callable[[], bytes]) -> bytes:
        """``draw()`` in a worker thread once a slot is free. Cancelled meanwhile (the client
        went away), the drawing still finishes before its slot is given back: the slots
        bound the CPU really in use, not the requests still interested."""
        try:
            self._slots.acquire_nowait()
        except anyio.WouldBlock:
            try:
                with anyio.fail_after(self._wait_seconds):
                    await self._slots.acquire()
            except TimeoutError:
                raise RendererBusy(max(1, math.ceil(self._wait_seconds))) from None
        try:
            return await anyio.to_thread.run_sync(draw)
        finally:
            self._slots.release()
