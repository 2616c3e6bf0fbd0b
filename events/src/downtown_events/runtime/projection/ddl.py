# SPDX-License-Identifier: Apache-2.0
"""A projection's tables made to exist: created if missing, a new column added, indexes.

There are no migrations for read tables: they are disposable, rebuilt from the log (see
``rebuild``). So the DDL is derived from the :class:`Table` at start, idempotently, and only
what cannot lose data happens by itself (a missing table or column). Secondary indexes are
separate statements so that a rebuild creates them after its bulk ``COPY``, not before.

Names are quoted (``sql.Identifier``); types, generated-column definitions and index bodies
are the projection's own SQL, declared in code and never taken from input.
"""

from __future__ import annotations

from psycopg import sql

from downtown_events.runtime.database import Connection
from downtown_events.runtime.projection.tables import Table


def create_table_statement(table: Table, physical_name: str) -> sql.Composed:
    """``CREATE TABLE IF NOT EXISTS`` with every column and the key as primary key."""
    columns = [
        sql.SQL("{} {}").format(sql.Identifier(column), sql.SQL(definition))
        for column, definition in {**table.columns, **table.extra_columns}.items()
    ]
    columns.append(sql.SQL("PRIMARY KEY ({})").format(sql.Identifier(table.key)))
    return sql.SQL("CREATE TABLE IF NOT EXISTS {} ({})").format(
        sql.Identifier(physical_name), sql.SQL(", ").join(columns)
    )


async def add_missing_columns(conn: Connection, table: Table, physical_name: str) -> None:
    """A projection that gained a column gets it in the live table on start: its rows
    written before hold null there until the projection is rebuilt (``make rebuild``),
    and the projection reads such a null as "not known". Nothing else of a table changes
    by itself. Only a missing column is altered: ALTER TABLE locks the table exclusively
    even when it then finds nothing to do."""
    query = (
        "SELECT column_name FROM information_schema.columns WHERE table_schema = current_schema() AND table_name = %s"
    )
    present = {row["column_name"] for row in await (await conn.execute(query, (physical_name,))).fetchall()}
    for column, definition in {**table.columns, **table.extra_columns}.items():
        if column not in present:
            await conn.execute(
                sql.SQL("ALTER TABLE {} ADD COLUMN IF NOT EXISTS {} {}").format(
                    sql.Identifier(physical_name), sql.Identifier(column), sql.SQL(definition)
                )
            )


def index_statements(table: Table, physical_name: str) -> list[sql.Composed]:
    """``CREATE INDEX IF NOT EXISTS`` for every secondary index, one statement each, named
    ``<table>_i<n>`` (a swap renames them with the table)."""
    # The body is the projection's own SQL; only the table name is substituted, quoted.
    quoted = sql.Identifier(physical_name).as_string()
    return [
        sql.SQL("CREATE INDEX IF NOT EXISTS {} ON {}").format(
            sql.Identifier(f"{physical_name}_i{index}"), sql.SQL(body.format(table=quoted))
        )
        for index, body in enumerate(table.indexes)
    ]
