# SPDX-License-Identifier: Apache-2.0
"""The delivery terms replica: the town's latest :class:`~downtown_events.dispatch.DeliveryTermsSet`
in a table of a service that prices or offers delivery, written once here.

Dispatch publishes the town's terms whole on ``<town>.dispatch.events`` (zones, fee rules,
slots and rounds, lead time); ordering checks a door and prices a checkout by them, the
catalog says who delivers where, without asking dispatch. A service declares the replica
with its table, as it does the merchant replica:

    DELIVERY_TERMS = delivery_terms_replica("ordering_delivery_terms")  # the projection ``delivery_terms``

registers it among its projections (``make rebuild PROJECTION=delivery_terms`` rebuilds it)
and reads it with a :class:`DeliveryTermsReader` over the same table: ``None`` until dispatch
has published terms (the service then keeps to what it did without them).

One row, keyed ``current``: the terms kept whole (jsonb, as the event says them, so a
reader gets the event back and the arithmetic of :mod:`downtown_events.delivery` works on
it), with the stream and version and the moment they were set. Each set replaces the one
before; a town has one terms stream, but should a second one appear (terms set anew under
another id), the later moment wins, so two streams read from two partitions in any order
end the same.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, ClassVar

from psycopg import sql

from downtown_events.dispatch import DeliveryTermsSet
from downtown_events.runtime.database import Connection
from downtown_events.runtime.projection import Projection, Row, RowSet, Table
from downtown_events.runtime.records import ReceivedEvent

CURRENT = "current"
"""The key of the one row: the town's terms now."""
DELIVERY_TERMS_COLUMNS: dict[str, str] = {
    "terms_key": "text",
    "terms_id": "uuid",
    "stream_version": "bigint",
    "terms": "jsonb",
    "set_at": "timestamptz",
}


def delivery_terms_table(name: str) -> Table:
    """The replica's table under a service's own name for it."""
    return Table(name=name, key="terms_key", columns=DELIVERY_TERMS_COLUMNS)


class DeliveryTermsReplica(Projection):
    """Dispatch's latest terms in one row (:func:`delivery_terms_replica` declares one)."""

    table: ClassVar[Table]
    event_types = (DeliveryTermsSet,)
    sources = ("dispatch",)

    def touches(self, event: ReceivedEvent) -> Iterable[tuple[Table, Any]]:
        return [(self.table, CURRENT)] if isinstance(event.event, DeliveryTermsSet) else []

    def evolve(self, rows: RowSet, event: ReceivedEvent) -> None:
        data = event.event
        if not isinstance(data, DeliveryTermsSet):
            return
        row = {
            "terms_key": CURRENT,
            "terms_id": data.terms_id,
            "stream_version": event.envelope.streamversion,
            "terms": data.model_dump(mode="json"),
            "set_at": event.envelope.time,
        }
        if _later(row, rows.get(self.table, CURRENT)):
            rows.put(self.table, row)


def _later(row: Row, than: Row | None) -> bool:
    """Whether ``row``'s terms replace ``than``'s: a later version of the same stream, or a
    set at a later moment (of another stream; the same moment: the one read last)."""
    if than is None:
        return True
    if row["terms_id"] == than["terms_id"]:
        return bool(row["stream_version"] >= than["stream_version"])
    return bool(row["set_at"] >= than["set_at"])


def delivery_terms_replica(table_name: str, *, name: str = "delivery_terms") -> DeliveryTermsReplica:
    """The replica a service declares: ``name`` is the projection's (its consumer, and what
    ``make rebuild PROJECTION=`` takes), ``table_name`` its table's, unique in the service."""
    projection_name = name  # in the class body, ``name = name`` would look ``name`` up in the class

    class Declared(DeliveryTermsReplica):  # a class per declaration: a projection's name and tables are its class's
        name = projection_name
        table = delivery_terms_table(table_name)
        tables = (table,)

    return Declared()


def terms_of(row: Row | None) -> DeliveryTermsSet | None:
    """The terms a replica row holds (None: no row, dispatch has published none yet)."""
    return None if row is None or row.get("terms") is None else DeliveryTermsSet.model_validate(row["terms"])


class DeliveryTermsReader:
    """A delivery terms replica's table read on the caller's connection."""

    def __init__(self, table: Table | str) -> None:
        name = sql.Identifier(table.name if isinstance(table, Table) else table)
        self._current = sql.SQL("SELECT terms FROM {} WHERE terms_key = %s").format(name)

    async def current(self, conn: Connection) -> DeliveryTermsSet | None:
        """The town's terms now, as the replica has heard (None: none published yet)."""
        row = await (await conn.execute(self._current, (CURRENT,))).fetchone()
        return terms_of(row)
