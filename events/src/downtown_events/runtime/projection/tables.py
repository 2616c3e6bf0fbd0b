# SPDX-License-Identifier: Apache-2.0
"""The table language: how a projection describes its tables, in its own module's code.

A :class:`Table` is a name, a key column, the columns the policy writes (name -> SQL type,
written as PostgreSQL spells it) and what PostgreSQL computes itself (generated columns,
secondary indexes). That is all the writer needs to create the table, read rows by key,
upsert, delete, ``COPY`` and checksum them; the types are kept as SQL text because they are
the projection's own, declared in code and never taken from input (see decision 36 for why
this is not SQLAlchemy Core).

:class:`TableNames` maps a declared name to a physical one, so that one policy fills the
live tables or a rebuild's tables beside them (``<table>__rebuild``).
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

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


def base_type(sql_type: str) -> str:
    """A column's type without its constraints (``text NOT NULL`` -> ``text``): what a value
    is converted to, or an array of keys cast to."""
    return re.split(r"\s+(?:NOT\s+NULL|NULL|DEFAULT|CHECK|REFERENCES)\b", sql_type, flags=re.IGNORECASE)[0]


def array_type(sql_type: str) -> str:
    """The element type of an array of this column's values (keys compared with ``= ANY``):
    the column type without constraints; jsonb travels as text."""
    base = base_type(sql_type)
    return "text" if base.startswith("jsonb") else base
