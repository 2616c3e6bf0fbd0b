# SPDX-License-Identifier: AGPL-3.0-or-later
"""Timing and reporting shared by the benchmarks: figures, targets, progress lines, the summary."""

from __future__ import annotations

import json
import math
import platform
import sys
import time
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path


@dataclass(frozen=True)
class Target:
    """What a figure should reach: ``value >= threshold`` (``at_least``) or ``<=``."""

    threshold: float
    at_least: bool = True

    def met(self, value: float) -> bool:
        return value >= self.threshold if self.at_least else value <= self.threshold

    def __str__(self) -> str:
        return f"{'>=' if self.at_least else '<='} {self.threshold:g}"


@dataclass(frozen=True)
class Figure:
    """One measured number, with the target it is judged by (if any)."""

    benchmark: str
    name: str
    value: float
    unit: str
    target: Target | None = None

    @property
    def status(self) -> str:
        if self.target is None:
            return ""
        return "met" if self.target.met(self.value) else "missed"

    def formatted(self) -> str:
        if self.unit in {"events/s", "rows/s"}:
            return f"{self.value:,.0f}"
        if self.unit == "ms":
            return f"{self.value:,.1f}"
        return f"{self.value:.2f}"


def say(message: str) -> None:
    """A progress line, flushed at once so a slow step shows it is alive."""
    print(f"[{time.strftime('%H:%M:%S')}] {message}", flush=True)


class Throttled:
    """Prints progress at most every ``seconds``; the last call always prints."""

    def __init__(self, label: str, seconds: float = 2.0) -> None:
        self._label = label
        self._seconds = seconds
        self._last = 0.0

    def __call__(self, done: int, total: int) -> None:
        now = time.monotonic()
        if done >= total or now - self._last >= self._seconds:
            self._last = now
            say(f"  {self._label}: {done:,}/{total:,}")


def rate(count: int, seconds: float) -> float:
    return count / seconds if seconds > 0 else 0.0


def percentile(values: Sequence[float], fraction: float) -> float:
    """Linear interpolation between the closest ranks (numpy's default method)."""
    ordered = sorted(values)
    if not ordered:
        return math.nan
    position = (len(ordered) - 1) * fraction
    low, high = math.floor(position), math.ceil(position)
    return ordered[low] + (ordered[high] - ordered[low]) * (position - low)


def summary_table(figures: Sequence[Figure], failures: dict[str, str]) -> str:
    rows = [("benchmark", "figure", "value", "unit", "target", "")]
    rows += [(f.benchmark, f.name, f.formatted(), f.unit, str(f.target or ""), f.status) for f in figures]
    rows += [(name, f"FAILED: {error}", "", "", "", "") for name, error in failures.items()]
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    lines = []
    for index, row in enumerate(rows):
        cells = [
            cell.rjust(width) if i == 2 else cell.ljust(width)
            for i, (cell, width) in enumerate(zip(row, widths, strict=True))
        ]
        lines.append("  ".join(cells).rstrip())
        if index == 0:
            lines.append("  ".join("-" * width for width in widths))
    return "\n".join(lines)


def write_json(path: Path, figures: Sequence[Figure], failures: dict[str, str], argv: Sequence[str]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    document = {
        "measured_at": datetime.now(UTC).isoformat(),
        "argv": list(argv),
        "machine": {"python": sys.version.split()[0], "platform": platform.platform(), "node": platform.node()},
        "figures": [
            {**asdict(f), "target": None if f.target is None else str(f.target), "status": f.status or None}
            for f in figures
        ],
        "failures": failures,
    }
    path.write_text(json.dumps(document, indent=2) + "\n")
