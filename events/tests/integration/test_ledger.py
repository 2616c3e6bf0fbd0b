# SPDX-License-Identifier: Apache-2.0
"""A whole log exported from one instance and imported into another: the same events, byte for byte."""

from __future__ import annotations

import io
from uuid import uuid4

import pytest
from psycopg_pool import AsyncConnectionPool

from conftest import Databases
from downtown_events.catalog import OfferListed, OfferPriceChanged
from downtown_events.runtime.database import migrate, open_pool
from downtown_events.runtime.ledger import InvalidLog, export_log, import_log
from downtown_events.runtime.postgres_store import PostgresEventStore
from tests.support.private_events import SecretNoted

EVENTS_TEXT = (
    "SELECT stream_id, version, published_version, event_id, event_type, data::text AS data, metadata::text AS m "
    "FROM events"
)


async def fill(pool: AsyncConnectionPool) -> None:
    store = PostgresEventStore(pool, service="catalog")
    for n in range(20):
        listed = OfferListed(offer_id=uuid4(), merchant_id=uuid4(), kind="product", title=f"Käse {n}", price_cents=n)
        changed = OfferPriceChanged(
            offer_id=listed.offer_id, merchant_id=listed.merchant_id, price_cents=n + 1, previous_price_cents=n
        )
        await store.append(str(listed.offer_id), 0, [listed, changed], {"request_fingerprint": f"fp{n}"})
    await store.append("secret", 0, [SecretNoted(holder_id="h", secret_hash="s")])


async def rows(pool: AsyncConnectionPool, query: str) -> list[dict[str, object]]:
    async with pool.connection() as conn:
        return list(await (await conn.execute(query)).fetchall())


async def test_an_exported_log_imports_into_an_empty_instance_as_it_was(
    pool: AsyncConnectionPool, databases: Databases, town: str
) -> None:
    await fill(pool)
    exported = io.StringIO()
    summary = await export_log(pool, exported, service="catalog", town=town)
    assert summary.events == 41

    target_url = databases.create(town, "target")
    migrate(target_url)
    target = await open_pool(target_url, max_size=2, name="target")
    try:
        imported = await import_log(target, iter(exported.getvalue().splitlines(keepends=True)), service="catalog")
        assert (imported.events, imported.sha256) == (summary.events, summary.sha256)
        assert await rows(target, EVENTS_TEXT + " ORDER BY position") == await rows(
            pool, EVENTS_TEXT + " ORDER BY position"
        )
        # Published events are queued for the new instance's topics; the private one is not.
        queued = await rows(target, "SELECT count(*) AS n FROM outbox")
        assert queued == [{"n": 40}]
        with pytest.raises(InvalidLog, match="not empty"):
            await import_log(target, iter(exported.getvalue().splitlines(keepends=True)), service="catalog")
    finally:
        await target.close()


async def test_a_truncated_or_foreign_log_imports_nothing(
    pool: AsyncConnectionPool, databases: Databases, town: str
) -> None:
    await fill(pool)
    exported = io.StringIO()
    await export_log(pool, exported, service="catalog", town=town)
    lines = exported.getvalue().splitlines(keepends=True)

    target_url = databases.create(town, "target")
    migrate(target_url)
    target = await open_pool(target_url, max_size=2, name="target")
    try:
        with pytest.raises(InvalidLog, match="truncated"):
            await import_log(target, iter(lines[:-1]), service="catalog")
        with pytest.raises(InvalidLog, match="jumps to version"):
            await import_log(target, iter([*lines[:1], *lines[2:]]), service="catalog")  # an event left out
        altered = [line.replace("Käse 3", "Käse 9") for line in lines]
        with pytest.raises(InvalidLog, match="altered"):
            await import_log(target, iter(altered), service="catalog")
        with pytest.raises(InvalidLog, match="vouchers"):
            await import_log(target, iter(lines), service="vouchers")
        assert await rows(target, "SELECT count(*) AS n FROM events") == [{"n": 0}]
    finally:
        await target.close()
