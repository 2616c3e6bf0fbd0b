# SPDX-License-Identifier: Apache-2.0
"""One contract, every event store: in memory (for unit tests), PostgreSQL, and PostgreSQL
inside a consumer's transaction. Whatever a handler relies on holds for all three."""

from __future__ import annotations

from collections.abc import AsyncIterator
from uuid import uuid4

import pytest
from psycopg_pool import AsyncConnectionPool

from downtown_events.catalog import OfferListed, OfferPriceChanged
from downtown_events.runtime.commands import execute
from downtown_events.runtime.memory_store import InMemoryEventStore
from downtown_events.runtime.postgres_store import PostgresEventStore, TransactionalEventStore
from downtown_events.runtime.store import Append, ConcurrencyConflict, EventStore


def listed() -> OfferListed:
    return OfferListed(offer_id=uuid4(), merchant_id=uuid4(), kind="product", title="Wein", price_cents=1290)


def repriced(event: OfferListed, cents: int) -> OfferPriceChanged:
    return OfferPriceChanged(
        offer_id=event.offer_id, merchant_id=event.merchant_id, price_cents=cents, previous_price_cents=1290
    )


@pytest.fixture(params=["memory", "postgres", "postgres-in-a-transaction"])
async def store(request: pytest.FixtureRequest, pool: AsyncConnectionPool) -> AsyncIterator[EventStore]:
    if request.param == "memory":
        yield InMemoryEventStore()
    elif request.param == "postgres":
        yield PostgresEventStore(pool, service="catalog")
    else:
        async with pool.connection() as conn, conn.transaction():
            yield TransactionalEventStore(conn, service="catalog")


async def test_events_are_read_back_in_order_with_their_versions_and_metadata(store: EventStore) -> None:
    first = listed()
    stream = str(first.offer_id)
    stored = await store.append(stream, 0, [first, repriced(first, 990)], {"request_fingerprint": "abc"})

    read = await store.read(stream)

    assert [(e.version, e.event) for e in read] == [(1, first), (2, repriced(first, 990))]
    assert [e.event_id for e in read] == [e.event_id for e in stored]
    assert all(e.metadata["request_fingerprint"] == "abc" for e in read)
    assert await store.read("no-such-stream") == []


async def test_a_stale_or_future_expected_version_writes_nothing(store: EventStore) -> None:
    first = listed()
    stream = str(first.offer_id)
    await store.append(stream, 0, [first, repriced(first, 100)])

    for expected in (0, 1, 5):
        with pytest.raises(ConcurrencyConflict):
            await store.append(stream, expected, [repriced(first, 300)])

    assert [e.version for e in await store.read(stream)] == [1, 2]


async def test_an_empty_append_writes_nothing(store: EventStore) -> None:
    assert await store.append("empty", 0, []) == []
    assert await store.read("empty") == []


class RivalFirst(EventStore):
    """Lets a rival append at the same version just before the first append goes through."""

    def __init__(self, inner: EventStore, rival: OfferPriceChanged) -> None:
        self._inner = inner
        self._rival: OfferPriceChanged | None = rival

    async def append(self, stream_id, expected_version, events, metadata=None):  # type: ignore[no-untyped-def]
        if self._rival is not None:
            rival, self._rival = self._rival, None
            await self._inner.append(stream_id, expected_version, [rival])
        return await self._inner.append(stream_id, expected_version, events, metadata)

    async def read(self, stream_id):  # type: ignore[no-untyped-def]
        return await self._inner.read(stream_id)

    def unit_of_work(self):  # type: ignore[no-untyped-def]
        return self._inner.unit_of_work()


async def test_the_command_loop_decides_again_after_a_rival_wrote_first(store: EventStore) -> None:
    first = listed()
    stream = str(first.offer_id)
    await store.append(stream, 0, [first])
    decided_on: list[int] = []

    def decide(version: int | None) -> list[OfferPriceChanged]:
        decided_on.append(version or 0)
        return [repriced(first, 100)]

    version = await execute(RivalFirst(store, repriced(first, 500)), stream, lambda history: len(history), decide)

    assert decided_on == [1, 2]  # decided again on the rival's version
    assert version == 3
    assert [type(e.event).__name__ for e in await store.read(stream)] == ["OfferListed", *["OfferPriceChanged"] * 2]


async def test_a_unit_of_work_commits_every_stream_or_none(store: EventStore) -> None:
    first, second = listed(), listed()

    class Refused(Exception):
        pass

    with pytest.raises(Refused):
        async with store.unit_of_work() as unit:
            await unit.append(str(first.offer_id), 0, [first])
            await unit.append(str(second.offer_id), 0, [second])
            raise Refused
    assert await store.read(str(first.offer_id)) == [] and await store.read(str(second.offer_id)) == []

    async with store.unit_of_work() as unit:
        await unit.append(str(first.offer_id), 0, [first])
        with pytest.raises(ConcurrencyConflict):  # undoes only itself
            await unit.append(str(first.offer_id), 0, [repriced(first, 1)])
        await unit.append(str(second.offer_id), 0, [second])
    assert [e.event for e in await store.read(str(first.offer_id))] == [first]
    assert [e.event for e in await store.read(str(second.offer_id))] == [second]


async def test_appends_together_write_every_stream_or_none(store: EventStore) -> None:
    first, second, third = listed(), listed(), listed()
    await store.append(str(first.offer_id), 0, [first])

    for stale in (0, 2):  # a stream written meanwhile; a version not reached yet
        with pytest.raises(ConcurrencyConflict) as conflict:
            await store.append_together(
                [
                    Append(str(second.offer_id), 0, [second]),
                    Append(str(first.offer_id), stale, [repriced(first, 1)]),
                ]
            )
        assert conflict.value.stream_id == str(first.offer_id)
    assert await store.read(str(second.offer_id)) == []

    await store.append_together(
        [
            Append(str(first.offer_id), 1, [repriced(first, 2)], {"request_fingerprint": "abc"}),
            Append(str(second.offer_id), 0, [second]),
            Append(str(third.offer_id), 0, []),
        ]
    )
    assert [(e.version, e.event) for e in await store.read(str(first.offer_id))] == [
        (1, first),
        (2, repriced(first, 2)),
    ]
    assert (await store.read(str(first.offer_id)))[1].metadata["request_fingerprint"] == "abc"
    assert [e.event for e in await store.read(str(second.offer_id))] == [second]
    assert await store.read(str(third.offer_id)) == []
