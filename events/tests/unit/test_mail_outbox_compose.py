# SPDX-License-Identifier: Apache-2.0
"""A queued mail as the kit's outbox puts it on the wire, read back by the standard library's
parser as a mail client would: headers, UTF-8, plain text only, attachments, addresses
beyond ASCII, and a Reply-To that cannot go. What a service's mails *say* is its own test."""

from __future__ import annotations

import email
import email.policy
from datetime import UTC, datetime
from email.message import EmailMessage
from uuid import uuid4

import pytest

from downtown_events.runtime.mail import Attachment, OutgoingMail, clean, mail_id
from downtown_events.runtime.mail_outbox import (
    MailRefused,
    QueuedMail,
    SmtpMailer,
    SmtpSettings,
    mail_sender,
    needs_smtputf8,
    outbox_row,
    send_mail_job,
    smtp_settings,
    wire_address,
)
from downtown_events.runtime.settings import MailSettings

NOW = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
SETTINGS = SmtpSettings(sender="gutscheine@schoeppingen.example", sender_name="Downtown Schöppingen")
MAILER = SmtpMailer(SETTINGS)
BODY = "Guten Tag Jörg,\n\nIhr Gutschein über 25,00\u00a0€ ist bezahlt.\n\nViele Grüße\n\n-- \nDowntown\n"


def mail(**changes: object) -> OutgoingMail:
    fields: dict[str, object] = {
        "message_id": mail_id(uuid4(), "buyer"),
        "to_address": "joerg@example.org",
        "to_name": "Jörg Müller-Weiß",
        "subject": "Ihr Gutschein „Schöppingen“",
        "body": BODY,
        "language": "de",
        "about": "PurchasePaid:buyer",
        "reply_to": "verein@schoeppingen.example",
    }
    return OutgoingMail(**{**fields, **changes})  # type: ignore[arg-type]


def queued(message: OutgoingMail) -> QueuedMail:
    return QueuedMail.of({**outbox_row(message), "queued_at": NOW, "attempts": 0})


def parsed(raw: bytes) -> EmailMessage:
    message = email.message_from_bytes(raw, policy=email.policy.default)
    assert isinstance(message, EmailMessage)
    return message


def content(part: EmailMessage) -> str:
    return str(part.get_content()).replace("\r\n", "\n")


@pytest.mark.parametrize("language", ["de", "en"])
def test_a_mail_is_plain_text_in_utf_8_with_the_headers_a_client_shows(language: str) -> None:
    sent = mail(language=language)
    raw, utf8 = MAILER.compose(queued(sent))
    assert not utf8 and raw.isascii()  # 7-bit on the wire: encoded words, quoted-printable
    message = parsed(raw)
    assert str(message["From"]) == "Downtown Schöppingen <gutscheine@schoeppingen.example>"
    assert str(message["To"]) == "Jörg Müller-Weiß <joerg@example.org>"
    assert str(message["Reply-To"]) == "verein@schoeppingen.example"
    assert str(message["Subject"]) == "Ihr Gutschein „Schöppingen“"
    assert str(message["Message-ID"]) == f"<{sent.message_id}@schoeppingen.example>"
    assert message["Date"].datetime == NOW
    assert message["Auto-Submitted"] == "auto-generated" and message["Content-Language"] == language
    assert message.get_content_type() == "text/plain" and message.get_content_charset() == "utf-8"
    assert content(message) == BODY and "25,00\u00a0€" in content(message)  # the no-break space kept
    assert not message.is_multipart()


def test_a_mail_id_is_the_same_for_every_delivery_of_an_event_and_one_per_recipient() -> None:
    event_id = uuid4()
    assert mail_id(event_id, "buyer") == mail_id(str(event_id), "buyer")
    assert mail_id(event_id, "buyer") != mail_id(event_id, "merchant")
    assert mail_id(event_id, "buyer") != mail_id(uuid4(), "buyer")


def test_a_pdf_goes_as_an_attachment_beside_the_text() -> None:
    pdf = b"%PDF-1.4 fake but bytes\x00\xff"
    sent = mail(attachments=(Attachment("Gutscheine-A1B2C3D4.pdf", "application/pdf", pdf),))
    message = parsed(MAILER.compose(queued(sent))[0])
    assert message.get_content_type() == "multipart/mixed"
    text, attachment = list(message.iter_parts())
    assert text.get_content_type() == "text/plain" and content(text) == BODY  # type: ignore[arg-type]
    assert attachment.get_content_type() == "application/pdf"
    assert attachment.get_filename() == "Gutscheine-A1B2C3D4.pdf" and attachment.get_content() == pdf


def test_typed_text_cannot_add_a_header() -> None:
    hostile = mail(subject="Hallo\r\nBcc: evil@example.org", to_name="A\nB: c")
    raw, _ = MAILER.compose(queued(hostile))
    message = parsed(raw)
    assert message["Bcc"] is None and str(message["Subject"]) == "Hallo Bcc: evil@example.org"
    assert b"\nBcc:" not in raw and b"\nB: c" not in raw
    assert clean("Anna \u200bMüller\x00", 120) == "Anna Müller"


def test_an_address_that_is_none_is_refused_for_good() -> None:
    for address in ("not an address", "a@b", "a@b.de>\r\nRCPT TO:<x@y.de"):
        with pytest.raises(MailRefused) as refused:
            MAILER.compose(queued(mail(to_address=address)))
        assert refused.value.permanent


def test_a_local_part_beyond_ascii_needs_smtputf8_and_a_domain_goes_idna_encoded() -> None:
    sent = mail(to_address="jörg@müller.example")
    raw, utf8 = MAILER.compose(queued(sent))
    assert utf8 and "jörg@xn--mller-kva.example".encode() in raw
    assert wire_address("jörg@müller.example") == "jörg@xn--mller-kva.example"
    assert needs_smtputf8(queued(sent))
    with pytest.raises(MailRefused, match="no SMTPUTF8") as refused:
        MAILER.compose(queued(sent), smtputf8=False)
    assert refused.value.permanent


def test_an_address_whose_domain_alone_is_beyond_ascii_is_sent_to_any_server() -> None:
    sent = mail(to_address="anna@exämple.org")
    assert not needs_smtputf8(queued(sent))
    raw, utf8 = MAILER.compose(queued(sent), smtputf8=False)
    assert not utf8 and raw.isascii()
    assert parsed(raw)["To"].addresses[0].addr_spec == "anna@xn--exmple-cua.org"


def test_a_reply_to_that_cannot_go_is_left_out_and_the_service_says_so_in_its_words() -> None:
    sent = mail(reply_to="ä@exämple.org")
    plain, _ = SmtpMailer(SETTINGS).compose(queued(sent), smtputf8=False)
    assert parsed(plain)["Reply-To"] is None and content(parsed(plain)) == BODY  # no note: the body as written
    seen: list[tuple[str, str]] = []

    def note(body: str, language: str, address: str) -> str:
        seen.append((language, address))
        return body + f"Schreiben Sie an {address}.\n"

    noted = SmtpMailer(SmtpSettings(sender=SETTINGS.sender, reply_to_dropped=note))
    raw, utf8 = noted.compose(queued(sent), smtputf8=False)
    assert not utf8 and parsed(raw)["Reply-To"] is None
    assert content(parsed(raw)).endswith("Schreiben Sie an ä@exämple.org.\n") and seen == [("de", "ä@exämple.org")]
    kept, utf8 = noted.compose(queued(sent))  # a server with SMTPUTF8 gets the address
    assert utf8 and str(parsed(kept)["Reply-To"]) == "ä@xn--exmple-cua.org" and content(parsed(kept)) == BODY


def test_the_sender_comes_from_the_service_settings() -> None:
    settings = MailSettings(
        town="schoeppingen",
        database_url="postgresql://localhost/x",
        town_name="Schöppingen",
        smtp_host="mail.example",
        smtp_port=587,
        smtp_starttls=True,
        smtp_user="u",
        smtp_password="p",
        mail_from="gutscheine@schoeppingen.example",
    )
    smtp = smtp_settings(settings)
    assert (smtp.host, smtp.port, smtp.security, smtp.user, smtp.password) == (
        "mail.example",
        587,
        "starttls",
        "u",
        "p",
    )
    assert (smtp.sender, smtp.sender_name) == ("gutscheine@schoeppingen.example", "Downtown Schöppingen")
    assert smtp.message_id_domain == "schoeppingen.example" and smtp.reply_to_dropped is None
    with pytest.raises(ValueError, match="not an e-mail address"):
        SmtpSettings(sender="gutscheine")


def test_a_service_without_a_reply_to_note_sends_with_the_plain_job() -> None:
    assert mail_sender() is send_mail_job
    assert mail_sender(lambda settings: None) is not send_mail_job
