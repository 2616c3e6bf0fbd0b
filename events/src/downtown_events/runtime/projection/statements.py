# SPDX-License-Identifier: Apache-2.0
"""The live writer's SQL: rows read, upserted and deleted by key, a batch at a time.

Every statement takes all of a batch's keys or rows as *one* parameter, so a batch costs
one round trip per table whatever its size: keys as an array cast to the key column's own
type, rows as one JSON array that PostgreSQL turns into the table's row type
(``json_populate_recordset``). The JSON is also the reference a rebuild's ``COPY`` matches
value for value (see ``copy_rows``), so a rebuilt table's checksum equals the live one's.
"""

from __future__ import annotations

import json
from collections.abc import Sequence

from psycopg import sql

from downtown_events.runtime.projection.tables import Row, Table, array_type


def typed_keys(table: Table) -> sql.Composable:
    """The key list cast to the key column's own type: compared as text, or planned
    generically once psycopg prepares the statement, the primary key index goes unused
    and every batch scans the whole table."""
    return sql.SQL("%s::{}[]").format(sql.SQL(array_type(table.columns[table.key])))


def select_by_keys(table: Table, physical_name: str) -> sql.Composed:
    """The written columns of the rows under a list of keys."""
    return sql.SQL("SELECT {cols} FROM {table} WHERE {key} = ANY({keys})").format(
        cols=sql.SQL(", ").join(map(sql.Identifier, table.column_names)),
        table=sql.Identifier(physical_name),
        key=sql.Identifier(table.key),
        keys=typed_keys(table),
    )


def delete_by_keys(table: Table, physical_name: str) -> sql.Composed:
    return sql.SQL("DELETE FROM {table} WHERE {key} = ANY({keys})").format(
        table=sql.Identifier(physical_name), key=sql.Identifier(table.key), keys=typed_keys(table)
    )


def upsert(table: Table, physical_name: str) -> sql.Composed:
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


def rows_json(table: Table, rows: Sequence[Row]) -> str:
    """The rows as one JSON array (UUIDs and timestamps as strings, jsonb columns nested)."""
    names = table.column_names
    return json.dumps([{column: row.get(column) for column in names} for row in rows], default=str)


def checksum_query(table: Table, physical_name: str) -> sql.Composed:
    """Row count and an order-independent MD5 of the written columns (not the generated
    ones: PostgreSQL computes those the same way on both sides)."""
    return sql.SQL(
        "SELECT count(*) AS count, "
        "coalesce(md5(string_agg(md5(({cols})::text), '' ORDER BY {key}::text)), '') AS checksum FROM {table}"
    ).format(
        cols=sql.SQL("ROW({})").format(sql.SQL(", ").join(map(sql.Identifier, table.column_names))),
        key=sql.Identifier(table.key),
        table=sql.Identifier(physical_name),
    )
