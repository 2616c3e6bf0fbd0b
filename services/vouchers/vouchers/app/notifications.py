# SPDX-License-Identifier: AGPL-3.0-or-later
"""The e-mails a buyer gets for an online purchase: how to pay, and then the vouchers.

Two mails, both to the buyer's address, in the language the purchase recorded:

- ``PurchaseStarted`` (online, still waiting for its money): what to pay (the total, the
  vouchers), to whom (the association's account holder, IBAN and BIC from the town's
  settings), with which reference (:attr:`~vouchers.domain.purchase.Purchase.transfer_reference`)
  and by when (the purchase's ``expires_at``); and, where the town has a payment provider,
  its checkout link for this purchase. Either way of paying, or both.
- ``PurchasePaid``: the vouchers as a PDF attachment (the same document the buyer can fetch
  again with the purchase's access token), and what each is worth until when.

What a mail *says* is not written here: each is a template,
``vouchers/templates/mail/<event>_buyer.txt``, in English, with its German in
``vouchers/locale/de/LC_MESSAGES/messages.po``, rendered by the kit's
:class:`~downtown_events.runtime.texts.Texts` (amounts by its ``money`` filter, moments in
the town's time zone). This module chooses the template and hands it its data.

A mail's id is the kit's :func:`~downtown_events.runtime.mail.mail_id` of the event and the
recipient's role (``buyer``): an event delivered twice queues one mail.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from functools import cache
from pathlib import Path
from urllib.parse import quote
from uuid import UUID

from downtown_events.runtime.mail import Attachment, OutgoingMail, clean, mail_id
from downtown_events.runtime.texts import Texts
from vouchers.domain.purchase import Purchase

ROLE = "buyer"
URL_LIMIT = 2000


@cache
def mail_texts(texts_dir: Path | None = None, timezone: str = "Europe/Berlin") -> Texts:
    """The vouchers' texts, with the town's (``DOWNTOWN_TEXTS_DIR``) over them; one per process."""
    return Texts("vouchers", override=texts_dir, zone=timezone)


@dataclass(frozen=True)
class PaymentDetails:
    """How the town's buyers pay (its settings): a bank transfer to the association's account,
    the payment provider's checkout, or both. ``checkout_url`` is a template naming
    ``{purchase_id}``, ``{reference}`` and ``{amount_cents}``."""

    account_holder: str = ""
    iban: str = ""
    bic: str = ""
    checkout_url: str = ""

    @property
    def transfer(self) -> bool:
        return bool(self.iban)

    def checkout_link(self, purchase: Purchase) -> str:
        """The provider's checkout for ``purchase`` (its values URL-encoded), or empty."""
        if not self.checkout_url:
            return ""
        link = self.checkout_url.format(
            purchase_id=purchase.purchase_id,
            reference=quote(purchase.transfer_reference, safe=""),
            amount_cents=purchase.total_cents,
        )
        return clean(link, URL_LIMIT)


@dataclass(frozen=True)
class MailVoucher:
    """One voucher as a buyer's mail lists it; ``gift_for`` the recipient's name on a gift,
    ``expires_on`` once it is issued."""

    programme: str
    amount_cents: int
    bonus_cents: int = 0
    gift_for: str = ""
    expires_on: date | None = None


@dataclass(frozen=True)
class BuyerMail:
    """What both mails draw on: the purchase (with its buyer's secrets), its vouchers, the town."""

    purchase: Purchase
    vouchers: tuple[MailVoucher, ...]
    town_name: str


def payment_instructions(
    event_id: str | UUID, mail: BuyerMail, payment: PaymentDetails, texts: Texts | None = None
) -> OutgoingMail | None:
    """``PurchaseStarted``'s mail: how to pay. None for a purchase without a buyer's address
    (not an online purchase)."""
    purchase = mail.purchase
    return _mail(
        event_id,
        "PurchaseStarted",
        mail,
        texts,
        reference=purchase.transfer_reference,
        total_cents=purchase.total_cents,
        pay_by=purchase.expires_at,
        transfer=payment.transfer,
        account_holder=clean(payment.account_holder or mail.town_name, 70),
        iban=clean(payment.iban, 42),
        bic=clean(payment.bic, 11),
        checkout_url=payment.checkout_link(purchase),
    )


def paid_vouchers(
    event_id: str | UUID, mail: BuyerMail, pdf: bytes | None, texts: Texts | None = None
) -> OutgoingMail | None:
    """``PurchasePaid``'s mail: the vouchers, attached as a PDF when it could be drawn (without
    it the mail says where to fetch them with the purchase's access token)."""
    reference = mail.purchase.transfer_reference
    attachments = (Attachment(f"Gutscheine-{reference}.pdf", "application/pdf", pdf),) if pdf else ()
    return _mail(
        event_id,
        "PurchasePaid",
        mail,
        texts,
        attachments=attachments,
        reference=reference,
        total_cents=mail.purchase.total_cents,
        bonus_cents=sum(voucher.bonus_cents for voucher in mail.vouchers),
        attached=bool(pdf),
    )


def _mail(
    event_id: str | UUID,
    event: str,
    mail: BuyerMail,
    texts: Texts | None,
    *,
    attachments: tuple[Attachment, ...] = (),
    **data: object,
) -> OutgoingMail | None:
    secrets = mail.purchase.secrets
    if secrets is None or mail.purchase.channel != "online":
        return None
    language = mail.purchase.language
    town = clean(mail.town_name)
    vouchers = tuple(
        MailVoucher(
            clean(voucher.programme),
            voucher.amount_cents,
            voucher.bonus_cents,
            clean(voucher.gift_for),
            voucher.expires_on,
        )
        for voucher in mail.vouchers
    )
    template = f"mail/{_snake(event)}_{ROLE}.txt"
    text = (texts or mail_texts()).mail(template, language, town=town, vouchers=vouchers, **data)
    return OutgoingMail(
        message_id=mail_id(event_id, ROLE),
        to_address=secrets.buyer_email.strip(),
        to_name="",
        subject=clean(text.subject, 200),
        body=text.body,
        language=language,
        about=f"{event}:{ROLE}",
        attachments=attachments,
    )


def _snake(name: str) -> str:
    """``PurchaseStarted`` → ``purchase_started``."""
    return "".join(f"_{ch.lower()}" if ch.isupper() and i else ch.lower() for i, ch in enumerate(name))
