# SPDX-License-Identifier: Apache-2.0
"""Projections: read models folded from the event log, disposable and rebuildable.

A projection is a pure policy plus a writer, the two kept apart:

- the **policy** (a :class:`Projection` subclass, ``policy``) declares its tables and says,
  for one event, which rows it touches and how they change, on plain dicts (:class:`RowSet`,
  ``rows``); no SQL, no I/O, so it is unit-tested in microseconds;
- the **writer** (:class:`ProjectionWriter`, ``writer``) does the I/O per *batch*: load the
  touched rows in one query per table, run the policy over the batch in memory, write the
  results back with one upsert and one delete per table. That is what makes a rebuild
  from offset zero fast.

Tables are described in a small table language of their own (:class:`Table`, ``tables``),
from which come the DDL (``ddl``), the live writer's statements (``statements``) and a
rebuild's ``COPY`` (``copy_rows``); decision 36 says why it is not SQLAlchemy Core. Table
names are resolved through :class:`TableNames`, so the same policy fills the live tables
or a rebuild's tables beside them (``<table>__rebuild``).
"""

from __future__ import annotations

from downtown_events.runtime.projection.policy import CannotMerge, Projection
from downtown_events.runtime.projection.rows import RowSet
from downtown_events.runtime.projection.tables import LIVE, REBUILD, REBUILD_SUFFIX, Row, Table, TableNames
from downtown_events.runtime.projection.writer import ProjectionWriter, table_checksums

__all__ = [
    "LIVE",
    "REBUILD",
    "REBUILD_SUFFIX",
    "CannotMerge",
    "Projection",
    "ProjectionWriter",
    "Row",
    "RowSet",
    "Table",
    "TableNames",
    "table_checksums",
]
