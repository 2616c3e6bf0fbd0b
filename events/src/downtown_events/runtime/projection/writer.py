# SPDX-License-Identifier: Apache-2.0
"""The writer half of a projection: the I/O around a pure policy, one batch at a time.

Per batch: ask the policy which rows the events touch, load them in one query per table,
fold the batch over them in memory, write back the changed ones with one delete and one
upsert per table. The consumer calls :meth:`ProjectionWriter.handle` inside the transaction
that also records what was applied, so the rows and the tracking commit together. A rebuild
uses the same writer on its own tables (``REBUILD`` names) with :meth:`~ProjectionWriter.copy`
instead of upserts.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from psycopg import sql

from downtown_events.runtime.database import Connection
from downtown_events.runtime.projection import copy_rows, ddl, statements
from downtown_events.runtime.projection.policy import Projection
from downtown_events.runtime.projection.rows import RowSet
from downtown_events.runtime.projection.tables import LIVE, Row, Table, TableNames
from downtown_events.runtime.records import ReceivedEvent


class ProjectionWriter:
    """Runs a projection's policy over batches against one set of tables; the
    :class:`~downtown_events.runtime.consumer.EventHandler` of a projection."""

    def __init__(self, projection: Projection, names: TableNames = LIVE, *, consumer_name: str | None = None) -> None:
        self.projection = projection
        self.names = names
        self.consumer_name = consumer_name or projection.consumer_name + names.suffix
        self.reads = projection.reads()

    # --- the tables -----------------------------------------------------------------------

    async def create_tables(self, conn: Connection, *, indexes: bool = True) -> None:
        """Create the tables if missing; a bulk load creates the secondary indexes afterwards."""
        for table in self.projection.tables:
            await conn.execute(ddl.create_table_statement(table, self.names(table)))
            await ddl.add_missing_columns(conn, table, self.names(table))
        if indexes:
            await self.create_indexes(conn)

    async def create_indexes(self, conn: Connection) -> None:
        for statement in self.index_statements():
            await conn.execute(statement)

    def index_statements(self) -> list[sql.Composed]:
        """``CREATE INDEX IF NOT EXISTS`` for every secondary index, one statement each."""
        tables = self.projection.tables
        return [statement for table in tables for statement in ddl.index_statements(table, self.names(table))]

    # --- a live batch ---------------------------------------------------------------------

    async def handle(self, conn: Connection, events: Sequence[ReceivedEvent]) -> None:
        wanted: dict[Table, set[str]] = {}
        for event in events:
            for table, key in self.projection.touches(event):
                wanted.setdefault(table, set()).add(str(key))
        if not wanted:
            return
        rows = RowSet(await self._load(conn, wanted))
        self.projection.fold(rows, events)
        await self.write(conn, rows)

    async def _load(self, conn: Connection, wanted: Mapping[Table, set[str]]) -> dict[tuple[str, Any], Row]:
        loaded: dict[tuple[str, Any], Row] = {}
        for table, keys in wanted.items():
            cursor = await conn.execute(statements.select_by_keys(table, self.names(table)), (list(keys),))
            for row in await cursor.fetchall():
                loaded[(table.name, str(row[table.key]))] = row
        return loaded

    async def write(self, conn: Connection, rows: RowSet, *, chunk: int = 20_000) -> None:
        """Write the changed rows: one delete and one upsert per table and chunk of rows."""
        for table in self.projection.tables:
            changed = [key for (name, key) in rows.changed if name == table.name]
            for start in range(0, len(changed), chunk):
                await self._write_table(conn, table, rows, changed[start : start + chunk])

    async def _write_table(self, conn: Connection, table: Table, rows: RowSet, changed: list[Any]) -> None:
        upserts = [row for key in changed if (row := rows.current(table, key)) is not None]
        deletes = [key for key in changed if rows.current(table, key) is None]
        if deletes:
            await conn.execute(statements.delete_by_keys(table, self.names(table)), (deletes,))
        if upserts:
            await conn.execute(statements.upsert(table, self.names(table)), (statements.rows_json(table, upserts),))

    # --- a rebuild's rows -----------------------------------------------------------------

    async def copy(self, conn: Connection, rows: RowSet) -> None:
        """Write the changed rows into tables nobody else writes and that hold none of them
        yet (a rebuild's): one ``COPY`` per table instead of upserts. A row deleted along
        the way is simply not written."""
        for table in self.projection.tables:
            changed = [key for (name, key) in rows.changed if name == table.name]
            present = [row for key in changed if (row := rows.row(table.name, key)) is not None]
            if not present:
                continue
            values = copy_rows.copy_values(table)
            async with conn.cursor().copy(copy_rows.copy_statement(table, self.names(table))) as copy:
                for row in present:
                    await copy.write_row(values(row))

    async def remove(self, conn: Connection, keys: Iterable[tuple[str, Any]]) -> None:
        """Delete the rows under ``keys`` (as :attr:`RowSet.changed` holds them), one statement per table."""
        wanted: dict[str, list[Any]] = {}
        for name, key in keys:
            wanted.setdefault(name, []).append(key)
        for table in self.projection.tables:
            if wanted.get(table.name):
                await conn.execute(statements.delete_by_keys(table, self.names(table)), (wanted[table.name],))


async def table_checksums(conn: Connection, projection: Projection, names: TableNames) -> dict[str, tuple[int, str]]:
    """Row count and an order-independent content hash of each table's written columns."""
    result = {}
    for table in projection.tables:
        row = await (await conn.execute(statements.checksum_query(table, names(table)))).fetchone()
        assert row is not None, "an aggregate query always returns a row"
        result[table.name] = (int(row["count"]), str(row["checksum"]))
    return result
