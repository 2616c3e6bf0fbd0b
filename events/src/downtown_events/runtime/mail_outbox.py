# SPDX-License-Identifier: Apache-2.0
"""E-mail delivery over SMTP through a mail outbox in the service's own database: at least once per event.

Every service that sends mail uses this one mechanism (ordering's order mails, the vouchers'
payment instructions and PDFs): the service writes *what* it sends (an
:class:`~downtown_events.runtime.mail.OutgoingMail`), the kit keeps and sends it. The table is
the runtime's migration ``runtime_0007_mail_outbox``; the worker sends with the job
:func:`mail_sender` makes, on the SMTP server of the service's :class:`MailSettings`.

**Queueing.** A notifier consumer calls :func:`queue_mail` inside its tracking transaction.
A row is keyed by the mail's deterministic message id (the event's id and the recipient's
role, see :func:`downtown_events.runtime.mail.mail_id`), so an event delivered again, or
replayed, adds nothing (``ON CONFLICT DO NOTHING``); a transaction that rolls back leaves
no row; one that commits leaves the row and the tracking row together.

**Sending.** :func:`send_mail_job` is one round of a scheduled job of the runtime
(``downtown_events.runtime.jobs``): the job runner holds the job's advisory lock for the
whole round, so one round runs at a time across the worker's replicas (and ``<service>-admin
run-job``); this module adds no leader election of its own. For each due row a round opens
the SMTP envelope (connect, STARTTLS, login, ``MAIL FROM``, ``RCPT TO``), then **claims** the
row (``pending`` → ``sending``, committed), then transfers the message (``DATA``), then marks
it ``sent``. The claim is a conditional update, so even two rounds that overlapped (the
lock's session lost while a round still runs) transfer a row once.

**The crash window, decided: at least once.** The one moment that cannot be made atomic is
between the SMTP server accepting the message (its ``250`` after ``DATA``) and the row being
marked. A sender that dies after its claim (before ``DATA``, during it or after it), is
cancelled, or loses its connection while ``DATA`` is under way leaves an outcome nobody knows:
the server may have the message or not. For what a person must receive a duplicate is cheaper
than a loss (decisions.md § 28 weighs every kind ordering sends: all go at least once; a
voucher's payment instructions and PDF alike), so the next round — the only one running, by
the job's lock — puts such a mail back to ``pending``, to be sent again after
``resend_uncertain_after_seconds``, counted in the row's ``resends`` and in
``downtown.mail.resent``. The copy carries the same ``Message-ID`` (made of the row's message
id) and ``Date`` headers, so a recipient's mail client can tell it is the same mail. A
duplicate needs the sender to die, or the connection to drop, within one ``DATA`` exchange
(milliseconds on a local relay); a death before ``DATA`` costs only the pause. The row keeps
the stale claim until a new one is taken, so a sender still waiting for the server when
another round gave up on its claim (their lock's session lost) can still mark the mail sent
and spare the copy; the default pause (60 s) outlasts the SMTP timeout (30 s) for that. A
server that drops every ``DATA``, or a message that crashes the sender every time, makes no
endless loop: after ``max_resends`` resends the mail ends ``uncertain``, logged as an error
and counted (``downtown.mail.uncertain`` and :func:`mail_outbox_counts`), for an operator who
checks the server's log and puts it back with :func:`requeue_mail` if it never arrived.
Everything before the claim — a server that is down, a refused login, a recipient refused for
now — is safe to repeat, and is.

**Attachments** (an invoice, a buyer's vouchers with their codes) are kept only until the
server took the mail: a ``sent`` row keeps no attachment.

**Failures.** A server that cannot be reached, or refuses the connection, the login or the
sender address, is a problem of the server, not of the mail: the round ends, the mail stays
``pending`` (its ``last_error`` says why), and the rounds of this process leave the server
alone for a while (``first_server_pause_seconds`` doubling up to ``max_server_pause_seconds``).
A temporary refusal of the mail itself (4xx to ``RCPT`` or ``DATA``) puts the row back with its
own backoff; a permanent one (5xx, an address that is not one) ends it as ``refused`` with
the server's reason, never retried. A mail that could not go out within ``give_up_after``
(two days) ends as ``expired``: news of an order that old no longer helps anyone.

**Addresses beyond ASCII.** The API accepts ``ä@exämple.org``; what can be sent of it is:
a domain is always sent IDNA-encoded (``xn--exmple-cua.org``), which every server takes; a
local part beyond ASCII needs a server with SMTPUTF8 (RFC 6531), asked before composing.
Without it a recipient at such an address cannot be reached (the mail ends ``refused`` with
that reason, never tried again), while a ``Reply-To`` at one is left out and the body says
whom to write to instead, in the words of the service that wrote it (its
:data:`~downtown_events.runtime.mail.ReplyToDropped`; the merchant's new order still goes out:
it failed for good before).
"""

from __future__ import annotations

import asyncio
import base64
import logging
import re
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from email.headerregistry import Address
from email.message import EmailMessage
from email.policy import SMTP, SMTPUTF8
from email.utils import format_datetime
from typing import Any, Literal
from uuid import UUID, uuid4

import aiosmtplib
from psycopg.types.json import Jsonb

from downtown_events.runtime import telemetry
from downtown_events.runtime.database import Connection, Pool
from downtown_events.runtime.faults import crash_point
from downtown_events.runtime.mail import OutgoingMail, ReplyToDropped
from downtown_events.runtime.settings import MailSettings

log = logging.getLogger(__name__)

_ADDRESS = re.compile(r"^[^\s@<>()\[\],;:\"\\]+@[^\s@<>()\[\],;:\"\\]+\.[^\s@<>()\[\],;:\"\\]+$")
_CONTROLS = re.compile(r"[\x00-\x1f\x7f\u2028\u2029]+")
NO_SMTPUTF8 = (
    "the recipient's address has letters beyond ASCII before the @, and the mail server cannot take "
    "such an address (no SMTPUTF8): not sent, and not tried again"
)

mails_sent = telemetry.meter.create_counter("downtown.mail.sent", unit="{mail}")
mails_retried = telemetry.meter.create_counter("downtown.mail.retried", unit="{mail}")
mails_refused = telemetry.meter.create_counter("downtown.mail.refused", unit="{mail}")
mails_expired = telemetry.meter.create_counter("downtown.mail.expired", unit="{mail}")
mails_uncertain = telemetry.meter.create_counter("downtown.mail.uncertain", unit="{mail}")
mails_resent = telemetry.meter.create_counter("downtown.mail.resent", unit="{mail}")


@dataclass(frozen=True)
class SmtpSettings:
    """Where mail goes out. ``security``: ``starttls`` (port 587, usually), ``tls`` (implicit
    TLS, port 465) or ``none`` (a relay on the local network, a test server). ``sender`` is
    the envelope and ``From`` address; its domain names every ``Message-ID``."""

    host: str = "127.0.0.1"
    port: int = 25
    security: Literal["none", "starttls", "tls"] = "none"
    user: str = ""
    password: str = ""
    sender: str = "bestellungen@downtown.example"
    sender_name: str = "Downtown"
    timeout_seconds: float = 30.0
    validate_certs: bool = True
    helo_name: str = ""
    """The name this client gives in EHLO; empty: the machine's fully qualified name."""
    reply_to_dropped: ReplyToDropped | None = field(default=None, compare=False, repr=False)
    """What a body says when its Reply-To cannot go with it, in the words of the service that
    wrote it (the town's catalogue); None: the body goes as written."""

    def __post_init__(self) -> None:
        if not _ADDRESS.match(self.sender):
            raise ValueError(f"the sender address {self.sender!r} is not an e-mail address")
        if self.security not in ("none", "starttls", "tls"):
            raise ValueError(f"security must be none, starttls or tls, not {self.security!r}")

    @property
    def message_id_domain(self) -> str:
        return self.sender.rpartition("@")[2] or "downtown.example"


# --- queueing (inside the consumer's transaction) ------------------------------------------

_QUEUE = """
INSERT INTO mail_outbox (message_id, about, to_address, to_name, reply_to, subject, body, language, attachments)
VALUES (%(message_id)s, %(about)s, %(to_address)s, %(to_name)s, %(reply_to)s, %(subject)s, %(body)s, %(language)s,
        %(attachments)s)
ON CONFLICT (message_id) DO NOTHING
RETURNING message_id
"""


async def queue_mail(conn: Connection, message: OutgoingMail) -> bool:
    """Queue ``message`` on the caller's connection and transaction; False if its id was
    queued before (the event was delivered again). The sender's next round sends it."""
    row = outbox_row(message)
    cursor = await conn.execute(_QUEUE, {**row, "attachments": Jsonb(row["attachments"])})
    return await cursor.fetchone() is not None


class PostgresMailQueue:
    """The :class:`~downtown_events.runtime.mail.MailQueue` on the caller's connection and
    transaction (a notifier's tracking transaction, an API request's)."""

    def __init__(self, conn: Connection) -> None:
        self._conn = conn

    async def queue(self, mail: OutgoingMail) -> bool:
        return await queue_mail(self._conn, mail)


def outbox_row(message: OutgoingMail) -> dict[str, Any]:
    """The outbox row of a mail (attachments base64 in JSON), as :class:`QueuedMail` reads it back."""
    return {
        "message_id": message.message_id,
        "about": _text(message.about),
        "to_address": message.to_address.strip(),
        "to_name": _text(message.to_name),
        "reply_to": message.reply_to.strip() if message.reply_to else None,
        "subject": _text(message.subject),
        "body": message.body.replace("\x00", ""),  # PostgreSQL stores no NUL; our texts have none anyway
        "language": message.language,
        "attachments": [
            {
                "filename": _text(attachment.filename),
                "content_type": attachment.content_type,
                "content": base64.b64encode(attachment.content).decode(),
            }
            for attachment in message.attachments
        ],
    }


# --- what an operator sees and may do -------------------------------------------------------


async def mail_outbox_counts(conn: Connection) -> dict[str, int]:
    """Mails per status (``pending``, ``sending``, ``sent``, ``refused``, ``expired``,
    ``uncertain``). A mail whose send had an unknown outcome is back in ``pending`` to be
    sent again (at least once: a ``sent`` mail may have reached its recipient twice, with one
    ``Message-ID``; the row's ``resends`` says how often); ``uncertain`` ones still had no
    known outcome after the last resend allowed, and wait for an operator."""
    rows = await (await conn.execute("SELECT status, count(*) AS n FROM mail_outbox GROUP BY status")).fetchall()
    counts = dict.fromkeys(("pending", "sending", "sent", "refused", "expired", "uncertain"), 0)
    counts.update({row["status"]: row["n"] for row in rows})
    return counts


async def requeue_mail(conn: Connection, message_id: str) -> bool:
    """Put an ``uncertain`` or ``expired`` mail back in the queue: for an operator who has
    checked the SMTP server's log and found it never arrived. Its ``resends`` stay as they
    are, so one more unknown outcome makes it ``uncertain`` again rather than a new series
    of copies: the operator's hand, not the sender's, decides after that."""
    query = """
    UPDATE mail_outbox SET status = 'pending', next_attempt_at = now(), claim_id = NULL, claimed_at = NULL,
           finished_at = NULL, queued_at = now()
    WHERE message_id = %s AND status IN ('uncertain', 'expired') RETURNING message_id
    """
    return await (await conn.execute(query, (message_id,))).fetchone() is not None


# --- the SMTP side ---------------------------------------------------------------------------


class ServerUnavailable(Exception):
    """The server could not be used at all (down, TLS or login refused, sender refused)."""


class MailRefused(Exception):
    """The server (or this adapter) refused this mail; ``permanent`` for a 5xx or a bad address."""

    def __init__(self, reason: str, *, permanent: bool) -> None:
        super().__init__(reason)
        self.permanent = permanent


@dataclass(frozen=True)
class QueuedMail:
    """A row of the outbox as the sender reads it."""

    message_id: str
    about: str
    to_address: str
    to_name: str
    reply_to: str | None
    subject: str
    body: str
    language: str
    attachments: list[dict[str, str]]
    queued_at: datetime

    @classmethod
    def of(cls, row: dict[str, Any]) -> QueuedMail:
        return cls(**{name: row[name] for name in cls.__dataclass_fields__})


class SmtpMailer:
    """One SMTP connection, kept open while there is mail to send, in the steps the sender
    needs: :meth:`open_envelope` (safe to repeat), then :meth:`transfer` (the message)."""

    def __init__(self, settings: SmtpSettings) -> None:
        self.settings = settings
        self._smtp: aiosmtplib.SMTP | None = None

    def compose(self, mail: QueuedMail, *, smtputf8: bool = True) -> tuple[bytes, bool]:
        """The message as it goes on the wire, and whether it needs SMTPUTF8. ``smtputf8``:
        whether the server takes it; without it a recipient whose local part is beyond ASCII
        is refused for good, and such a ``Reply-To`` is left out (the body says so)."""
        for address in (mail.to_address, mail.reply_to):
            if address is not None and not _ADDRESS.match(address):
                raise MailRefused(f"not an e-mail address: {address[:254]!r}", permanent=True)
        to_address = wire_address(mail.to_address)
        if not to_address.isascii() and not smtputf8:
            raise MailRefused(NO_SMTPUTF8, permanent=True)
        reply_to, body = wire_address(mail.reply_to) if mail.reply_to else None, mail.body
        if reply_to is not None and not reply_to.isascii() and not smtputf8:
            reply_to, body = None, self._without_reply_to(mail)
        utf8 = not to_address.isascii() or not (reply_to or "").isascii()
        message = EmailMessage()
        message["From"] = Address(display_name=_text(self.settings.sender_name), addr_spec=self.settings.sender)
        message["To"] = _address(mail.to_name, to_address)
        if reply_to:
            message["Reply-To"] = _address("", reply_to)
        message["Subject"] = _text(mail.subject)
        message["Date"] = format_datetime(mail.queued_at)
        message["Message-ID"] = f"<{mail.message_id}@{self.settings.message_id_domain}>"
        message["Auto-Submitted"] = "auto-generated"  # RFC 3834: no vacation replies to us
        message.set_content(body, subtype="plain", charset="utf-8", cte="quoted-printable")
        message["Content-Language"] = mail.language  # after set_content, which clears Content-* headers
        for attachment in mail.attachments:
            maintype, _, subtype = attachment["content_type"].partition("/")
            content = base64.b64decode(attachment["content"])
            message.add_attachment(content, maintype=maintype, subtype=subtype, filename=attachment["filename"])
        return message.as_bytes(policy=SMTPUTF8 if utf8 else SMTP), utf8

    def _without_reply_to(self, mail: QueuedMail) -> str:
        note = self.settings.reply_to_dropped
        return mail.body if note is None else note(mail.body, mail.language, mail.reply_to or "")

    async def supports_smtputf8(self) -> bool:
        """Whether the server takes addresses beyond ASCII (connecting if need be)."""
        return (await self._greeted()).supports_extension("smtputf8")

    async def open_envelope(self, recipient: str, *, utf8: bool) -> None:
        """Connect if need be, then ``MAIL FROM`` and ``RCPT TO`` (``recipient`` as
        :func:`wire_address` writes it). Nothing is delivered yet."""
        smtp = await self._greeted()
        if utf8 and not smtp.supports_extension("smtputf8"):
            raise MailRefused(NO_SMTPUTF8, permanent=True)
        options, encoding = (["SMTPUTF8"], "utf-8") if utf8 else ([], "ascii")
        try:
            await smtp.mail(self.settings.sender, options=options, encoding=encoding)
        except aiosmtplib.SMTPSenderRefused as error:
            raise ServerUnavailable(f"sender refused: {error.code} {error.message}") from error
        except (aiosmtplib.SMTPException, OSError) as error:
            await self.close()
            raise ServerUnavailable(repr(error)) from error
        try:
            await smtp.rcpt(recipient, encoding=encoding)
        except aiosmtplib.SMTPRecipientRefused as error:
            await self.reset()
            raise MailRefused(f"{error.code} {error.message}", permanent=500 <= error.code < 600) from error
        except (aiosmtplib.SMTPException, OSError) as error:
            await self.close()
            raise ServerUnavailable(repr(error)) from error

    async def transfer(self, raw: bytes) -> None:
        """``DATA``: :class:`MailRefused` if the server answered no; any other exception means
        the outcome is unknown (the server may have taken the message)."""
        smtp = await self._connected()
        try:
            await smtp.data(raw)
        except aiosmtplib.SMTPResponseException as error:
            await self.reset()
            raise MailRefused(f"{error.code} {error.message}", permanent=500 <= error.code < 600) from error
        except BaseException:  # lost, timed out or cancelled mid-DATA: hang up, say nothing more
            self.hang_up()
            raise

    async def _greeted(self) -> aiosmtplib.SMTP:
        """Connected, and greeted (EHLO; HELO for a server that knows no EHLO): only a greeted
        connection knows the server's extensions. Asked before, a server with SMTPUTF8 looked
        like one without for the first mail of a connection."""
        smtp = await self._connected()
        if not smtp.is_ehlo_or_helo_needed:
            return smtp
        try:
            try:
                await smtp.ehlo()
            except aiosmtplib.SMTPHeloError:
                await smtp.helo()
        except (aiosmtplib.SMTPException, OSError) as error:
            await self.close()
            raise ServerUnavailable(f"greeting refused: {error!r}") from error
        return smtp

    def hang_up(self) -> None:
        smtp, self._smtp = self._smtp, None
        if smtp is not None:
            smtp.close()

    async def reset(self) -> None:
        """Drop the open envelope (RSET); a connection that cannot is closed."""
        if self._smtp is None:
            return
        try:
            await self._smtp.rset()
        except (aiosmtplib.SMTPException, OSError):
            await self.close()

    async def close(self) -> None:
        smtp, self._smtp = self._smtp, None
        if smtp is None or not smtp.is_connected:
            return
        try:
            await asyncio.wait_for(smtp.quit(), timeout=2)
        except (aiosmtplib.SMTPException, OSError, TimeoutError):
            smtp.close()
        except BaseException:  # cancelled while saying goodbye: just hang up
            smtp.close()
            raise

    async def _connected(self) -> aiosmtplib.SMTP:
        if self._smtp is not None and self._smtp.is_connected:
            return self._smtp
        settings = self.settings
        smtp = aiosmtplib.SMTP(
            hostname=settings.host,
            port=settings.port,
            username=settings.user or None,
            password=settings.password or None,
            local_hostname=settings.helo_name or None,
            timeout=settings.timeout_seconds,
            use_tls=settings.security == "tls",
            start_tls=settings.security == "starttls",
            validate_certs=settings.validate_certs,
        )
        try:
            await smtp.connect()
        except (aiosmtplib.SMTPException, OSError) as error:
            smtp.close()
            raise ServerUnavailable(f"{settings.host}:{settings.port}: {error!r}") from error
        self._smtp = smtp
        return smtp


def _text(value: str) -> str:
    """One header-safe line: no line breaks or other controls (a header cannot be injected)."""
    return " ".join(_CONTROLS.sub(" ", value).split())


def wire_address(address: str) -> str:
    """``address`` as it goes on the wire: its domain IDNA-encoded, which every server takes
    (``ä@exämple.org`` → ``ä@xn--exmple-cua.org``); its local part as written. A domain that
    is no valid IDNA name stays as written, and needs SMTPUTF8 like a local part beyond ASCII."""
    local, at, domain = address.strip().rpartition("@")
    if not at or domain.isascii():
        return address.strip()
    try:
        encoded = ".".join(label.encode("idna").decode("ascii") if label else label for label in domain.split("."))
    except UnicodeError:
        return address.strip()
    return f"{local}@{encoded}"


def needs_smtputf8(mail: QueuedMail) -> bool:
    """Whether an address of ``mail`` stays beyond ASCII on the wire, so that what is sent
    depends on the server (asked before composing, only then)."""
    return any(address and not wire_address(address).isascii() for address in (mail.to_address, mail.reply_to))


def _address(name: str, address: str) -> Address:
    local, _, domain = address.rpartition("@")
    try:
        return Address(display_name=_text(name), username=local, domain=domain)
    except (ValueError, IndexError) as error:
        raise MailRefused(f"not an e-mail address: {address[:254]!r} ({error})", permanent=True) from error


# --- the sender: one round of the scheduled job ------------------------------------------------

_NEXT_DUE = """
SELECT message_id, about, to_address, to_name, reply_to, subject, body, language, attachments, queued_at
FROM mail_outbox WHERE status = 'pending' AND next_attempt_at <= now()
ORDER BY next_attempt_at, queued_at LIMIT 1
"""
_CLAIM = """
UPDATE mail_outbox SET status = 'sending', claim_id = %s, claimed_at = now(), attempts = attempts + 1
WHERE message_id = %s AND status = 'pending' RETURNING message_id
"""
# The outcome of a claim. From 'pending' (put back to be sent again) and 'uncertain' too: a
# sender whose claim was given up on while it was still talking to the server may still tell
# how it ended, as long as no new claim was taken (the claim id stays until then).
_FINISH = """
UPDATE mail_outbox SET status = %s, finished_at = now(), last_error = %s
WHERE message_id = %s AND claim_id = %s AND status IN ('sending', 'pending', 'uncertain') RETURNING message_id
"""
# Sent: the attachments go (a voucher PDF holds codes in clear, an invoice can be drawn again);
# subject, body and addresses stay for an operator until sent rows are pruned.
_SENT = """
UPDATE mail_outbox SET status = 'sent', finished_at = now(), last_error = NULL, attachments = '[]'
WHERE message_id = %s AND claim_id = %s AND status IN ('sending', 'pending', 'uncertain') RETURNING message_id
"""
_RELEASE = """
UPDATE mail_outbox SET status = 'pending', claim_id = NULL, claimed_at = NULL, last_error = %s,
       next_attempt_at = now() + make_interval(secs => least(%s, %s * power(2, attempts - 1)))
WHERE message_id = %s AND claim_id = %s AND status IN ('sending', 'uncertain')
"""
_POSTPONE = """
UPDATE mail_outbox SET attempts = attempts + 1, last_error = %s,
       next_attempt_at = now() + make_interval(secs => least(%s, %s * power(2, attempts)))
WHERE message_id = %s AND status = 'pending'
"""
_REFUSE = """
UPDATE mail_outbox SET status = 'refused', attempts = attempts + 1, finished_at = now(), last_error = %s
WHERE message_id = %s AND status = 'pending'
"""
_NOTE_SERVER_ERROR = "UPDATE mail_outbox SET last_error = %s WHERE message_id = %s AND status = 'pending'"
_EXPIRE = """
UPDATE mail_outbox SET status = 'expired', finished_at = now(),
       last_error = coalesce(last_error, 'not sent') || ' (given up)'
WHERE status = 'pending' AND queued_at < now() - %s RETURNING message_id
"""
# An unknown outcome: back to 'pending' after the pause while resends are left, else
# 'uncertain' for an operator. The claim stays (see _FINISH). Shared by the two ways an
# outcome is lost, so they cannot drift apart.
_RESEND_OR_GIVE_UP = """
UPDATE mail_outbox SET
       status = CASE WHEN resends < %(max_resends)s THEN 'pending' ELSE 'uncertain' END,
       resends = resends + CASE WHEN resends < %(max_resends)s THEN 1 ELSE 0 END,
       next_attempt_at = CASE WHEN resends < %(max_resends)s
                              THEN now() + make_interval(secs => %(pause)s) ELSE next_attempt_at END,
       finished_at = CASE WHEN resends < %(max_resends)s THEN NULL ELSE now() END,
       last_error = %(reason)s
"""
_ABANDON = _RESEND_OR_GIVE_UP + "WHERE status = 'sending' RETURNING message_id, about, status, resends, last_error"
_UNANSWERED = (
    _RESEND_OR_GIVE_UP
    + "WHERE message_id = %(message_id)s AND claim_id = %(claim)s AND status = 'sending' "
    + "RETURNING message_id, about, status, resends, last_error"
)
_ABANDONED_REASON = "its sender stopped after claiming it, before it could tell whether the server took it"


@dataclass(frozen=True)
class SenderPolicy:
    """How patient the sender is; the defaults suit production, tests shorten them."""

    first_retry_seconds: float = 30.0
    """A mail refused for now (4xx) is tried again after this, doubling each time ..."""
    max_retry_seconds: float = 3600.0
    """... up to this."""
    give_up_after: timedelta = timedelta(days=2)
    max_per_round: int = 500
    """A round ends after this many mails (the next one follows at the job's interval)."""
    first_server_pause_seconds: float = 5.0
    """After the server could not be used, rounds skip it this long, doubling each time ..."""
    max_server_pause_seconds: float = 60.0
    """... up to this (a round in between sends nothing and says so once)."""
    resend_uncertain_after_seconds: float = 60.0
    """A mail whose send had an unknown outcome (its sender died after the claim, or DATA got
    no answer) is sent again after this: never in the same round, and by default after the
    SMTP timeout, so a sender still waiting for the server's answer can mark it first."""
    max_resends: int = 5
    """After this many resends a mail whose outcome is still unknown ends ``uncertain``: a
    server that fails every DATA (or crashes the sender) is not fed copies for ever."""

    def __post_init__(self) -> None:
        if not self.resend_uncertain_after_seconds > 0:
            raise ValueError("resend_uncertain_after_seconds must be > 0: a resend right away could repeat a crash")
        if self.max_resends < 0:
            raise ValueError("max_resends must be >= 0 (0: at most once)")


def smtp_settings(settings: MailSettings, *, reply_to_dropped: ReplyToDropped | None = None) -> SmtpSettings:
    """The service settings' SMTP server (``smtp_*``, ``mail_from``), the town in the sender's
    name; ``reply_to_dropped``: the service's note for a Reply-To that cannot go."""
    return SmtpSettings(
        host=settings.smtp_host,
        port=settings.smtp_port,
        security="starttls" if settings.smtp_starttls else "none",
        user=settings.smtp_user,
        password=settings.smtp_password,
        sender=settings.mail_from,
        sender_name=f"Downtown {settings.display_name}",
        reply_to_dropped=reply_to_dropped,
    )


def sender_policy(settings: MailSettings) -> SenderPolicy:
    """The production policy, but for the resend pause the service settings may shorten (a
    crash test waits seconds, not a minute, for the copy)."""
    return SenderPolicy(resend_uncertain_after_seconds=settings.mail_resend_after_seconds)


async def send_mail_job(pool: Pool, settings: MailSettings) -> int:
    """The scheduled job's round (``ScheduledJob("send-mail", …, send_mail_job)``): send what
    is due with the service settings' SMTP server; returns how many were sent."""
    return await send_due_mail(pool, smtp_settings(settings), sender_policy(settings))


def mail_sender(
    reply_to_dropped: Callable[[MailSettings], ReplyToDropped | None] | None = None,
) -> Callable[[Pool, MailSettings], Awaitable[int]]:
    """The scheduled job's round for a service whose mails promise where a reply goes:
    ``reply_to_dropped`` gives, from the worker's settings (the town's texts), the note a body
    gets when its Reply-To cannot go. Without it, :func:`send_mail_job`."""
    if reply_to_dropped is None:
        return send_mail_job
    note = reply_to_dropped

    async def send_mail(pool: Pool, settings: MailSettings) -> int:
        smtp = smtp_settings(settings, reply_to_dropped=note(settings))
        return await send_due_mail(pool, smtp, sender_policy(settings))

    return send_mail


async def send_due_mail(pool: Pool, smtp: SmtpSettings, policy: SenderPolicy | None = None) -> int:
    """One round: send every due mail (up to ``policy.max_per_round``); returns how many
    were sent. The caller runs one round at a time across replicas: the runtime's job
    runner (``jobs.run_once``) holds the job's advisory lock for the whole round, so a row
    still claimed when a round begins was left by a round that ended without marking it."""
    policy = policy or SenderPolicy()
    pause = _server_pauses.setdefault((smtp.host, smtp.port), _ServerPause())
    if pause.skipping():
        return 0
    mailer = SmtpMailer(smtp)
    try:
        async with pool.connection() as conn:
            sender = _Sender(conn, mailer, policy)
            await _resend_abandoned(conn, policy)
            await sender.expire_old()
            try:
                sent = await sender.send_due()
            except ServerUnavailable as error:
                wait = pause.failed(policy)
                log.warning(
                    "mail server %s:%d unavailable (%s); trying again in %.0f s", smtp.host, smtp.port, error, wait
                )
                return sender.sent
            pause.recovered()
            return sent
    finally:
        await mailer.close()


class _ServerPause:
    """Per process and server: how long rounds leave a server alone that could not be used."""

    def __init__(self) -> None:
        self.failures = 0
        self.until = 0.0

    def skipping(self) -> bool:
        return time.monotonic() < self.until

    def failed(self, policy: SenderPolicy) -> float:
        self.failures += 1
        wait = min(policy.max_server_pause_seconds, policy.first_server_pause_seconds * 2 ** (self.failures - 1))
        self.until = time.monotonic() + wait
        return wait

    def recovered(self) -> None:
        self.failures, self.until = 0, 0.0


_server_pauses: dict[tuple[str, int], _ServerPause] = {}


class _Sender:
    def __init__(self, conn: Connection, mailer: SmtpMailer, policy: SenderPolicy) -> None:
        self.conn = conn
        self.mailer = mailer
        self.policy = policy
        self.sent = 0

    async def send_due(self) -> int:
        """Send due mails, one at a time, until none is due or the round's limit is reached."""
        for _ in range(self.policy.max_per_round):
            row = await (await self.conn.execute(_NEXT_DUE)).fetchone()
            if row is None:
                break
            await self.send(QueuedMail.of(row))
        return self.sent

    async def send(self, mail: QueuedMail) -> None:
        try:
            smtputf8 = await self.mailer.supports_smtputf8() if needs_smtputf8(mail) else True
        except ServerUnavailable as error:
            await self.conn.execute(_NOTE_SERVER_ERROR, (str(error)[:1000], mail.message_id))
            raise
        try:
            raw, utf8 = self.mailer.compose(mail, smtputf8=smtputf8)
        except MailRefused as refusal:
            await self._refused_before_claim(mail, refusal)
            return
        except Exception as error:  # a row that cannot become a message must not block the queue
            await self._refused_before_claim(mail, MailRefused(f"cannot compose: {error!r}", permanent=True))
            return
        try:
            await self.mailer.open_envelope(wire_address(mail.to_address), utf8=utf8)
        except MailRefused as refusal:
            await self._refused_before_claim(mail, refusal)
            return
        except ServerUnavailable as error:
            await self.conn.execute(_NOTE_SERVER_ERROR, (str(error)[:1000], mail.message_id))
            raise
        claim = uuid4()
        if await (await self.conn.execute(_CLAIM, (claim, mail.message_id))).fetchone() is None:
            await self.mailer.reset()  # no longer pending (an operator's hand): nothing to send
            return
        crash_point("mail.after_claim")
        try:
            await self.mailer.transfer(raw)
        except MailRefused as refusal:
            await self._refused_after_claim(mail, claim, refusal)
            return
        except Exception as error:  # no answer to DATA: the server may have the message
            reason = f"no answer to DATA: {error!r}"[:1000]
            values = {**_resend_values(self.policy, reason), "message_id": mail.message_id, "claim": claim}
            for row in await (await self.conn.execute(_UNANSWERED, values)).fetchall():
                _report_unknown_outcome(row, self.policy)
            return
        crash_point("mail.after_data")
        await self.conn.execute(_SENT, (mail.message_id, claim))
        self.sent += 1
        mails_sent.add(1)
        log.info("mail %s (%s) sent", mail.message_id, mail.about)

    async def _refused_before_claim(self, mail: QueuedMail, refusal: MailRefused) -> None:
        reason = str(refusal)[:1000]
        if refusal.permanent:
            await self.conn.execute(_REFUSE, (reason, mail.message_id))
            mails_refused.add(1)
            log.warning("mail %s (%s) refused: %s", mail.message_id, mail.about, reason)
        else:
            policy = self.policy
            await self.conn.execute(
                _POSTPONE, (reason, policy.max_retry_seconds, policy.first_retry_seconds, mail.message_id)
            )
            mails_retried.add(1)
            log.info("mail %s (%s) refused for now: %s", mail.message_id, mail.about, reason)

    async def _refused_after_claim(self, mail: QueuedMail, claim: UUID, refusal: MailRefused) -> None:
        """The server answered DATA with a refusal: it does not have the message."""
        reason = str(refusal)[:1000]
        if refusal.permanent:
            await self.conn.execute(_FINISH, ("refused", reason, mail.message_id, claim))
            mails_refused.add(1)
            log.warning("mail %s (%s) refused: %s", mail.message_id, mail.about, reason)
        else:
            policy = self.policy
            values = (reason, policy.max_retry_seconds, policy.first_retry_seconds, mail.message_id, claim)
            await self.conn.execute(_RELEASE, values)
            mails_retried.add(1)
            log.info("mail %s (%s) refused for now: %s", mail.message_id, mail.about, reason)

    async def expire_old(self) -> None:
        rows = await (await self.conn.execute(_EXPIRE, (self.policy.give_up_after,))).fetchall()
        if rows:
            mails_expired.add(len(rows))
            log.warning("%d mails not sent within %s, given up: %s", len(rows), self.policy.give_up_after, rows)


async def _resend_abandoned(conn: Connection, policy: SenderPolicy) -> None:
    """Claims a previous round left open (its process died, or was cancelled, mid-send)."""
    rows = await (await conn.execute(_ABANDON, _resend_values(policy, _ABANDONED_REASON))).fetchall()
    for row in rows:
        _report_unknown_outcome(row, policy)


def _resend_values(policy: SenderPolicy, reason: str) -> dict[str, Any]:
    return {"max_resends": policy.max_resends, "pause": policy.resend_uncertain_after_seconds, "reason": reason}


def _report_unknown_outcome(row: dict[str, Any], policy: SenderPolicy) -> None:
    """A resend is a warning (a recipient may get a copy); giving up is an error for an operator."""
    if row["status"] == "pending":
        mails_resent.add(1)
        log.warning(
            "mail %s (%s): outcome unknown (%s); sending it again in %g s with the same Message-ID (resend %d of %d)",
            row["message_id"],
            row["about"],
            row["last_error"],
            policy.resend_uncertain_after_seconds,
            row["resends"],
            policy.max_resends,
        )
        return
    mails_uncertain.add(1)
    log.error(
        "mail %s (%s): outcome unknown (%s) after %d resends: maybe sent, maybe lost; not sent again "
        "(requeue it if the server never got it)",
        row["message_id"],
        row["about"],
        row["last_error"],
        row["resends"],
    )
