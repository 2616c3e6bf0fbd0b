# SPDX-License-Identifier: Apache-2.0
"""The event store against the real PostgreSQL: append, read, conflicts, the outbox row."""

from __future__ import annotations

import asyncio
from uuid import uuid4

import pytest
from psycopg_pool import AsyncConnectionPool

from downtown_events.catalog import OfferListed, OfferPriceChanged
from downtown_events.runtime.postgres_store import PostgresEventStore
from downtown_events.runtime.store import ConcurrencyConflict


def listed(offer_id=None):  # type: ignore[no-untyped-def]
    return OfferListed(
        offer_id=offer_id or uuid4(), merchant_id=uuid4(), kind="product", title="Wein", price_cents=1290
    )


def repriced(event: OfferListed, cents: int) -> OfferPriceChanged:
    return OfferPriceChanged(
        offer_id=event.offer_id,
        merchant_id=event.merchant_id,
        price_cents=cents,
        previous_price_cents=event.price_cents,
    )


async def test_appended_events_are_read_back_in_order_with_their_outbox_rows(pool: AsyncConnectionPool) -> None:
    store = PostgresEventStore(pool, service="catalog")
    first = listed()
    stored = await store.append(str(first.offer_id), 0, [first, repriced(first, 990), repriced(first, 890)])

    read = await store.read(str(first.offer_id))

    assert [e.version for e in read] == [1, 2, 3]
    assert [e.event for e in read] == [e.event for e in stored]
    assert [e.position for e in read] == sorted(e.position for e in read)
    async with pool.connection() as conn:
        queued = await (await conn.execute("SELECT position FROM outbox ORDER BY position")).fetchall()
    assert [row["position"] for row in queued] == [e.position for e in stored]


async def test_two_writers_at_the_same_version_one_wins_one_gets_a_conflict(pool: AsyncConnectionPool) -> None:
    store = PostgresEventStore(pool, service="catalog")
    first = listed()
    stream = str(first.offer_id)
    await store.append(stream, 0, [first])

    results = await asyncio.gather(
        store.append(stream, 1, [repriced(first, 100)]),
        store.append(stream, 1, [repriced(first, 200)]),
        return_exceptions=True,
    )

    assert sorted(type(r).__name__ for r in results) == ["ConcurrencyConflict", "list"]
    assert [e.version for e in await store.read(stream)] == [1, 2]


async def test_a_stale_or_future_expected_version_writes_nothing(pool: AsyncConnectionPool) -> None:
    store = PostgresEventStore(pool, service="catalog")
    first = listed()
    stream = str(first.offer_id)
    await store.append(stream, 0, [first, repriced(first, 100)])

    with pytest.raises(ConcurrencyConflict):
        await store.append(stream, 1, [repriced(first, 300)])  # someone appended v2 meanwhile
    with pytest.raises(ConcurrencyConflict):
        await store.append(stream, 5, [repriced(first, 300)])  # would leave a gap
    with pytest.raises(ConcurrencyConflict):
        await store.append(stream, 0, [listed(first.offer_id)])  # the stream exists

    assert [e.version for e in await store.read(stream)] == [1, 2]
    async with pool.connection() as conn:
        outbox = await (await conn.execute("SELECT count(*) AS n FROM outbox")).fetchone()
    assert outbox is not None and outbox["n"] == 2
