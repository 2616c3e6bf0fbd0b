# SPDX-License-Identifier: Apache-2.0
"""The policy half of a projection: which rows an event touches and how they change.

A policy declares its tables and works on a :class:`RowSet` only, never on SQL or a
connection: the live writer, a rebuild in one process and a rebuild in two all run the
same policy, and a unit test runs it in microseconds.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Iterable, Sequence
from typing import Any, ClassVar

from downtown_events.contract import IntegrationEvent
from downtown_events.runtime.projection.rows import RowSet
from downtown_events.runtime.projection.tables import Row, Table
from downtown_events.runtime.records import ReceivedEvent


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
