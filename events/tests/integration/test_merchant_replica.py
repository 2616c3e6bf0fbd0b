# SPDX-License-Identifier: Apache-2.0
"""The merchant replica on PostgreSQL: folded in batches by the projection writer, read back
by its reader (also inside a pipeline, as ordering's checkout reads it), and a live table of
the shape vouchers had before the kit gaining the columns and reading safely."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from itertools import count
from uuid import UUID, uuid4

from psycopg_pool import AsyncConnectionPool

from downtown_events.catalog import (
    Address,
    MerchantApproved,
    MerchantClosed,
    MerchantProfile,
    MerchantRegistered,
    MerchantSuspended,
    MerchantTokensRevoked,
    TimeWindow,
)
from downtown_events.contract import IntegrationEvent
from downtown_events.envelope import CloudEvent
from downtown_events.runtime.merchant_replica import MerchantReader, Standing, merchant_replica
from downtown_events.runtime.projection import ProjectionWriter
from downtown_events.runtime.records import KafkaRecord, ReceivedEvent

START = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
MONDAY = TimeWindow(weekday=0, opens=time(9), closes=time(18))
_offsets = count()


def received(merchant_id: UUID, version: int, event: IntegrationEvent) -> ReceivedEvent:
    envelope = CloudEvent(
        id=str(uuid4()),
        source="/catalog",
        type=event.ce_type(),
        subject=str(merchant_id),
        time=START + timedelta(minutes=version),
        town="testtown",
        streamversion=version,
        data=event.model_dump_json().encode(),
    )
    key, value, headers = envelope.to_kafka()
    return ReceivedEvent(
        KafkaRecord("testtown.catalog.events", 0, next(_offsets), key, value, headers), envelope, event
    )


def registration(merchant_id: UUID, name: str) -> ReceivedEvent:
    profile = MerchantProfile(
        name=name,
        category="Fahrräder",
        address=Address(street="Markt 3", postal_code="48624", city="Schöppingen"),
        phone="02555 1",
        email="laden@terhaar.example",
        tax_number="DE123456789",
    )
    return received(
        merchant_id, 1, MerchantRegistered(merchant_id=merchant_id, profile=profile, opening_hours=[MONDAY])
    )


async def test_the_replica_folds_in_batches_and_reads_back_typed(pool: AsyncConnectionPool) -> None:
    replica = merchant_replica("replica_merchants")
    writer, reader = ProjectionWriter(replica), MerchantReader(replica.table)
    shop, other, unknown = uuid4(), uuid4(), uuid4()
    revoked_at = START + timedelta(days=1)
    async with pool.connection() as conn:
        await writer.create_tables(conn)
        await writer.handle(conn, [registration(shop, "Fahrrad Terhaar"), registration(other, "Eisdiele")])
        await writer.handle(  # a second batch: the rows come back from the table, jsonb and times too
            conn,
            [
                received(shop, 2, MerchantApproved(merchant_id=shop)),
                received(shop, 3, MerchantClosed(merchant_id=shop, note="Inventur")),
                received(shop, 4, MerchantTokensRevoked(merchant_id=shop, revoked_at=revoked_at)),
                received(other, 2, MerchantSuspended(merchant_id=other, reason="Prüfung")),
            ],
        )

        merchants = await reader.merchants(conn, [shop, other, unknown])
        standing, unknown_standing = await reader.standing(conn, shop), await reader.standing(conn, unknown)
        tokens = (await reader.tokens_valid_after(conn, shop), await reader.tokens_valid_after(conn, other))
        async with conn.pipeline():  # as ordering's checkout: one query sent before, both answered at once
            before = await conn.execute("SELECT 41 + 1 AS answer")
            in_pipeline = await reader.merchant(conn, shop)
        answer = await before.fetchone()

    assert set(merchants) == {shop, other}
    found = merchants[shop]
    assert found.standing == Standing(shop, "Fahrrad Terhaar", True, closed=True, approval="approved")
    assert (found.closed_note, found.tax_number, found.opening_hours, found.tokens_valid_after) == (
        "Inventur",
        "DE123456789",
        (MONDAY,),
        revoked_at,
    )
    assert found.address == Address(street="Markt 3", postal_code="48624", city="Schöppingen")
    assert merchants[other].standing.suspended and not merchants[other].standing.approved
    assert standing == found.standing and unknown_standing == Standing(unknown, "", known=False)
    assert tokens == (revoked_at, None)
    assert in_pipeline == found and answer == {"answer": 42}


async def test_a_table_from_before_gains_the_columns_and_its_rows_read_safely(pool: AsyncConnectionPool) -> None:
    """Vouchers' table as it was: a row written then reads as known, unapproved and without
    contact; the next event folds onto it."""
    merchant_id = uuid4()
    async with pool.connection() as conn:
        await conn.execute(
            "CREATE TABLE old_merchants (merchant_id uuid PRIMARY KEY, name text, closed boolean, "
            "suspended boolean, tokens_valid_after timestamptz, updated_at timestamptz)"
        )
        await conn.execute(
            "INSERT INTO old_merchants VALUES (%s, 'Eisdiele', false, false, NULL, now())", (merchant_id,)
        )
        replica = merchant_replica("old_merchants")
        reader = MerchantReader("old_merchants")
        await ProjectionWriter(replica).create_tables(conn)

        before = await reader.merchant(conn, merchant_id)
        await ProjectionWriter(replica).handle(
            conn, [received(merchant_id, 5, MerchantApproved(merchant_id=merchant_id))]
        )
        after = await reader.standing(conn, merchant_id)
        row = await (await conn.execute("SELECT * FROM old_merchants")).fetchone()

    assert before is not None
    assert before.standing == Standing(merchant_id, "Eisdiele", True, approval="none")
    assert (before.address, before.opening_hours, before.email, before.closed_note) == (None, (), "", "")
    assert after == Standing(merchant_id, "Eisdiele", True, approval="approved")
    assert row is not None and row["approval_withdrawn"] is False and row["street"] is None
