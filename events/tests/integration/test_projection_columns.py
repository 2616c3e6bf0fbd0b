# SPDX-License-Identifier: Apache-2.0
"""A projection that gains a column gets it in its live table on start, rows kept."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from psycopg_pool import AsyncConnectionPool

from downtown_events.runtime.projection import Projection, ProjectionWriter, RowSet, Table
from downtown_events.runtime.records import ReceivedEvent

BEFORE = Table(name="gains_columns", key="id", columns={"id": "text", "name": "text"})
AFTER = Table(
    name="gains_columns",
    key="id",
    columns={"id": "text", "name": "text", "due_at": "timestamptz", "waiting": "boolean"},
    indexes=("{table} (due_at)",),
)


def projection(table: Table) -> Projection:
    class Growing(Projection):
        name = "growing"
        tables = (table,)
        event_types = ()

        def touches(self, event: ReceivedEvent) -> Iterable[tuple[Table, Any]]:
            return []

        def evolve(self, rows: RowSet, event: ReceivedEvent) -> None:
            return None

    return Growing()


async def test_a_projection_gaining_columns_gets_them_on_start_and_keeps_its_rows(pool: AsyncConnectionPool) -> None:
    async with pool.connection() as conn:
        await ProjectionWriter(projection(BEFORE)).create_tables(conn)
        await conn.execute("INSERT INTO gains_columns (id, name) VALUES ('a', 'written before')")
        await ProjectionWriter(projection(AFTER)).create_tables(conn)
        await ProjectionWriter(projection(AFTER)).create_tables(conn)  # every start: nothing more to do
        rows = await (await conn.execute("SELECT * FROM gains_columns")).fetchall()
        indexes = await (
            await conn.execute("SELECT indexname FROM pg_indexes WHERE tablename = 'gains_columns'")
        ).fetchall()
    assert rows == [{"id": "a", "name": "written before", "due_at": None, "waiting": None}]
    assert {row["indexname"] for row in indexes} == {"gains_columns_pkey", "gains_columns_i0"}
