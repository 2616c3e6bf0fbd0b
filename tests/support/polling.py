# SPDX-License-Identifier: AGPL-3.0-or-later
"""The one way a test waits for something that happens later (a read model, a consumer).

Read models trail their events by a few hundred milliseconds on an idle machine and by tens of
seconds on a busy one (a stress run with two test sessions on one server outlasted a 20 s
wait), so a wait is generous and polls: it costs nothing when the thing comes at once and
only the failing test pays for the patience.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TypeVar

T = TypeVar("T")

PATIENCE = 60.0
"""Seconds a test waits for a read model or a consumer before it fails."""


def wait_until(
    check: Callable[[], T], *, seconds: float = PATIENCE, every: float = 0.1, what: str = "the condition"
) -> T:
    """``check()``'s first truthy result; fails naming ``what`` (and the last result) after ``seconds``."""
    deadline = time.monotonic() + seconds
    while True:
        result = check()
        if result:
            return result
        if time.monotonic() > deadline:
            raise AssertionError(f"{what} did not happen within {seconds:.0f} s (last: {result!r})")
        time.sleep(every)
