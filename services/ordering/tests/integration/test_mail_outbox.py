"""E-mails once per event, on the real PostgreSQL and a real SMTP server on loopback (aiosmtpd).

The notifier runs as the worker runs it: the runtime's store feed and tracking consumer
over ordering's own store, the catalog replica's merchant row, the mail outbox. The sender
runs as the scheduled job's round; one test kills a sender process (SIGKILL) right after the
SMTP server took a message and checks that the next round does not send it again.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import hashlib
import os
import signal
import subprocess
import sys
from collections.abc import Callable, Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any
from uuid import UUID, uuid4
from zoneinfo import ZoneInfo

import pytest
from aiosmtpd.controller import Controller

import ordering
from downtown_events.catalog import Address
from downtown_events.contract import IntegrationEvent
from downtown_events.ordering import Fulfilment, OrderLine, OrderPlaced, Payment, TimeSlot
from downtown_events.runtime.consumer import TrackingConsumer
from downtown_events.runtime.database import Pool, migrate
from downtown_events.runtime.jobs import ScheduledJob, run_once
from downtown_events.runtime.projection import ProjectionWriter
from downtown_events.runtime.records import ReceivedEvent, decode_record
from downtown_events.runtime.store import PostgresEventStore
from downtown_events.runtime.store_feed import (
    START,
    StoreDeadLetters,
    StoreFeed,
    StoreReader,
    checkpointing,
)
from ordering.adapters.mail import SenderPolicy, SmtpSettings, mail_outbox_counts, send_due_mail, send_mail_job
from ordering.adapters.notifier import CONSUMER_NAME, Notifier, order_invoice_pdf
from ordering.app.notifier import READS, NotifierSettings
from ordering.domain import fulfilment, invoice, order
from ordering.domain.private_events import OrderCustomerRecorded
from ordering.projections.catalog_replica import CatalogReplica
from ordering.settings import OrderingSettings
from tests.support.local_stack import free_port
from tests.support.mailbox import Mailbox

MIGRATIONS = Path(ordering.__file__).parent / "migrations"
NOW = datetime.now(UTC)
HOME = Address(street="Hauptstraße 1", postal_code="48624", city="Schöppingen")
QUICK = SenderPolicy(first_retry_seconds=0, first_server_pause_seconds=0)


def guest_token(checkout_id: UUID) -> str:
    return f"token-{checkout_id}"


SETTINGS = NotifierSettings(town_name="Schöppingen", public_url="https://bestellen.example", guest_token=guest_token)


@contextlib.contextmanager
def mailbox_on(port: int) -> Iterator[Mailbox]:
    mailbox = Mailbox(port)
    controller = Controller(mailbox, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield mailbox
    finally:
        controller.stop()


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


async def test_each_event_queues_its_mails_once_however_often_it_is_delivered(ordering_db: Pool, town: str) -> None:
    pool = ordering_db
    merchant_id = await add_merchant(pool)
    history = placed_order(merchant_id)
    await append(pool, history)
    step(history, order.record_stock_reserved)
    step(history, lambda state: order.accept(state, now=NOW))
    step(history, fulfilment.mark_ready_for_pickup)
    step(history, lambda state: fulfilment.hand_over(state, paid_cents=0))
    decision = invoice.invoice_order(None, order.replay(history), today=date.today(), standard_vat_percent=19)
    history += decision.order_events
    await append(pool, history, start=2)

    store_feed, consumer, notifier = feed(pool, town)
    while await store_feed.feed_once():
        pass
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
    store_feed, _, _ = feed(pool, town)
    while await store_feed.feed_once():
        pass
    assert len(await outbox(pool)) == 2  # the recent order's two mails only


async def test_the_sender_delivers_to_the_smtp_server_once(ordering_db: Pool, town: str, smtp: SmtpSettings) -> None:
    pool = ordering_db
    await append(pool, placed_order(await add_merchant(pool)))
    store_feed, _, _ = feed(pool, town)
    await store_feed.feed_once()

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


async def test_a_server_that_is_down_gets_the_mail_later_and_nothing_is_lost(
    ordering_db: Pool, town: str, smtp: SmtpSettings
) -> None:
    pool = ordering_db
    await append(pool, placed_order(await add_merchant(pool)))
    store_feed, _, _ = feed(pool, town)
    await store_feed.feed_once()

    pausing = SenderPolicy(first_server_pause_seconds=0.5)
    assert await send_due_mail(pool, smtp, pausing) == 0  # nobody listens on the port
    rows = await outbox(pool)
    assert [row["status"] for row in rows] == ["pending", "pending"]
    assert any("Connect call failed" in str(row["last_error"]) for row in rows)

    with mailbox_on(smtp.port) as mailbox:
        assert await send_due_mail(pool, smtp, pausing) == 0  # the server is left alone a while
        assert mailbox.messages == []
        await asyncio.sleep(0.6)
        assert await send_due_mail(pool, smtp, pausing) == 2
    assert len(mailbox.messages) == 2
    async with pool.connection() as conn:
        counts = await mail_outbox_counts(conn)
    assert counts["sent"] == 2 and counts["pending"] == 0


async def test_a_mail_refused_for_now_is_tried_again_and_one_refused_for_good_is_not(
    ordering_db: Pool, town: str, smtp: SmtpSettings
) -> None:
    pool = ordering_db
    await append(pool, placed_order(await add_merchant(pool), email="later@example.org"))
    await append(pool, placed_order(await add_merchant(pool), email="never@example.org"))
    store_feed, _, _ = feed(pool, town)
    await store_feed.feed_once()

    class Picky(Mailbox):
        """Refuses one recipient for now (once), another for good."""

        tried_later = False

        async def handle_RCPT(self, server, session, envelope, address, options):  # type: ignore[no-untyped-def]
            if address == "never@example.org":
                return "550 no such user"
            if address == "later@example.org" and not self.tried_later:
                self.tried_later = True
                return "450 mailbox busy, try later"
            envelope.rcpt_tos.append(address)
            return "250 OK"

    picky = Picky(smtp.port)
    controller = Controller(picky, hostname="127.0.0.1", port=smtp.port)
    controller.start()
    patient = SenderPolicy(first_retry_seconds=0.5, first_server_pause_seconds=0)
    try:
        assert await send_due_mail(pool, smtp, patient) == 2  # the merchants'; one customer later, one never
        assert await send_due_mail(pool, smtp, patient) == 0  # not due yet
        await asyncio.sleep(0.6)
        assert await send_due_mail(pool, smtp, patient) == 1
        assert await send_due_mail(pool, smtp, patient) == 0
    finally:
        controller.stop()
    async with pool.connection() as conn:
        counts = await mail_outbox_counts(conn)
    assert counts == {"pending": 0, "sending": 0, "sent": 3, "refused": 1, "expired": 0, "uncertain": 0}
    assert len(picky.to("later@example.org")) == 1 and picky.to("never@example.org") == []
    (refused,) = [row for row in await outbox(pool) if row["status"] == "refused"]
    assert "550" in str(refused["last_error"])


_CRASHING_SENDER = """
import asyncio, sys
from downtown_events.runtime.database import open_pool
from ordering.adapters.mail import SmtpSettings, send_due_mail

async def main() -> None:
    pool = await open_pool(sys.argv[1], max_size=2)
    await send_due_mail(pool, SmtpSettings(port=int(sys.argv[2]), sender="bestellungen@schoeppingen.example"))

asyncio.run(main())
"""


async def test_a_sender_killed_after_the_server_took_a_mail_never_sends_it_again(
    ordering_db: Pool, database_url: str, town: str, smtp: SmtpSettings
) -> None:
    pool = ordering_db
    await append(pool, placed_order(await add_merchant(pool)))
    store_feed, _, _ = feed(pool, town)
    await store_feed.feed_once()

    with mailbox_on(smtp.port) as mailbox:
        env = {**os.environ, "DOWNTOWN_FAULT_POINT": "mail.after_data"}
        crashed = await asyncio.to_thread(
            subprocess.run,
            [sys.executable, "-c", _CRASHING_SENDER, database_url, str(smtp.port)],
            env=env,
            capture_output=True,
            timeout=60,
        )
        assert crashed.returncode == -signal.SIGKILL, crashed.stderr.decode()
        assert len(mailbox.messages) == 1  # the server has it; the row still says 'sending'
        (taken,) = mailbox.messages
        rows = {row["message_id"]: row["status"] for row in await outbox(pool)}
        assert sorted(rows.values()) == ["pending", "sending"]

        assert await send_due_mail(pool, smtp, QUICK) == 1  # the other mail, not that one again
        assert await send_due_mail(pool, smtp, QUICK) == 0
        message_ids = [str(message["Message-ID"]) for message in mailbox.messages]
    assert len(message_ids) == 2 and len(set(message_ids)) == 2 and str(taken["Message-ID"]) in message_ids
    async with pool.connection() as conn:
        counts = await mail_outbox_counts(conn)
    assert (counts["sent"], counts["uncertain"], counts["pending"], counts["sending"]) == (1, 1, 0, 0)


async def test_rounds_of_the_scheduled_job_in_two_replicas_send_each_mail_once(
    ordering_db: Pool, database_url: str, town: str, smtp_port: int
) -> None:
    pool = ordering_db
    for _ in range(5):
        await append(pool, placed_order(await add_merchant(pool)))
    store_feed, _, _ = feed(pool, town)
    await store_feed.feed_once()
    settings = OrderingSettings(
        town=town, database_url=database_url, smtp_port=smtp_port, mail_from="bestellungen@schoeppingen.example"
    )
    job = ScheduledJob("send_mail", 1.0, send_mail_job)

    with mailbox_on(smtp_port) as mailbox:
        rounds = await asyncio.gather(*(run_once(job, pool, settings) for _ in range(4)))
        while await run_once(job, pool, settings):
            pass
    assert sum(done or 0 for done in rounds) <= 10
    message_ids = [str(message["Message-ID"]) for message in mailbox.messages]
    assert len(message_ids) == 10 and len(set(message_ids)) == 10
    async with pool.connection() as conn:
        counts = await mail_outbox_counts(conn)
    # No round took another's claims for abandoned ones: the job's lock kept them apart.
    assert (counts["sent"], counts["uncertain"]) == (10, 0)
