# SPDX-License-Identifier: AGPL-3.0-or-later
"""The buyer's two mails, as the notifier composes them: how to pay (the association's
account, the reference, the deadline, the provider's checkout link), and the paid vouchers
with their PDF; in German and in English; one mail per event however often it comes."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import UTC, date, datetime
from uuid import UUID, uuid4

import pytest

from downtown_events.runtime.idempotency import fingerprint
from downtown_events.vouchers import PurchaseItem
from vouchers.app.notifications import BuyerMail, MailVoucher, PaymentDetails, paid_vouchers, payment_instructions
from vouchers.domain.commands import RequestedVoucher, StartPurchase
from vouchers.domain.private_events import Gift
from vouchers.domain.purchase import Purchase
from vouchers.domain.sale import BuyerSecrets

PURCHASE_ID = UUID("a1b2c3d4-0000-4000-8000-000000000001")
PAY_BY = datetime(2026, 3, 5, 16, 30, tzinfo=UTC)  # 17:30 in Schöppingen (CET)
ACCOUNT = PaymentDetails(
    account_holder="Werbegemeinschaft Schöppingen e.V.",
    iban="DE89 3704 0044 0532 0130 00",
    bic="COBADEFFXXX",
)
CHECKOUT = PaymentDetails(checkout_url="https://pay.example/checkout?ref={reference}&amount={amount_cents}")


def purchase(language: str = "de", channel: str = "online") -> Purchase:
    first, second = uuid4(), uuid4()
    items = (
        PurchaseItem(voucher_id=first, programme_id=uuid4(), amount_cents=2500),
        PurchaseItem(voucher_id=second, programme_id=uuid4(), amount_cents=1000, gift=True),
    )
    secrets = BuyerSecrets(
        buyer_email="anna@example.org",
        buyer_ref="ref",
        access_token_hash="0" * 64,
        sealed_codes="sealed",
        code_hashes={first: "a" * 32, second: "b" * 32},
        gifts=(Gift(voucher_id=second, recipient_name="Oma Grete"),),
        language=language,  # type: ignore[arg-type]
    )
    return Purchase(PURCHASE_ID, channel, items, 3500, PAY_BY, secrets=secrets)  # type: ignore[arg-type]


def mail(language: str = "de", **changes: object) -> BuyerMail:
    vouchers = (
        MailVoucher("Stadtgutschein Schöppingen", 2500),
        MailVoucher("Weinhandlung ter Haar", 1000, gift_for="Oma Grete"),
    )
    return replace(BuyerMail(purchase(language), vouchers, "Schöppingen"), **changes)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("language", "says"),
    [
        (
            "de",
            [
                "Ihre Gutscheine GS-A1B2C3D4: so bezahlen Sie",
                "bitte zahlen Sie 35,00\u00a0€ bis Do., 5. März 2026, 17:30 Uhr",
                "Kontoinhaber: Werbegemeinschaft Schöppingen e.V.",
                "IBAN: DE89 3704 0044 0532 0130 00",
                "BIC: COBADEFFXXX",
                "Verwendungszweck: GS-A1B2C3D4",
                "- Stadtgutschein Schöppingen: 25,00\u00a0€",
                "- Weinhandlung ter Haar: 10,00\u00a0€, ein Geschenk für Oma Grete",
                "Viele Grüße",
            ],
        ),
        (
            "en",
            [
                "Your vouchers GS-A1B2C3D4: how to pay",
                "please pay €35.00 by Thu 5 Mar 2026, 17:30",
                "Account holder: Werbegemeinschaft Schöppingen e.V.",
                "IBAN: DE89 3704 0044 0532 0130 00",
                "Payment reference: GS-A1B2C3D4",
                "- Weinhandlung ter Haar: €10.00, a gift for Oma Grete",
                "Kind regards",
            ],
        ),
    ],
)
def test_the_payment_instructions_say_what_to_pay_to_whom_with_which_reference_by_when(
    language: str, says: list[str]
) -> None:
    sent = payment_instructions(uuid4(), mail(language), ACCOUNT)
    assert sent is not None
    text = f"{sent.subject}\n{sent.body}"
    for expected in says:
        assert expected in text, (expected, text)
    assert sent.to_address == "anna@example.org" and sent.language == language
    assert sent.about == "PurchaseStarted:buyer" and sent.attachments == ()
    assert "://" not in sent.body  # no checkout link configured, none invented


@pytest.mark.parametrize(("language", "offer"), [("de", "Hier bezahlen Sie online:"), ("en", "Pay online here:")])
def test_a_town_with_a_payment_provider_sends_its_checkout_link_for_this_purchase(language: str, offer: str) -> None:
    sent = payment_instructions(uuid4(), mail(language), CHECKOUT)
    assert sent is not None
    assert f"{offer}\nhttps://pay.example/checkout?ref=GS-A1B2C3D4&amount=3500\n" in sent.body
    assert "IBAN" not in sent.body  # no account configured: no transfer offered
    both = payment_instructions(uuid4(), mail(language), replace(ACCOUNT, checkout_url=CHECKOUT.checkout_url))
    assert both is not None and "IBAN: DE89" in both.body
    assert "https://pay.example/checkout?ref=GS-A1B2C3D4" in both.body


@pytest.mark.parametrize(
    ("language", "says"),
    [
        ("de", ["Ihre Gutscheine GS-A1B2C3D4", "Ihre Zahlung über 35,00\u00a0€", "gültig bis 31. Dez. 2029", "PDF"]),
        ("en", ["Your vouchers GS-A1B2C3D4", "your payment of €35.00", "valid until 31 Dec 2029", "PDF"]),
    ],
)
def test_the_paid_vouchers_come_as_a_pdf_with_what_each_is_worth_until_when(language: str, says: list[str]) -> None:
    pdf = b"%PDF-1.4 the vouchers"
    issued = (
        MailVoucher("Stadtgutschein Schöppingen", 2500, expires_on=date(2029, 12, 31)),
        MailVoucher("Weinhandlung ter Haar", 1000, gift_for="Oma Grete", expires_on=date(2029, 12, 31)),
    )
    sent = paid_vouchers(uuid4(), mail(language, vouchers=issued), pdf)
    assert sent is not None
    text = f"{sent.subject}\n{sent.body}"
    for expected in says:
        assert expected in text, (expected, text)
    (attachment,) = sent.attachments
    assert (attachment.filename, attachment.content_type, attachment.content) == (
        "Gutscheine-GS-A1B2C3D4.pdf",
        "application/pdf",
        pdf,
    )
    assert sent.about == "PurchasePaid:buyer" and sent.language == language


def test_without_its_pdf_the_mail_says_where_to_fetch_the_vouchers() -> None:
    sent = paid_vouchers(uuid4(), mail("en"), None)
    assert sent is not None and sent.attachments == ()
    assert "open your purchase with the link" in sent.body and "attached" not in sent.body


def test_each_event_makes_one_mail_id_and_only_online_buyers_get_mail() -> None:
    event_id = uuid4()
    first, again = payment_instructions(event_id, mail(), ACCOUNT), payment_instructions(event_id, mail(), ACCOUNT)
    assert first is not None and again is not None and first.message_id == again.message_id
    paid = paid_vouchers(uuid4(), mail(), None)
    assert paid is not None and paid.message_id != first.message_id
    counter = replace(mail(), purchase=purchase(channel="counter"))
    assert payment_instructions(uuid4(), counter, ACCOUNT) is None and paid_vouchers(uuid4(), counter, None) is None


def test_typed_names_cannot_break_the_mail() -> None:
    hostile = (MailVoucher("Wein\r\nBcc: evil@example.org", 2500, gift_for="Oma\u200b\x00 Grete"),)
    sent = payment_instructions(uuid4(), mail(vouchers=hostile), ACCOUNT)
    assert sent is not None
    assert "- WeinBcc: evil@example.org: 25,00\u00a0€, ein Geschenk für Oma Grete" in sent.body
    assert "\nBcc:" not in sent.body and "\u200b" not in sent.body


def test_a_purchase_in_german_prints_as_it_did_before_the_language_was_asked() -> None:
    """A retry of a purchase started before issue 16 (its fingerprint stored then) is still the
    same request; one in English is another request."""

    @dataclass(frozen=True)
    class BeforeIssue16:  # StartPurchase as it was
        items: tuple[RequestedVoucher, ...]
        buyer_email: str
        channel: str = "online"
        idempotency_key: str | None = None

    wanted = (RequestedVoucher(PURCHASE_ID, 2500),)
    german = StartPurchase(wanted, buyer_email="anna@example.org", idempotency_key="k-1")
    assert fingerprint(german) == fingerprint(BeforeIssue16(wanted, "anna@example.org", idempotency_key="k-1"))
    assert fingerprint(german) != fingerprint(replace(german, language="en"))
