# SPDX-License-Identifier: AGPL-3.0-or-later
"""Charts as numbers a template draws as inline SVG: no script, no library, no style attribute.

The front's Content-Security-Policy (``default-src 'self'``) refuses inline scripts and
inline ``style`` attributes, so a chart is SVG markup in the page whose shapes are placed by
presentation attributes (``x``, ``y``, ``width``, ``height``) and coloured by classes of
``site.css``. These functions only do the arithmetic (pure, unit-tested): where each shape
goes in a chart of a given size. The page says the same numbers in words (``aria-label``)
and in a table, for a screen reader and for anyone who prefers figures to shapes.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

WIDTH = 320
"""A chart's width in SVG units: a phone's width; the SVG scales to its box."""


@dataclass(frozen=True)
class Bar:
    """One shape of a chart, placed: its label and value, where it lies and how large it is."""

    label: str
    value: int
    x: float
    y: float
    width: float
    height: float


@dataclass(frozen=True)
class Chart:
    """A chart's shapes and the box they are drawn in."""

    bars: tuple[Bar, ...]
    width: int
    height: int


def _share(value: int, largest: int, room: float) -> float:
    """``value``'s length out of ``room`` when ``largest`` fills it (never below zero)."""
    return round(room * max(value, 0) / largest, 2) if largest > 0 else 0.0


def bars(values: Sequence[tuple[str, int]], *, width: int = WIDTH, thickness: int = 18, gap: int = 10) -> Chart:
    """Horizontal bars, one a row, the largest value across the whole width.

    Each row leaves ``gap`` above its bar for its label (the template writes the label and
    the value there), so a long label never overlaps its bar on a narrow phone."""
    largest = max((value for _, value in values), default=0)
    row = thickness + gap + 4
    placed = tuple(
        Bar(label, value, 0, index * row + gap + 4, _share(value, largest, width), thickness)
        for index, (label, value) in enumerate(values)
    )
    return Chart(placed, width, max(len(values) * row, row))


def columns(values: Sequence[tuple[str, int]], *, width: int = WIDTH, height: int = 120, gap: int = 2) -> Chart:
    """Vertical columns over time (a day each), on one baseline, the largest the full height."""
    largest = max((value for _, value in values), default=0)
    step = width / max(len(values), 1)
    placed = []
    for index, (label, value) in enumerate(values):
        tall = _share(value, largest, height)
        placed.append(Bar(label, value, round(index * step, 2), round(height - tall, 2), max(step - gap, 1), tall))
    return Chart(tuple(placed), width, height)


def budget(total: int, parts: Sequence[tuple[str, int]], *, width: int = WIDTH, height: int = 28) -> Chart:
    """A budget as one bar of its parts side by side (given out, promised, left), each as
    long as its share of ``total``; parts beyond the budget are cut at its end."""
    placed = []
    x = 0.0
    for label, value in parts:
        length = min(_share(value, total, width), round(width - x, 2))
        placed.append(Bar(label, value, x, 0, max(length, 0.0), height))
        x = round(x + max(length, 0.0), 2)
    return Chart(tuple(placed), width, height)
