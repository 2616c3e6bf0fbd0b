# SPDX-License-Identifier: Apache-2.0
"""The kit's mail outbox on PostgreSQL and a real SMTP server (aiosmtpd): what a service queues
in its transaction is sent once; a server that is down gets it later; a refusal for now is
tried again and one for good is not; a sender killed mid-send, or a DATA never answered, sends
the mail again after the pause with the same Message-ID, until the last resend allowed; and
rounds of the scheduled job in two replicas send each mail once.

Moved here from ordering's tests (issue 16) when the outbox became the kit's: the mails are
queued as a service's notifier queues them (:func:`queue_mail` in its transaction), whatever
service wrote them. Ordering's own tests keep what its notifier queues.
"""

from __future__ import annotations

import asyncio
import email
import email.policy
import itertools
import logging
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field, replace
from datetime import timedelta
from email.message import EmailMessage
from typing import Any
from uuid import uuid4

import pytest
from aiosmtpd.controller import Controller

from downtown_events.runtime.database import Pool
from downtown_events.runtime.jobs import ScheduledJob, run_once
from downtown_events.runtime.mail import Attachment, OutgoingMail, mail_id
from downtown_events.runtime.mail_outbox import (
    PostgresMailQueue,
    SenderPolicy,
    SmtpSettings,
    mail_outbox_counts,
    queue_mail,
    send_due_mail,
    send_mail_job,
)
from downtown_events.runtime.settings import MailSettings
from tests.support.local_stack import free_port
from tests.support.mailbox import Mailbox, mailbox_on, serving

QUICK = SenderPolicy(first_retry_seconds=0, first_server_pause_seconds=0)
RESEND_PAUSE = 1.0
RESENDING = replace(QUICK, resend_uncertain_after_seconds=RESEND_PAUSE)
DEADLINE_SECONDS = 90.0
SENDER = "gutscheine@schoeppingen.example"


def a_mail(to: str, about: str = "PurchaseStarted:buyer") -> OutgoingMail:
    """A service's mail as its notifier writes it (one event, one recipient)."""
    return OutgoingMail(
        message_id=mail_id(uuid4(), "buyer"),
        to_address=to,
        to_name="Anna Beispiel" if to.startswith("anna") else "",
        subject="Ihre Gutscheine: so bezahlen Sie",
        body="Guten Tag,\n\nbitte überweisen Sie 25,00\u00a0€.\n",
        language="de",
        about=about,
    )


async def queued(pool: Pool, *addresses: str) -> list[OutgoingMail]:
    """``addresses``' mails queued in one transaction, as a notifier queues them."""
    mails = [a_mail(address) for address in addresses]
    async with pool.connection() as conn, conn.transaction():
        for mail in mails:
            assert await PostgresMailQueue(conn).queue(mail)
    return mails


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
    return SmtpSettings(host="127.0.0.1", port=smtp_port, sender=SENDER)


async def test_a_mail_is_queued_once_however_often_its_event_comes_and_not_at_all_on_a_rollback(pool: Pool) -> None:
    mail = a_mail("anna@example.org")
    async with pool.connection() as conn, conn.transaction():
        assert await queue_mail(conn, mail)
    async with pool.connection() as conn, conn.transaction():
        assert not await queue_mail(conn, replace(mail, subject="a second delivery of the event"))
    with pytest.raises(RuntimeError):
        async with pool.connection() as conn, conn.transaction():
            assert await queue_mail(conn, a_mail("bernd@example.org"))
            raise RuntimeError("the consumer's transaction fails after queueing")
    (row,) = await outbox(pool)
    assert (row["message_id"], row["subject"], row["status"]) == (mail.message_id, mail.subject, "pending")


async def outbox(pool: Pool) -> list[dict[str, Any]]:
    async with pool.connection() as conn:
        cursor = await conn.execute("SELECT * FROM mail_outbox ORDER BY about")
        return list(await cursor.fetchall())


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


async def test_the_sender_delivers_to_the_smtp_server_once(pool: Pool, smtp: SmtpSettings) -> None:
    await queued(pool, "anna@example.org", "laden@terhaar.example")

    with mailbox_on(smtp.port) as mailbox:
        assert await send_due_mail(pool, smtp, QUICK) == 2
        assert await send_due_mail(pool, smtp, QUICK) == 0
    assert sorted(str(message["To"]) for message in mailbox.messages) == [
        "Anna Beispiel <anna@example.org>",
        "laden@terhaar.example",
    ]
    (customer,) = mailbox.to("anna@example.org")
    assert customer.get_content_type() == "text/plain" and str(customer["From"]) == f"Downtown <{SENDER}>"
    assert "bitte überweisen Sie 25,00\u00a0€." in str(customer.get_content())
    async with pool.connection() as conn:
        assert (await mail_outbox_counts(conn))["sent"] == 2


async def test_a_sent_mail_keeps_no_attachment(pool: Pool, smtp: SmtpSettings) -> None:
    """A buyer's vouchers hold codes in clear: once the server took the mail, the row drops them."""
    pdf = b"%PDF-1.4 codes in clear"
    mail = replace(a_mail("anna@example.org"), attachments=(Attachment("Gutscheine.pdf", "application/pdf", pdf),))
    async with pool.connection() as conn, conn.transaction():
        assert await queue_mail(conn, mail)
    (waiting,) = await outbox(pool)
    assert len(waiting["attachments"]) == 1

    with mailbox_on(smtp.port) as mailbox:
        assert await send_due_mail(pool, smtp, QUICK) == 1
    (received,) = mailbox.to("anna@example.org")
    (attachment,) = list(received.iter_attachments())
    assert attachment.get_content() == pdf
    (sent,) = await outbox(pool)
    assert (sent["status"], sent["attachments"], sent["subject"]) == ("sent", [], mail.subject)


async def test_a_server_that_is_down_gets_the_mail_later_and_nothing_is_lost(pool: Pool, smtp: SmtpSettings) -> None:
    await queued(pool, "anna@example.org", "laden@terhaar.example")

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
    pool: Pool, smtp: SmtpSettings
) -> None:
    await queued(pool, "later@example.org", "never@example.org", "laden@terhaar.example", "laden@ohm.example")

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
        assert await send_due_mail(pool, smtp, patient) == 2  # two at once; one later, one never
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
    smtp = SmtpSettings(port=int(sys.argv[2]), sender="gutscheine@schoeppingen.example")
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
    pool: Pool, database_url: str, smtp: SmtpSettings, crash_point: str, copies: int
) -> None:
    await queued(pool, "anna@example.org", "laden@terhaar.example")

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


async def test_data_without_an_answer_is_sent_again_after_the_pause(pool: Pool, smtp: SmtpSettings) -> None:
    await queued(pool, "anna@example.org", "laden@terhaar.example")

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
    pool: Pool, smtp: SmtpSettings, caplog: pytest.LogCaptureFixture
) -> None:
    await queued(pool, "anna@example.org", "laden@terhaar.example")
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
    pool: Pool, database_url: str, smtp: SmtpSettings
) -> None:
    await queued(pool, "anna@example.org", "laden@terhaar.example")
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
    pool: Pool, smtp: SmtpSettings
) -> None:
    await queued(pool, "anna@example.org", "laden@terhaar.example")

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
    pool: Pool, database_url: str, town: str, smtp_port: int
) -> None:
    await queued(pool, *(f"kunde{number}@example.org" for number in range(10)))
    settings = MailSettings(town=town, database_url=database_url, smtp_port=smtp_port, mail_from=SENDER)
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
