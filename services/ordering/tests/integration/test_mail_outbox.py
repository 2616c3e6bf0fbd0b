# SPDX-License-Identifier: AGPL-3.0-or-later
"""Ordering's e-mails queued once per event, on the real PostgreSQL, and sent to a real SMTP
server on loopback (aiosmtpd).

The notifier runs as the worker runs it: the runtime's store feed and tracking consumer
over ordering's own store, the catalog replica's merchant row, the kit's mail outbox. How the
outbox sends (at least once: a sender killed mid-send, DATA unanswered, a server down, 4xx
and 5xx, two replicas' rounds) is the kit's, tested in events/tests/integration/
test_mail_outbox.py. Waits are rounds polled against a deadline, never a fixed sleep.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import time
from collections.abc import Awaitable, Callable
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any
from uuid import UUID, uuid4
from zoneinfo import ZoneInfo

import pytest

import ordering
from downtown_events.catalog import Address
from downtown_events.contract import IntegrationEvent
from downtown_events.ordering import Fulfilment, OrderLine, OrderPlaced, Payment, TimeSlot
from downtown_events.runtime.consumer import TrackingConsumer
from downtown_events.runtime.database import Pool, migrate
from downtown_events.runtime.mail_outbox import (
    SenderPolicy,
    SmtpSettings,
    mail_outbox_counts,
    send_due_mail,
)
from downtown_events.runtime.postgres_store import PostgresEventStore
from downtown_events.runtime.projection import ProjectionWriter
from downtown_events.runtime.records import ReceivedEvent, decode_record
from downtown_events.runtime.store_feed import (
    START,
    StoreDeadLetters,
    StoreFeed,
    StoreReader,
    checkpointing,
)
from ordering.adapters.notifier import CONSUMER_NAME, Notifier, order_invoice_pdf
from ordering.app.notifier import READS, NotifierSettings
from ordering.domain import fulfilment, invoice, order
from ordering.domain.facts import MerchantFacts
from ordering.domain.private_events import OrderCustomerRecorded
from ordering.projections.catalog_replica import CatalogReplica
from tests.support.local_stack import free_port
from tests.support.mailbox import mailbox_on

MIGRATIONS = Path(ordering.__file__).parent / "migrations"
NOW = datetime.now(UTC)
HOME = Address(street="Hauptstraße 1", postal_code="48624", city="Schöppingen")
QUICK = SenderPolicy(first_retry_seconds=0, first_server_pause_seconds=0)
DEADLINE_SECONDS = 90.0
"""How long a test waits for what should happen within seconds: only a broken sender reaches it."""


def guest_token(checkout_id: UUID) -> str:
    return f"token-{checkout_id}"


SETTINGS = NotifierSettings(town_name="Schöppingen", public_url="https://bestellen.example", guest_token=guest_token)


@pytest.fixture
def smtp_port() -> int:
    return free_port()


@pytest.fixture
def smtp(smtp_port: int) -> SmtpSettings:
    return SmtpSettings(host="127.0.0.1", port=smtp_port, sender="bestellungen@schoeppingen.example")


@pytest.fixture
async def ordering_db(pool: Pool, database_url: str) -> Pool:
    """The test's database with ordering's migrations and the catalog replica's tables."""
    await asyncio.to_thread(migrate, database_url, MIGRATIONS)
    async with pool.connection() as conn:
        await ProjectionWriter(CatalogReplica()).create_tables(conn)
    return pool


async def add_merchant(pool: Pool, *, email: str = "laden@terhaar.example") -> UUID:
    merchant_id = uuid4()
    async with pool.connection() as conn:
        await conn.execute(
            "INSERT INTO ordering_merchants (merchant_id, name, street, postal_code, city, email, tax_number) "
            "VALUES (%s, 'Fahrrad Terhaar', 'Markt 3', '48624', 'Schöppingen', %s, 'DE123456789')",
            (merchant_id, email),
        )
    return merchant_id


def placed_order(merchant_id: UUID, *, email: str = "anna@example.org") -> list[IntegrationEvent]:
    order_id, checkout_id = uuid4(), uuid4()
    window = TimeSlot(starts_at=NOW + timedelta(days=1), ends_at=NOW + timedelta(days=1, hours=1))
    line = OrderLine(
        offer_id=uuid4(), kind="product", title="Fahrradschlauch", quantity=2, unit_price_cents=899, vat_rate_percent=19
    )
    placed = OrderPlaced(
        order_id=order_id,
        checkout_id=checkout_id,
        merchant_id=merchant_id,
        lines=[line],
        fulfilment=Fulfilment(method="pickup", pickup_window=window),
        payment=Payment(method="invoice"),
        goods_cents=1798,
        total_cents=1798,
        merchant_answer_by=NOW + timedelta(hours=2),
        cancellable_until=NOW + timedelta(minutes=30),
    )
    customer = OrderCustomerRecorded(
        order_id=order_id,
        checkout_id=checkout_id,
        name="Anna Beispiel",
        email=email,
        billing_address=HOME,
        guest_token_hash=hashlib.sha256(guest_token(checkout_id).encode()).hexdigest(),
    )
    return [placed, customer]


def step(history: list[IntegrationEvent], decide: Callable[[order.Order | None], list[IntegrationEvent]]) -> None:
    history += decide(order.replay(history))


async def append(pool: Pool, history: list[IntegrationEvent], start: int = 0) -> None:
    placed = history[0]
    assert isinstance(placed, OrderPlaced)
    await PostgresEventStore(pool, service="ordering").append(str(placed.order_id), start, history[start:])


def feed(pool: Pool, town: str) -> tuple[StoreFeed, TrackingConsumer, Notifier]:
    notifier = Notifier(SETTINGS)
    consumer = TrackingConsumer(
        pool,
        notifier,
        StoreDeadLetters(pool, CONSUMER_NAME),
        town=town,
        service="ordering",
        progress=checkpointing(CONSUMER_NAME),
    )
    return StoreFeed(pool, consumer, CONSUMER_NAME, StoreReader(town=town, service="ordering")), consumer, notifier


async def outbox(pool: Pool) -> list[dict[str, Any]]:
    async with pool.connection() as conn:
        cursor = await conn.execute("SELECT * FROM mail_outbox ORDER BY about")
        return list(await cursor.fetchall())


async def fed(pool: Pool, town: str, *, mails: int) -> None:
    store_feed, _, _ = feed(pool, town)
    await queued(pool, store_feed, mails=mails)


async def queued(pool: Pool, store_feed: StoreFeed, *, mails: int) -> None:
    """Feeds the notifier until ``mails`` are in the outbox. The feed reads only what
    transactions that ended before every one still open on the server wrote (its xmin
    rule), so a transaction another test keeps open on the shared server holds it back a
    while."""
    count = 0

    async def feed_and_count() -> None:
        nonlocal count
        await store_feed.feed_once()
        count = len(await outbox(pool))

    await until(feed_and_count, lambda: count >= mails)


async def until(step: Callable[[], Awaitable[object]], done: Callable[[], bool]) -> None:
    deadline = time.monotonic() + DEADLINE_SECONDS
    while not done():
        assert time.monotonic() < deadline, f"not done within {DEADLINE_SECONDS} s"
        await step()
        await asyncio.sleep(0.02)


async def test_each_event_queues_its_mails_once_however_often_it_is_delivered(ordering_db: Pool, town: str) -> None:
    pool = ordering_db
    merchant_id = await add_merchant(pool)
    history = placed_order(merchant_id)
    await append(pool, history)
    step(history, order.record_stock_reserved)
    step(history, lambda state: order.accept(state, now=NOW))
    step(history, fulfilment.mark_ready_for_pickup)
    step(history, lambda state: fulfilment.hand_over(state, paid_cents=0))
    shop = MerchantFacts(
        merchant_id,
        "Fahrrad Terhaar",
        approved=True,
        tax_number="DE123456789",
        address=Address(street="Markt 3", postal_code="48624", city="Schöppingen"),
    )
    decision = invoice.invoice_order(
        None, order.replay(history), merchant=shop, today=date.today(), standard_vat_percent=19
    )
    history += decision.order_events
    await append(pool, history, start=2)

    store_feed, consumer, notifier = feed(pool, town)
    await queued(pool, store_feed, mails=6)
    rows = await outbox(pool)
    abouts = [row["about"] for row in rows]
    assert abouts == [
        "InvoiceIssued:customer",
        "OrderConfirmed:customer",
        "OrderHandedOver:customer",
        "OrderPlaced:customer",
        "OrderPlaced:merchant",
        "OrderReadyForPickup:customer",
    ]
    (invoice_row,) = [row for row in rows if row["about"] == "InvoiceIssued:customer"]
    (attachment,) = invoice_row["attachments"]
    assert attachment["content_type"] == "application/pdf" and attachment["filename"].startswith("Rechnung-RE-")
    async with pool.connection() as conn:  # what the API serves is what the mail carried
        served = await order_invoice_pdf(conn, history[0].order_id, ZoneInfo("Europe/Berlin"))  # type: ignore[attr-defined]
    assert base64.b64decode(attachment["content"]) == served and served.startswith(b"%PDF-")
    async with pool.connection() as conn:  # the shop renamed, moved and dropped its tax number since
        await conn.execute(
            "UPDATE ordering_merchants SET name = 'Terhaar Räder', street = 'Neuer Weg 9', tax_number = NULL "
            "WHERE merchant_id = %s",
            (merchant_id,),
        )
        assert await order_invoice_pdf(conn, history[0].order_id, ZoneInfo("Europe/Berlin")) == served  # type: ignore[attr-defined]

    # The feed delivers the same records again (a crash before its checkpoint was read back):
    # the tracking rows drop them.
    async with pool.connection() as conn:
        batch = await StoreReader(town=town, service="ordering").read(conn, START)
    await consumer.process(batch.records)
    # And the notifier itself, handed the same events without tracking (a replay): the
    # outbox's keys drop them.
    events = [decode_record(record, town, READS) for record in batch.records]
    received = [event for event in events if isinstance(event, ReceivedEvent)]
    assert len(received) == 5  # placed, confirmed, ready, handed over, invoiced
    async with pool.connection() as conn, conn.transaction():
        await notifier.handle(conn, received)
    assert [row["about"] for row in await outbox(pool)] == abouts


async def test_events_older_than_two_days_send_no_mail(ordering_db: Pool, town: str) -> None:
    pool = ordering_db
    await append(pool, placed_order(await add_merchant(pool)))
    async with pool.connection() as conn:  # as if the notifier started on an old store
        await conn.execute("UPDATE events SET recorded_at = now() - interval '3 days'")
    await append(pool, placed_order(await add_merchant(pool)))
    await fed(pool, town, mails=2)
    assert len(await outbox(pool)) == 2  # the recent order's two mails only


async def test_the_sender_delivers_to_the_smtp_server_once(ordering_db: Pool, town: str, smtp: SmtpSettings) -> None:
    pool = ordering_db
    await append(pool, placed_order(await add_merchant(pool)))
    await fed(pool, town, mails=2)

    with mailbox_on(smtp.port) as mailbox:
        assert await send_due_mail(pool, smtp, QUICK) == 2
        assert await send_due_mail(pool, smtp, QUICK) == 0
    assert sorted(str(message["To"]) for message in mailbox.messages) == [
        "Anna Beispiel <anna@example.org>",
        "Fahrrad Terhaar <laden@terhaar.example>",
    ]
    (customer,) = mailbox.to("anna@example.org")
    assert customer.get_content_type() == "text/plain"
    assert "https://bestellen.example/orders/" in str(customer.get_content())
    async with pool.connection() as conn:
        assert (await mail_outbox_counts(conn))["sent"] == 2
