# SPDX-License-Identifier: Apache-2.0
"""A rebuild folded in two processes gives exactly what one process gives, or falls back to one.

Three policies over the same log of listings on four partitions: rows keyed by the stream
(combined as they are), rows counted from every partition with a merge (combined by it),
and the same counting without a merge (folded again in one process).
"""

from __future__ import annotations

import array
import fcntl
import random
import termios
import time
from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Any
from uuid import UUID, uuid4

import pytest
from psycopg_pool import AsyncConnectionPool

from downtown_events.catalog import OfferListed, OfferPriceChanged
from downtown_events.envelope import CloudEvent
from downtown_events.runtime import rebuild_fold
from downtown_events.runtime.kafka import ensure_topics, reliable_producer
from downtown_events.runtime.projection import REBUILD, Projection, Row, RowSet, Table, table_checksums
from downtown_events.runtime.rebuild import ProjectionRebuild
from downtown_events.runtime.rebuild_sources import KafkaTopics
from downtown_events.runtime.records import ReceivedEvent
from downtown_events.topics import event_source, events_topic

PRICES = Table(name="offer_prices", key="offer_id", columns={"offer_id": "uuid", "price_cents": "integer"})
COUNTS = Table(name="merchant_listings", key="merchant_id", columns={"merchant_id": "uuid", "listed": "integer"})


class OfferPrices(Projection):
    """Each row is its own stream's: the two folds never touch the same row."""

    name = "offer_prices"
    tables = (PRICES,)
    event_types = (OfferListed, OfferPriceChanged)
    parallel_rebuild = True

    def touches(self, event: ReceivedEvent) -> Iterable[tuple[Table, Any]]:
        return [(PRICES, event.event.offer_id)]

    def evolve(self, rows: RowSet, event: ReceivedEvent) -> None:
        data = event.event
        if isinstance(data, OfferListed):
            rows.put(PRICES, {"offer_id": data.offer_id, "price_cents": data.price_cents})
        elif (row := rows.get(PRICES, data.offer_id)) is not None:
            rows.put(PRICES, {**row, "price_cents": data.price_cents})


class ListingsPerMerchant(Projection):
    """A merchant's row is counted from offers on every partition."""

    name = "merchant_listings"
    tables = (COUNTS,)
    event_types = (OfferListed,)
    parallel_rebuild = True

    def touches(self, event: ReceivedEvent) -> Iterable[tuple[Table, Any]]:
        return [(COUNTS, event.event.merchant_id)]

    def evolve(self, rows: RowSet, event: ReceivedEvent) -> None:
        merchant_id = event.event.merchant_id
        row = rows.get(COUNTS, merchant_id) or {"merchant_id": merchant_id, "listed": 0}
        rows.put(COUNTS, {**row, "listed": row["listed"] + 1})


class MergedListingsPerMerchant(ListingsPerMerchant):
    name = "merged_listings"

    def merge(self, table: Table, first: Row | None, second: Row | None) -> Row | None:
        if first is None or second is None:
            return second if first is None else first
        return {**first, "listed": first["listed"] + second["listed"]}


async def publish(town: str, bootstrap: str) -> str:
    """600 offers of five merchants on four partitions, each re-priced up to three times."""
    await ensure_topics(bootstrap, town, "catalog", partitions=4)
    topic, source, rng = events_topic(town, "catalog"), event_source(town, "catalog"), random.Random(3)
    merchants = [uuid4() for _ in range(5)]
    producer = reliable_producer(bootstrap, client_id="test")
    await producer.start()
    try:
        sent = []
        for _ in range(600):
            offer_id, merchant_id = uuid4(), rng.choice(merchants)
            events: list[OfferListed | OfferPriceChanged] = [
                OfferListed(offer_id=offer_id, merchant_id=merchant_id, kind="product", title="Tee", price_cents=100)
            ]
            for price in range(rng.randrange(4)):
                events.append(
                    OfferPriceChanged(
                        offer_id=offer_id, merchant_id=merchant_id, price_cents=price, previous_price_cents=1
                    )
                )
            for version, event in enumerate(events, start=1):
                key, value, headers = _record(town, source, offer_id, version, event)
                sent.append(await producer.send(topic, value=value, key=key, headers=headers))
        for future in sent:
            await future
    finally:
        await producer.stop()
    return topic


def _record(town: str, source: str, offer_id: UUID, version: int, event: Any) -> tuple[bytes, bytes, list[Any]]:
    envelope = CloudEvent(
        str(uuid4()), source, type(event).ce_type(), str(offer_id), datetime.now(UTC), town, version,
        event.model_dump_json().encode(),
    )  # fmt: skip
    return envelope.to_kafka()


async def rebuilt(pool: AsyncConnectionPool, projection: Projection, town: str, topic: str, processes: int) -> Any:
    source = KafkaTopics([topic], "127.0.0.1:19092")
    job = ProjectionRebuild(pool, projection, town=town, source=source, processes=processes, parallel_from=0)
    report = await job.run(swap=False, live_wait_seconds=0)
    async with pool.connection() as conn:
        checksums = await table_checksums(conn, projection, REBUILD)
        tracking = await (
            await conn.execute(
                "SELECT count(*) AS streams, sum(version) AS versions FROM tracking WHERE consumer = %s",
                (projection.consumer_name + "@rebuild",),
            )
        ).fetchone()
    return checksums, tracking, report.events_read


@pytest.fixture
async def topic(town: str, kafka_bootstrap: str) -> str:
    return await publish(town, kafka_bootstrap)


@pytest.fixture(autouse=True)
def both_take_partitions(monkeypatch: pytest.MonkeyPatch) -> None:
    """On a log this small the first process could take every partition before the helper
    has connected: it takes its first only once the helper has taken one."""
    claim = rebuild_fold.Helper.claim

    def after_the_helper(self: rebuild_fold.Helper) -> int | None:
        deadline = time.monotonic() + 10
        while not getattr(self, "waited", False) and time.monotonic() < deadline:
            waiting = array.array("i", [0])
            fcntl.ioctl(self._claims, termios.FIONREAD, waiting)
            if waiting[0] < 4 * 4:  # four partitions' tokens of four bytes
                break
            time.sleep(0.01)
        self.waited = True  # type: ignore[attr-defined]
        return claim(self)

    monkeypatch.setattr(rebuild_fold.Helper, "claim", after_the_helper)


@pytest.mark.parametrize("projection", [OfferPrices(), MergedListingsPerMerchant(), ListingsPerMerchant()])
async def test_two_processes_fold_what_one_folds(
    pool: AsyncConnectionPool, town: str, topic: str, projection: Projection
) -> None:
    assert await rebuilt(pool, projection, town, topic, 2) == await rebuilt(pool, projection, town, topic, 1)


async def test_a_helper_that_dies_leaves_its_partitions_to_the_first_process(
    pool: AsyncConnectionPool, town: str, topic: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    receive = rebuild_fold.Helper.receive

    async def killed_first(self: rebuild_fold.Helper, kind: int) -> Any:
        if kind == rebuild_fold.FOLDED:
            self._process.kill()
            self._process.join()
        return await receive(self, kind)

    alone = await rebuilt(pool, OfferPrices(), town, topic, 1)
    monkeypatch.setattr(rebuild_fold.Helper, "receive", killed_first)
    assert await rebuilt(pool, OfferPrices(), town, topic, 2) == alone
