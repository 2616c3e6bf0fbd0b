# SPDX-License-Identifier: Apache-2.0
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
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from operator import itemgetter
from typing import Any, ClassVar
from uuid import UUID

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
    """The rows a batch may read and change, keyed by (table, key): the policy's whole world.

    Keys are compared as text (``str(key)``), so a UUID from an event finds the row loaded
    from PostgreSQL. ``read``, when set, collects every key the policy looked at (a rebuild
    that folds partitions apart checks no row was touched from two of them).
    """

    def __init__(self, rows: Mapping[tuple[str, Any], Row] | None = None) -> None:
        self._rows: dict[tuple[str, Any], Row | None] = dict(rows or {})
        self.changed: set[tuple[str, Any]] = set()
        self.read: set[tuple[str, Any]] | None = None
        self._uuid_texts: dict[int, str] = {}  # str(UUID) is slow and every event looks up a key

    def _text(self, key: Any) -> str:
        if type(key) is str:
            return key
        if type(key) is UUID:
            text = self._uuid_texts.get(key.int)
            if text is None:
                text = self._uuid_texts[key.int] = str(key)
            return text
        return str(key)

    def get(self, table: Table, key: Any) -> Row | None:
        """A copy of the row, to change and :meth:`put` back; None if there is none."""
        where = (table.name, self._text(key))
        if self.read is not None:
            self.read.add(where)
        row = self._rows.get(where)
        return dict(row) if row is not None else None

    def put(self, table: Table, row: Row) -> None:
        key = (table.name, self._text(row[table.key]))
        self._rows[key] = row
        self.changed.add(key)

    def delete(self, table: Table, key: Any) -> None:
        where = (table.name, self._text(key))
        self._rows[where] = None
        self.changed.add(where)

    def current(self, table: Table, key: Any) -> Row | None:
        where = (table.name, self._text(key))
        if self.read is not None:
            self.read.add(where)
        return self._rows.get(where)

    def row(self, table_name: str, text_key: str) -> Row | None:
        """The row under a key as :attr:`changed` holds it (a writer's look-up, not the policy's)."""
        return self._rows.get((table_name, text_key))

    def place(self, key: tuple[str, str], row: Row | None, *, changed: bool) -> None:
        """Set a row under a key as :attr:`changed` holds it (None: absent), e.g. one merged from
        another process's fold."""
        self._rows[key] = row
        if changed:
            self.changed.add(key)

    def only(self, keys: set[tuple[str, Any]]) -> RowSet:
        """A view of the same rows whose changes are ``keys`` (to write a part of them)."""
        view = RowSet()
        view._rows = self._rows
        view.changed = keys
        return view

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


class CannotMerge(Exception):
    """Rows folded in separate processes overlap and the policy does not combine them."""


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
    parallel_rebuild: ClassVar[bool] = False
    """A rebuild from topics may fold the partitions in two processes, each from empty rows,
    and combine the results (see :meth:`merge` and ``rebuild_fold``). Set it on a policy whose
    ``evolve`` keeps no state outside the rows and whose rows are each touched by one stream,
    or that merges them; where rows turn out to be touched from both, the rebuild folds in
    one process after all, having spent the time of the attempt."""

    def merge(self, table: Table, first: Row | None, second: Row | None) -> Row | None:
        """One row as two processes folded it, each from its own partitions (None: absent or
        deleted), combined into what folding all of them in one process gives.

        Called only for rows that events of both shares touched. The default refuses, and
        the rebuild then folds in one process: right for a policy whose rows are each
        touched by one stream only (and so one partition), which never gets here.
        """
        raise CannotMerge(f"{self.name} cannot merge {table.name} rows folded apart")

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
    base = _base_type(sql_type)
    return "text" if base.startswith("jsonb") else base


def _base_type(sql_type: str) -> str:
    return re.split(r"\s+(?:NOT\s+NULL|NULL|DEFAULT|CHECK|REFERENCES)\b", sql_type, flags=re.IGNORECASE)[0]


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
            await self._add_missing_columns(conn, table)
        if indexes:
            await self.create_indexes(conn)

    async def _add_missing_columns(self, conn: Connection, table: Table) -> None:
        """A projection that gained a column gets it in the live table on start: its rows
        written before hold null there until the projection is rebuilt (``make rebuild``),
        and the projection reads such a null as "not known". Nothing else of a table changes
        by itself. Only a missing column is altered: ALTER TABLE locks the table exclusively
        even when it then finds nothing to do."""
        name = self.names(table)
        query = (
            "SELECT column_name FROM information_schema.columns "
            "WHERE table_schema = current_schema() AND table_name = %s"
        )
        present = {row["column_name"] for row in await (await conn.execute(query, (name,))).fetchall()}
        for column, definition in {**table.columns, **table.extra_columns}.items():
            if column not in present:
                await conn.execute(
                    sql.SQL("ALTER TABLE {} ADD COLUMN IF NOT EXISTS {} {}").format(
                        sql.Identifier(name), sql.Identifier(column), sql.SQL(definition)
                    )
                )

    async def create_indexes(self, conn: Connection) -> None:
        for statement in self.index_statements():
            await conn.execute(statement)

    def index_statements(self) -> list[sql.Composed]:
        """``CREATE INDEX IF NOT EXISTS`` for every secondary index, one statement each."""
        statements = []
        for table in self.projection.tables:
            name = self.names(table)
            # The body is the projection's own SQL; only the table name is substituted, quoted.
            quoted = sql.Identifier(name).as_string()
            for index, body in enumerate(table.indexes):
                statements.append(
                    sql.SQL("CREATE INDEX IF NOT EXISTS {} ON {}").format(
                        sql.Identifier(f"{name}_i{index}"), sql.SQL(body.format(table=quoted))
                    )
                )
        return statements

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

    async def copy(self, conn: Connection, rows: RowSet) -> None:
        """Write the changed rows into tables nobody else writes and that hold none of them
        yet (a rebuild's): one ``COPY`` per table instead of upserts. A row deleted along
        the way is simply not written."""
        for table in self.projection.tables:
            changed = [key for (name, key) in rows.changed if name == table.name]
            present = [row for key in changed if (row := rows.row(table.name, key)) is not None]
            if not present:
                continue
            values = _copy_values(table)
            statement = sql.SQL("COPY {table} ({cols}) FROM STDIN").format(
                table=sql.Identifier(self.names(table)),
                cols=sql.SQL(", ").join(map(sql.Identifier, table.column_names)),
            )
            async with conn.cursor().copy(statement) as copy:
                for row in present:
                    await copy.write_row(values(row))

    async def remove(self, conn: Connection, keys: Iterable[tuple[str, Any]]) -> None:
        """Delete the rows under ``keys`` (as :attr:`RowSet.changed` holds them), one statement per table."""
        wanted: dict[str, list[Any]] = {}
        for name, key in keys:
            wanted.setdefault(name, []).append(key)
        for table in self.projection.tables:
            if wanted.get(table.name):
                await conn.execute(
                    sql.SQL("DELETE FROM {table} WHERE {key} = ANY({keys})").format(
                        table=sql.Identifier(self.names(table)), key=sql.Identifier(table.key), keys=_typed_keys(table)
                    ),
                    (wanted[table.name],),
                )

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


def _copy_values(table: Table) -> Callable[[Row], tuple[Any, ...]]:
    """A row's values in column order for ``COPY``, as PostgreSQL gets them from the upsert's
    JSON (:func:`_rows_json`), so a rebuild writes what the live writer writes: json/jsonb
    columns as that JSON, text columns as the text a JSON value casts to (``true``, a
    timestamp's ``str``), missing columns as NULL. The usual values of other columns go as
    psycopg adapts them (a UUID, a time, a number), which PostgreSQL reads to the same value;
    anything else as its JSON value (``default=str``)."""
    names = table.column_names
    bases = [_base_type(table.columns[name]).lower() for name in names]
    json_at = [index for index, base in enumerate(bases) if base.startswith("json")]
    text_at = [index for index, base in enumerate(bases) if base in _TEXT_TYPES]
    other_at = [
        (index, _AS_ADAPTED | {datetime} if base.startswith("timestamp") else _AS_ADAPTED)
        for index, base in enumerate(bases)
        if index not in json_at and index not in text_at
    ]
    pick = itemgetter(*names) if len(names) > 1 else (lambda row: (row[names[0]],))

    def values(row: Row) -> tuple[Any, ...]:
        try:
            found = list(pick(row))
        except KeyError:
            found = [row.get(name) for name in names]
        for index in json_at:
            if found[index] is not None:
                found[index] = json.dumps(found[index], default=str)
        for index in text_at:
            if found[index] is not None and type(found[index]) is not str:
                found[index] = _json_text(found[index])
        for index, as_adapted in other_at:
            if type(found[index]) not in as_adapted:
                found[index] = _json_value(found[index])
        return tuple(found)

    return values


_TEXT_TYPES = frozenset({"text", "varchar", "character varying", "char", "character", "bpchar", "citext", "name"})
_AS_ADAPTED = frozenset({type(None), str, int, float, bool, Decimal, UUID, date, list})
"""Values psycopg hands over as text that PostgreSQL reads to what the JSON gives (plus
``datetime`` in timestamp columns); any other goes as its JSON value."""


def _json_value(value: Any) -> Any:
    """What the upsert's JSON makes of a value: a string, number, boolean, null, list or object."""
    return json.loads(json.dumps(value, default=str))


def _json_text(value: Any) -> str | None:
    """The text PostgreSQL casts a JSON value to (``json_populate_recordset`` into a text column)."""
    plain = _json_value(value)
    if plain is None or isinstance(plain, str):
        return plain
    return json.dumps(plain)  # true/false, a number, an array or object: the JSON as written


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
