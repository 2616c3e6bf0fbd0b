# SPDX-License-Identifier: Apache-2.0
"""Live figures: what a town did in the last hours (vouchers sold, sales), counted by faust.

This is where faust's own state earns its place: a windowed table (tumbling windows of an
hour, kept two days) counts events as they stream past, backed by a changelog topic, with
no database round trip, for the association's "today" board. They are *live* figures: at
least once (a redelivered or re-sent event may count twice), and lost windows are not
rebuilt; the audited figures are the service's ledger projections, rebuilt from the log.

Faust requires a table to be partitioned like its stream, so each figure is counted per
source partition (key ``<figure>@<partition>``, written to that partition's changelog) and
summed when read. A worker serves the partitions it was assigned (all of them, with one
worker per town, the default); the page says which.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from downtown_events.contract import IntegrationEvent

WINDOW = timedelta(hours=1)
KEPT = timedelta(days=2)
CHANGELOG_CONFIG = {
    "cleanup.policy": "compact,delete",
    "retention.ms": str(int((KEPT + WINDOW).total_seconds() * 1000)),
}


def _one(_: IntegrationEvent) -> int:
    return 1


@dataclass(frozen=True)
class LiveFigure:
    """``name`` counts ``amount(event)`` for each event of the types in ``counts``."""

    name: str
    counts: tuple[type[IntegrationEvent], ...]
    amount: Callable[[IntegrationEvent], int] = field(default=_one)

    @property
    def table_name(self) -> str:
        return f"live_{self.name}"

    def reads(self) -> frozenset[str]:
        return frozenset(kind.type_name() for kind in self.counts)


def changelog_topic(app_id: str, figure: LiveFigure) -> str:
    """Faust's name for the table's changelog: ``<app id>-<table>-changelog``."""
    return f"{app_id}-{figure.table_name}-changelog"


def table_key(figure: LiveFigure, partition: int) -> str:
    return f"{figure.name}@{partition}"


def counted_once(window: Mapping[str, Any], amount: int, offset: int) -> dict[str, int] | None:
    """The window's new value after counting the record at ``offset``, or None if it was
    counted before (a batch read again after the worker died before committing it)."""
    if int(window.get("offset", -1)) >= offset:
        return None
    return {"value": int(window.get("value", 0)) + amount, "offset": offset}


def hourly(figure: LiveFigure, entries: Iterable[tuple[Any, Any]], now: datetime) -> list[dict[str, Any]]:
    """The figure per hour, newest first, summed over partitions, from the table's entries
    ``((key, (window start, window end)), value)``."""
    oldest = (now - KEPT).timestamp()
    hours: dict[float, int] = {}
    for (key, window), value in entries:
        if str(key).partition("@")[0] == figure.name and window[0] >= oldest:
            hours[window[0]] = hours.get(window[0], 0) + int(value.get("value", 0))
    return [
        {"hour": datetime.fromtimestamp(start, UTC).isoformat(), "value": hours[start]}
        for start in sorted(hours, reverse=True)
    ]


def page(
    figures: Mapping[LiveFigure, Iterable[tuple[Any, Any]]], partitions: list[int], now: datetime
) -> dict[str, Any]:
    return {
        "note": "live counts of the partitions this worker holds, per hour (UTC); audited figures: the API's /figures",
        "partitions": sorted(partitions),
        "figures": {figure.name: hourly(figure, entries, now) for figure, entries in figures.items()},
    }
