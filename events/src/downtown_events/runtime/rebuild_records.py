# SPDX-License-Identifier: Apache-2.0
"""The record of every projection rebuild, kept in the service's own database.

A rebuild's report used to be printed and gone; an association auditing the town wants to
see, later and without a shell, that each projection rebuilt from the log still equals the
live one (or that it differed, and whether it was swapped in anyway). ``ProjectionRebuild``
writes one row per run when it ends (table ``projection_rebuilds``, the runtime's migration
``runtime_0008_projection_rebuilds``, so it is in every service's database); the kit's
``GET /projections/rebuilds`` reads them back, newest first.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

from psycopg.types.json import Jsonb

from downtown_events.runtime.database import Connection
from downtown_events.runtime.readable import each_readable

if TYPE_CHECKING:
    from downtown_events.runtime.rebuild import RebuildReport

__all__ = ["MOST_REBUILDS", "RebuildRecord", "TableCompared", "recent_rebuilds", "record_rebuild"]

MOST_REBUILDS = 100
"""The most rows one read returns: an audit page shows the recent ones, not the history."""


@dataclass(frozen=True)
class TableCompared:
    """One table of a projection: its rows and content checksum, live and rebuilt."""

    live_rows: int
    live_checksum: str
    rebuilt_rows: int
    rebuilt_checksum: str

    @property
    def matches(self) -> bool:
        return (self.live_rows, self.live_checksum) == (self.rebuilt_rows, self.rebuilt_checksum)


@dataclass(frozen=True)
class RebuildRecord:
    """What one rebuild found, as it was recorded."""

    id: int
    projection: str
    started_at: datetime
    finished_at: datetime
    events_read: int
    undecodable: int
    seconds: float
    tables: dict[str, TableCompared]
    matches: bool
    swapped: bool
    forced: bool
    note: str


def compared_tables(report: RebuildReport) -> dict[str, TableCompared]:
    """Every table either side counted (a table missing on one side counts 0 rows there)."""
    names = [*report.rebuilt, *(name for name in report.live if name not in report.rebuilt)]
    return {
        name: TableCompared(
            live_rows=report.live.get(name, (0, ""))[0],
            live_checksum=report.live.get(name, (0, ""))[1],
            rebuilt_rows=report.rebuilt.get(name, (0, ""))[0],
            rebuilt_checksum=report.rebuilt.get(name, (0, ""))[1],
        )
        for name in names
    }


async def record_rebuild(
    conn: Connection, report: RebuildReport, *, started_at: datetime, finished_at: datetime, forced: bool
) -> int:
    """Write the run's row; its id."""
    tables = {name: vars(compared) for name, compared in compared_tables(report).items()}
    cursor = await conn.execute(
        """
        INSERT INTO projection_rebuilds (projection, started_at, finished_at, events_read, undecodable, seconds,
                                         tables, matches, swapped, forced, note)
        VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s)
        RETURNING id
        """,
        (
            report.projection,
            started_at,
            finished_at,
            report.events_read,
            report.undecodable,
            report.seconds,
            Jsonb(tables),
            report.matches,
            report.swapped,
            forced,
            report.note,
        ),
    )
    row = await cursor.fetchone()
    assert row is not None  # INSERT … RETURNING returns the row it wrote
    return int(row["id"])


async def recent_rebuilds(conn: Connection, limit: int = 20) -> list[RebuildRecord]:
    """The newest ``limit`` rebuilds (at most :data:`MOST_REBUILDS`), newest first."""
    cursor = await conn.execute(
        "SELECT * FROM projection_rebuilds ORDER BY finished_at DESC, id DESC LIMIT %s",
        (max(1, min(limit, MOST_REBUILDS)),),
    )
    return each_readable(await cursor.fetchall(), _record, key="id")


def _record(row: dict[str, Any]) -> RebuildRecord:
    return RebuildRecord(
        id=row["id"],
        projection=row["projection"],
        started_at=row["started_at"],
        finished_at=row["finished_at"],
        events_read=row["events_read"],
        undecodable=row["undecodable"],
        seconds=row["seconds"],
        tables={name: TableCompared(**compared) for name, compared in row["tables"].items()},
        matches=row["matches"],
        swapped=row["swapped"],
        forced=row["forced"],
        note=row["note"],
    )
