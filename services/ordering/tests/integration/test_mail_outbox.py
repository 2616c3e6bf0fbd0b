# SPDX-License-Identifier: AGPL-3.0-or-later
"""E-mails at least once per event, on the real PostgreSQL and a real SMTP server on loopback (aiosmtpd).

The notifier runs as the worker runs it: the runtime's store feed and tracking consumer
over ordering's own store, the catalog replica's merchant row, the mail outbox. The sender
runs as the scheduled job's round. Tests kill a sender process (SIGKILL) after its claim,
before and after the SMTP server took the message, or have the server hang up before its
answer to DATA, and check that the mail is sent again — not before the pause, with the
same Message-ID — and that a mail whose outcome stays unknown is given up after the last
resend allowed. Waits are rounds polled against a deadline, never a fixed sleep.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import email
import email.policy
import hashlib
import itertools
import logging
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, timedelta
from email.message import EmailMessage
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
from downtown_events.runtime.mail_outbox import (
    SenderPolicy,
    SmtpSettings,
    mail_outbox_counts,
    send_due_mail,
    send_mail_job,
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
from ordering.settings import OrderingSettings
from tests.support.local_stack import free_port
from tests.support.mailbox import Mailbox

MIGRATIONS = Path(ordering.__file__).parent / "migrations"
NOW = datetime.now(UTC)
HOME = Address(street="Hauptstraße 1", postal_code="48624", city="Schöppingen")
QUICK = SenderPolicy(first_retry_seconds=0, first_server_pause_seconds=0)
RESEND_PAUSE = 1.0
RESENDING = replace(QUICK, resend_uncertain_after_seconds=RESEND_PAUSE)
DEADLINE_SECONDS = 90.0
"""How long a test waits for what should happen within seconds: only a broken sender reaches it."""


def guest_token(checkout_id: UUID) -> str:
    return f"token-{checkout_id}"


SETTINGS = NotifierSettings(town_name="Schöppingen", public_url="https://bestellen.example", guest_token=guest_token)


@contextlib.contextmanager
def mailbox_on(port: int) -> Iterator[Mailbox]:
    with serving(Mailbox(port)) as mailbox:
        yield mailbox


@contextlib.contextmanager
def serving(mailbox: Mailbox) -> Iterator[Any]:
    controller = Controller(mailbox, hostname="127.0.0.1", port=mailbox.port)
    controller.start()
    try:
        yield mailbox
    finally:
        controller.stop()


@dataclass
class ClockedMailbox(Mailbox):
    """Notes when each message arrived (``time.monotonic``: when a resend came, against the
    pause), and leaves the first ``unanswered[address]`` DATA to an address without an answer:
    it takes the message, then hangs up before its ``250``, as a server or network that fails
    at that moment looks to the sender."""

    unanswered: dict[str, int] = field(default_factory=dict)
    arrivals: list[tuple[float, EmailMessage]] = field(default_factory=list)

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        message = email.message_from_bytes(envelope.original_content, policy=email.policy.default)
        (recipient,) = envelope.rcpt_tos
        with self._lock:
            self.messages.append(message)  # type: ignore[arg-type]
            self.arrivals.append((time.monotonic(), message))  # type: ignore[arg-type]
            hang_up = self.unanswered.get(recipient, 0) > 0
            if hang_up:
                self.unanswered[recipient] -= 1
        if hang_up:
            server.transport.abort()
        return "250 OK"

    def copies(self, address: str) -> list[tuple[float, EmailMessage]]:
        """When each copy to ``address`` arrived, and the copy."""
        with self._lock:
            return [(at, message) for at, message in self.arrivals if address in str(message["To"])]


def only_message_id(copies: list[tuple[float, EmailMessage]]) -> str:
    """The one Message-ID all copies of a mail carry (a recipient's client sees one mail)."""
    (message_id,) = {str(message["Message-ID"]) for _, message in copies}
    return message_id


def assert_paused(copies: list[tuple[float, EmailMessage]], pause: float, *, noticed: float | None = None) -> None:
    """No copy came sooner than ``pause`` after the one before it (whose outcome was unknown
    from then on), nor sooner than ``pause`` after ``noticed``, when a round that found a
    sender's claim left open began."""
    for (before, _), (after, _) in itertools.pairwise(copies):
        assert after - before >= pause
    for at, _ in copies:
        assert noticed is None or at < noticed or at - noticed >= pause


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


async def outbox_row_to(pool: Pool, address: str) -> dict[str, Any]:
    (row,) = [row for row in await outbox(pool) if row["to_address"] == address]
    return row


async def rounds_until(pool: Pool, smtp: SmtpSettings, policy: SenderPolicy, done: Callable[[], bool]) -> None:
    """Rounds back to back, as a worker with a short interval runs them, until ``done``: a
    resend that came too early would be sent by one of them."""
    await until(lambda: send_due_mail(pool, smtp, policy), done)


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


async def test_a_server_that_is_down_gets_the_mail_later_and_nothing_is_lost(
    ordering_db: Pool, town: str, smtp: SmtpSettings
) -> None:
    pool = ordering_db
    await append(pool, placed_order(await add_merchant(pool)))
    await fed(pool, town, mails=2)

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
    await fed(pool, town, mails=4)

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
from downtown_events.runtime.mail_outbox import SenderPolicy, SmtpSettings, send_due_mail

async def main() -> None:
    pool = await open_pool(sys.argv[1], max_size=2)
    smtp = SmtpSettings(port=int(sys.argv[2]), sender="bestellungen@schoeppingen.example")
    policy = SenderPolicy(resend_uncertain_after_seconds=float(sys.argv[3]), max_resends=int(sys.argv[4]))
    await send_due_mail(pool, smtp, policy)

asyncio.run(main())
"""


async def run_a_sender(
    database_url: str, smtp: SmtpSettings, crash_point: str, *, pause: float = 60.0, max_resends: int = 5
) -> subprocess.CompletedProcess[bytes]:
    """One round in a process of its own that kills itself (SIGKILL) at ``crash_point``."""
    return await asyncio.to_thread(
        subprocess.run,
        [sys.executable, "-c", _CRASHING_SENDER, database_url, str(smtp.port), str(pause), str(max_resends)],
        env={**os.environ, "DOWNTOWN_FAULT_POINT": crash_point},
        capture_output=True,
        timeout=120,
    )


@pytest.mark.parametrize(("crash_point", "copies"), [("mail.after_claim", 1), ("mail.after_data", 2)])
async def test_a_sender_killed_mid_send_sends_the_mail_again_after_the_pause_with_the_same_message_id(
    ordering_db: Pool, database_url: str, town: str, smtp: SmtpSettings, crash_point: str, copies: int
) -> None:
    pool = ordering_db
    await append(pool, placed_order(await add_merchant(pool)))
    await fed(pool, town, mails=2)

    with serving(ClockedMailbox(smtp.port)) as mailbox:
        crashed = await run_a_sender(database_url, smtp, crash_point)
        assert crashed.returncode == -signal.SIGKILL, crashed.stderr.decode()
        (claimed,) = [row for row in await outbox(pool) if row["status"] == "sending"]
        address = claimed["to_address"]
        assert len(mailbox.copies(address)) == copies - 1  # after DATA the server has it already

        begun = time.monotonic()
        assert await send_due_mail(pool, smtp, RESENDING) == 1  # the other mail; the claimed one waits
        waiting = await outbox_row_to(pool, address)
        assert (waiting["status"], waiting["resends"]) == ("pending", 1)
        assert waiting["next_attempt_at"] >= claimed["claimed_at"] + timedelta(seconds=RESEND_PAUSE)

        await rounds_until(pool, smtp, RESENDING, lambda: len(mailbox.copies(address)) == copies)
        assert await send_due_mail(pool, smtp, RESENDING) == 0
        received = mailbox.copies(address)
    assert len(received) == copies and len(mailbox.messages) == copies + 1
    assert only_message_id(received) == f"<{claimed['message_id']}@schoeppingen.example>"
    assert_paused(received, RESEND_PAUSE, noticed=begun)
    assert (await outbox_row_to(pool, address))["resends"] == 1
    async with pool.connection() as conn:
        counts = await mail_outbox_counts(conn)
    assert (counts["sent"], counts["uncertain"], counts["pending"], counts["sending"]) == (2, 0, 0, 0)


async def test_data_without_an_answer_is_sent_again_after_the_pause(
    ordering_db: Pool, town: str, smtp: SmtpSettings
) -> None:
    pool = ordering_db
    await append(pool, placed_order(await add_merchant(pool)))
    await fed(pool, town, mails=2)

    with serving(ClockedMailbox(smtp.port, unanswered={"anna@example.org": 1})) as mailbox:
        assert await send_due_mail(pool, smtp, RESENDING) == 1  # the merchant's; Anna's got no answer
        waiting = await outbox_row_to(pool, "anna@example.org")
        assert (waiting["status"], waiting["resends"]) == ("pending", 1)
        assert "no answer to DATA" in waiting["last_error"]

        await rounds_until(pool, smtp, RESENDING, lambda: len(mailbox.copies("anna@example.org")) == 2)
        assert await send_due_mail(pool, smtp, RESENDING) == 0
        received = mailbox.copies("anna@example.org")
    assert len(received) == 2
    assert only_message_id(received) == f"<{waiting['message_id']}@schoeppingen.example>"
    assert_paused(received, RESEND_PAUSE)
    sent = await outbox_row_to(pool, "anna@example.org")
    assert (sent["status"], sent["resends"]) == ("sent", 1)


async def test_a_mail_whose_data_is_never_answered_ends_uncertain_after_the_last_resend(
    ordering_db: Pool, town: str, smtp: SmtpSettings, caplog: pytest.LogCaptureFixture
) -> None:
    pool = ordering_db
    await append(pool, placed_order(await add_merchant(pool)))
    await fed(pool, town, mails=2)
    policy = replace(RESENDING, resend_uncertain_after_seconds=0.3, max_resends=2)

    statuses: dict[str, str] = {}

    async def a_round() -> None:
        await send_due_mail(pool, smtp, policy)
        statuses.update({row["to_address"]: row["status"] for row in await outbox(pool)})

    with (
        caplog.at_level(logging.ERROR, logger="downtown_events.runtime.mail_outbox"),
        serving(ClockedMailbox(smtp.port, unanswered={"anna@example.org": 1000})) as mailbox,
    ):
        await until(a_round, lambda: statuses.get("anna@example.org") == "uncertain")
        assert await send_due_mail(pool, smtp, policy) == 0
        received = mailbox.copies("anna@example.org")
    given_up = await outbox_row_to(pool, "anna@example.org")
    assert len(received) == 3  # once, and resent twice
    assert only_message_id(received) == f"<{given_up['message_id']}@schoeppingen.example>"
    assert_paused(received, 0.3)
    assert given_up["resends"] == 2 and given_up["finished_at"] is not None
    assert "no answer to DATA" in given_up["last_error"]
    (error,) = [record for record in caplog.records if record.levelno == logging.ERROR]
    assert given_up["message_id"] in error.getMessage() and "after 2 resends" in error.getMessage()
    async with pool.connection() as conn:
        counts = await mail_outbox_counts(conn)
    assert (counts["sent"], counts["uncertain"], counts["pending"]) == (1, 1, 0)


async def test_a_sender_killed_on_every_send_gives_the_mail_up_after_the_last_resend(
    ordering_db: Pool, database_url: str, town: str, smtp: SmtpSettings
) -> None:
    pool = ordering_db
    await append(pool, placed_order(await add_merchant(pool)))
    await fed(pool, town, mails=2)
    statuses: list[str] = []

    async def a_crashing_round() -> None:
        run = await run_a_sender(database_url, smtp, "mail.after_data", pause=0.3, max_resends=1)
        assert run.returncode in (0, -signal.SIGKILL), run.stderr.decode()
        statuses[:] = [row["status"] for row in await outbox(pool)]

    with serving(ClockedMailbox(smtp.port)) as mailbox:
        await until(a_crashing_round, lambda: statuses == ["uncertain", "uncertain"])
    rows = await outbox(pool)
    assert [row["resends"] for row in rows] == [1, 1]
    for row in rows:  # sent, killed; sent again, killed again; given up
        received = mailbox.copies(row["to_address"])
        assert len(received) == 2
        assert only_message_id(received) == f"<{row['message_id']}@schoeppingen.example>"
        assert_paused(received, 0.3)


@dataclass
class HoldingMailbox(ClockedMailbox):
    """Holds DATA to ``held`` without an answer until the test lets it go."""

    held: str = ""
    holding: threading.Event = field(default_factory=threading.Event)
    release: threading.Event = field(default_factory=threading.Event)

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        if envelope.rcpt_tos == [self.held]:
            self.holding.set()
            assert await asyncio.to_thread(self.release.wait, DEADLINE_SECONDS)
        return await super().handle_DATA(server, session, envelope)


async def test_a_sender_whose_claim_was_given_up_on_can_still_mark_its_mail_sent(
    ordering_db: Pool, town: str, smtp: SmtpSettings
) -> None:
    pool = ordering_db
    await append(pool, placed_order(await add_merchant(pool)))
    await fed(pool, town, mails=2)

    with serving(HoldingMailbox(smtp.port, held="anna@example.org")) as mailbox:
        slow = asyncio.create_task(send_due_mail(pool, smtp, RESENDING))
        await until(lambda: asyncio.sleep(0), mailbox.holding.is_set)
        # A second round while the first still waits for the server (their lock's session
        # lost): it finds Anna's claim open and puts the mail back for later.
        await send_due_mail(pool, smtp, RESENDING)
        assert (await outbox_row_to(pool, "anna@example.org"))["status"] == "pending"
        mailbox.release.set()
        await slow
    # The first round heard the server's 250 and marked the mail: no copy will follow.
    row = await outbox_row_to(pool, "anna@example.org")
    assert (row["status"], row["resends"]) == ("sent", 1)
    assert len(mailbox.copies("anna@example.org")) == 1


async def test_rounds_of_the_scheduled_job_in_two_replicas_send_each_mail_once(
    ordering_db: Pool, database_url: str, town: str, smtp_port: int
) -> None:
    pool = ordering_db
    for _ in range(5):
        await append(pool, placed_order(await add_merchant(pool)))
    await fed(pool, town, mails=10)
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
