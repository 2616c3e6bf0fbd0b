# SPDX-License-Identifier: AGPL-3.0-or-later
"""Ordering's mails as they go on the wire, read back by the standard library's parser as a
mail client would: headers, UTF-8, plain text only, both languages, and what a mail says when
its Reply-To cannot go. How the kit's outbox writes any mail (attachments, addresses, header
injection) is events/tests/unit/test_mail_outbox_compose.py."""

from __future__ import annotations

import email
import email.policy
from datetime import UTC, datetime, timedelta
from email.message import EmailMessage
from uuid import uuid4

import pytest

from downtown_events.ordering import Fulfilment, OrderLine, OrderPlaced, Payment
from downtown_events.runtime.mail_outbox import (
    QueuedMail,
    SmtpMailer,
    SmtpSettings,
    outbox_row,
    smtp_settings,
)
from ordering.app.notifications import (
    CustomerContact,
    MerchantContact,
    OrderContext,
    OutgoingMail,
    notifications_for,
    without_reply_to,
)
from ordering.bootstrap import reply_to_note
from ordering.settings import OrderingSettings

NOW = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
MAILER = SmtpMailer(
    SmtpSettings(
        sender="bestellungen@schoeppingen.example",
        sender_name="Downtown Schöppingen",
        reply_to_dropped=without_reply_to,  # as ordering's worker sends (bootstrap.reply_to_note)
    )
)


def context(language: str = "de") -> OrderContext:
    line = OrderLine(
        offer_id=uuid4(),
        kind="product",
        title="Brötchen „Spezial“",
        quantity=3,
        unit_price_cents=95,
        vat_rate_percent=7,
    )
    placed = OrderPlaced(
        order_id=uuid4(),
        checkout_id=uuid4(),
        merchant_id=uuid4(),
        lines=[line],
        fulfilment=Fulfilment(method="pickup"),
        payment=Payment(method="at_pickup"),
        goods_cents=285,
        total_cents=285,
        merchant_answer_by=NOW + timedelta(hours=2),
        cancellable_until=NOW + timedelta(minutes=30),
    )
    return OrderContext(
        placed=placed,
        customer=CustomerContact(
            name="Jörg Müller-Weiß",
            email="joerg@example.org",
            language=language,  # type: ignore[arg-type]
            status_url="https://bestellen.example/orders/1?token=abc",
        ),
        merchant=MerchantContact(name="Bäckerei Öztürk", email="laden@oeztuerk.example"),
        town_name="Schöppingen",
    )


def customer_mail(language: str = "de") -> OutgoingMail:
    mails = notifications_for(context(language).placed, uuid4(), context(language))
    return next(mail for mail in mails if mail.about == "OrderPlaced:customer")


def queued(mail: OutgoingMail) -> QueuedMail:
    return QueuedMail.of({**outbox_row(mail), "queued_at": NOW, "attempts": 0})


def content(part: EmailMessage) -> str:
    """A text part's content with the wire's CRLF line ends as the body's LF."""
    return str(part.get_content()).replace("\r\n", "\n")


def parsed(raw: bytes) -> EmailMessage:
    message = email.message_from_bytes(raw, policy=email.policy.default)
    assert isinstance(message, EmailMessage)
    return message


@pytest.mark.parametrize("language", ["de", "en"])
def test_a_mail_is_plain_text_in_utf_8_with_the_headers_a_client_shows(language: str) -> None:
    mail = customer_mail(language)
    raw, utf8 = MAILER.compose(queued(mail))
    assert not utf8 and raw.isascii()  # 7-bit on the wire: encoded words, quoted-printable
    message = parsed(raw)
    assert str(message["From"]) == "Downtown Schöppingen <bestellungen@schoeppingen.example>"
    assert str(message["To"]) == "Jörg Müller-Weiß <joerg@example.org>"
    assert str(message["Reply-To"]) == "laden@oeztuerk.example"
    assert str(message["Subject"]) == mail.subject and "Bäckerei Öztürk" in mail.subject
    assert str(message["Message-ID"]) == f"<{mail.message_id}@schoeppingen.example>"
    assert message["Date"].datetime == NOW
    assert message["Auto-Submitted"] == "auto-generated" and message["Content-Language"] == language
    assert message.get_content_type() == "text/plain" and message.get_content_charset() == "utf-8"
    assert content(message) == mail.body and "Brötchen „Spezial“" in content(message)
    assert not message.is_multipart()


def test_the_two_languages_say_it_in_their_own_words() -> None:
    german, english = (
        parsed(MAILER.compose(queued(customer_mail("de")))[0]),
        parsed(MAILER.compose(queued(customer_mail("en")))[0]),
    )
    assert german.get_content().startswith("Guten Tag Jörg Müller-Weiß,")
    assert english.get_content().startswith("Hello Jörg Müller-Weiß,")
    assert "Viele Grüße" in german.get_content() and "Kind regards" in english.get_content()


@pytest.mark.parametrize(
    ("language", "line", "total"),
    [
        ("de", "3 × Brötchen „Spezial“: 2,85\u00a0€ (je 0,95\u00a0€)", "Gesamt: 2,85\u00a0€"),
        ("en", "3 × Brötchen „Spezial“: €2.85 (each €0.95)", "Total: €2.85"),
    ],
)
def test_amounts_are_written_as_the_recipients_language_writes_them(language: str, line: str, total: str) -> None:
    """One formatting (downtown_events.money), its no-break space kept on the wire."""
    body = content(parsed(MAILER.compose(queued(customer_mail(language)))[0]))
    assert line in body and total in body


def test_no_html_no_images_no_tracking() -> None:
    mail = customer_mail()
    raw, _ = MAILER.compose(queued(mail))
    lowered = raw.lower()
    for forbidden in (b"text/html", b"<img", b"<html", b"image/"):
        assert forbidden not in lowered
    links = [word for word in parsed(raw).get_content().split() if "://" in word]
    assert links == ["https://bestellen.example/orders/1?token=abc"]  # the status page and nothing else


def merchant_mail(language: str = "de", customer_email: str = "ä@exämple.org") -> OutgoingMail:
    order = context()
    customer = CustomerContact(**{**order.customer.__dict__, "email": customer_email})
    merchant = MerchantContact(**{**order.merchant.__dict__, "language": language})
    order = OrderContext(**{**order.__dict__, "customer": customer, "merchant": merchant})
    mails = notifications_for(order.placed, uuid4(), order)
    return next(mail for mail in mails if mail.about == "OrderPlaced:merchant")


@pytest.mark.parametrize(
    ("language", "note", "claim"),
    [
        ("de", "Antworten auf diese E-Mail erreichen ä@exämple.org nicht", "Eine Antwort erreicht den Kunden"),
        ("en", "a reply to this e-mail does not reach ä@exämple.org", "A reply reaches the customer"),
    ],
)
def test_a_reply_to_beyond_ascii_is_left_out_for_a_server_without_smtputf8_and_the_body_says_so(
    language: str, note: str, claim: str
) -> None:
    """Issue 14: the customer's ``ä@exämple.org`` as Reply-To made the merchant's new-order
    mail fail for good; now the mail goes, without it, and says whom to write to."""
    mail = merchant_mail(language)
    assert mail.reply_to == "ä@exämple.org" and claim in mail.body
    raw, utf8 = MAILER.compose(queued(mail), smtputf8=False)
    message = parsed(raw)
    assert not utf8 and raw.isascii() and message["Reply-To"] is None
    text = content(message)
    assert note in text and claim not in text
    assert text.index(note) < text.index("-- \n")  # in the letter, not the signature
    letter = mail.body.partition("\n\nViele Grüße" if language == "de" else "\n\nKind regards")[0]
    assert text.startswith(letter)  # the letter otherwise as written
    kept, utf8 = MAILER.compose(queued(mail))  # a server with SMTPUTF8 gets the address
    assert utf8 and str(parsed(kept)["Reply-To"]) == "ä@xn--exmple-cua.org" and claim in content(parsed(kept))


def test_a_reply_to_whose_domain_alone_is_beyond_ascii_stays() -> None:
    mail = merchant_mail(customer_email="anna@exämple.org")
    raw, utf8 = MAILER.compose(queued(mail), smtputf8=False)
    assert not utf8 and str(parsed(raw)["Reply-To"]) == "anna@xn--exmple-cua.org"
    assert content(parsed(raw)) == mail.body


def test_the_sender_comes_from_the_ordering_settings() -> None:
    settings = OrderingSettings(
        town="schoeppingen",
        database_url="postgresql://localhost/x",
        town_name="Schöppingen",
        smtp_host="mail.example",
        smtp_port=587,
        smtp_starttls=True,
        smtp_user="u",
        smtp_password="p",
        mail_from="bestellungen@schoeppingen.example",
    )
    smtp = smtp_settings(settings)
    assert (smtp.host, smtp.port, smtp.security, smtp.user, smtp.password) == (
        "mail.example",
        587,
        "starttls",
        "u",
        "p",
    )
    assert (smtp.sender, smtp.sender_name) == ("bestellungen@schoeppingen.example", "Downtown Schöppingen")
    with pytest.raises(ValueError, match="not an e-mail address"):
        SmtpSettings(sender="bestellungen")


@pytest.mark.parametrize("language", ["de", "en"])
def test_a_shops_address_beyond_ascii_as_reply_to_of_the_customers_mail_is_left_out_alike(language: str) -> None:
    order = context(language)
    shop = MerchantContact(**{**order.merchant.__dict__, "email": "bäcker@öztürk.example"})
    order = OrderContext(**{**order.__dict__, "merchant": shop})
    (mail,) = [mail for mail in notifications_for(order.placed, uuid4(), order) if mail.about == "OrderPlaced:customer"]
    raw, utf8 = MAILER.compose(queued(mail), smtputf8=False)
    text = content(parsed(raw))
    assert not utf8 and parsed(raw)["Reply-To"] is None
    assert "bäcker@öztürk.example" in text.partition("-- \n")[0]
    assert "erreicht Ihre Antwort" not in text and "your reply reaches" not in text
    assert text.rstrip().endswith("versandt." if language == "de" else "sent automatically.")


def test_the_worker_sends_with_orderings_note_for_a_reply_to_that_cannot_go() -> None:
    """The send-mail job of ordering's worker is the kit's, given ordering's note (bootstrap)."""
    settings = OrderingSettings(town="schoeppingen", database_url="postgresql://localhost/x", town_name="Schöppingen")
    mailer = SmtpMailer(smtp_settings(settings, reply_to_dropped=reply_to_note(settings)))
    raw, _ = mailer.compose(queued(merchant_mail("en")), smtputf8=False)
    assert "a reply to this e-mail does not reach ä@exämple.org" in content(parsed(raw))
