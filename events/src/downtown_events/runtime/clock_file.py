# SPDX-License-Identifier: Apache-2.0
"""A town clock read from a file: how an end-to-end test moves a running town's time.

A rule that waits for the shop to open on Monday cannot be tested by waiting for Monday, nor
by luck with the calendar. Every process of a test's town (API and worker) is given the same
file (``DOWNTOWN_CLOCK_FILE``); the test writes an instant into it (ISO 8601 with its
offset) and every ``now()`` after that reads it. An empty or missing file is the machine's
clock. The setting (``ServiceSettings.clock_file``) is refused in production; a service hands
:func:`clock_of` to its use cases' :class:`~downtown_events.runtime.clock.TownClock`.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Protocol

from downtown_events.runtime.clock import utc_now


class ClockFile:
    """``now()`` as the file says, read on every call (a test moves it between two requests)."""

    def __init__(self, path: Path) -> None:
        self._path = path

    def __call__(self) -> datetime:
        try:
            text = self._path.read_text(encoding="utf-8").strip()
        except FileNotFoundError:
            return utc_now()
        if not text:
            return utc_now()
        moment = datetime.fromisoformat(text)
        if moment.tzinfo is None:
            raise ValueError(f"{self._path}: the clock's instant needs its offset, as in 2026-03-01T05:37:00+01:00")
        return moment.astimezone(UTC)


def set_clock(path: Path, moment: datetime) -> None:
    """Moves the clock of every process reading ``path`` to ``moment`` (written whole, then
    renamed, so a process never reads half an instant)."""
    if moment.tzinfo is None:
        raise ValueError("the clock's instant needs its offset")
    draft = path.with_suffix(".draft")
    draft.write_text(moment.isoformat(), encoding="utf-8")
    draft.replace(path)


class ClockSettings(Protocol):
    @property
    def clock_file(self) -> Path | None: ...


def clock_of(settings: ClockSettings) -> Callable[[], datetime]:
    """The clock a service's use cases read: the file's where one is set, else the machine's."""
    return ClockFile(settings.clock_file) if settings.clock_file else utc_now
