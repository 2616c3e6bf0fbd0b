# SPDX-License-Identifier: AGPL-3.0-or-later
"""E-mail addresses beyond ASCII (issue 14), against real SMTP servers on loopback (aiosmtpd)
with and without SMTPUTF8, on the real PostgreSQL outbox.

The API accepts ``ä@exämple.org``. Put into the merchant's new-order mail as Reply-To, it made
that mail fail for good ("no SMTPUTF8") on a server without SMTPUTF8, as the tests' mail
catcher is. Now what can be sent is sent: a domain goes IDNA-encoded to any server; a
Reply-To whose local part is beyond ASCII is left out there (the body says whom to write to);
the customer's own mail to such an address is marked refused with the reason, once, and never
tried again. A server with SMTPUTF8 gets every address.
"""

from __future__ import annotations

import asyncio
import contextlib
import email
import email.policy
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from email.message import EmailMessage
from pathlib import Path
from typing import Any
from uuid import uuid4

import pytest
from aiosmtpd.controller import Controller

import ordering
from downtown_events.ordering import Fulfilment, OrderLine, OrderPlaced, Payment
from downtown_events.runtime.database import Pool, migrate
from downtown_events.runtime.mail_outbox import (
    SenderPolicy,
    SmtpSettings,
    mail_outbox_counts,
    queue_mail,
    send_due_mail,
)
from ordering.app.notifications import (
    CustomerContact,
    MerchantContact,
    OrderContext,
    notifications_for,
    without_reply_to,
)
from tests.support.local_stack import free_port

MIGRATIONS = Path(ordering.__file__).parent / "migrations"
NOW = datetime.now(UTC)
QUICK = SenderPolicy(first_retry_seconds=0, first_server_pause_seconds=0)
UMLAUT = "ä@exämple.org"
UMLAUT_DOMAIN = "anna@exämple.org"


@dataclass
class EnvelopeMailbox:
    """Every message accepted, with the envelope's recipients as the server got them."""

    port: int
    received: list[tuple[list[str], EmailMessage]] = field(default_factory=list)
    raw: list[bytes] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        message = email.message_from_bytes(envelope.original_content, policy=email.policy.default)
        with self._lock:
            self.received.append((list(envelope.rcpt_tos), message))  # type: ignore[arg-type]
            self.raw.append(envelope.original_content)
        return "250 OK"

    def to(self, recipient: str) -> EmailMessage:
        with self._lock:
            (message,) = [message for recipients, message in self.received if recipient in recipients]
        return message


@contextlib.contextmanager
def smtp_server(*, smtputf8: bool) -> Iterator[EnvelopeMailbox]:
    """aiosmtpd as the tests' mail catcher runs it (no SMTPUTF8), or with SMTPUTF8."""
    mailbox = EnvelopeMailbox(free_port())
    controller = Controller(mailbox, hostname="127.0.0.1", port=mailbox.port, enable_SMTPUTF8=smtputf8)
    controller.start()
    try:
        yield mailbox
    finally:
        controller.stop()


@pytest.fixture
async def outbox_db(pool: Pool, database_url: str) -> Pool:
    await asyncio.to_thread(migrate, database_url, MIGRATIONS)
    return pool


def smtp(mailbox: EnvelopeMailbox) -> SmtpSettings:
    return SmtpSettings(
        host="127.0.0.1",
        port=mailbox.port,
        sender="bestellungen@schoeppingen.example",
        reply_to_dropped=without_reply_to,  # as ordering's worker sends (bootstrap.reply_to_note)
    )


async def queue_order_placed(pool: Pool, customer_email: str) -> None:
    """The mails of a new order (the merchant's with the customer as Reply-To, the customer's
    receipt), queued as the notifier queues them."""
    line = OrderLine(
        offer_id=uuid4(), kind="product", title="Fahrradschlauch", quantity=1, unit_price_cents=899, vat_rate_percent=19
    )
    placed = OrderPlaced(
        order_id=uuid4(),
        checkout_id=uuid4(),
        merchant_id=uuid4(),
        lines=[line],
        fulfilment=Fulfilment(method="pickup"),
        payment=Payment(method="at_pickup"),
        goods_cents=899,
        total_cents=899,
        merchant_answer_by=NOW + timedelta(hours=2),
        cancellable_until=NOW + timedelta(minutes=30),
    )
    context = OrderContext(
        placed=placed,
        customer=CustomerContact(name="Änne Ärger", email=customer_email, status_url="https://bestellen.example/o"),
        merchant=MerchantContact(name="Fahrrad Terhaar", email="laden@terhaar.example"),
        town_name="Schöppingen",
    )
    async with pool.connection() as conn:
        for mail in notifications_for(placed, uuid4(), context):
            assert await queue_mail(conn, mail)


async def outbox_rows(pool: Pool) -> dict[str, dict[str, Any]]:
    async with pool.connection() as conn:
        rows = await (await conn.execute("SELECT * FROM mail_outbox")).fetchall()
    return {row["to_address"]: row for row in rows}


async def test_a_server_without_smtputf8_gets_what_can_be_sent(outbox_db: Pool) -> None:
    pool = outbox_db
    await queue_order_placed(pool, UMLAUT)
    await queue_order_placed(pool, UMLAUT_DOMAIN)
    with smtp_server(smtputf8=False) as mailbox:
        assert await send_due_mail(pool, smtp(mailbox), QUICK) == 3
        assert await send_due_mail(pool, smtp(mailbox), QUICK) == 0  # nothing left to try, nothing tried again
    merchant_mails = [message for recipients, message in mailbox.received if recipients == ["laden@terhaar.example"]]
    assert len(merchant_mails) == 2  # the new order reaches the shop, whatever the customer's address
    reply_tos = sorted(str(message["Reply-To"]) for message in merchant_mails)
    assert reply_tos == ["None", "anna@xn--exmple-cua.org"]
    (without,) = [message for message in merchant_mails if message["Reply-To"] is None]
    assert f"Antworten auf diese E-Mail erreichen {UMLAUT} nicht" in str(without.get_content())
    assert "Eine Antwort erreicht den Kunden" not in str(without.get_content())
    receipt = mailbox.to("anna@xn--exmple-cua.org")  # the domain, IDNA-encoded: sent without SMTPUTF8
    assert "Fahrradschlauch" in str(receipt.get_content())
    rows = await outbox_rows(pool)
    refused = rows[UMLAUT]
    assert (refused["status"], refused["about"], refused["attempts"]) == ("refused", "OrderPlaced:customer", 1)
    assert "no SMTPUTF8" in refused["last_error"] and "not tried again" in refused["last_error"]
    assert rows[UMLAUT_DOMAIN]["status"] == "sent"
    async with pool.connection() as conn:
        counts = await mail_outbox_counts(conn)
    assert (counts["sent"], counts["refused"], counts["pending"]) == (3, 1, 0)


async def test_a_server_with_smtputf8_gets_every_address(outbox_db: Pool) -> None:
    pool = outbox_db
    await queue_order_placed(pool, UMLAUT)
    with smtp_server(smtputf8=True) as mailbox:
        assert await send_due_mail(pool, smtp(mailbox), QUICK) == 2
    receipt = mailbox.to("ä@xn--exmple-cua.org")  # SMTPUTF8: the local part as written, the domain encoded
    assert "Fahrradschlauch" in str(receipt.get_content())
    assert any(b"To: =?utf-8?" not in raw and "<ä@xn--exmple-cua.org>".encode() in raw for raw in mailbox.raw)
    merchant = mailbox.to("laden@terhaar.example")
    assert str(merchant["Reply-To"]) == "ä@xn--exmple-cua.org"
    assert "Eine Antwort erreicht den Kunden" in str(merchant.get_content())
    assert {row["status"] for row in (await outbox_rows(pool)).values()} == {"sent"}
