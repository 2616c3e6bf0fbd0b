# SPDX-License-Identifier: Apache-2.0
"""The clock file that moves a test town's time: read on every call, the machine's clock
without it, never in production."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from pydantic import ValidationError

from downtown_events.runtime.clock_file import ClockFile, set_clock
from downtown_events.runtime.settings import ServiceSettings

SUNDAY_EARLY = datetime(2026, 3, 1, 5, 37, tzinfo=ZoneInfo("Europe/Berlin"))


def test_the_clock_reads_the_file_on_every_call(tmp_path: Path) -> None:
    clock = ClockFile(tmp_path / "clock")
    before = datetime.now(UTC)
    assert clock() - before < timedelta(minutes=1)  # no file yet: the machine's clock
    set_clock(tmp_path / "clock", SUNDAY_EARLY)
    assert clock() == SUNDAY_EARLY
    assert clock().tzinfo == UTC
    set_clock(tmp_path / "clock", SUNDAY_EARLY + timedelta(days=1))
    assert clock() == SUNDAY_EARLY + timedelta(days=1)


def test_an_instant_without_its_offset_is_refused(tmp_path: Path) -> None:
    (tmp_path / "clock").write_text("2026-03-01T05:37:00")
    with pytest.raises(ValueError, match="offset"):
        ClockFile(tmp_path / "clock")()
    with pytest.raises(ValueError, match="offset"):
        set_clock(tmp_path / "clock", datetime(2026, 3, 1, 5, 37))


def test_production_keeps_the_machines_clock(tmp_path: Path) -> None:
    with pytest.raises(ValidationError, match="DOWNTOWN_CLOCK_FILE"):
        ServiceSettings(
            town="testtown",
            database_url="postgresql://localhost/x",
            environment="production",
            clock_file=tmp_path / "clock",
        )
