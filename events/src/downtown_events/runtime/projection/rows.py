# SPDX-License-Identifier: Apache-2.0
"""The rows a policy sees: plain dicts in memory, so a policy needs no database to be tested.

The writer loads the rows a batch touches into a :class:`RowSet`, the policy changes them
there, and the writer writes back only what :attr:`RowSet.changed` names. A rebuild keeps
one RowSet for the whole log (see ``rebuild_fold``), which is why a key's text is cached
and why views (:meth:`RowSet.only`, :meth:`RowSet.shards`) share the rows, never copy them.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any
from uuid import UUID

from downtown_events.runtime.projection.tables import Row, Table


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
