# SPDX-License-Identifier: Apache-2.0
"""A side's share of a fold in two, written the same way by both processes, or undone.

Each side writes its rows and stream versions in transactions of its own, begun as soon as
its fold is done, so whoever finishes first writes while the other still folds. Nothing is
committed until both sides agree the folds combine; :class:`Undo` is how either side says
they do not, and rolls its transactions back.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence

from downtown_events.runtime.database import Connection
from downtown_events.runtime.projection import ProjectionWriter, RowSet
from downtown_events.runtime.rebuild_fold.bulk import copy_versions


class Undo(Exception):
    """Roll back what a process wrote of its share: the folds cannot be combined as they are."""


async def write_share(
    connections: Sequence[Connection], writer: ProjectionWriter, rows: RowSet, versions: dict[str, int]
) -> None:
    """One side's rows and versions, each split over its connections (PostgreSQL computes the
    search vectors on as many cores, using the one the other side leaves when it is done first)."""
    streams = list(versions.items())
    count = len(connections)

    async def write(conn: Connection, shard: RowSet, index: int) -> None:
        await writer.copy(conn, shard)
        await copy_versions(conn, writer.consumer_name, dict(streams[index::count]))

    shards = rows.shards(count)
    await asyncio.gather(*(write(conn, shards[index], index) for index, conn in enumerate(connections)))
