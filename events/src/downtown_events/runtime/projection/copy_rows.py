# SPDX-License-Identifier: Apache-2.0
"""A rebuild's rows written with ``COPY``, each value as the live upsert would have written it.

A rebuild fills empty tables nobody else writes, so it needs neither the upsert's conflict
handling nor one JSON document per batch: ``COPY`` is the fastest way into PostgreSQL. But
a rebuild is only swapped in when its checksums equal the live tables' (see ``rebuild``),
and the live writer hands PostgreSQL JSON (``statements.rows_json``), which turns a
``True`` in a text column into ``'true'`` and a ``datetime`` into its ``str``. So every value
here is converted the way that JSON converts it, column by column, decided once per table
(:func:`copy_values`): this runs for every row of a rebuild, so it does as little as it can.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import date, datetime
from decimal import Decimal
from operator import itemgetter
from typing import Any
from uuid import UUID

from psycopg import sql

from downtown_events.runtime.projection.tables import Row, Table, base_type

_TEXT_TYPES = frozenset({"text", "varchar", "character varying", "char", "character", "bpchar", "citext", "name"})
_AS_ADAPTED = frozenset({type(None), str, int, float, bool, Decimal, UUID, date, list})
"""Values psycopg hands over as text that PostgreSQL reads to what the JSON gives (plus
``datetime`` in timestamp columns); any other goes as its JSON value."""


def copy_statement(table: Table, physical_name: str) -> sql.Composed:
    return sql.SQL("COPY {table} ({cols}) FROM STDIN").format(
        table=sql.Identifier(physical_name),
        cols=sql.SQL(", ").join(map(sql.Identifier, table.column_names)),
    )


def copy_values(table: Table) -> Callable[[Row], tuple[Any, ...]]:
    """A row's values in column order for ``COPY``, as PostgreSQL gets them from the upsert's
    JSON (``statements.rows_json``), so a rebuild writes what the live writer writes: json/jsonb
    columns as that JSON, text columns as the text a JSON value casts to (``true``, a
    timestamp's ``str``), missing columns as NULL. The usual values of other columns go as
    psycopg adapts them (a UUID, a time, a number), which PostgreSQL reads to the same value;
    anything else as its JSON value (``default=str``)."""
    names = table.column_names
    bases = [base_type(table.columns[name]).lower() for name in names]
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


def _json_value(value: Any) -> Any:
    """What the upsert's JSON makes of a value: a string, number, boolean, null, list or object."""
    return json.loads(json.dumps(value, default=str))


def _json_text(value: Any) -> str | None:
    """The text PostgreSQL casts a JSON value to (``json_populate_recordset`` into a text column)."""
    plain = _json_value(value)
    if plain is None or isinstance(plain, str):
        return plain
    return json.dumps(plain)  # true/false, a number, an array or object: the JSON as written
