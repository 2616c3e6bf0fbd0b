"""Projections: read models folded from the event log, disposable and rebuildable.

A projection is a pure policy plus a writer, the two kept apart:

- the **policy** (a :class:`Projection` subclass) declares its tables and says, for one
  event, which rows it touches and how they change, on plain dicts (:class:`RowSet`);
  no SQL, no I/O, so it is unit-tested in microseconds;
- the **writer** (:class:`ProjectionWriter`) does the I/O per *batch*: load the touched
  rows in one query per table, run the policy over the batch in memory, write the
  results back with one upsert and one delete per table. That is what makes a rebuild
  from offset zero fast.

Table names are resolved through :class:`TableNames`, so the same policy fills the live
tables or a rebuild's tables beside them (``<table>__rebuild``).
"""

from __future__ import annotations

import json
import re
from abc import ABC, abstractmethod
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, ClassVar

from psycopg import sql

from downtown_events.contract import IntegrationEvent
from downtown_events.runtime.database import Connection
from downtown_events.runtime.records import ReceivedEvent

Row = dict[str, Any]
REBUILD_SUFFIX = "__rebuild"


@dataclass(frozen=True)
class Table:
    """A read table: its key column, its written columns (name -> SQL type) and extra DDL.

    ``extra_columns`` are computed by PostgreSQL (generated columns such as a tsvector)
    and ``indexes`` are ``CREATE INDEX`` bodies with ``{table}`` for the table name.
    """

    name: str
    key: str
    columns: Mapping[str, str]
    extra_columns: Mapping[str, str] = field(default_factory=dict)
    indexes: Sequence[str] = ()

    @property
    def column_names(self) -> list[str]:
        return list(self.columns)

    def __hash__(self) -> int:  # tables are looked up by name; the column dicts are not hashable
        return hash(self.name)


@dataclass(frozen=True)
class TableNames:
    """Maps a projection's table names to the physical ones (live or rebuild)."""

    suffix: str = ""

    def __call__(self, table: Table | str) -> str:
        return (table.name if isinstance(table, Table) else table) + self.suffix


LIVE = TableNames()
REBUILD = TableNames(REBUILD_SUFFIX)


class RowSet:
    """The rows a batch may read and change, keyed by (table, key): the policy's whole world."""

    def __init__(self, rows: Mapping[tuple[str, Any], Row] | None = None) -> None:
        self._rows: dict[tuple[str, Any], Row | None] = dict(rows or {})
        self.changed: set[tuple[str, Any]] = set()

    def get(self, table: Table, key: Any) -> Row | None:
        row = self._rows.get((table.name, str(key)))
        return dict(row) if row is not None else None

    def put(self, table: Table, row: Row) -> None:
        key = (table.name, str(row[table.key]))
        self._rows[key] = row
        self.changed.add(key)

    def delete(self, table: Table, key: Any) -> None:
        self._rows[(table.name, str(key))] = None
        self.changed.add((table.name, str(key)))

    def current(self, table: Table, key: Any) -> Row | None:
        return self._rows.get((table.name, str(key)))

    def shards(self, count: int) -> list[RowSet]:
        """Views of the same rows with the changes split ``count`` ways, to write in parallel."""
        changed = sorted(self.changed)
        shards = []
        for index in range(count):
            shard = RowSet()
            shard._rows = self._rows
            shard.changed = set(changed[index::count])
            shards.append(shard)
        return shards


class Projection(ABC):
    """A read model's policy. Subclasses set ``name``, ``tables`` and the two methods."""

    name: ClassVar[str]
    tables: ClassVar[tuple[Table, ...]]
    event_types: ClassVar[tuple[type[IntegrationEvent], ...] | None] = None
    """The events it reads; the consumer decodes no other (None: every event)."""
    sources: ClassVar[tuple[str, ...]] = ()
    """The services whose topics it reads (``<town>.<service>.events``); empty: its own."""
    from_store: ClassVar[bool] = False
    """Fed from the service's own store instead of topics: for a projection that reads
    private events, which are never published (see ``store_feed``)."""

    @classmethod
    def reads(cls) -> frozenset[str] | None:
        return None if cls.event_types is None else frozenset(kind.type_name() for kind in cls.event_types)

    @property
    def consumer_name(self) -> str:
        return f"projection:{self.name}"

    @abstractmethod
    def touches(self, event: ReceivedEvent) -> Iterable[tuple[Table, Any]]:
        """The (table, key) rows the event may read or change; nothing for irrelevant events."""

    @abstractmethod
    def evolve(self, rows: RowSet, event: ReceivedEvent) -> None:
        """Apply one event to the rows. Pure: derive everything from the event and the rows."""

    def fold(self, rows: RowSet, events: Sequence[ReceivedEvent]) -> RowSet:
        for event in events:
            self.evolve(rows, event)
        return rows


def _typed_keys(table: Table) -> sql.Composable:
    """The key list cast to the key column's own type: compared as text, or planned
    generically once psycopg prepares the statement, the primary key index goes unused
    and every batch scans the whole table."""
    return sql.SQL("%s::{}[]").format(sql.SQL(_sql_array_type(table.columns[table.key])))


def _sql_array_type(sql_type: str) -> str:
    """The element type for ``unnest``: the column type without constraints; jsonb travels as text."""
    base = re.split(r"\s+(?:NOT\s+NULL|NULL|DEFAULT|CHECK|REFERENCES)\b", sql_type, flags=re.IGNORECASE)[0]
    return "text" if base.startswith("jsonb") else base


class ProjectionWriter:
    """Runs a projection's policy over batches against one set of tables; the
    :class:`~downtown_events.runtime.consumer.EventHandler` of a projection."""

    def __init__(self, projection: Projection, names: TableNames = LIVE, *, consumer_name: str | None = None) -> None:
        self.projection = projection
        self.names = names
        self.consumer_name = consumer_name or projection.consumer_name + names.suffix
        self.reads = projection.reads()

    async def create_tables(self, conn: Connection, *, indexes: bool = True) -> None:
        """Create the tables if missing; a bulk load creates the secondary indexes afterwards."""
        for table in self.projection.tables:
            # Names are quoted as in reads and writes; types and generated-column definitions
            # are the projection's own SQL (declared in code, never from input).
            columns = [
                sql.SQL("{} {}").format(sql.Identifier(column), sql.SQL(definition))
                for column, definition in {**table.columns, **table.extra_columns}.items()
            ]
            columns.append(sql.SQL("PRIMARY KEY ({})").format(sql.Identifier(table.key)))
            await conn.execute(
                sql.SQL("CREATE TABLE IF NOT EXISTS {} ({})").format(
                    sql.Identifier(self.names(table)), sql.SQL(", ").join(columns)
                )
            )
        if indexes:
            await self.create_indexes(conn)

    async def create_indexes(self, conn: Connection) -> None:
        for table in self.projection.tables:
            name = self.names(table)
            quoted = sql.Identifier(name).as_string(conn)
            for index, body in enumerate(table.indexes):
                await conn.execute(
                    sql.SQL("CREATE INDEX IF NOT EXISTS {} ON {}").format(
                        sql.Identifier(f"{name}_i{index}"), sql.SQL(body.format(table=quoted))
                    )
                )

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
            query = sql.SQL("SELECT {cols} FROM {table} WHERE {key} = ANY({keys})").format(
                cols=sql.SQL(", ").join(map(sql.Identifier, table.column_names)),
                table=sql.Identifier(self.names(table)),
                key=sql.Identifier(table.key),
                keys=_typed_keys(table),
            )
            cursor = await conn.execute(query, (list(keys),))
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
            await conn.execute(
                sql.SQL("DELETE FROM {table} WHERE {key} = ANY({keys})").format(
                    table=sql.Identifier(self.names(table)), key=sql.Identifier(table.key), keys=_typed_keys(table)
                ),
                (deletes,),
            )
        if upserts:
            await conn.execute(_upsert_statement(table, self.names(table)), (_rows_json(table, upserts),))


def _rows_json(table: Table, rows: Sequence[Row]) -> str:
    """The rows as one JSON array (UUIDs and timestamps as strings, jsonb columns nested)."""
    names = table.column_names
    return json.dumps([{column: row.get(column) for column in names} for row in rows], default=str)


def _upsert_statement(table: Table, physical_name: str) -> sql.Composed:
    """``INSERT … SELECT FROM json_populate_recordset … ON CONFLICT DO UPDATE``: one statement
    per batch, the rows travelling as one JSON parameter typed by the table's own row type."""
    names = table.column_names
    updates = sql.SQL(", ").join(
        sql.SQL("{c} = EXCLUDED.{c}").format(c=sql.Identifier(c)) for c in names if c != table.key
    )
    return sql.SQL(
        "INSERT INTO {table} ({cols}) SELECT {cols} FROM json_populate_recordset(NULL::{table}, %s::json) "
        "ON CONFLICT ({key}) DO UPDATE SET {updates}"
    ).format(
        table=sql.Identifier(physical_name),
        cols=sql.SQL(", ").join(map(sql.Identifier, names)),
        key=sql.Identifier(table.key),
        updates=updates,
    )


async def table_checksums(conn: Connection, projection: Projection, names: TableNames) -> dict[str, tuple[int, str]]:
    """Row count and an order-independent content hash of each table's written columns."""
    result = {}
    for table in projection.tables:
        query = sql.SQL(
            "SELECT count(*) AS count, "
            "coalesce(md5(string_agg(md5(({cols})::text), '' ORDER BY {key}::text)), '') AS checksum FROM {table}"
        ).format(
            cols=sql.SQL("ROW({})").format(sql.SQL(", ").join(map(sql.Identifier, table.column_names))),
            key=sql.Identifier(table.key),
            table=sql.Identifier(names(table)),
        )
        row = await (await conn.execute(query)).fetchone()
        assert row is not None, "an aggregate query always returns a row"
        result[table.name] = (int(row["count"]), str(row["checksum"]))
    return result
