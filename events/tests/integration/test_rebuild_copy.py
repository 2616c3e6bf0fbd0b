# SPDX-License-Identifier: Apache-2.0
"""A rebuild COPYs its rows where the live writer upserts them from JSON: the tables must agree."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from enum import StrEnum
from typing import Any
from uuid import UUID, uuid4

from psycopg_pool import AsyncConnectionPool

from downtown_events.runtime.projection import (
    LIVE,
    REBUILD,
    Projection,
    ProjectionWriter,
    RowSet,
    Table,
    table_checksums,
)
from downtown_events.runtime.records import ReceivedEvent

MIXED = Table(
    name="mixed_values",
    key="id",
    columns={
        "id": "uuid",
        "label": "text",
        "count": "integer",
        "total": "bigint NULL",
        "amount": "numeric",
        "flag": "boolean",
        "day": "date",
        "at": "timestamptz",
        "doc": "jsonb",
    },
)


class Mixed(Projection):
    name = "mixed_values"
    tables = (MIXED,)

    def touches(self, event: ReceivedEvent) -> Iterable[tuple[Table, Any]]:
        return []

    def evolve(self, rows: RowSet, event: ReceivedEvent) -> None:
        return None


class Colour(StrEnum):
    RED = "red"


AT = datetime(2026, 3, 1, 9, 30, 15, 123456, tzinfo=UTC)


def rows() -> list[dict[str, Any]]:
    """What policies put in rows, sloppy ones included: the writer's JSON decides what they mean."""
    odd: list[dict[str, Any]] = [
        {"label": "Käse\tund Brot", "count": 3, "total": 2**40, "amount": Decimal("12.50"), "flag": True},
        {"label": True, "count": "5", "flag": False, "day": date(2026, 3, 1), "at": AT},
        {"label": 12, "amount": 3, "day": "2026-03-02", "at": "2026-03-01 10:00:00+01:00"},
        {"label": AT, "at": date(2026, 3, 3), "doc": {"kind": "product", "windows": [{"opens": "09:00"}]}},
        {"label": uuid4(), "doc": ["Käse", 1, None, True]},
        {"label": Colour.RED, "doc": "just a string"},
        {"label": {"not": "text"}, "doc": {"at": AT, "id": UUID(int=7)}},
        {"label": [1, "zwei"], "count": None},
        {"label": 1.5, "day": AT, "at": AT - timedelta(days=400)},
        {"doc": None},
    ]
    return [{"id": uuid4(), **row} for row in odd]


async def test_copied_rows_equal_upserted_ones(pool: AsyncConnectionPool) -> None:
    live, rebuilt = ProjectionWriter(Mixed(), LIVE), ProjectionWriter(Mixed(), REBUILD)
    written = RowSet()
    for row in rows():
        written.put(MIXED, row)
    async with pool.connection() as conn:
        await live.create_tables(conn)
        await rebuilt.create_tables(conn)
        await live.write(conn, written)
        await rebuilt.copy(conn, written)
        assert await table_checksums(conn, Mixed(), REBUILD) == await table_checksums(conn, Mixed(), LIVE)
        assert (await table_checksums(conn, Mixed(), LIVE))["mixed_values"][0] == 10
